"""Data sources callbacks: uploads (as background jobs), connector forms, history, rejected rows.

Every callback resolves the workspace and role from the session (never from inputs) and
re-checks the role before acting: hiding a button is a convenience, not the protection.
Imports and syncs write to the warehouse, which this server process owns (DuckDB has one
writing process), so they run on threads of this process (:mod:`dashboard.jobs`), or on
``pulseboard worker`` processes with ``PULSEBOARD_JOB_QUEUE=celery`` and a shared warehouse
(:mod:`dashboard.jobqueue`); the browser polls them with ``dcc.Interval``.
"""

from __future__ import annotations

import base64
import binascii
import re
import shutil
import tempfile
from pathlib import Path

from dash import ALL, Input, Output, State, callback, ctx, dcc, no_update
from dash.exceptions import PreventUpdate

from components import ids
from components import sources as ui
from dashboard import audit, jobs
from dashboard import connections as conn
from dashboard.auth import PermissionDenied, current_context
from dashboard.models import Role
from dashboard.oauth import SCOPES as GOOGLE_SCOPES
from dashboard.services import current_services
from data.connectors.api import API_CONNECTORS
from data.connectors.registry import FORMATS_SEPARATOR

#: Who may import files from the browser, set up connectors, and see rejected rows.
UPLOAD_ROLE = Role.ANALYST  # issue 3: "managers and analysts may upload files"
CONNECT_ROLE = Role.OWNER
QUARANTINE_ROLE = Role.ANALYST
MAX_FILES_PER_UPLOAD = 20
RUNS_SHOWN = 50
QUARANTINE_SHOWN = 200


def connector_specs() -> list[dict]:
    """Form specs of every API connector (labels and fields only; no values)."""
    return [
        {
            "source": source,
            "label": cls.LABEL,
            "fields": [
                {"name": f.name, "label": f.label, "secret": f.secret, "help": f.help, "required": f.required}
                for f in cls.CREDENTIAL_FIELDS
            ],
            # Google connectors can get their refresh token from Google's consent screen
            "oauth_start": f"/oauth/google/start/{source}" if source in GOOGLE_SCOPES else None,
        }
        for source, cls in API_CONNECTORS.items()
    ]


def _configured(services, workspace_id: int) -> dict[str, dict]:
    return {
        c.source: {
            "status": c.status,
            "hints": c.hints,
            "last_sync_at": c.last_sync_at,
            "last_error": c.last_error,
        }
        for c in conn.list_connections(services, workspace_id)
    }


@callback(
    Output(ids.SOURCES_UPLOAD_SECTION, "children"),
    Output(ids.SOURCES_CONNECTORS, "children"),
    Input(ids.SOURCES_INIT, "data"),
)
def render_sections(_init):
    """The upload box and connector forms for the caller's role."""
    context = current_context()
    services = current_services()
    return (
        ui.upload_box(context.can(UPLOAD_ROLE)),
        ui.connectors_panel(
            connector_specs(),
            _configured(services, context.workspace.id),
            context.can(CONNECT_ROLE),
            context.workspace.timezone,
        ),
    )


