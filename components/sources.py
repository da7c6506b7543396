"""Builders of the "Data sources" page: upload box, job progress, connector forms, history tables.

Pure functions: plain data in (dicts and lists, never secrets), components out. Connector
forms take *specs* ``{"source", "label", "fields": [{"name", "label", "secret", "help",
"required"}]}`` and *hints* (masked values); a secret input is always rendered empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.formatting import format_datetime, format_number
from components.labels import SOURCE_DIMENSIONS, SOURCE_LABELS, dimension_value_label, source_label  # noqa: F401 (re-exported)
from data.accounting import describe_skipped, reconciliation_text

STATUS_BADGES = {
    "ok": ("success", "OK"),
    "partial": ("warning", "Some rows rejected"),
    "failed": ("danger", "Failed"),
    "refused": ("danger", "Refused"),
}
CONNECTION_BADGES = {
    None: ("light", "Not set up"),
    "new": ("secondary", "Not tested"),
    "ok": ("success", "Connected"),
    "error": ("danger", "Error"),
}
ACCEPTED_FILES = ".csv,.tsv,.txt,.xlsx,.xls"
#: Browsers hold an upload in memory; bigger files go through `pulseboard ingest`.
MAX_UPLOAD_BYTES = 256 * 1024 * 1024


def section(title: str, body, *, subtitle: str | None = None, actions=None) -> dbc.Card:
    """A titled card of the page."""
    header = html.Div(
        [
            html.Div(
                [
                    html.H2(title, className="h6 mb-0"),
                    html.Div(subtitle, className="small text-body-secondary") if subtitle else None,
                ]
            ),
            actions,
        ],
        className="d-flex flex-wrap align-items-center justify-content-between gap-2",
    )
    return dbc.Card([dbc.CardHeader(header), dbc.CardBody(body)], className="shadow-sm mb-3")


def status_badge(status: str | None) -> dbc.Badge:
    """A run's status as a coloured badge."""
    color, text = STATUS_BADGES.get(status or "", ("secondary", status or "?"))
    return dbc.Badge(text, color=color, className="text-wrap")


def connection_badge(status: str | None) -> dbc.Badge:
    """A connection's state as a coloured badge (``None``: not set up)."""
    color, text = CONNECTION_BADGES.get(status, ("secondary", status or "?"))
    return dbc.Badge(text, color=color, text_color="dark" if color == "light" else None, className="border")


# -- upload -------------------------------------------------------------------------------------
def upload_box(can_upload: bool) -> html.Div:
    """The drag-and-drop zone, or a read-only note for roles that may not import."""
    if not can_upload:
        return dbc.Alert(
            [
                html.I(className="bi bi-lock me-2"),
                "Importing files needs the analyst role or higher. Ask an owner of this workspace to import "
                "exports or give you the analyst role.",
            ],
            color="light",
            className="mb-0 border",
        )
    return html.Div(
        [
            dcc.Upload(
                html.Div(
                    [
                        html.I(className="bi bi-cloud-arrow-up fs-2 d-block mb-1 text-primary"),
                        html.Div([html.Strong("Drop export files here"), " or ", html.U("choose files")]),
                        html.Div(
                            "Stripe, PayPal, Square, Shopify, Gumroad, Mailchimp, SendGrid, Constant Contact, "
                            "Google Ads, Meta Ads, LinkedIn Ads, X Ads, GA4, Mixpanel, Amplitude, HubSpot, Pipedrive, "
                            "Salesforce (CSV or XLSX). The format is detected from the content.",
                            className="small text-body-secondary mt-1",
                        ),
                    ],
                    className="text-center",
                ),
                id=ids.SOURCES_UPLOAD,
                multiple=True,
                accept=ACCEPTED_FILES,
                max_size=MAX_UPLOAD_BYTES,
                className="pb-upload rounded-3 p-3 p-md-4 bg-body",
                style={"border": "2px dashed var(--bs-border-color)", "cursor": "pointer"},
                style_active={"border": "2px solid #4361ee", "backgroundColor": "#eef1fd"},
            ),
            html.Div(
                "Files larger than 256 MB: use `pulseboard ingest` on the server.",
                className="small text-body-secondary mt-2",
            ),
        ]
    )


