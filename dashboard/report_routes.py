"""HTTP downloads of reports: the current view as PDF/Excel/CSV, and kept files of sent runs.

``GET /reports/export.<fmt>?page=/revenue&range=last_30_days&compare=...`` renders the report of
the page's sections for the filters in the query (the analytics pages' "PDF"/"Excel" buttons
link here with their own query string). ``GET /reports/runs/<id>/<fmt>`` serves a file a
scheduled run kept. Both need an analyst or better; the workspace is the session's, never a
parameter, so a forged run id of another workspace finds nothing (404).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from flask import Flask, abort, request, send_file

from dashboard.auth import current_context
from dashboard.filters import FilterState, today_in
from dashboard.logos import logo_png
from dashboard.models import Role
from dashboard.services import current_services
from data.metrics import CATALOGUE
from reports.definition import DEFAULT_SECTIONS, ReportError, ReportSpec, parse_sections
from reports.render import MEDIA, render_file

#: page path -> the report sections that page's download holds
PAGE_SECTIONS = {
    "/": ("kpis", "revenue", "campaigns", "web"),
    "/revenue": ("kpis", "revenue", "customers"),
    "/campaigns": ("kpis", "campaigns", "email", "web"),
    "/customers": ("kpis", "customers"),
    "/forecasts": ("kpis", "forecast"),
    "/ai-performance": ("kpis", "insights"),
    "/reports": DEFAULT_SECTIONS,
}
PAGE_TITLES = {
    "/": "Overview",
    "/revenue": "Revenue",
    "/campaigns": "Campaigns",
    "/customers": "Customers",
    "/forecasts": "Forecasts",
    "/ai-performance": "AI performance",
}


def install(server: Flask) -> None:
    """Register the download routes on ``server``."""
    server.add_url_rule("/reports/export.<fmt>", "reports_export", export)
    server.add_url_rule("/reports/runs/<int:run_id>/<fmt>", "reports_run_file", run_file_download)


def export_spec(args, today) -> ReportSpec:
    """The report a download link asks for: the page's sections, its filter bar's range and comparison."""
    page = args.get("page", "/reports")
    state = FilterState.from_query(dict(args), today)
    sections = parse_sections(args.get("sections")) if args.get("sections") else PAGE_SECTIONS.get(page)
    if sections is None:
        raise ReportError(f"no report for page {page!r}; accepted: {', '.join(PAGE_SECTIONS)}")
    title = f"{PAGE_TITLES[page]} report" if page in PAGE_TITLES else "Performance report"
    # the page's own filters (channel, campaign ...) ride in the same query string
    dimensions = {d for m in CATALOGUE.values() for d in m.dimensions}
    filters = {k: v for k, v in args.items() if k in dimensions and isinstance(v, str) and v}
    return ReportSpec(
        sections=sections,
        period="custom",
        start=state.start,
        end=state.end,
        compare=state.compare or "none",
        filters=filters,
        title=title,
    ).validate()


def export(fmt: str):
    """The current view as a file (analysts and up)."""
    ctx = current_context()
    if not ctx.can(Role.ANALYST):
        abort(403)
    if fmt not in MEDIA:
        abort(404)
    services = current_services()
    try:
        spec = export_spec(request.args, today_in(ctx.workspace.timezone))
    except ReportError as exc:
        return {"error": str(exc)}, 400
    name = f"{ctx.workspace.slug}-{_slug(spec.title)}-{spec.start}-{spec.end}.{MEDIA[fmt][0]}"
    folder = Path(tempfile.mkdtemp(prefix="pb-report-"))
    try:
        path = folder / name
        logo = logo_png(services.settings.data_path, ctx.workspace.id)
        render_file(services.warehouse.scoped(ctx.workspace), spec, fmt, path, bom=fmt == "csv", logo=logo)
        handle = path.open("rb")
    finally:
        # The open handle keeps the file readable after its folder is gone (POSIX), so the
        # response streams it in chunks: a CSV of millions of rows never sits in memory whole.
        shutil.rmtree(folder, ignore_errors=True)
    return send_file(handle, mimetype=MEDIA[fmt][1], as_attachment=True, download_name=name)


def run_file_download(run_id: int, fmt: str):
    """A file kept from a scheduled run of the session's workspace (analysts and up)."""
    from reports.delivery import run_file

    ctx = current_context()
    if not ctx.can(Role.ANALYST):
        abort(403)
    if fmt not in MEDIA:
        abort(404)
    path = run_file(current_services(), ctx.workspace.id, run_id, fmt)
    if path is None:
        abort(404)
    return send_file(path, mimetype=MEDIA[fmt][1], as_attachment=True, download_name=path.name)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