# -- uploads ------------------------------------------------------------------------------------
@callback(
    Output(ids.SOURCES_JOBS, "data", allow_duplicate=True),
    Output(ids.SOURCES_JOBS_POLL, "disabled", allow_duplicate=True),
    Output(ids.SOURCES_UPLOAD_ALERT, "children"),
    Output(ids.SOURCES_UPLOAD, "contents"),
    Input(ids.SOURCES_UPLOAD, "contents"),
    State(ids.SOURCES_UPLOAD, "filename"),
    State(ids.SOURCES_JOBS, "data"),
    prevent_initial_call=True,
)
def start_upload(contents, filenames, jobs_data):
    """Save the dropped files in the data dir and import them as a job (dashboard.jobqueue.kinds)."""
    if not contents:
        return no_update, no_update, no_update, no_update
    context = current_context()
    if not context.can(UPLOAD_ROLE):
        return (
            no_update,
            no_update,
            ui.message("Importing files needs the analyst role or higher.", False),
            None,
        )
    contents = contents if isinstance(contents, list) else [contents]
    filenames = filenames if isinstance(filenames, list) else [filenames]
    if len(contents) > MAX_FILES_PER_UPLOAD:
        return (
            no_update,
            no_update,
            ui.message(f"Drop at most {MAX_FILES_PER_UPLOAD} files at a time.", False),
            None,
        )
    services = current_services()
    try:
        folder, files = save_uploads(services.settings.data_path, contents, filenames)
    except ValueError as exc:
        return no_update, no_update, ui.message(str(exc), False), None
    label = files[0][1] if len(files) == 1 else f"{len(files)} files"
    try:
        # only paths travel: the files were saved under the data dir above
        job = jobs.REGISTRY.submit(
            services,
            context,
            kind="upload",
            label=label,
            payload={"folder": str(folder), "files": [[str(path), display] for path, display in files]},
            total=len(files),
        )
    except jobs.JobRefused as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return no_update, no_update, ui.message(str(exc), False), None
    return _with_job(_running_only(jobs_data, context), job.id), False, None, None


def save_uploads(data_dir: Path, contents: list, filenames: list) -> tuple[Path, list[tuple[Path, str]]]:
    """Decode ``data:...;base64,`` uploads into a fresh folder under the data dir.

    Returns the folder and (path, display name) pairs; ValueError for an undecodable upload.
    """
    root = data_dir / "uploads"
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=root))
    files: list[tuple[Path, str]] = []
    try:
        for number, (content, name) in enumerate(zip(contents, filenames, strict=False)):
            display = (
                Path(str(name or f"file {number + 1}").replace("\\", "/")).name[:200] or f"file {number + 1}"
            )
            if not isinstance(content, str) or "," not in content:
                raise ValueError(f"{display}: the upload did not arrive whole; try again")
            try:
                data = base64.b64decode(content.split(",", 1)[1], validate=True)
            except (binascii.Error, ValueError):
                raise ValueError(f"{display}: the upload did not arrive whole; try again") from None
            safe = re.sub(r"[^A-Za-z0-9._-]", "_", display)[-100:].lstrip(".") or "upload"
            # one folder per file: two uploads of the same name never collide, and the file keeps
            # its own name (no numbering prefix that could show in messages)
            own = folder / str(number)
            own.mkdir()
            path = own / safe
            path.write_bytes(data)
            files.append((path, display))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder, files


def upload_summary(result: dict, path: Path, display: str) -> dict:
    """What the browser sees of one import: no server paths."""
    error = result.get("error")
    formats_hint = False
    if error:
        error = error.replace(str(path), display).replace(path.name, display)
        if result.get("status") == "refused" and FORMATS_SEPARATOR in error:
            # one line says why; the formats sit behind "Which files can I import?"
            error, formats_hint = error.split(FORMATS_SEPARATOR, 1)[0] + ".", True
    return {
        "file": display,
        "source": result.get("source"),
        "rows_read": result.get("rows_read", 0),
        "inserted": result.get("inserted", 0),
        "updated": result.get("updated", 0),
        "quarantined": result.get("quarantined", 0),
        "skipped": result.get("skipped", 0),
        "skipped_reasons": result.get("skipped_reasons") or {},
        "reconciliation": result.get("reconciliation") or {},
        "status": result.get("status"),
        "error": error,
        "formats_hint": formats_hint,
    }


