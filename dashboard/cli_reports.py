"""``pulseboard report render`` and ``pulseboard reports ...``: reports from the terminal.

Registered on the main group at the end of dashboard/cli.py. Errors follow the CLI's rule: one
``error: ...`` line naming the bad value and the accepted ones, exit code 2, nothing written.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from dashboard import control
from dashboard.cli import (
    BadInput,
    _argv_for_delegation,
    _parse_date,
    _services,
    _workspace_ref,
    needs_warehouse,
)
from reports.definition import FORMATS, ReportError, ReportSpec, parse_sections
from reports.periods import COMPARES, PERIODS
from reports.rows import DATASETS


@click.group("report")
def report() -> None:
    """Render one report now (PDF, Excel or CSV)."""


@report.command("render")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--format", "fmt", required=True, type=click.Choice(FORMATS), help="File format.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
@click.option("--from", "start", default=None, help="First day, YYYY-MM-DD (with --to).")
@click.option("--to", "end", default=None, help="Last day, YYYY-MM-DD (with --from).")
@click.option(
    "--period",
    default=None,
    type=click.Choice([p for p in PERIODS if p != "custom"]),
    help="A relative period (default last_month).",
)
@click.option("--sections", default=None, help="Comma-separated sections (default: all with data).")
@click.option("--compare", default="previous_period", show_default=True, type=click.Choice(list(COMPARES)))
@click.option("--filter", "filters", multiple=True, metavar="DIM=VALUE", help="e.g. channel=Email.")
@click.option("--title", default=None, help="Title on the cover.")
@click.option("--dataset", default=None, type=click.Choice(list(DATASETS)), help="CSV: which rows.")
@click.option("--bom", is_flag=True, help="CSV: start with a UTF-8 BOM (for Excel).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
@needs_warehouse
def render(
    ctx: click.Context,
    slug: str,
    fmt: str,
    out: Path,
    start: str | None,
    end: str | None,
    period: str | None,
    sections: str | None,
    compare: str,
    filters: tuple[str, ...],
    title: str | None,
    dataset: str | None,
    bom: bool,
    as_json: bool,
) -> None:
    """Render a report for a workspace into a file."""
    from dashboard.logos import logo_png
    from reports.render import render_file

    services = _services(ctx)
    spec = build_spec(start, end, period, sections, compare, filters, title)
    if not out.parent.exists():
        raise BadInput(f"--out {out}: the folder {out.parent} does not exist")
    workspace = _workspace_ref(services, slug)
    try:
        result = render_file(
            services.warehouse.scoped(workspace),
            spec,
            fmt,
            out,
            dataset=dataset,
            bom=bom,
            logo=logo_png(services.settings.data_path, workspace.id),
            standalone=True,  # this process does nothing else: a CSV of 10M rows in < 500 MB
        )
    except ReportError as exc:
        raise BadInput(str(exc)) from None
    result["workspace"] = slug
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        rows = f", {result['rows']:,} rows" if "rows" in result else ""
        click.echo(f"wrote {result['path']} ({result['bytes']:,} bytes{rows})")


def build_spec(
    start: str | None,
    end: str | None,
    period: str | None,
    sections: str | None,
    compare: str,
    filters: tuple[str, ...],
    title: str | None,
) -> ReportSpec:
    """A validated ReportSpec from CLI options (BadInput for any bad one)."""
    if (start is None) != (end is None):
        raise BadInput("--from and --to go together: give both, or use --period")
    if start is not None and period is not None:
        raise BadInput("give either --from/--to or --period, not both")
    start_day: date | None = _parse_date("--from", start) if start else None
    end_day: date | None = _parse_date("--to", end) if end else None
    try:
        return ReportSpec(
            sections=parse_sections(sections),
            period="custom" if start_day else (period or "last_month"),
            start=start_day,
            end=end_day,
            compare=compare,
            filters=parse_filters(filters),
            title=title or "Performance report",
        ).validate()
    except ReportError as exc:
        raise BadInput(str(exc)) from None


def parse_filters(filters: tuple[str, ...]) -> dict[str, str]:
    """``("channel=Email", ...)`` -> ``{"channel": "Email"}`` (BadInput for a pair without ``=``).

    The dimension names are checked by ``ReportSpec.validate`` (one error text for render,
    add and edit: ``unknown filter 'x'; accepted: ...``). A dimension given twice keeps the last.
    """
    where: dict[str, str] = {}
    for pair in filters:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise BadInput(f"--filter {pair!r}: use DIMENSION=VALUE, e.g. channel=Email")
        where[key.strip()] = value.strip()
    return where


# -- schedules -----------------------------------------------------------------------------------
@click.group("reports")
def reports() -> None:
    """Scheduled, emailed reports: add, list, edit, pause, resume, delete, history, run-due, resend."""


@reports.command("add")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--name", required=True, help="The report's name (reused if it exists).")
@click.option(
    "--preset", default=None, type=click.Choice(["daily", "weekly", "monthly", "first_business_day"])
)
@click.option("--weekday", default="mon", show_default=True, help="weekly: mon..sun.")
@click.option("--day", default=1, show_default=True, type=int, help="monthly: day of month (1-31).")
@click.option("--hour", default=8, show_default=True, type=int, help="Local hour (0-23).")
@click.option("--minute", default=0, show_default=True, type=int, help="Local minute (0-59).")
@click.option("--cron", default=None, help='A cron expression instead of a preset, e.g. "0 8 * * 1".')
@click.option("--timezone", "tz", required=True, help="IANA time zone, e.g. Europe/Berlin.")
@click.option("--formats", default="pdf,xlsx", show_default=True, help="Attachments: pdf, xlsx, csv.")
@click.option("--to", "recipients", required=True, help="Comma-separated email addresses.")
@click.option(
    "--period",
    default="last_week",
    show_default=True,
    type=click.Choice([p for p in PERIODS if p != "custom"]),
)
@click.option("--sections", default=None, help="Comma-separated sections (default: all with data).")
@click.option("--compare", default="previous_period", show_default=True, type=click.Choice(list(COMPARES)))
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="DIM=VALUE",
    help="Only rows with this value, e.g. channel=Email (repeatable; as `report render`).",
)
@click.option(
    "--subject",
    default=None,
    help="Subject; placeholders {report} {workspace} {period} {start} {end} {date}.",
)
@click.option(
    "--intro", default="", help="Intro text above the numbers, up to 2,000 characters (same placeholders)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def reports_add(ctx: click.Context, slug: str, name: str, preset, weekday, day, hour, minute, cron, tz, formats,
                recipients, period, sections, compare, filters, subject, intro, as_json) -> None:  # fmt: skip
    """Schedule a report to be emailed (the terminal acts as the workspace's owner)."""
    from reports.schedule import Rule
    from reports.store import DEFAULT_SUBJECT, ScheduleRequest, add_schedule

    if (preset is None) == (cron is None):
        raise BadInput("give either --preset (daily, weekly, monthly, first_business_day) or --cron")
    services = _services(ctx)
    workspace = _workspace_ref(services, slug)
    rule = Rule(preset="cron", cron=cron) if cron else Rule(preset, weekday.lower(), day, hour, minute)
    spec = build_spec(None, None, period, sections, compare, filters, name)
    request = ScheduleRequest(name, spec, rule, tz, formats, recipients, subject or DEFAULT_SUBJECT, intro)
    try:
        info = add_schedule(services, workspace.id, None, request)
    except ReportError as exc:
        raise BadInput(str(exc)) from None
    text = f"scheduled {info['name']} ({info['when']}, {info['timezone']}) to {', '.join(info['recipients'])}; next {info['next_run']}"
    click.echo(json.dumps(info, indent=2) if as_json else text)


@reports.command("list")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def reports_list(ctx: click.Context, slug: str, as_json: bool) -> None:
    """List a workspace's scheduled reports with their next run."""
    from reports.assemble import describe_filters
    from reports.store import list_schedules

    services = _services(ctx)
    items = list_schedules(services, _workspace_ref(services, slug).id)
    if as_json:
        click.echo(json.dumps({"schedules": items}, indent=2))
        return
    if not items:
        click.echo(f"no scheduled reports in workspace {slug}; add one with `pulseboard reports add`")
    for s in items:
        where = f"  filters {describe_filters(s['filters'])}" if s["filters"] else ""
        click.echo(
            f"{s['id']:>4} {s['name']:<28} {s['when']} ({s['timezone']})  next {s['next_run']}  "
            f"{','.join(s['formats'])} -> {', '.join(s['recipients'])}{where}"
        )


@reports.command("history")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--schedule", "schedule_id", default=None, type=int, help="Only this schedule's runs.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def reports_history(
    ctx: click.Context, slug: str, schedule_id: int | None, limit: int, as_json: bool
) -> None:
    """List report runs, newest first: occurrence, status, attempts, error, recipients, size."""
    from reports.assemble import describe_filters
    from reports.store import history

    services = _services(ctx)
    items = history(services, _workspace_ref(services, slug).id, schedule_id=schedule_id, limit=limit)
    if as_json:
        click.echo(json.dumps({"runs": items}, indent=2))
        return
    if not items:
        click.echo(f"no report runs yet in workspace {slug}")
    for r in items:
        line = (
            f"{r['id']:>5} {r['occurrence'][:16]} schedule {r['schedule_id']} {r['status']:<7} "
            f"attempts {r['attempts']}  {r['bytes']:,} bytes  to {', '.join(r['recipients'])}"
            + (f"  filters {describe_filters(r['filters'])}" if r["filters"] else "")
        )
        click.echo(line if not r["error"] else f"{line}\n      {r['error']}")


