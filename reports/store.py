"""Report definitions and schedules in the app DB: add, list, history (one workspace at a time).

Every function takes the workspace id from its caller (the CLI acts as owner of the workspace it
names; the web app passes the logged-in user's, from the session), never from a form field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import select

from dashboard.models import ReportDefinition, ReportRun, ReportSchedule
from dashboard.services import Services
from reports.definition import ReportError, ReportSpec, parse_formats
from reports.email import INTRO_MAX, MailError, check_template, parse_recipients
from reports.schedule import Rule, ScheduleError, check_timezone, next_occurrence

DEFAULT_SUBJECT = "{report}: {workspace}, {period}"


@dataclass(frozen=True)
class ScheduleRequest:
    """Everything a new schedule needs, before validation."""

    name: str
    spec: ReportSpec
    rule: Rule
    timezone: str
    formats: str
    recipients: str
    subject: str = DEFAULT_SUBJECT
    intro: str = ""

    def validate(self) -> ScheduleRequest:
        """Return self if every field is acceptable; ReportError naming the first bad one."""
        if not self.name.strip() or len(self.name) > 120:
            raise ReportError("a report needs a name of 1 to 120 characters")
        if self.spec.period == "custom":
            # A schedule repeats: fixed dates would send the same numbers every time. Custom
            # ranges are for the Reports page's preview and downloads (and `report render`).
            raise ReportError(
                "a scheduled report needs a relative period (e.g. last week, last month): "
                "a custom date range would send the same dates every time; "
                "use it for a preview or a download instead"
            )
        try:
            self.spec.validate()
            self.rule.validate()
            check_timezone(self.timezone)
            parse_formats(self.formats)
            parse_recipients(self.recipients)
            check_template(self.subject)
            check_template(self.intro)
        except (ScheduleError, MailError) as exc:
            raise ReportError(str(exc)) from None
        if len(self.subject) > 300:
            raise ReportError("the subject is longer than 300 characters")
        if len(self.intro) > INTRO_MAX:
            raise ReportError(
                f"the intro text is {len(self.intro):,} characters long; at most {INTRO_MAX:,} are allowed"
            )
        return self


def add_schedule(
    services: Services, workspace_id: int, user_id: int | None, request: ScheduleRequest
) -> dict:
    """Save a definition (or reuse the one with that name) and a schedule for it."""
    request.validate()
    with services.db.session() as db:
        definition = db.scalar(
            select(ReportDefinition).where(
                ReportDefinition.workspace_id == workspace_id, ReportDefinition.name == request.name
            )
        )
        if definition is None:
            definition = ReportDefinition(workspace_id=workspace_id, name=request.name, created_by=user_id)
            db.add(definition)
        definition.spec_json = request.spec.to_json()
        db.flush()
        schedule = ReportSchedule(
            workspace_id=workspace_id,
            definition_id=definition.id,
            rule_json=request.rule.to_json(),
            timezone=request.timezone,
            formats=",".join(parse_formats(request.formats)),
            recipients=", ".join(parse_recipients(request.recipients)),
            subject=request.subject,
            intro=request.intro,
            active=True,
            created_by=user_id,
            created_at=datetime.now(UTC),
        )
        db.add(schedule)
        db.flush()
        return schedule_info(schedule, definition)


def list_schedules(services: Services, workspace_id: int) -> list[dict]:
    """The workspace's schedules with their next occurrence, oldest first."""
    with services.db.session() as db:
        rows = db.execute(
            select(ReportSchedule, ReportDefinition)
            .join(ReportDefinition, ReportDefinition.id == ReportSchedule.definition_id)
            .where(ReportSchedule.workspace_id == workspace_id)
            .order_by(ReportSchedule.id)
        ).all()
        return [schedule_info(s, d) for s, d in rows]


def schedule_info(schedule: ReportSchedule, definition: ReportDefinition) -> dict:
    """A JSON-friendly description of a schedule (what ``reports list --json`` prints)."""
    rule = Rule.from_json(schedule.rule_json)
    spec = ReportSpec.from_json(definition.spec_json)
    upcoming = next_occurrence(rule, check_timezone(schedule.timezone), datetime.now(UTC))
    return {
        "id": schedule.id,
        "name": definition.name,
        "definition_id": definition.id,
        "rule": json.loads(schedule.rule_json),
        "when": rule.describe(),
        "timezone": schedule.timezone,
        "next_run": upcoming.isoformat() if upcoming else None,
        "period": spec.period,
        "sections": list(spec.sections),
        "compare": spec.compare,
        "filters": dict(spec.filters),  # dimension -> value; {} for every row
        "formats": schedule.formats.split(","),
        "recipients": [r.strip() for r in schedule.recipients.split(",") if r.strip()],
        "subject": schedule.subject,
        "intro": schedule.intro or "",
        "active": schedule.active,
    }


def history(
    services: Services, workspace_id: int, *, schedule_id: int | None = None, limit: int = 100
) -> list[dict]:
    """The workspace's report runs, newest first (optionally one schedule's)."""
    with services.db.session() as db:
        query = select(ReportRun).where(ReportRun.workspace_id == workspace_id)
        if schedule_id is not None:
            query = query.where(ReportRun.schedule_id == schedule_id)
        runs = db.scalars(query.order_by(ReportRun.occurrence_at.desc(), ReportRun.id.desc()).limit(limit))
        return [run_info(r) for r in runs]