# -- connectors ---------------------------------------------------------------------------------
@callback(
    Output({"type": ids.SOURCE_MESSAGE, "source": ALL}, "children"),
    Output({"type": ids.SOURCE_FIELD, "source": ALL, "field": ALL}, "value"),
    Output({"type": ids.SOURCE_FIELD, "source": ALL, "field": ALL}, "placeholder"),
    Output(ids.SOURCES_JOBS, "data", allow_duplicate=True),
    Output(ids.SOURCES_JOBS_POLL, "disabled", allow_duplicate=True),
    Output(ids.SOURCES_REFRESH, "data", allow_duplicate=True),
    Input({"type": ids.SOURCE_ACTION, "source": ALL, "action": ALL}, "n_clicks"),
    State({"type": ids.SOURCE_FIELD, "source": ALL, "field": ALL}, "value"),
    State(ids.SOURCES_JOBS, "data"),
    State(ids.SOURCES_REFRESH, "data"),
    prevent_initial_call=True,
)
def connector_action(_clicks, _values, jobs_data, refresh):
    """Save, test or sync one connector (owners only, checked here)."""
    trigger = ctx.triggered_id
    message_ids = [o["id"] for o in ctx.outputs_list[0]]
    field_ids = [o["id"] for o in ctx.outputs_list[1]]
    messages = [no_update] * len(message_ids)
    field_values = [no_update] * len(field_ids)
    placeholders = [no_update] * len(field_ids)
    unchanged = (messages, field_values, placeholders, no_update, no_update, no_update)
    if not isinstance(trigger, dict) or not ctx.triggered or not ctx.triggered[0].get("value"):
        return unchanged
    source, action = trigger.get("source"), trigger.get("action")
    if source not in API_CONNECTORS or action not in ("save", "test", "sync"):
        return unchanged
    slot = next((i for i, m in enumerate(message_ids) if m.get("source") == source), None)
    context = current_context()
    services = current_services()

    def answer(text: str, ok: bool, **extra):
        if slot is not None:
            messages[slot] = ui.message(text, ok)
        return (
            messages,
            field_values,
            placeholders,
            extra.get("jobs", no_update),
            extra.get("poll", no_update),
            extra.get("refresh", no_update),
        )

    if not context.can(CONNECT_ROLE):
        return answer("Only owners can set up connectors or start a sync.", False)
    fields = API_CONNECTORS[source].CREDENTIAL_FIELDS
    secret = {f.name for f in fields if f.secret}
    names = {f.name for f in fields}
    typed = {
        item["id"]["field"]: item.get("value")
        for item in ctx.states_list[0]
        if item["id"].get("source") == source and item["id"].get("field") in names
    }
    try:
        if action == "save":
            info = conn.save_connection(services, context, source, typed)
            for i, fid in enumerate(field_ids):
                if fid.get("source") == source and fid.get("field") in secret:
                    field_values[i] = ""
                    hint = info.hints.get(fid["field"])
                    placeholders[i] = f"saved: {hint} (leave empty to keep)" if hint else ""
            return answer(
                f"{info.label} saved. Press “Test connection” to check it.", True, refresh=(refresh or 0) + 1
            )
        if action == "test":
            ok, text = conn.test_connection(services, context, source, values=typed)
            return answer(text, ok, refresh=(refresh or 0) + 1)
        job = start_sync_job(services, context, source)
        return answer(
            f"{API_CONNECTORS[source].LABEL}: sync started.",
            True,
            jobs=_with_job(_running_only(jobs_data, context), job.id),
            poll=False,
        )
    except PermissionDenied as exc:
        return answer(str(exc), False)
    except (conn.ConnectionSetupError, jobs.JobRefused) as exc:
        return answer(str(exc), False)


def start_sync_job(services, context, source: str) -> jobs.Job:
    """Run ``run_sync`` as a job for the caller (owners only; dashboard.jobqueue.kinds)."""
    if not context.can(CONNECT_ROLE):
        raise PermissionDenied("only owners can start a sync")
    if conn.get_connection(services, context.workspace.id, source) is None:
        raise conn.NotConfigured(f"{API_CONNECTORS[source].LABEL} is not set up yet: save its keys first")
    return jobs.REGISTRY.submit(
        services,
        context,
        kind="sync",
        label=API_CONNECTORS[source].LABEL,
        payload={"source": source},
        total=1,
    )