def jobs_panel(jobs: list[dict]) -> list:
    """Progress of running jobs and the results of finished ones, newest first."""
    return [job_view(job) for job in sorted(jobs, key=lambda j: j.get("started_at") or 0, reverse=True)]


def job_view(job: Mapping) -> html.Div:
    """One job: a progress bar while it runs, then its per-file (or per-sync) summary."""
    running = job["status"] == "running"
    percent = round(100 * float(job.get("progress") or 0))
    unit = "file" if job["kind"] == "upload" else "sync"
    counts = f"{job['done']} of {job['total']} {unit}{'s' if job['total'] != 1 else ''}"
    detail = f"{counts} · {format_number(job['rows'])} rows" + (
        f" · {job['current']}" if running and job.get("current") else ""
    )
    head = html.Div(
        [
            html.Strong(job_title(job), className="text-break"),
            html.Span(detail if running else counts, className="small text-body-secondary"),
        ],
        className="d-flex flex-wrap justify-content-between gap-2 mb-1",
    )
    parts: list = [head]
    if running:
        parts.append(
            dbc.Progress(
                value=max(percent, 3),
                label=f"{percent}%" if percent >= 10 else None,
                striped=True,
                animated=True,
                className="mb-1",
                style={"height": "1.1rem"},
            )
        )
    else:
        if job.get("error"):
            parts.append(
                dbc.Alert(f"This job stopped: {job['error']}", color="danger", className="py-2 mb-2")
            )
        parts.append(results_table(job.get("results") or []))
    return html.Div(parts, className="pb-job border rounded-3 p-2 p-md-3 mb-2 bg-body")


def job_title(job: Mapping) -> str:
    """``Importing 3 files`` while running, ``Imported 3 files`` after; ``label`` names the object."""
    verbs = {
        "upload": ("Importing", "Imported", "Import stopped:"),
        "sync": ("Syncing", "Synced", "Sync stopped:"),
    }
    running, done, failed = verbs.get(job.get("kind"), ("Running", "Finished", "Stopped:"))
    verb = running if job["status"] == "running" else failed if job["status"] == "failed" else done
    results = job.get("results") or []
    refused = [r for r in results if r.get("status") in ("refused", "failed")]
    if job["status"] != "running" and refused:
        # a refused file was not imported: never head it "Imported …"
        if len(refused) == len(results) and job["total"] == len(results):
            return f"Not imported: {job['label']}"
        unit = "file" if job.get("kind") == "upload" else "sync"
        return f"{done} {len(results) - len(refused)} of {job['total']} {unit}s"
    return f"{verb} {job['label']}"


def results_table(results: list[dict]) -> html.Div:
    """Per-file (or per-sync) outcome: detected source, counts, status and the reason of a failure."""
    if not results:
        return html.Div("Nothing was imported.", className="small text-body-secondary")
    rows = []
    for r in results:
        rows.append(
            html.Tr(
                [
                    html.Td(r.get("file") or r.get("connector") or "", className="text-nowrap"),
                    html.Td(source_label(r.get("source")), className="text-nowrap"),
                    html.Td(_n(r.get("rows_read")), className="text-end"),
                    html.Td(_n(r.get("inserted")), className="text-end"),
                    html.Td(_n(r.get("updated")), className="text-end"),
                    html.Td(_n(r.get("quarantined")), className="text-end"),
                    html.Td(_n(r.get("skipped")), className="text-end"),
                    html.Td(status_badge(r.get("status")), className="text-nowrap"),
                ]
            )
        )
        rows.extend(_detail_rows(r, 8))
    header = ["File", "Detected as", "Read", "Inserted", "Updated", "Rejected", "Skipped", "Status"]
    return _table(header, rows, numeric={2, 3, 4, 5, 6})


