"""The ``pulseboard`` command line.

Reading commands take ``--json`` and print one JSON document. Bad input prints one line,
``error: ...``, naming the bad value and the accepted ones, and exits with code 2 without
writing anything. Commands that need the warehouse work while the server runs: when the DuckDB
file is locked they hand themselves to the server (see dashboard.control).
"""

from __future__ import annotations

if __name__ == "__main__":  # ``python -m dashboard.cli``: run the importable copy of this module.
    # Run as __main__, this file would be a second copy that dashboard.cli_reports (which
    # imports dashboard.cli) meets half-initialised: "cannot import name 'report'".
    from dashboard.cli import main as _main

    _main()
    raise SystemExit(0)

import contextlib
import functools
import json
import logging
import os
import sys
import threading
from datetime import date
from pathlib import Path

import click
from pydantic import ValidationError

from dashboard import control
from dashboard.accounts import AccountError, create_user, ensure_workspace, get_workspace, to_ref
from dashboard.metric_json import catalogue_payload, metric_payload
from dashboard.services import Services
from dashboard.settings import Settings
from data.metrics import GRAINS, MetricError, explain_metric, get_metric, precompile
from data.warehouse import WarehouseError, WarehouseLocked, WorkspaceRef

DEMO_OWNER_EMAIL = "demo@pulseboard.local"
DEMO_OWNER_PASSWORD = "pulseboard-demo"
#: how long `serve` waits, after its loop ends, for its warm-up and scheduler threads
BACKGROUND_GRACE_SECONDS = 60


class BadInput(click.ClickException):
    """Bad input: one line on stderr, exit code 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        """Print ``error: <message>`` on one line."""
        click.echo(f"error: {self.format_message()}", err=True, file=file)


def _services(ctx: click.Context) -> Services:
    if ctx.obj is None:
        try:
            ctx.obj = Services(Settings())
        except ValidationError as exc:
            first = exc.errors()[0]
            raise BadInput(f"setting PULSEBOARD_{str(first['loc'][0]).upper()}: {first['msg']}") from None
        ctx.call_on_close(ctx.obj.close)
        ctx.obj.db.upgrade()  # a fresh data dir works with any command, not only after `db upgrade`
    return ctx.obj


def needs_warehouse(command):
    """Open the warehouse before the command runs; if another process holds it, delegate."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        ctx = click.get_current_context()
        services = _services(ctx)
        try:
            services.warehouse  # noqa: B018 - opening it is the point
        except WarehouseLocked as exc:
            argv, originals = _argv_for_delegation(ctx)
            outcome = control.delegate(services.settings.data_path, argv, originals)
            if outcome is None:
                raise BadInput(f"{exc}; stop it or run this command through it") from None
            code, out, err = outcome
            sys.stdout.write(out)
            sys.stderr.write(err)
            ctx.exit(code)
        except WarehouseError as exc:
            raise BadInput(str(exc)) from None
        return command(*args, **kwargs)

    return wrapper


def _argv_for_delegation(ctx: click.Context) -> tuple[list[str], dict[str, str]]:
    """The original arguments with every path made absolute (the server has another cwd).

    Returns (argv, {absolute path: the argument as typed}). A path that does not exist is made
    absolute too, so the server never finds a file of that name in its own directory.
    """
    argv, originals = [], {}
    for a in sys.argv[1:]:
        if not a.startswith("-") and (Path(a).exists() or _looks_like_file(a)):
            absolute = str(Path(a).resolve())
            originals[absolute] = a
            a = absolute
        argv.append(a)
    return argv, originals


