"""Builders of the Reports page: the report builder, its preview, the schedule form and tables."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.analytics import FILTER_LABELS, PLACEHOLDERS
from components.formatting import format_number
from reports.assemble import ReportData, describe_filters
from reports.definition import DEFAULT_SECTIONS, SECTIONS, ReportSpec
from reports.email import INTRO_MAX
from reports.periods import COMPARES, PERIODS
from reports.schedule import WEEKDAYS

PRESET_LABELS = {
    "weekly": "Weekly",
    "daily": "Daily",
    "monthly": "Monthly on a day",
    "first_business_day": "First business day of the month",
    "cron": "Cron expression",
}
INTRO_PLACEHOLDER = "e.g. Hello team, here are the numbers for {period}."
STATUS_COLOURS = {"sent": "success", "failed": "danger", "claimed": "secondary"}
#: table cells of addresses and filters: at least this wide (a phone scrolls the table sideways)
WIDE_CELL = {"minWidth": "10rem"}


def _field(label: str, control, width: int = 6) -> dbc.Col:
    control_id = getattr(control, "id", None)
    return dbc.Col(
        [dbc.Label(label, html_for=control_id, className="small mb-1"), control],
        xs=6 if width <= 3 else 12,  # on a phone the small number fields go two to a row
        md=width,
        className="mb-2",
    )


def filter_controls(form: str, options: dict[str, list[dict]], values: dict[str, str]) -> dbc.Row:
    """One searchable dropdown per filter dimension (``options``' keys, in order), holding ``values``.

    Each dropdown is rendered with its options: Dash 4's dcc.Dropdown clears a value its options
    do not hold, so the caller puts a chosen value in the list even when the data lacks it.
    """
    cols = []
    for key, choices in options.items():
        cols.append(
            dbc.Col(
                [
                    html.Div(FILTER_LABELS.get(key, key.title()), className="form-label small mb-1"),
                    dcc.Dropdown(
                        id=ids.report_filter(form, key),
                        options=choices,
                        value=values.get(key),
                        placeholder=PLACEHOLDERS.get(key, "All"),
                        clearable=True,
                        searchable=True,
                        className="pb-report-filter",
                    ),
                ],
                # one to a row on a phone: at half width "All campaigns" is cut to "All campa…";
                # the builder has five in a row on a wide screen, the (narrower) dialog two
                **({"xs": 12, "sm": 6, "md": 4, "xl": True} if form == "build" else {"xs": 12, "sm": 6}),
                className="mb-2",
            )
        )
    return dbc.Row(cols, className="pb-report-filters")


def builder(
    timezone: str,
    *,
    filter_options: dict[str, list[dict]] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> html.Div:
    """Sections, period (a relative one or a custom range), comparison and filters, with Preview.

    ``filter_options`` maps each filter dimension to its dropdown options; ``start``/``end``
    are the custom range's initial dates (the picker shows only when "Custom range" is chosen).
    """
    return html.Div(
        [
            dbc.Row(
                [
                    _field(
                        "Sections",
                        dbc.Checklist(
                            id=ids.REPORTS_SECTIONS,
                            options=[{"label": s.title, "value": k} for k, s in SECTIONS.items()],
                            value=list(DEFAULT_SECTIONS),
                            inline=True,
                        ),
                        12,
                    ),
                    _field(
                        "Period",
                        dbc.Select(
                            id=ids.REPORTS_PERIOD,
                            options=[{"label": v, "value": k} for k, v in PERIODS.items()],
                            value="last_month",
                        ),
                        4,
                    ),
                    _field(
                        "Compare with",
                        dbc.Select(
                            id=ids.REPORTS_COMPARE,
                            options=[{"label": v, "value": k} for k, v in COMPARES.items()],
                            value="previous_period",
                        ),
                        4,
                    ),
                    dates_field(start, end),
                ]
            ),
            html.Div(id=ids.REPORTS_RANGE_MESSAGE, **{"aria-live": "polite"}),
            filter_controls("build", filter_options or {}, {}),
            dbc.Row(
                dbc.Col(
                    dbc.Button("Preview", id=ids.REPORTS_PREVIEW_BUTTON, color="primary", className="w-100"),
                    xs=12,
                    md=4,
                    className="mb-2",
                )
            ),
            html.Div(id=ids.REPORTS_DOWNLOAD_LINKS, className="d-flex flex-wrap gap-2 my-2"),
            dcc.Loading(html.Div(id=ids.REPORTS_PREVIEW), type="dot", delay_show=300),
            html.Div(
                f"Days are counted in the workspace's time zone ({timezone}).",
                className="small text-body-secondary",
            ),
        ]
    )


def dates_field(start: date | None, end: date | None) -> dbc.Col:
    """The custom range's date picker, in a column hidden until "Custom range" is chosen."""
    picker = dcc.DatePickerRange(
        id=ids.REPORTS_DATES,
        # the two text inputs' ids (derived from the picker's): labels and tests can name them
        start_date_id=f"{ids.REPORTS_DATES}-start",
        end_date_id=f"{ids.REPORTS_DATES}-end",
        start_date=start.isoformat() if start else None,
        end_date=end.isoformat() if end else None,
        display_format="YYYY-MM-DD",
        minimum_nights=0,
        number_of_months_shown=1,
        clearable=False,
        with_portal=False,
    )
    return dbc.Col(
        [
            html.Div("From – to", className="form-label small mb-1"),
            html.Div(picker, className="pb-filter-dates"),
        ],
        id=ids.REPORTS_DATES_WRAP,
        xs=12,
        md=4,
        className=dates_class("last_month"),
    )


def dates_class(period: str | None) -> str:
    """The date picker column's classes: shown for the custom period only."""
    return "mb-2" + ("" if period == "custom" else " d-none")


def range_message(text: str | None) -> html.Div | None:
    """A refusal of the custom range, shown under the period fields (None when the range is fine)."""
    return html.Div(text, className="small text-danger mb-2", role="alert") if text else None


def download_links(spec: ReportSpec, *, page: str = "/reports") -> list:
    """Links to the export route for ``spec``'s dates, comparison, sections and filters."""
    query = urlencode(
        {
            "page": page,
            "range": "custom",
            "from": spec.start.isoformat() if spec.start else "",
            "to": spec.end.isoformat() if spec.end else "",
            "compare": spec.compare,
            "sections": ",".join(spec.sections),
            # the export route reads any catalogue dimension from the query (as the filter bar's links)
            **dict(sorted(spec.filters.items())),
        }
    )
    return [
        html.A(label, href=f"/reports/export.{fmt}?{query}", className="btn btn-sm btn-outline-secondary")
        for fmt, label in (("pdf", "Download PDF"), ("xlsx", "Download Excel"), ("csv", "Download CSV"))
    ]


def preview(data: ReportData) -> html.Div:
    """What the report will hold: per section, its KPIs with change, or why it is empty."""
    blocks = [
        html.P(
            [
                html.Strong(data.period_text),
                html.Br(),
                f"Compared with {data.compare_text}",
                *([html.Br(), f"Filters: {data.filters_text}"] if data.spec.filters else []),
            ],
            className="small",
        )
    ]
    for section in data.sections:
        rows = [
            html.Tr(
                [
                    html.Td(k.label),
                    html.Td(k.value_text, className="text-end text-nowrap"),
                    html.Td(
                        k.change_text,
                        className="text-end text-nowrap "
                        + (
                            "text-success"
                            if k.good
                            else "text-danger"
                            if k.good is False
                            else "text-body-secondary"
                        ),
                    ),
                ]
            )
            for k in section.kpis
        ]
        body = [dbc.Table(html.Tbody(rows), size="sm", className="mb-1")] if rows else []
        if section.empty_message:
            body.append(html.P(section.empty_message, className="small text-body-secondary mb-0"))
        blocks.append(html.Div([html.H3(section.title, className="h6 mt-3"), *body]))
    return html.Div(blocks, className="pb-report-preview")


#: the create form's field ids (the report itself comes from the builder above it)
CREATE_FIELDS = {
    "name": ids.REPORTS_NAME,
    "preset": ids.REPORTS_PRESET,
    "weekday": ids.REPORTS_WEEKDAY,
    "day": ids.REPORTS_DAY,
    "hour": ids.REPORTS_HOUR,
    "cron": ids.REPORTS_CRON,
    "timezone": ids.REPORTS_TIMEZONE,
    "formats": ids.REPORTS_FORMATS,
    "recipients": ids.REPORTS_RECIPIENTS,
    "subject": ids.REPORTS_SUBJECT,
    "intro": ids.REPORTS_INTRO,
}
#: the edit dialog's field ids (it also has the minute and the report's period)
EDIT_FIELDS = {
    "name": ids.REPORTS_EDIT_NAME,
    "preset": ids.REPORTS_EDIT_PRESET,
    "weekday": ids.REPORTS_EDIT_WEEKDAY,
    "day": ids.REPORTS_EDIT_DAY,
    "hour": ids.REPORTS_EDIT_HOUR,
    "minute": ids.REPORTS_EDIT_MINUTE,
    "cron": ids.REPORTS_EDIT_CRON,
    "timezone": ids.REPORTS_EDIT_TIMEZONE,
    "formats": ids.REPORTS_EDIT_FORMATS,
    "recipients": ids.REPORTS_EDIT_RECIPIENTS,
    "period": ids.REPORTS_EDIT_PERIOD,
    "subject": ids.REPORTS_EDIT_SUBJECT,
    "intro": ids.REPORTS_EDIT_INTRO,
}


def _schedule_fields(field_ids: dict[str, str], values: dict) -> dbc.Row:
    """The schedule form's controls (those named in ``field_ids``) holding ``values``."""
    controls = {
        "name": lambda i: _field("Name", dbc.Input(id=i, value=values["name"], maxLength=120)),
        "preset": lambda i: _field(
            "When",
            dbc.Select(
                id=i,
                options=[{"label": v, "value": k} for k, v in PRESET_LABELS.items()],
                value=values["preset"],
            ),
        ),
        "weekday": lambda i: _field(
            "Weekday (weekly)",
            dbc.Select(
                id=i, options=[{"label": d.title(), "value": d} for d in WEEKDAYS], value=values["weekday"]
            ),
            3,
        ),
        "day": lambda i: _field(
            "Day of month (monthly)", dbc.Input(id=i, type="number", min=1, max=31, value=values["day"]), 3
        ),
        "hour": lambda i: _field(
            "Hour (local)", dbc.Input(id=i, type="number", min=0, max=23, value=values["hour"]), 3
        ),
        "minute": lambda i: _field(
            "Minute", dbc.Input(id=i, type="number", min=0, max=59, value=values["minute"]), 3
        ),
        "cron": lambda i: _field(
            "Cron (when cron)", dbc.Input(id=i, value=values["cron"], placeholder="0 8 * * 1"), 3
        ),
        "timezone": lambda i: _field("Time zone", dbc.Input(id=i, value=values["timezone"])),
        "period": lambda i: _field(
            "Period",
            dbc.Select(
                id=i,
                options=[{"label": v, "value": k} for k, v in PERIODS.items() if k != "custom"],
                value=values["period"],
            ),
        ),
        "formats": lambda i: _field(
            "Attach",
            dbc.Checklist(
                id=i,
                options=[
                    {"label": "PDF", "value": "pdf"},
                    {"label": "Excel", "value": "xlsx"},
                    {"label": "CSV", "value": "csv"},
                ],
                value=values["formats"],
                inline=True,
            ),
        ),
        "recipients": lambda i: _field(
            "Recipients",
            dbc.Input(id=i, value=values["recipients"], placeholder="ann@example.com, bob@example.com"),
            12,
        ),
        "subject": lambda i: _field("Subject", dbc.Input(id=i, value=values["subject"]), 12),
        # no maxLength: a longer text is refused with the reason, never cut off silently
        "intro": lambda i: _field(
            f"Intro text (above the numbers, up to {format_number(INTRO_MAX)} characters; "
            "the subject's placeholders work)",
            dbc.Textarea(id=i, value=values["intro"], rows=3, placeholder=INTRO_PLACEHOLDER),
            12,
        ),
    }
    return dbc.Row([controls[key](field_id) for key, field_id in field_ids.items()])


def schedule_form(timezone: str) -> html.Div:
    """The form owners and managers schedule the report above with."""
    values = {
        "name": "Weekly performance",
        "preset": "weekly",
        "weekday": "mon",
        "day": 1,
        "hour": 8,
        "cron": None,
        "timezone": timezone,
        "formats": ["pdf", "xlsx"],
        "recipients": None,
        "subject": "{report}: {workspace}, {period}",
        "intro": "",
    }
    return html.Div(
        [
            _schedule_fields(CREATE_FIELDS, values),
            dbc.Button("Save schedule", id=ids.REPORTS_SAVE, color="primary"),
            html.Div(id=ids.REPORTS_SAVE_MESSAGE, className="mt-2", **{"aria-live": "polite"}),
        ]
    )


def edit_form(schedule: dict, filter_options: dict[str, list[dict]] | None = None) -> html.Div:
    """The edit dialog's fields holding ``schedule``'s current values (a ``schedule_info`` dict).

    ``filter_options`` maps each filter dimension to its dropdown options (holding the
    schedule's current value, see :func:`filter_controls`).
    """
    rule = schedule["rule"]
    values = {
        "name": schedule["name"],
        "preset": rule.get("preset", "weekly"),
        "weekday": rule.get("weekday", "mon"),
        "day": rule.get("day", 1),
        "hour": rule.get("hour", 8),
        "minute": rule.get("minute", 0),
        "cron": rule.get("cron"),
        "timezone": schedule["timezone"],
        "formats": schedule["formats"],
        "recipients": ", ".join(schedule["recipients"]),
        "period": schedule["period"],
        "subject": schedule["subject"],
        "intro": schedule.get("intro", ""),
    }
    return html.Div(
        [
            _schedule_fields(EDIT_FIELDS, values),
            html.Div("Filters", className="form-label small mb-1"),
            filter_controls("edit", filter_options or {}, schedule.get("filters") or {}),
        ]
    )


def edit_dialog() -> dbc.Modal:
    """The (closed) dialog a schedule's Edit button opens; its fields are filled on opening."""
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Edit scheduled report")),
            dbc.ModalBody(html.Div(id=ids.REPORTS_EDIT_FORM)),
            dbc.ModalFooter(
                [
                    # beside the buttons: a refusal is seen without scrolling the form
                    # (its own line on a phone, where the basis does not fit beside the buttons)
                    html.Div(
                        id=ids.REPORTS_EDIT_MESSAGE,
                        className="flex-grow-1",
                        style={"flexBasis": "16rem"},
                        **{"aria-live": "polite"},
                    ),
                    dbc.Button("Cancel", id=ids.REPORTS_EDIT_CANCEL, color="secondary", outline=True),
                    dbc.Button("Save changes", id=ids.REPORTS_EDIT_SAVE, color="primary"),
                ]
            ),
        ],
        id=ids.REPORTS_EDIT_MODAL,
        is_open=False,
        size="lg",
        scrollable=True,
    )