def _detail_rows(r: Mapping, span: int) -> list:
    """Rows under a result: why rows were skipped, the reconciliation, the error in one line."""
    out = []
    reconciled = reconciliation_text(r.get("reconciliation"), r.get("kind") or "file", format_number)
    if reconciled:
        matches = reconciled.startswith("matches ")
        out.append(
            html.Tr(
                html.Td(
                    f"Totals: {reconciled}.",
                    colSpan=span,
                    className="small text-break border-top-0 pt-0 "
                    + ("text-success" if matches else "text-danger"),
                )
            )
        )
    skipped = describe_skipped(r.get("skipped_reasons"), format_number)
    if skipped:
        out.append(
            html.Tr(
                html.Td(
                    f"Skipped: {skipped}.",
                    colSpan=span,
                    className="small text-body-secondary text-break border-top-0 pt-0",
                )
            )
        )
    if r.get("error"):
        cell: list = [r["error"]]
        if r.get("formats_hint"):
            cell.append(formats_help())
        out.append(
            html.Tr(html.Td(cell, colSpan=span, className="small text-danger text-break border-top-0 pt-0"))
        )
    return out


def formats_help() -> html.Details:
    """The formats Pulseboard reads, folded behind "Which files can I import?"."""
    from data.connectors.registry import expected_formats

    return html.Details(
        [
            html.Summary("Which files can I import?", className="text-primary"),
            html.Ul([html.Li(f) for f in expected_formats()], className="text-body mb-0 mt-1"),
            html.Div(
                "Any other CSV or XLSX imports with a column mapping (pulseboard ingest --source generic "
                "--mapping …).",
                className="text-body-secondary",
            ),
        ],
        className="mt-1",
    )


# -- connectors ---------------------------------------------------------------------------------
def connectors_panel(
    specs: list[dict], configured: Mapping[str, Mapping], can_edit: bool, tz: str | None = None
) -> html.Div:
    """An accordion with one form per API connector (owners) or their state (everyone else).

    ``configured`` maps a source to ``{"status", "hints", "last_sync_at", "last_error"}``; sync
    times read in the workspace's time zone ``tz``.
    """
    note = None
    if not can_edit:
        note = dbc.Alert(
            [
                html.I(className="bi bi-info-circle me-2"),
                "Only owners of this workspace can add or change connectors, test them or start a sync.",
            ],
            color="light",
            className="border py-2",
        )
    items = [connector_item(spec, configured.get(spec["source"]), can_edit, tz) for spec in specs]
    return html.Div([note, dbc.Accordion(items, start_collapsed=True, always_open=True, flush=False)])


def connector_item(
    spec: Mapping, info: Mapping | None, can_edit: bool, tz: str | None = None
) -> dbc.AccordionItem:
    """One connector: title with its status badge; body with the form (or the state only)."""
    source = spec["source"]
    title = html.Div(
        [
            html.Span(spec["label"], className="fw-semibold"),
            html.Span(connection_badge(info["status"] if info else None), id=ids.source_status(source)),
        ],
        className="d-flex align-items-center justify-content-between gap-2 w-100 me-2",
    )
    body: list = [connection_summary(info, tz)]
    if can_edit:
        body.append(connector_form(spec, (info or {}).get("hints") or {}))
    return dbc.AccordionItem(body, title=title, item_id=source)


def connection_summary(info: Mapping | None, tz: str | None = None) -> html.Div:
    """Last sync time (in the workspace's time zone ``tz``) and last error, or how to start."""
    if not info:
        return html.Div("Not set up yet.", className="small text-body-secondary mb-2")
    last = info.get("last_sync_at")
    parts = [
        html.Div(f"Last sync: {_when(last, tz) if last else 'never'}", className="small text-body-secondary")
    ]
    if info.get("last_error"):
        parts.append(html.Div(info["last_error"], className="small text-danger text-break"))
    return html.Div(parts, className="mb-2")