def _looks_like_file(arg: str) -> bool:
    """A missing path argument (``missing.csv``, ``exports/x.xlsx``) rather than a name or a value."""
    return "/" in arg or Path(arg).suffix.lower() in {
        ".csv",
        ".xlsx",
        ".xlsm",
        ".tsv",
        ".txt",
        ".json",
        ".zip",
    }


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Pulseboard: revenue and marketing analytics for small businesses."""


# -- db ----------------------------------------------------------------------------------------
@cli.group()
def db() -> None:
    """App database maintenance."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply pending app DB migrations and warehouse migrations."""
    services = _services(ctx)
    services.db.upgrade()
    click.echo("app database: up to date")
    try:
        # Opening the warehouse applies its pending migrations (DuckDB file or PostgreSQL).
        backend = services.warehouse.backend
    except WarehouseLocked:
        click.echo("warehouse: open in the running server, which applied its migrations when it started")
        return
    except WarehouseError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"warehouse ({backend}): up to date")
    filled = _fill_new_rollups(services)
    if filled:
        click.echo(f"warehouse: filled the customer refunds rollup of {filled} workspace(s)")


def _fill_new_rollups(services: Services) -> int:
    """Rollups added by a warehouse migration, filled for the workspaces imported before it; how many.

    Each workspace in its own transaction (:func:`data.rollups.fill_new_rollups`).
    """
    from sqlalchemy import select

    from dashboard.models import Workspace
    from data.rollups import fill_new_rollups

    with services.db.session() as session:
        workspaces = [to_ref(w) for w in session.scalars(select(Workspace).order_by(Workspace.id))]
    return fill_new_rollups(services.warehouse, workspaces)


# -- users -------------------------------------------------------------------------------------
@cli.group()
def users() -> None:
    """Manage people and their roles."""