def run_info(run: ReportRun) -> dict:
    """A JSON-friendly description of one run (what ``reports history --json`` prints)."""
    files = json.loads(run.files_json or "[]")
    return {
        "id": run.id,
        "schedule_id": run.schedule_id,
        "occurrence": _iso(run.occurrence_at),
        "period": [_iso(run.period_start), _iso(run.period_end)],
        "status": run.status,
        "attempts": run.attempts,
        "error": run.error,
        "recipients": [r for r in run.recipients.split(", ") if r],
        "bytes": run.bytes,
        "duration_ms": run.duration_ms,
        "files": [{k: f[k] for k in ("format", "name", "bytes")} for f in files],
        # the filters the run's files were made with (kept beside each file: a run keeps no spec);
        # None when it made no file (failed before rendering, or a run older than this key)
        "filters": files[0].get("filters") if files else None,
        "resend_of": run.resend_of,
        "finished_at": _iso(run.finished_at),
    }


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # SQLite hands back naive datetimes; we store UTC
    return value.isoformat()


# -- change a schedule: pause/resume, edit, delete ---------------------------------------------------


def _owned(db, workspace_id: int, schedule_id: int) -> tuple[ReportSchedule, ReportDefinition]:
    """The schedule and its definition, if it belongs to the workspace; ReportError otherwise.

    Another workspace's schedule gets the same answer as a missing one, so ids reveal nothing.
    """
    schedule = db.get(ReportSchedule, schedule_id)
    if schedule is None or schedule.workspace_id != workspace_id:
        raise ReportError(f"no scheduled report with id {schedule_id} in this workspace")
    return schedule, db.get(ReportDefinition, schedule.definition_id)


def set_active(services: Services, workspace_id: int, schedule_id: int, active: bool) -> dict:
    """Pause (``active=False``) or resume a schedule; a paused schedule sends nothing."""
    with services.db.session() as db:
        schedule, definition = _owned(db, workspace_id, schedule_id)
        schedule.active = active
        db.flush()
        return schedule_info(schedule, definition)


def delete_schedule(services: Services, workspace_id: int, schedule_id: int) -> dict:
    """Delete a schedule (its run history stays, detached); returns what was deleted."""
    with services.db.session() as db:
        schedule, definition = _owned(db, workspace_id, schedule_id)
        info = schedule_info(schedule, definition)
        db.delete(schedule)
        return info


#: the fields of a schedule ``update_schedule`` may change
EDITABLE = (
    "name", "rule", "timezone", "formats", "recipients", "subject", "intro", "period", "sections", "compare",
    "filters",
)  # fmt: skip


def update_schedule(services: Services, workspace_id: int, schedule_id: int, changes: dict) -> dict:
    """Change some of a schedule's fields (keys from :data:`EDITABLE`), validated like a new one.

    ``rule`` is a :class:`reports.schedule.Rule`; ``filters`` a dimension -> value dict that
    replaces the report's filters ({} removes them); ``name``/``period``/``sections``/``compare``/
    ``filters`` change the schedule's report definition (shared by the report's other schedules, as with
    ``add_schedule``). Nothing is saved unless every field is acceptable.
    """
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ReportError(f"cannot change {unknown[0]!r}; editable: {', '.join(EDITABLE)}")
    with services.db.session() as db:
        schedule, definition = _owned(db, workspace_id, schedule_id)
        spec = ReportSpec.from_json(definition.spec_json)
        spec_changes = {k: changes[k] for k in ("period", "sections", "compare", "filters") if k in changes}
        if "sections" in spec_changes:
            spec_changes["sections"] = tuple(spec_changes["sections"])
        if "filters" in spec_changes:
            if not isinstance(spec_changes["filters"], dict):
                raise ReportError("filters must be a mapping of dimension to value")
            spec_changes["filters"] = dict(spec_changes["filters"])
        name = str(changes.get("name", definition.name)).strip()
        if name != definition.name:
            _check_name_free(db, workspace_id, name)
            if spec.title == definition.name:  # the cover title follows the name it was given
                spec_changes["title"] = name
        request = ScheduleRequest(
            name=name,
            spec=replace(spec, **spec_changes),
            rule=changes.get("rule") or Rule.from_json(schedule.rule_json),
            timezone=changes.get("timezone", schedule.timezone),
            formats=changes.get("formats", schedule.formats),
            recipients=changes.get("recipients", schedule.recipients),
            subject=changes.get("subject", schedule.subject),
            intro=changes.get("intro", schedule.intro),
        ).validate()
        definition.name = request.name
        definition.spec_json = request.spec.to_json()
        schedule.rule_json = request.rule.to_json()
        schedule.timezone = request.timezone
        schedule.formats = ",".join(parse_formats(request.formats))
        schedule.recipients = ", ".join(parse_recipients(request.recipients))
        schedule.subject = request.subject
        schedule.intro = request.intro
        db.flush()
        return schedule_info(schedule, definition)


def _check_name_free(db, workspace_id: int, name: str) -> None:
    """ReportError if another report of the workspace is already called ``name``."""
    taken = db.scalar(
        select(ReportDefinition.id).where(
            ReportDefinition.workspace_id == workspace_id, ReportDefinition.name == name
        )
    )
    if taken is not None:
        raise ReportError(f"another report of this workspace is already called {name!r}")