@reports.command("run-due")
@click.option("--now", "now_text", default=None, help="ISO 8601 instant (default: now); naive means UTC.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def reports_run_due(ctx: click.Context, now_text: str | None, as_json: bool) -> None:
    """Send every occurrence due at --now that has not been sent (safe in several processes)."""
    from reports.scheduler import WarehouseBusy, tick

    services = _services(ctx)
    now = _parse_instant(now_text)
    try:
        outcomes = tick(services, now, wait=5.0)
    except WarehouseBusy as exc:
        # The server holds the warehouse: our claims were given back; let it run this command.
        outcome = control.delegate(services.settings.data_path, _argv_for_delegation(ctx))
        if outcome is None:
            raise BadInput(str(exc)) from None
        code, out, err = outcome
        sys.stdout.write(out)
        sys.stderr.write(err)
        ctx.exit(code)
    items = [o.as_dict() for o in outcomes]
    if as_json:
        click.echo(json.dumps({"runs": items}, indent=2))
    elif not items:
        click.echo("nothing due")
    for item in [] if as_json else items:
        click.echo(f"run {item['run_id']}: {item['status']} after {item['attempts']} attempt(s)"
                   + (f": {item['error']}" if item["error"] else ""))  # fmt: skip
    if any(o.status == "failed" for o in outcomes):
        ctx.exit(1)


@reports.command("resend")
@click.argument("run_id", type=int)
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
@needs_warehouse
def reports_resend(ctx: click.Context, run_id: int, slug: str, as_json: bool) -> None:
    """Send a past run again (the same period) to its recipients."""
    from reports.delivery import resend

    services = _services(ctx)
    try:
        outcome = resend(services, _workspace_ref(services, slug).id, run_id)
    except LookupError as exc:
        raise BadInput(str(exc)) from None
    click.echo(
        json.dumps(outcome.as_dict(), indent=2) if as_json else f"run {outcome.run_id}: {outcome.status}"
    )
    if outcome.status == "failed":
        ctx.exit(1)


def _change(ctx: click.Context, slug: str, as_json: bool, verb: str, action) -> None:
    """Run ``action(services, workspace_id)`` on a schedule; print what it is now (or was)."""
    services = _services(ctx)
    try:
        info = action(services, _workspace_ref(services, slug).id)
    except ReportError as exc:
        raise BadInput(str(exc)) from None
    state = "active" if info["active"] else "paused"
    text = f"{verb} schedule {info['id']} {info['name']} ({info['when']}, {info['timezone']}; {state})"
    click.echo(json.dumps(info, indent=2) if as_json else text)


@reports.command("logo")
@click.argument("image", type=click.Path(path_type=Path), required=False)
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--remove", is_flag=True, help="Forget the logo (reports show the Pulseboard mark).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def reports_logo(ctx: click.Context, image: Path | None, slug: str, remove: bool, as_json: bool) -> None:
    """Set the logo on the cover of the workspace's PDF reports (PNG, JPEG, GIF or WebP)."""
    from dashboard.accounts import WorkspaceContext
    from dashboard.logo_admin import clear_logo, set_logo
    from dashboard.logos import LogoError, check_size
    from dashboard.models import Role

    services = _services(ctx)
    # Whoever runs the CLI on the server can read the data dir: it acts as the owner (audited).
    context = WorkspaceContext(user_id=0, role=Role.OWNER, workspace=_workspace_ref(services, slug))
    if remove == (image is not None):
        raise BadInput("give an IMAGE file, or --remove")
    if remove:
        removed = clear_logo(services, context)
        result = {"workspace": slug, "logo": None, "removed": removed}
        text = "logo removed" if removed else "the workspace had no logo"
    else:
        if not image.is_file():
            raise BadInput(f"{image}: no such file")
        try:
            check_size(image.stat().st_size)  # before reading a huge file into memory
            stored = set_logo(services, context, image.read_bytes(), filename=image.name)
        except LogoError as exc:
            raise BadInput(f"{image}: {exc}") from None
        result = {"workspace": slug, "logo": str(stored), "removed": False}
        text = f"logo set: PDF reports of {slug} show it on their cover"
    click.echo(json.dumps(result, indent=2) if as_json else text)


@reports.command("pause")
@click.argument("schedule_id", type=int)
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def reports_pause(ctx: click.Context, schedule_id: int, slug: str, as_json: bool) -> None:
    """Pause a schedule: nothing is sent until it is resumed."""
    from reports.store import set_active

    _change(ctx, slug, as_json, "paused", lambda s, ws: set_active(s, ws, schedule_id, False))


@reports.command("resume")
@click.argument("schedule_id", type=int)
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def reports_resume(ctx: click.Context, schedule_id: int, slug: str, as_json: bool) -> None:
    """Resume a paused schedule (from its next occurrence on)."""
    from reports.store import set_active

    _change(ctx, slug, as_json, "resumed", lambda s, ws: set_active(s, ws, schedule_id, True))


@reports.command("delete")
@click.argument("schedule_id", type=int)
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def reports_delete(ctx: click.Context, schedule_id: int, slug: str, as_json: bool) -> None:
    """Delete a schedule; its run history is kept."""
    from reports.store import delete_schedule

    _change(ctx, slug, as_json, "deleted", lambda s, ws: delete_schedule(s, ws, schedule_id))


@reports.command("edit")
@click.argument("schedule_id", type=int)
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--name", default=None, help="A new name for the report (its other schedules show it too).")
@click.option(
    "--preset", default=None, type=click.Choice(["daily", "weekly", "monthly", "first_business_day"])
)
@click.option("--weekday", default="mon", show_default=True, help="weekly: mon..sun (with --preset).")
@click.option("--day", default=1, show_default=True, type=int, help="monthly: day of month (with --preset).")
@click.option("--hour", default=8, show_default=True, type=int, help="Local hour (with --preset).")
@click.option("--minute", default=0, show_default=True, type=int, help="Local minute (with --preset).")
@click.option("--cron", default=None, help="A cron expression instead of the current rule.")
@click.option("--timezone", "tz", default=None, help="IANA time zone.")
@click.option("--formats", default=None, help="Attachments: pdf, xlsx, csv.")
@click.option("--to", "recipients", default=None, help="Comma-separated email addresses.")
@click.option("--period", default=None, type=click.Choice([p for p in PERIODS if p != "custom"]))
@click.option("--sections", default=None, help="Comma-separated sections.")
@click.option("--compare", default=None, type=click.Choice(list(COMPARES)))
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="DIM=VALUE",
    help="Replace the report's filters, e.g. channel=Email (repeatable).",
)
@click.option("--clear-filters", is_flag=True, help="Remove the report's filters (all rows again).")
@click.option("--subject", default=None, help="Subject (same placeholders as `reports add`).")
@click.option("--intro", default=None, help="Intro text.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def reports_edit(ctx: click.Context, schedule_id: int, slug: str, name, preset, weekday, day, hour, minute, cron, tz,
                 formats, recipients, period, sections, compare, filters, clear_filters, subject, intro,
                 as_json) -> None:  # fmt: skip
    """Change a schedule's name, rule, time zone, recipients, formats, texts or report; others stay."""
    from reports.schedule import Rule
    from reports.store import update_schedule

    if preset is not None and cron is not None:
        raise BadInput("give either --preset or --cron, not both")
    if filters and clear_filters:
        raise BadInput("give either --filter or --clear-filters, not both")
    changes = {
        key: value
        for key, value in {
            "name": name,
            "timezone": tz,
            "formats": formats,
            "recipients": recipients,
            "period": period,
            "compare": compare,
            "subject": subject,
            "intro": intro,
        }.items()
        if value is not None
    }
    if sections is not None:
        changes["sections"] = tuple(s.strip() for s in sections.split(",") if s.strip())
    if filters or clear_filters:
        changes["filters"] = parse_filters(filters)  # {} with --clear-filters
    if cron is not None:
        changes["rule"] = Rule(preset="cron", cron=cron)
    elif preset is not None:
        changes["rule"] = Rule(preset, weekday.lower(), day, hour, minute)
    if not changes:
        raise BadInput("nothing to change: give at least one option (see --help)")
    _change(ctx, slug, as_json, "updated", lambda s, ws: update_schedule(s, ws, schedule_id, changes))