@users.command("create")
@click.argument("email")
@click.option("--workspace", "slug", required=True, help="Workspace slug (created if missing).")
@click.option("--role", required=True, type=click.Choice(["owner", "manager", "analyst", "viewer"]))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def users_create(ctx: click.Context, email: str, slug: str, role: str, as_json: bool) -> None:
    """Create a user (password from PULSEBOARD_PASSWORD or a prompt) with ROLE in a workspace."""
    services = _services(ctx)
    services.db.upgrade()
    password = os.environ.get("PULSEBOARD_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            raise BadInput("set PULSEBOARD_PASSWORD or run in a terminal to be asked for the password")
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with services.db.session() as session:
            workspace = ensure_workspace(
                session,
                slug,
                currency=services.settings.default_currency,
                timezone=services.settings.default_timezone,
            )
            user = create_user(session, email, password, workspace=workspace, role=role)
            result = {"email": user.email, "workspace": workspace.slug, "role": role}
    except AccountError as exc:
        raise BadInput(str(exc)) from None
    _emit(result, as_json, f"{result['email']} is {role} of workspace {result['workspace']}")


# -- demo --------------------------------------------------------------------------------------
@cli.command()
@click.option("--workspace", "slug", default="demo", show_default=True, help="Workspace slug to fill.")
@click.option("--seed", default=7, show_default=True, type=int, help="Random seed (same seed, same data).")
@click.option("--years", default=2, show_default=True, type=click.IntRange(1, 5), help="Years of history.")
@click.option("--if-empty", is_flag=True, help="Do nothing if the workspace already has data.")
@click.option("--owner", default=None, help=f"Also create this owner if missing (e.g. {DEMO_OWNER_EMAIL}).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
@needs_warehouse
def demo(
    ctx: click.Context, slug: str, seed: int, years: int, if_empty: bool, owner: str | None, as_json: bool
):
    """Fill a workspace with a believable demo business (vendor files through the importers)."""
    from dashboard.demo_setup import seed_demo

    services = _services(ctx)
    try:
        outcome = seed_demo(
            services,
            slug,
            seed=seed,
            years=years,
            if_empty=if_empty,
            owner=owner,
            owner_password=os.environ.get("PULSEBOARD_PASSWORD") or DEMO_OWNER_PASSWORD,
        )
    except AccountError as exc:
        raise BadInput(str(exc)) from None
    if as_json:
        click.echo(json.dumps(outcome, indent=2, default=str))
        return
    if outcome["skipped"]:
        click.echo(f"workspace {slug} already has data; left as it is")
    else:
        for f in outcome["files"]:
            click.echo(
                f"{f['path'].rsplit('/', 1)[-1]:<28} {f['source']:<12} {f['inserted']:>7} rows  {f['status']}"
            )
    if outcome.get("owner_created"):
        click.echo(f"created owner {owner} (password: {outcome['owner_password']})")


# -- ingest ------------------------------------------------------------------------------------
@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--source", default="auto", show_default=True, help="auto, or force a connector.")
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON column mapping for the generic connector.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
@needs_warehouse
def ingest(
    ctx: click.Context, paths: tuple[Path, ...], slug: str, source: str, mapping: Path | None, as_json: bool
):
    """Import vendor export files (the source is detected from the content)."""
    from data.connectors.registry import FILE_SOURCES
    from data.importer import import_file

    services = _services(ctx)
    if source != "auto" and source not in FILE_SOURCES:
        raise BadInput(f"unknown source {source!r}; accepted: auto, {', '.join(FILE_SOURCES)}")
    workspace = _workspace_ref(services, slug)
    mapping_spec = None
    if mapping is not None:
        try:
            mapping_spec = json.loads(mapping.read_text())
        except ValueError as exc:
            raise BadInput(f"{mapping}: not valid JSON ({exc})") from None
    results = []
    for path in paths:
        with _file_progress(path, enabled=not as_json) as progress:
            result = import_file(
                services.warehouse, workspace, path, source=source, mapping=mapping_spec, progress=progress
            )
        results.append(result)
        if not as_json:
            click.echo(_ingest_lines(path, result))
    if as_json:
        click.echo(json.dumps({"files": results}, indent=2, default=str))
    if any(r["status"] in ("refused", "failed") for r in results):
        ctx.exit(2)


def _ingest_lines(path: Path, result: dict) -> str:
    """One file's outcome: its counts (which add up to rows read), skip reasons, then any error."""
    from data.accounting import describe_skipped
    from data.reconcile import summary

    line = (
        f"{path}: {result['source'] or '?'}: read {result['rows_read']}, inserted {result['inserted']}, "
        f"updated {result['updated']}, quarantined {result['quarantined']}, skipped {result.get('skipped', 0)} "
        f"[{result['status']}]"
    )
    skipped = describe_skipped(result.get("skipped_reasons") or {})
    if skipped:
        line += f"\n  skipped: {skipped}"
    if result.get("reconciliation"):
        line += f"\n  reconciliation: {summary(result['reconciliation'])}"
    return line if not result["error"] else f"{line}\n  {result['error']}"


@contextlib.contextmanager
def _file_progress(path: Path, *, enabled: bool):
    """A progress bar on stderr while one file imports (only on a terminal; scripts see none)."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=1000, label=path.name, file=sys.stderr, show_eta=True) as bar:
        shown = 0

        def progress(fraction: float, rows: int) -> None:
            nonlocal shown
            target = int(fraction * 1000)
            if target > shown:
                bar.update(target - shown)
                shown = target

        yield progress
        bar.update(1000 - shown)


# -- sync, connections, runs ------------------------------------------------------------------
@cli.command()
@click.argument("connector", required=False)
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
@needs_warehouse
def sync(ctx: click.Context, connector: str | None, slug: str, as_json: bool) -> None:
    """Sync one API connector, or every configured one, incrementally into a workspace.

    Exit code 2 when a connector is unknown, not configured or its credentials were refused;
    1 when a sync failed for another reason (retrying later may help); 0 otherwise.
    """
    from dashboard.connections import (
        ConnectionSetupError,
        connector_class,
        list_connections,
        run_sync,
        sync_result,
    )
    from data.accounting import describe_skipped
    from data.reconcile import summary

    services = _services(ctx)
    workspace = _workspace_ref(services, slug)
    try:
        if connector:
            connector_class(connector)
            sources = [connector]
        else:
            sources = [c.source for c in list_connections(services, workspace.id)]
    except ConnectionSetupError as exc:
        raise BadInput(str(exc)) from None
    show_progress = not as_json and sys.stderr.isatty()
    syncs = []
    for source in sources:

        def progress(rows: int, source: str = source) -> None:
            if show_progress:
                click.echo(f"\r{source}: {rows:,} rows fetched", err=True, nl=False)

        try:
            result = run_sync(services, workspace, source, progress=progress)
        except ConnectionSetupError as exc:
            raise BadInput(str(exc)) from None
        if show_progress:
            click.echo("", err=True)
        item = sync_result(source, result)
        syncs.append(item)
        if not as_json:
            line = (
                f"{source}: read {item['rows_read']}, inserted {item['inserted']}, updated {item['updated']}, "
                f"quarantined {item['quarantined']}, skipped {item['skipped']} [{item['status']}]"
            )
            skipped = describe_skipped(item["skipped_reasons"])
            if skipped:
                line += f"\n  skipped: {skipped}"
            if item["reconciliation"]:
                line += f"\n  reconciliation: {summary(item['reconciliation'], 'sync')}"
            click.echo(line if not item["error"] else f"{line}\n  {item['error']}")
    if as_json:
        click.echo(json.dumps({"syncs": syncs}, indent=2, default=str))
    elif not sources:
        click.echo(
            f"no connections configured for workspace {slug}; add one with `pulseboard connections add`"
        )
    if any(s["status"] == "refused" for s in syncs):
        ctx.exit(2)
    if any(s["status"] == "failed" for s in syncs):
        ctx.exit(1)


@cli.group()
def connections() -> None:
    """Set up API connectors (credentials are stored encrypted)."""


@connections.command("add")
@click.argument("source")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option(
    "--set",
    "pairs",
    multiple=True,
    metavar="FIELD=VALUE",
    help="A credential field; secrets may instead come from PULSEBOARD_<SOURCE>_<FIELD>.",
)
@click.option("--base-url", default=None, help="Talk to this API base URL instead of the vendor's.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def connections_add(
    ctx: click.Context, source: str, slug: str, pairs: tuple[str, ...], base_url: str | None, as_json: bool
) -> None:
    """Configure (or update) the SOURCE connector of a workspace; the terminal acts as its owner."""
    from dashboard.accounts import WorkspaceContext
    from dashboard.connections import ConnectionSetupError, connector_class, save_connection
    from dashboard.models import Role

    services = _services(ctx)
    services.db.upgrade()
    try:
        cls = connector_class(source)
    except ConnectionSetupError as exc:
        raise BadInput(str(exc)) from None
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BadInput(f"--set {pair.split('=')[0]!r}: use FIELD=VALUE")
        values[key.strip()] = value
    for field in cls.CREDENTIAL_FIELDS:
        env = os.environ.get(f"PULSEBOARD_{source.upper()}_{field.name.upper()}")
        if field.name not in values and env:
            values[field.name] = env
    workspace = _workspace_ref(services, slug)
    try:
        info = save_connection(
            services,
            WorkspaceContext(user_id=0, role=Role.OWNER, workspace=workspace),
            source,
            values,
            base_url=base_url,
        )
    except ConnectionSetupError as exc:
        raise BadInput(str(exc)) from None
    hints = ", ".join(f"{k}={v}" for k, v in info.hints.items())
    _emit(info.as_dict(), as_json, f"{info.label} is configured for workspace {slug} ({hints})")


@connections.command("list")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def connections_list(ctx: click.Context, slug: str, as_json: bool) -> None:
    """List a workspace's configured connectors (secrets masked)."""
    from dashboard.connections import list_connections

    services = _services(ctx)
    workspace = _workspace_ref(services, slug)
    items = [c.as_dict() for c in list_connections(services, workspace.id)]
    if as_json:
        click.echo(json.dumps({"connections": items}, indent=2))
        return
    if not items:
        click.echo(f"no connections configured for workspace {slug}")
    for item in items:
        click.echo(
            f"{item['source']:<12} {item['status']:<6} last sync {item['last_sync_at'] or 'never'}"
            + (f"\n  {item['last_error']}" if item["last_error"] else "")
        )


@cli.command()
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option(
    "--limit", default=50, show_default=True, type=click.IntRange(1, 10_000), help="Newest runs shown."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
@needs_warehouse
def runs(ctx: click.Context, slug: str, limit: int, as_json: bool) -> None:
    """List a workspace's imports and syncs, newest first."""
    from dashboard.connections import list_runs

    services = _services(ctx)
    workspace = _workspace_ref(services, slug)
    items = list_runs(services, workspace, limit=limit)
    if as_json:
        click.echo(json.dumps({"runs": items}, indent=2, default=str))
        return
    if not items:
        click.echo(f"no imports or syncs yet in workspace {slug}")
    for r in items:
        line = (
            f"{r['id']:>5} {str(r['started_at'])[:19]} {r['kind']:<4} {r['source'] or '?':<10} "
            f"{(r['name'] or '')[:32]:<32} read {r['rows_read']}, inserted {r['inserted']}, "
            f"updated {r['updated']}, quarantined {r['quarantined']}, skipped {r.get('skipped') or 0} "
            f"[{r['status']}]"
        )
        click.echo(line if not r["error"] else f"{line}\n      {r['error']}")


# -- metric ------------------------------------------------------------------------------------
@cli.command()
@click.argument("name")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--from", "start", required=True, help="First day, YYYY-MM-DD (inclusive).")
@click.option("--to", "end", required=True, help="Last day, YYYY-MM-DD (inclusive).")
@click.option("--grain", default="total", show_default=True, help=f"One of: {', '.join(GRAINS)}.")
@click.option("--by", "by", default=None, help="Split by a dimension of the metric.")
@click.option("--compare", default=None, help="previous_period or previous_year.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--sql", "show_sql", is_flag=True, help="Print the SQL that answers it instead (runnable as printed)."
)
@click.pass_context
@needs_warehouse
def metric(
    ctx: click.Context,
    name: str,
    slug: str,
    start: str,
    end: str,
    grain: str,
    by: str | None,
    compare: str | None,
    as_json: bool,
    show_sql: bool,
) -> None:
    """Print one metric for a workspace and date range (days in the workspace's time zone)."""
    services = _services(ctx)
    start_date, end_date = _parse_date("--from", start), _parse_date("--to", end)
    try:
        definition = get_metric(name)
        workspace = _workspace_ref(services, slug)
        if show_sql:
            scoped = services.warehouse.scoped(workspace)
            click.echo(
                explain_metric(scoped, name, start_date, end_date, grain=grain, by=by, compare=compare),
                nl=False,
            )
            return
        payload = metric_payload(
            services.warehouse.scoped(workspace),
            name,
            start_date,
            end_date,
            grain=grain,
            by=by,
            compare=compare,
        )
    except MetricError as exc:
        raise BadInput(str(exc)) from None
    rows = payload["rows"]
    if as_json:
        click.echo(json.dumps(payload, indent=2))
        return
    click.echo(
        f"{definition.label} ({definition.unit}{', ' + workspace.currency if definition.unit == 'currency' else ''})"
        f" {payload['from']} .. {payload['to']}"
    )
    # Each number in the catalogue's format for its unit: counts as integers, ratios as percents.
    spec = definition.format
    for row in rows:
        label = " ".join(
            str(row[k]) for k in row if k not in ("value", "compare_value") and row[k] is not None
        )
        compare_text = "" if row["compare_value"] is None else f"   (compare {row['compare_value']:{spec}})"
        value = "n/a" if row["value"] is None else f"{row['value']:{spec}}"
        click.echo(f"  {label or 'total':<24} {value:>16}{compare_text}")


@cli.command("metrics")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def metrics_list(as_json: bool) -> None:
    """List the metric catalogue."""
    items = catalogue_payload()
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    for item in items:
        click.echo(f"{item['name']:<22} {item['unit']:<9} {item['label']}")


# -- serve -------------------------------------------------------------------------------------
@cli.command()
@click.option("--host", default=None, help="Address to listen on (default PULSEBOARD_HOST or 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default PULSEBOARD_PORT or 8050).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the dashboard (waitress, several threads, one process).

    SIGTERM or SIGINT (Ctrl+C) stops it gracefully: running jobs finish first, for at most
    PULSEBOARD_SHUTDOWN_GRACE seconds (dashboard.ops.shutdown).
    """
    from dashboard.ops.memory import (
        jemalloc_loaded,
        limit_heap_fragmentation,
        start_heap_trimmer,
        use_configured_allocator,
    )

    # First, before the app's imports and anything that opens a file or starts a thread: under
    # jemalloc (PULSEBOARD_ALLOCATOR) this re-runs the process with it preloaded.
    use_configured_allocator()
    from waitress.server import create_server as create_wsgi_server

    from app import create_app
    from dashboard import jobs
    from dashboard.ops.logs import configure_logging
    from dashboard.ops.shutdown import GracefulShutdown, exit_now, settle

    settings = _services(ctx).settings
    configure_logging(settings)
    limit_heap_fragmentation()  # the C library's allocator, where jemalloc is not in use
    logging.getLogger("pulseboard.serve").info(
        "memory allocator: %s", "jemalloc" if jemalloc_loaded() else "the C library's"
    )
    host = host or settings.host
    port = port or settings.port
    from dashboard.jobqueue.registry import QueueMisconfigured

    try:
        app = create_app(settings)
    except QueueMisconfigured as exc:
        raise BadInput(str(exc)) from None
    services = app.server.extensions["pulseboard"]
    try:
        services.warehouse  # noqa: B018 - take the warehouse now so CLI commands delegate to us
    except WarehouseLocked as exc:
        raise BadInput(f"{exc}; is another server running?") from None
    try:
        wsgi = create_wsgi_server(
            app.server,
            host=host,
            port=port,
            threads=settings.threads,
            ident="pulseboard",
            max_request_body_size=settings.max_request_mb * 1024 * 1024,  # waitress's default: 1 GB
        )
    except OSError as exc:
        raise BadInput(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    control.accept_commands(app.server, cli)
    control.publish(settings.data_path, url)
    click.echo(f"Pulseboard is serving on {url}  (Ctrl+C to stop)")
    warming_stop = threading.Event()
    warming = threading.Thread(
        target=_warm_up_server, args=(services, warming_stop), name="pb-warm-up", daemon=True
    )
    warming.start()
    background = [warming]  # threads that must end before the warehouse closes
    on_drain = [warming_stop.set]  # the pages' warm-up ends between two answers
    start_heap_trimmer(warming_stop)  # free heap pages back to the system every 30 s, until drained
    if settings.scheduler:  # scheduled reports are sent from this process unless workers do it
        from reports.scheduler import start_thread

        scheduler_stop = start_thread(services)
        background.append(scheduler_stop.thread)
        on_drain.append(scheduler_stop.set)  # stop claiming due reports on shutdown
    shutdown = GracefulShutdown(jobs.REGISTRY, settings.shutdown_grace, on_drain=on_drain)
    shutdown.install()
    try:
        wsgi.run()  # returns when a signal ends its loop (waitress catches the SystemExit)
    finally:
        wsgi.close()
        control.withdraw(settings.data_path)
        # A report being sent finishes; a warm-up compiles for a few seconds at most.
        still_running = settle(background, BACKGROUND_GRACE_SECONDS)
        if not (still_running or shutdown.abandoned):
            services.close()
    stop_log = logging.getLogger("pulseboard.shutdown")
    stop_log.info("stopped%s", f" ({len(shutdown.abandoned)} job(s) abandoned)" if shutdown.abandoned else "")
    # Leave without interpreter finalization: with threads still inside DuckDB (an abandoned
    # import: its transaction rolls back when the file is next opened) it would abort, and even
    # after a clean close, native libraries' teardown order has aborted a finished process
    # ("terminate called without an active exception", exit -6) instead of exiting 0.
    exit_now(0)


def _warm_up_server(services: Services, stop: threading.Event) -> None:
    """A new server's warm-up thread: :func:`warm_up`, then the pages of the workspaces in use.

    After a deploy every cached answer is stale; ``callbacks.page_warmup`` computes the default
    view of each page of the recently visited workspaces, at a low priority, until ``stop``.
    """
    from callbacks.page_warmup import warm_recent

    warm_up(services)
    try:
        warm_recent(services, stop)
    except Exception:  # the first visitors compute what is missing; a warm-up never stops the server
        logging.getLogger(__name__).warning("warm-up could not compute the pages' views", exc_info=True)
    if stop.is_set():
        return
    # A server upgraded without `pulseboard db upgrade` (it held the warehouse) fills them here;
    # until it does, readers answer from payment rows, with the same numbers.
    try:
        filled = _fill_new_rollups(services)
    except Exception:  # an import holding the warehouse, say: the next start tries again
        logging.getLogger(__name__).warning("warm-up could not fill the new rollups", exc_info=True)
    else:
        if filled:
            logging.getLogger(__name__).info("filled the customer refunds rollup of %d workspace(s)", filled)


def warm_up(services: Services | None = None) -> None:
    """Prepare what the first visitor of a page would otherwise wait for, while the server idles.

    DuckDB's Python client imports pandas on the first statement it runs with parameters
    (~0.4 s), and ibis loads its DuckDB backend (~0.1 s) the first time a metric's SQL is
    compiled: the first page's first queries would pay that on top of their own work. With
    ``services``, the KPI rows' metric SQL is compiled too (after a code change the template
    store is empty: 15-50 ms per shape on its first request).
    """
    import ibis.backends.duckdb  # noqa: F401
    import pandas  # noqa: F401

    if services is None:
        return
    from callbacks import campaigns, customers, revenue
    from components.overview import OVERVIEW_KPIS
    from data.analytics.marketing import AD_METRICS

    # Compiled SQL is bound to a workspace by parameter: any workspace compiles the same text.
    scoped = services.warehouse.scoped(WorkspaceRef(0, "warm-up", "USD", "UTC"))
    try:
        for names in (OVERVIEW_KPIS, revenue.KPI_METRICS, campaigns.KPI_METRICS, customers.KPI_METRICS):
            precompile(scoped, names)
        # The Campaigns page's campaign table: its ten ad metrics by campaign, unfiltered and
        # with each of the page filters it keeps (data.analytics.marketing.campaign_table).
        for where_keys in ((), ("platform",), ("campaign",), ("campaign", "platform")):
            precompile(scoped, AD_METRICS, ("total",), by="campaign", where_keys=where_keys)
    except Exception:  # the requests compile what is missing; a warm-up never stops the server
        logging.getLogger(__name__).warning("warm-up could not compile the pages' SQL", exc_info=True)


# -- helpers -----------------------------------------------------------------------------------
def _workspace_ref(services: Services, slug: str):
    try:
        with services.db.session() as session:
            return to_ref(get_workspace(session, slug))
    except AccountError as exc:
        raise BadInput(str(exc)) from None


def _parse_date(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{option} {value!r} is not a date; use YYYY-MM-DD") from None


def _emit(payload: dict, as_json: bool, text: str) -> None:
    click.echo(json.dumps(payload, indent=2) if as_json else text)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="pulseboard")


# Report commands live in their own module (registered last: it imports this one's helpers).
from dashboard.cli_reports import report as _report_group  # noqa: E402
from dashboard.cli_reports import reports as _reports_group  # noqa: E402
from dashboard.cli_reports import worker as _worker_command  # noqa: E402

cli.add_command(_report_group)
cli.add_command(_reports_group)
cli.add_command(_worker_command)
# Commands in their own modules (they import this one, so they are added last).
from dashboard.cli_forecast import forecast as _forecast  # noqa: E402

cli.add_command(_forecast)
# Command groups that live in their own modules (they import the helpers above).
from dashboard.tokens_cli import tokens  # noqa: E402

cli.add_command(tokens)
# -- insights (dashboard/insights/cli.py imports the helpers above, so it is registered last) ---
from dashboard.insights.cli import insights, insights_key  # noqa: E402

cli.add_command(insights)
cli.add_command(insights_key)
# -- privacy (GDPR export/erasure; dashboard/cli_privacy.py imports the helpers above) ---------
from dashboard.cli_privacy import privacy as _privacy  # noqa: E402

cli.add_command(_privacy)