def connector_form(spec: Mapping, hints: Mapping[str, str]) -> html.Div:
    """Credential inputs (secret ones as empty password fields with a masked hint) and the buttons."""
    source = spec["source"]
    inputs = []
    for field in spec["fields"]:
        secret = bool(field["secret"])
        hint = hints.get(field["name"])
        input_id = ids.source_field(source, field["name"])
        inputs.append(
            dbc.Col(
                [
                    dbc.Label(
                        [
                            field["label"],
                            html.Span(" (optional)", className="text-body-secondary")
                            if not field.get("required", True)
                            else None,
                        ],
                        html_for=f"{source}-{field['name']}",
                        className="small mb-1",
                    ),
                    dbc.Input(
                        id=input_id,
                        type="password" if secret else "text",
                        value="" if secret else (hint or ""),
                        placeholder=(f"saved: {hint} (leave empty to keep)" if secret and hint else ""),
                        autoComplete="new-password" if secret else "off",
                        size="sm",
                        debounce=True,
                    ),
                    dbc.FormText(field.get("help") or "", className="small"),
                ],
                xs=12,
                md=6,
                className="mb-2",
            )
        )
    buttons = html.Div(
        [
            dbc.Button("Save", id=ids.source_action(source, "save"), color="primary", size="sm", n_clicks=0),
            dbc.Button(
                "Test connection",
                id=ids.source_action(source, "test"),
                color="secondary",
                outline=True,
                size="sm",
                n_clicks=0,
            ),
            dbc.Button(
                [html.I(className="bi bi-arrow-repeat me-1"), "Sync now"],
                id=ids.source_action(source, "sync"),
                color="success",
                outline=True,
                size="sm",
                n_clicks=0,
                disabled=not hints,
            ),
            *(
                [
                    dbc.Button(
                        [html.I(className="bi bi-google me-1"), "Connect Google account"],
                        href=spec["oauth_start"],
                        external_link=True,  # a full page load: the server redirects to Google
                        color="secondary",
                        outline=True,
                        size="sm",
                        disabled=not (hints.get("client_id") and hints.get("client_secret")),
                        title="Save the OAuth client ID and secret first; then sign in with Google.",
                    )
                ]
                if spec.get("oauth_start")
                else []
            ),
        ],
        className="d-flex flex-wrap gap-2",
    )
    return html.Div(
        [dbc.Row(inputs, className="g-2"), buttons, html.Div(id=ids.source_message(source), className="mt-2")]
    )


def oauth_notice(query: Mapping[str, str]) -> dbc.Alert | None:
    """The outcome of a "Connect Google account" round trip, from the query string it returns with."""
    labels = {"ga4": "Google Analytics", "google_ads": "Google Ads"}
    if query.get("connected") in labels:
        text = f"{labels[query['connected']]}: Google account connected. Press “Test connection” to check it."
        return dbc.Alert(text, color="success", dismissable=True, className="py-2 small")
    if query.get("oauth_error"):
        name = labels.get(query.get("source", ""), "Google")
        text = f"{name}: the Google account was not connected: {str(query['oauth_error'])[:200]}."
        return dbc.Alert(text, color="danger", dismissable=True, className="py-2 small text-break")
    return None


def message(text: str, ok: bool) -> dbc.Alert:
    """A short success or failure note under a form."""
    return dbc.Alert(text, color="success" if ok else "danger", className="py-2 mb-0 small text-break")


# -- history ------------------------------------------------------------------------------------
def runs_table(runs: list[dict], tz: str | None = None) -> html.Div:
    """Imports and syncs of the workspace, newest first, timed in its time zone ``tz``.

    An empty state says how to start.
    """
    if not runs:
        return _empty(
            "No imports yet.", "Drop a vendor export above, or set up a connector and press Sync now."
        )
    rows = []
    for r in runs:
        rows.append(
            html.Tr(
                [
                    html.Td(_when(r.get("started_at"), tz), className="text-nowrap"),
                    html.Td("Sync" if r.get("kind") == "sync" else "File"),
                    html.Td(source_label(r.get("source")), className="text-nowrap"),
                    html.Td(r.get("name") or "", className="text-nowrap"),
                    html.Td(_n(r.get("rows_read")), className="text-end"),
                    html.Td(_n(r.get("inserted")), className="text-end"),
                    html.Td(_n(r.get("updated")), className="text-end"),
                    html.Td(_n(r.get("quarantined")), className="text-end"),
                    html.Td(_n(r.get("skipped")), className="text-end"),
                    html.Td(status_badge(r.get("status")), className="text-nowrap"),
                    html.Td(_duration(r.get("duration_ms")), className="text-end text-nowrap"),
                ]
            )
        )
        rows.extend(_detail_rows(_one_line_refusal(r), 11))
    header = [
        "When",
        "Kind",
        "Source",
        "File / connector",
        "Read",
        "Inserted",
        "Updated",
        "Rejected",
        "Skipped",
        "Status",
        "Took",
    ]
    return _table(header, rows, numeric={4, 5, 6, 7, 8, 10})


