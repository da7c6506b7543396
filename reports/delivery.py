"""Run due schedules exactly once: claim each occurrence in the app DB, render, send, record.

**Claim.** For every active schedule, the latest occurrence at or before *now* gets a row in
``report_runs`` whose ``occurrence_key`` is unique. Inserting it is the claim: of any number of
schedulers and workers racing, the database lets exactly one insert succeed. The row carries a
lease (owner + expiry); a run whose sender died can be taken over once its lease has expired,
by a conditional UPDATE that again only one process wins.

**Catch-up.** Only the *latest* occurrence of each schedule is ever considered, so after a
downtime a schedule sends once, for the period that occurrence covers — not once per missed
occurrence.

**Send.** SMTP failures are retried with exponential backoff (``BACKOFF_SECONDS`` x 2^n);
after ``MAX_ATTEMPTS`` the run is marked failed and the workspace's owners get an in-app
notification (emailed to them too once mail works again). A failed run can be resent.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import smtplib
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from components.formatting import format_datetime
from dashboard.accounts import to_ref
from dashboard.logos import logo_png
from dashboard.models import (
    Membership,
    Notification,
    ReportDefinition,
    ReportRun,
    ReportSchedule,
    Role,
    User,
    Workspace,
)
from dashboard.services import Services
from reports.assemble import assemble
from reports.definition import ReportSpec
from reports.email import (
    MailError,
    SmtpConfig,
    build_message,
    fill_placeholders,
    format_sender,
    placeholder_values,
)
from reports.render import MEDIA, render_file
from reports.schedule import Rule, latest_occurrence

log = logging.getLogger("pulseboard.reports")

MAX_ATTEMPTS = 4
BACKOFF_SECONDS = 2.0
LEASE = timedelta(minutes=15)
RUNS_DIR = "reports"


@dataclass(frozen=True)
class Outcome:
    """What happened to one run."""

    run_id: int
    schedule_id: int | None
    status: str
    attempts: int
    error: str | None

    def as_dict(self) -> dict:
        """JSON-friendly form (``run-due --json``)."""
        return {
            "run_id": self.run_id,
            "schedule_id": self.schedule_id,
            "status": self.status,
            "attempts": self.attempts,
            "error": self.error,
        }


def worker_id() -> str:
    """This process's name in leases: host, pid and thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def utc(value: datetime) -> datetime:
    """An aware UTC datetime (SQLite returns naive ones; everything stored is UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# -- claiming ----------------------------------------------------------------------------------
def claim_due(services: Services, now: datetime, owner: str) -> list[int]:
    """Claim every due, unsent occurrence (and every expired lease); returns the claimed run ids."""
    now = utc(now)
    with services.db.session() as db:
        schedules = db.scalars(select(ReportSchedule).where(ReportSchedule.active.is_(True))).all()
    claimed: list[int] = []
    for schedule in schedules:
        occurrence = latest_occurrence(Rule.from_json(schedule.rule_json), ZoneInfo(schedule.timezone), now)
        if occurrence is None or occurrence < utc(schedule.created_at):
            continue  # nothing due since the schedule was made
        run_id = _insert_claim(services, schedule, occurrence, owner, now)
        if run_id is not None:
            claimed.append(run_id)
    claimed += _take_over_expired(services, now, owner)
    return claimed


def occurrence_key(schedule_id: int, occurrence: datetime) -> str:
    """The unique key of one occurrence of one schedule."""
    return f"schedule:{schedule_id}:{utc(occurrence):%Y-%m-%dT%H:%MZ}"


def _insert_claim(
    services, schedule: ReportSchedule, occurrence: datetime, owner: str, now: datetime
) -> int | None:
    try:
        with services.db.session() as db:
            run = ReportRun(
                workspace_id=schedule.workspace_id,
                schedule_id=schedule.id,
                occurrence_key=occurrence_key(schedule.id, occurrence),
                occurrence_at=occurrence,
                status="claimed",
                attempts=0,
                lease_owner=owner,
                lease_until=now + LEASE,
                recipients=schedule.recipients,
                bytes=0,
                files_json="[]",
                created_at=now,
            )
            db.add(run)
            db.flush()
            return run.id
    except IntegrityError:
        return None  # another process claimed (or already sent) this occurrence


def _take_over_expired(services, now: datetime, owner: str) -> list[int]:
    with services.db.session() as db:
        stale = db.scalars(
            select(ReportRun.id).where(ReportRun.status == "claimed", ReportRun.lease_until < now)
        ).all()
    taken = []
    for run_id in stale:
        with services.db.session() as db:
            result = db.execute(
                update(ReportRun)
                .where(ReportRun.id == run_id, ReportRun.status == "claimed", ReportRun.lease_until < now)
                .values(lease_owner=owner, lease_until=now + LEASE)
            )
            if result.rowcount == 1:
                taken.append(run_id)
    return taken


def release(services: Services, run_ids: list[int], owner: str) -> None:
    """Give claims back (their lease expires now) when this process cannot run them."""
    with services.db.session() as db:
        db.execute(
            update(ReportRun)
            .where(ReportRun.id.in_(run_ids), ReportRun.lease_owner == owner, ReportRun.status == "claimed")
            .values(lease_until=datetime(2000, 1, 1, tzinfo=UTC))
        )


# -- running -----------------------------------------------------------------------------------
def run_due(services: Services, now: datetime | None = None, *, owner: str | None = None) -> list[Outcome]:
    """Claim and deliver everything due at ``now``; returns one Outcome per run handled."""
    owner = owner or worker_id()
    now = utc(now or datetime.now(UTC))
    outcomes = [deliver(services, run_id, owner) for run_id in claim_due(services, now, owner)]
    purge_expired_files(services, now)
    return outcomes


def deliver(
    services: Services,
    run_id: int,
    owner: str,
    *,
    sleep: Callable[[float], None] | None = None,
) -> Outcome:
    """Render a claimed run's files and email them, retrying SMTP failures with backoff."""
    sleep = sleep or time.sleep
    started = time.perf_counter()
    with services.db.session() as db:
        run = db.get(ReportRun, run_id)
        schedule = db.get(ReportSchedule, run.schedule_id) if run.schedule_id else None
        if schedule is None or run.lease_owner != owner:
            return Outcome(run_id, run.schedule_id, run.status, run.attempts, "not ours to send")
        definition = db.get(ReportDefinition, schedule.definition_id)
        workspace = to_ref(db.get(Workspace, schedule.workspace_id))
        spec = ReportSpec.from_json(definition.spec_json)
        schedule_tz, formats = schedule.timezone, schedule.formats.split(",")
        recipients = [r.strip() for r in schedule.recipients.split(",") if r.strip()]
        subject_template, intro_template = schedule.subject, schedule.intro
        occurrence, original = utc(run.occurrence_at), run.resend_of
    try:
        files, data = _render(services, workspace, spec, formats, run_id, occurrence, schedule_tz, original)
        values = placeholder_values(data)
        message = build_message(
            data,
            sender=format_sender(services.settings.mail_from),
            recipients=recipients,
            subject=fill_placeholders(subject_template, values),
            intro=fill_placeholders(intro_template, values),
            attachments=[(f["name"], Path(f["path"]), MEDIA[f["format"]][1]) for f in files],
            dashboard_url=services.settings.public_url,
        )
    except Exception as exc:  # a report that cannot be made is a failed run, never a crash of the loop
        log.exception("report run %s could not be rendered", run_id)
        return _finish(
            services, run_id, "failed", 0, f"could not render: {type(exc).__name__}: {exc}", [], started
        )
    with services.db.session() as db:
        db.execute(
            update(ReportRun)
            .where(ReportRun.id == run_id)
            .values(period_start=data.start, period_end=data.end, files_json=json.dumps(files))
        )
    attempts, error = 0, None
    try:
        smtp = _smtp(services)
    except MailError as exc:
        return _finish(services, run_id, "failed", 0, str(exc), files, started)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        attempts = attempt
        try:
            smtp.send(message)
            error = None
            break
        except (smtplib.SMTPException, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.warning("report run %s: attempt %s failed: %s", run_id, attempt, error)
            _note_attempt(services, run_id, attempt, error)
            if attempt < MAX_ATTEMPTS:
                sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
    outcome = _finish(services, run_id, "failed" if error else "sent", attempts, error, files, started)
    if not error:
        _email_pending_notices(services, workspace.id, smtp)
    return outcome


def _render(services, workspace, spec, formats, run_id, occurrence, schedule_tz, original):
    """The run's files (reused from the original run when resending and still kept)."""
    zone = ZoneInfo(schedule_tz)
    local = occurrence.astimezone(zone)
    scoped = services.warehouse.scoped(workspace)
    if original is not None:
        with services.db.session() as db:
            before = db.get(ReportRun, original)
            start, end = before.period_start, before.period_end
        if start and end:  # the same period as the first attempt, whatever today is
            spec = ReportSpec(**{**spec.__dict__, "period": "custom", "start": start, "end": end})
    data = assemble(scoped, spec, today=local.date(), now=local)
    folder = run_folder(services, workspace.id, run_id)
    folder.mkdir(parents=True, exist_ok=True)
    logo = logo_png(services.settings.data_path, workspace.id)
    stem = f"{workspace.slug}-{spec.title.lower().replace(' ', '-')}-{data.start.isoformat()}"
    files = []
    for fmt in formats:
        path = folder / f"{stem}.{MEDIA[fmt][0]}"
        info = render_file(scoped, spec, fmt, path, data=data, logo=logo)
        files.append(
            {
                "format": fmt,
                "name": path.name,
                "path": str(path),
                "bytes": info["bytes"],
                "filters": spec.filters,
            }
        )
    return files, data


def run_folder(services: Services, workspace_id: int, run_id: int) -> Path:
    """Where a run's files are kept: <data dir>/reports/<workspace>/<run>."""
    return services.settings.data_path / RUNS_DIR / str(workspace_id) / str(run_id)


def _smtp(services: Services) -> SmtpConfig:
    if not services.settings.smtp_url:
        raise MailError("no mail server configured: set PULSEBOARD_SMTP_URL, then resend this run")
    return SmtpConfig.from_url(services.settings.smtp_url)


def _note_attempt(services, run_id: int, attempt: int, error: str) -> None:
    with services.db.session() as db:
        db.execute(update(ReportRun).where(ReportRun.id == run_id).values(attempts=attempt, error=error))


def failure_notice(name: str | None, due: datetime, timezone: str, attempts: int, error: str | None) -> str:
    """The owners' in-app notice of a run that could not be sent, in words a person reads.

    ``due`` in the schedule's own time zone (the one its recipients read); the attempts only
    when there were any (a missing mail server fails before the first).
    """
    tries = f" after {attempts} attempt{'s' if attempts != 1 else ''}" if attempts else ""
    reason = (error or "unknown error").rstrip(".")
    resend = "" if "resend" in reason.lower() else " Resend it from the report history."
    due_text = f"{format_datetime(due, timezone)} ({timezone})"
    return f"The report “{name or 'unnamed'}” due {due_text} could not be sent{tries}: {reason}.{resend}"


def _finish(services, run_id, status, attempts, error, files, started) -> Outcome:
    with services.db.session() as db:
        run = db.get(ReportRun, run_id)
        run.status, run.attempts, run.error = status, attempts, error
        run.bytes = sum(f["bytes"] for f in files)
        run.duration_ms = (time.perf_counter() - started) * 1000
        run.finished_at = datetime.now(UTC)
        run.lease_owner = run.lease_until = None
        if status == "failed":
            name, timezone = db.execute(
                select(ReportDefinition.name, ReportSchedule.timezone)
                .join(ReportSchedule, ReportSchedule.definition_id == ReportDefinition.id)
                .where(ReportSchedule.id == run.schedule_id)
            ).one_or_none() or (None, "UTC")
            db.add(
                Notification(
                    workspace_id=run.workspace_id,
                    kind="report_failed",
                    message=failure_notice(name, utc(run.occurrence_at), timezone, attempts, error),
                    emailed=False,
                    created_at=datetime.now(UTC),
                )
            )
        return Outcome(run_id, run.schedule_id, status, attempts, error)


def _email_pending_notices(services, workspace_id: int, smtp: SmtpConfig) -> None:
    """Mail works again: tell the owners about failures they have not been emailed about."""
    from email.message import EmailMessage

    with services.db.session() as db:
        notices = db.scalars(
            select(Notification).where(
                Notification.workspace_id == workspace_id,
                Notification.kind == "report_failed",
                Notification.emailed.is_(False),
            )
        ).all()
        if not notices:
            return
        owners = db.scalars(
            select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.workspace_id == workspace_id, Membership.role == Role.OWNER.value)
        ).all()
        if not owners:
            return
        msg = EmailMessage()
        msg["Subject"] = f"Pulseboard: {len(notices)} report(s) could not be sent"
        msg["From"] = format_sender(services.settings.mail_from)
        msg["To"] = ", ".join(owners)
        msg.set_content("\n\n".join(n.message for n in notices) + "\n")
        try:
            smtp.send(msg)
        except (smtplib.SMTPException, OSError):
            return  # they stay pending; the in-app notification is there regardless
        for notice in notices:
            notice.emailed = True