# -- job progress -------------------------------------------------------------------------------
@callback(
    Output(ids.SOURCES_JOBS_PANEL, "children"),
    Output(ids.SOURCES_JOBS_POLL, "disabled"),
    Output(ids.SOURCES_REFRESH, "data"),
    Input(ids.SOURCES_JOBS_POLL, "n_intervals"),
    Input(ids.SOURCES_JOBS, "data"),
    State(ids.SOURCES_JOBS_POLL, "disabled"),
    State(ids.SOURCES_REFRESH, "data"),
)
def poll_jobs(_n, jobs_data, poll_disabled, refresh):
    """Progress bars for running jobs, results for finished ones; stop polling when all are done."""
    context = current_context()
    snapshots = [
        job.snapshot()
        for job_id in _job_ids(jobs_data)
        for job in [jobs.REGISTRY.get(job_id, workspace_id=context.workspace.id, user_id=context.user_id)]
        if job is not None
    ]
    running = any(s["status"] == "running" for s in snapshots)
    just_finished = not running and poll_disabled is False
    return ui.jobs_panel(snapshots), not running, (refresh or 0) + 1 if just_finished else no_update


def _job_ids(jobs_data) -> list[str]:
    values = (jobs_data or {}).get("ids") if isinstance(jobs_data, dict) else None
    return [v for v in values if isinstance(v, str)][-10:] if isinstance(values, list) else []


def _with_job(jobs_data, job_id: str) -> dict:
    return {"ids": [*_job_ids(jobs_data), job_id][-10:]}


def _running_only(jobs_data, context) -> dict:
    """The jobs still running, without the finished ones.

    A new upload or sync replaces the finished results shown (they stay in the history), so
    result panels do not pile up.
    """
    keep = [
        job_id
        for job_id in _job_ids(jobs_data)
        for job in [jobs.REGISTRY.get(job_id, workspace_id=context.workspace.id, user_id=context.user_id)]
        if job is not None and job.snapshot()["status"] == "running"
    ]
    return {"ids": keep}


# -- history and rejected rows -------------------------------------------------------------------
@callback(
    Output(ids.SOURCES_RUNS, "children"),
    Output(ids.SOURCES_QUARANTINE, "children"),
    Output({"type": ids.SOURCE_STATUS, "source": ALL}, "children"),
    Input(ids.SOURCES_REFRESH, "data"),
)
def refresh_tables(_refresh):
    """Run history (every member), rejected rows (analysts and up), connector badges."""
    context = current_context()
    services = current_services()
    runs = ui.runs_table(
        conn.list_runs(services, context.workspace, limit=RUNS_SHOWN), context.workspace.timezone
    )
    if context.can(QUARANTINE_ROLE):
        total = conn.quarantine_count(services, context.workspace)
        rows = conn.quarantine_rows(services, context.workspace, limit=QUARANTINE_SHOWN)
        quarantine = [ui.quarantine_download_button(total), ui.quarantine_table(rows, total)]
    else:
        quarantine = ui.restricted_note("Rejected rows are shown to analysts, managers and owners.")
    configured = _configured(services, context.workspace.id)
    badges = [
        ui.connection_badge((configured.get(o["id"].get("source")) or {}).get("status"))
        for o in ctx.outputs_list[2]
    ]
    return runs, quarantine, badges


@callback(
    Output(ids.SOURCES_QUARANTINE_DOWNLOAD, "data"),
    Input(ids.SOURCES_QUARANTINE_BUTTON, "n_clicks"),
    prevent_initial_call=True,
)
def download_quarantine(n_clicks):
    """Every rejected row of the caller's workspace as CSV (analysts and up)."""
    if not n_clicks:
        return no_update
    context = current_context()
    if not context.can(QUARANTINE_ROLE):
        audit.log_event(context, "export_denied", outcome="denied", detail="rejected rows CSV")
        raise PreventUpdate  # rejected rows are for analysts and up; nothing is sent
    text = conn.quarantine_csv(current_services(), context.workspace)
    audit.log_event(context, "download", detail=f"rejected-rows-{context.workspace.slug}.csv")
    return dcc.send_string(text, f"rejected-rows-{context.workspace.slug}.csv", type="text/csv")