def schedules_table(items: list[dict], *, can_manage: bool = False) -> html.Div:
    """The workspace's schedules; with ``can_manage`` each has Edit, Pause/Resume and Delete buttons."""
    if not items:
        return html.P("No scheduled reports yet.", className="small text-body-secondary mb-0")
    headers = ["Report", "When", "Next", "Formats", "To", "Filters"] + (["Actions"] if can_manage else [])
    head = html.Thead(html.Tr([html.Th(h) for h in headers]))
    rows = []
    for s in items:
        cells = [
            html.Td(s["name"] + ("" if s["active"] else " (paused)")),
            html.Td(f"{s['when']} ({s['timezone']})"),
            html.Td((s["next_run"] or "—")[:16].replace("T", " ") + " UTC" if s["active"] else "—"),
            html.Td(", ".join(f.upper() for f in s["formats"])),
            # a wide-enough cell: on a phone the table scrolls instead of breaking every letter
            html.Td(", ".join(s["recipients"]), className="text-break", style=WIDE_CELL),
            html.Td(
                describe_filters(s.get("filters") or {}) if s.get("filters") else "—",
                className="text-break",
                style=WIDE_CELL,
            ),
        ]
        if can_manage:
            toggle = "pause" if s["active"] else "resume"
            cells.append(
                html.Td(
                    [
                        dbc.Button(
                            "Edit",
                            id=ids.report_schedule_edit(s["id"]),
                            size="sm",
                            color="secondary",
                            outline=True,
                            className="me-1",
                        ),
                        dbc.Button(
                            toggle.title(),
                            id=ids.report_schedule_action(s["id"], toggle),
                            size="sm",
                            color="secondary",
                            outline=True,
                            className="me-1",
                        ),
                        dbc.Button(
                            "Delete",
                            id=ids.report_schedule_action(s["id"], "delete"),
                            size="sm",
                            color="danger",
                            outline=True,
                        ),
                    ],
                    className="text-nowrap",
                )
            )
        rows.append(html.Tr(cells))
    return html.Div(dbc.Table([head, html.Tbody(rows)], size="sm", hover=True), className="table-responsive")