# -- resend, retention --------------------------------------------------------------------------
def resend(services: Services, workspace_id: int, run_id: int, *, owner: str | None = None) -> Outcome:
    """Send a past run again (same period; its kept files' numbers are recomputed the same way)."""
    owner = owner or worker_id()
    now = datetime.now(UTC)
    with services.db.session() as db:
        original = db.get(ReportRun, run_id)
        if original is None or original.workspace_id != workspace_id:
            raise LookupError(f"no report run {run_id} in this workspace")
        if original.schedule_id is None:
            raise LookupError(f"report run {run_id} has no schedule any more; it cannot be resent")
        run = ReportRun(
            workspace_id=workspace_id,
            schedule_id=original.schedule_id,
            occurrence_key=f"resend:{run_id}:{uuid.uuid4().hex}",
            occurrence_at=original.occurrence_at,
            status="claimed",
            attempts=0,
            lease_owner=owner,
            lease_until=now + LEASE,
            recipients=original.recipients,
            bytes=0,
            files_json="[]",
            resend_of=run_id,
            created_at=now,
        )
        db.add(run)
        db.flush()
        new_id = run.id
    return deliver(services, new_id, owner)


def purge_expired_files(services: Services, now: datetime) -> int:
    """Delete files of runs finished longer ago than the retention period; returns runs purged."""
    cutoff = utc(now) - timedelta(days=services.settings.report_retention_days)
    with services.db.session() as db:
        runs = db.scalars(
            select(ReportRun).where(ReportRun.finished_at < cutoff, ReportRun.files_json != "[]")
        ).all()
        for run in runs:
            shutil.rmtree(run_folder(services, run.workspace_id, run.id), ignore_errors=True)
            run.files_json = "[]"
        return len(runs)


def run_file(services: Services, workspace_id: int, run_id: int, fmt: str) -> Path | None:
    """The kept file of a run in a format, if it belongs to the workspace and still exists."""
    with services.db.session() as db:
        run = db.get(ReportRun, run_id)
        if run is None or run.workspace_id != workspace_id:
            return None
        for item in json.loads(run.files_json or "[]"):
            path = Path(item["path"])
            if (
                item["format"] == fmt
                and path.is_file()
                and run_folder(services, workspace_id, run_id) in path.parents
            ):
                return path
    return None