@click.command("worker")
@click.option(
    "--interval",
    default=30.0,
    show_default=True,
    type=click.FloatRange(1, 3600),
    help="Seconds between passes.",
)
@click.option("--once", is_flag=True, help="Run one pass and exit.")
@click.option(
    "--concurrency",
    default=None,
    type=click.IntRange(1, 64),
    help="Jobs run at once with PULSEBOARD_JOB_QUEUE=celery (default PULSEBOARD_WORKER_CONCURRENCY).",
)
@click.pass_context
def worker(ctx: click.Context, interval: float, once: bool, concurrency: int | None) -> None:
    """Run the report scheduler (and other background jobs) in this process until stopped.

    With PULSEBOARD_JOB_QUEUE=celery it also consumes the queued imports, syncs, insights and
    forecasts (a Celery worker on PULSEBOARD_REDIS_URL); the scheduler runs on a thread beside it.
    """
    import signal
    import threading

    from dashboard.ops.memory import use_configured_allocator

    if not once:
        # First, as `serve` does: a long-running worker re-runs itself under jemalloc when it
        # is installed (PULSEBOARD_ALLOCATOR), before the imports below.
        use_configured_allocator()
    from reports.scheduler import WarehouseBusy, run_forever, start_thread, tick

    services = _services(ctx)
    if once:
        try:
            outcomes = tick(services)
        except WarehouseBusy as exc:
            raise BadInput(str(exc)) from None
        click.echo(f"{len(outcomes)} report run(s) handled")
        return
    from dashboard.ops.logs import configure_logging
    from dashboard.ops.memory import limit_heap_fragmentation

    configure_logging(services.settings)
    limit_heap_fragmentation()
    if services.settings.job_queue == "celery":
        from dashboard.jobqueue.registry import QueueMisconfigured, check_settings
        from dashboard.jobqueue.worker import start_worker

        try:
            check_settings(services.settings, web=False)
        except QueueMisconfigured as exc:
            raise BadInput(str(exc)) from None
        concurrency = concurrency or services.settings.worker_concurrency
        click.echo(
            f"pulseboard worker: running queued jobs ({concurrency} at a time) and checking due reports "
            f"every {interval:g} s (Ctrl+C to stop)"
        )
        # the app DB claims keep reports exactly-once whichever worker's scheduler gets them
        scheduler = start_thread(services, interval)
        try:
            code = start_worker(services, concurrency=concurrency, loglevel=services.settings.log_level)
        finally:
            scheduler.set()
            scheduler.thread.join(timeout=60)
        ctx.exit(code)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"pulseboard worker: checking due reports every {interval:g} s (Ctrl+C to stop)")
    run_forever(services, stop, interval)


def _parse_instant(text: str | None):
    from datetime import UTC, datetime

    if not text:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"--now {text!r} is not an ISO 8601 instant, e.g. 2026-11-02T08:00:00+01:00") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