def history_table(items: list[dict], *, can_download: bool, can_resend: bool) -> html.Div:
    """Runs, newest first, with their kept files and a Resend button."""
    if not items:
        return html.P("No reports sent yet.", className="small text-body-secondary mb-0")
    head = html.Thead(
        html.Tr(
            [html.Th(h) for h in ("Occurrence", "Status", "Attempts", "To", "Filters", "Size", "Files", "")]
        )
    )
    rows = []
    for r in items:
        files = [
            html.A(f["format"].upper(), href=f"/reports/runs/{r['id']}/{f['format']}", className="me-2")
            for f in r["files"]
        ] if can_download else []  # fmt: skip
        status = [dbc.Badge(r["status"], color=STATUS_COLOURS.get(r["status"], "secondary"))]
        if r["error"]:
            # pb-run-error: wide enough to read (a phone scrolls the table sideways), not a
            # column of syllables
            status.append(html.Div(r["error"], className="small text-danger pb-run-error"))
        resend = (
            dbc.Button("Resend", id=ids.report_resend(r["id"]), size="sm", color="secondary", outline=True)
            if can_resend and r["status"] in ("sent", "failed")
            else None
        )
        rows.append(
            html.Tr(
                [
                    html.Td((r["occurrence"] or "")[:16].replace("T", " ") + " UTC", className="pb-run-when"),
                    html.Td(status),
                    html.Td(r["attempts"], className="text-end"),
                    html.Td(", ".join(r["recipients"]), className="text-break", style=WIDE_CELL),
                    # None: a run that made no file, or one older than kept filters
                    html.Td(
                        describe_filters(r["filters"]) if r.get("filters") else "—",
                        className="text-break",
                        style=WIDE_CELL,
                    ),
                    html.Td(f"{format_number(r['bytes'] / 1024)} KB", className="text-end text-nowrap"),
                    html.Td(files or "—"),
                    html.Td(resend),
                ]
            )
        )
    return html.Div(dbc.Table([head, html.Tbody(rows)], size="sm", hover=True), className="table-responsive")


def notices(messages: list[str]) -> list:
    """In-app notifications (failed report runs) as warning alerts."""
    return [dbc.Alert(m, color="warning", className="small") for m in messages]