def _one_line_refusal(run: Mapping) -> dict:
    """A stored refusal with its list of formats folded away (as the upload result shows it)."""
    from data.connectors.registry import FORMATS_SEPARATOR

    run = dict(run)
    error = run.get("error") or ""
    if run.get("status") == "refused" and FORMATS_SEPARATOR in error:
        run["error"], run["formats_hint"] = error.split(FORMATS_SEPARATOR, 1)[0] + ".", True
    return run


def quarantine_table(rows: list[dict], total: int) -> html.Div:
    """Rejected rows with their reasons (file, row, column, why)."""
    if not rows:
        return _empty(
            "No rejected rows.",
            "Rows that cannot be imported (a bad date, an unknown currency …) are "
            "listed here with the reason, and the rest of the file still imports.",
        )
    body = [
        html.Tr(
            [
                html.Td(r.get("file_name") or "", className="text-nowrap"),
                html.Td(_n(r.get("row_number")), className="text-end"),
                html.Td(r.get("column_name") or "—", className="text-nowrap"),
                html.Td(r.get("reason") or "", style={"minWidth": "16rem"}),
            ]
        )
        for r in rows
    ]
    shown = (
        html.Div(
            f"Showing the latest {format_number(len(rows))} of {format_number(total)} rejected rows; "
            "the download has them all.",
            className="small text-body-secondary mb-2",
        )
        if total > len(rows)
        else None
    )
    return html.Div([shown, _table(["File", "Row", "Column", "Reason"], body, numeric={1})])


def quarantine_download_button(total: int) -> html.Div:
    """The CSV download of every rejected row."""
    return html.Div(
        [
            dbc.Button(
                [html.I(className="bi bi-download me-1"), "Download rejected rows (CSV)"],
                id=ids.SOURCES_QUARANTINE_BUTTON,
                color="secondary",
                outline=True,
                size="sm",
                disabled=not total,
                n_clicks=0,
            ),
            dcc.Download(id=ids.SOURCES_QUARANTINE_DOWNLOAD),
        ]
    )


def restricted_note(text: str) -> dbc.Alert:
    """A note where a role may not see a section."""
    return dbc.Alert([html.I(className="bi bi-lock me-2"), text], color="light", className="border mb-0")


# -- internals ----------------------------------------------------------------------------------
def _table(header: Iterable[str], rows: list, numeric: set[int] = frozenset()) -> html.Div:
    head = html.Thead(
        html.Tr(
            [
                html.Th(h, className="text-end" if i in numeric else None, scope="col")
                for i, h in enumerate(header)
            ]
        )
    )
    return html.Div(
        dbc.Table([head, html.Tbody(rows)], size="sm", hover=True, className="mb-0 align-middle small"),
        className="table-responsive pb-table-scroll",
    )


def _empty(title: str, text: str) -> html.Div:
    return html.Div(
        [
            html.I(className="bi bi-inbox fs-3 text-body-secondary"),
            html.Div(title, className="fw-semibold"),
            html.Div(text, className="small text-body-secondary"),
        ],
        className="text-center py-3",
    )


def _n(value) -> str:
    return "—" if value is None else format_number(int(value))


def _when(value, tz: str | None = None) -> str:
    """A stored (UTC) timestamp as people read it, in the workspace's zone: ``1 Dec 2026, 15:30``."""
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return format_datetime(value, tz)


def _duration(ms) -> str:
    if ms is None:
        return "—"
    seconds = float(ms) / 1000
    if seconds < 120:
        return f"{format_number(seconds, 1, grouped=False)} s"
    return f"{format_number(seconds / 60, 1, grouped=False)} min"
