"""PDF rendering with reportlab: drawn from data on the server, never a browser screenshot.

Layout: a cover (logo, workspace, period, comparison, filters, generation time and time zone)
with the KPI table, then one part per section: its KPI table with deltas coloured by
up-is-good, a vector trend chart (reportlab.graphics) and its split tables, which break across
pages with the header row repeated. Every page carries the report name and "page X of Y".
"""

from __future__ import annotations

import math
from io import BytesIO
from pathlib import Path

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
)

from components.formatting import (
    MINUS,
    currency_symbol,
    format_change,
    format_date,
    format_number,
    format_value,
    number_style,
    numbers_as,
)
from reports.assemble import (
    CHANGE_UNITS,
    Kpi,
    ReportData,
    SectionData,
    Trend,
    covered_series,
    sentence_label,
)
from reports.assemble import Table as DataTable

#: rows of one split table printed in the PDF (the Excel file has them all)
MAX_TABLE_ROWS = 200

INK = colors.HexColor("#1f2937")
MUTED = colors.HexColor("#6b7280")
BRAND = colors.HexColor("#4361ee")
GOOD = colors.HexColor("#15803d")
BAD = colors.HexColor("#b91c1c")
RULE = colors.HexColor("#e5e7eb")
STRIPE = colors.HexColor("#f8fafc")
SERIES = [BRAND, colors.HexColor("#f59e0b"), colors.HexColor("#10b981"), colors.HexColor("#ef4444")]

_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)


def _fonts() -> tuple[str, str]:
    """DejaVu Sans when the system has it (covers ₹, ₩ ...), else the built-in Helvetica."""
    if "PbSans" in pdfmetrics.getRegisteredFontNames():
        return "PbSans", "PbSans-Bold"
    for folder in _FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont("PbSans", str(regular)))
            pdfmetrics.registerFont(TTFont("PbSans-Bold", str(bold)))
            return "PbSans", "PbSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def render_pdf(data: ReportData, out: Path | str | None = None, *, logo: bytes | None = None) -> bytes:
    """The report as PDF bytes (also written to ``out`` when given); ``logo``: the workspace's PNG.

    Numbers are written as the workspace's number locale writes them (``1.234,56 €`` in de-DE).
    """
    with numbers_as(data.workspace.locale):
        return _render_pdf(data, out, logo=logo)


def _render_pdf(data: ReportData, out: Path | str | None, *, logo: bytes | None) -> bytes:
    font, bold = _fonts()
    styles = _styles(font, bold)
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
        title=f"{data.spec.title} — {data.workspace.name or data.workspace.slug}",
        author="Pulseboard",
        subject=data.period_text,
    )
    width = doc.width
    story = _cover(data, styles, width, logo)
    for section in data.sections:
        if section.key == "kpis":
            continue  # the cover already holds the KPI summary
        story += _section(section, data, styles, width)
    footer = _footer_text(
        data.workspace.name or data.workspace.slug, data.spec.title, f"generated {data.generated_text}", font
    )

    def canvas_maker(*args, **kwargs):
        return _NumberedCanvas(*args, footer=footer, font=font, **kwargs)

    doc.build(story, canvasmaker=canvas_maker)
    pdf = buffer.getvalue()
    if out is not None:
        Path(out).write_bytes(pdf)
    return pdf


def _styles(font: str, bold: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=font, fontSize=10, leading=13.5, textColor=INK)
    return {
        "body": base,
        "muted": ParagraphStyle("muted", parent=base, textColor=MUTED, fontSize=9.5, leading=12.5),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=24, leading=29),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=13, leading=17, textColor=MUTED),
        "h2": ParagraphStyle(
            "h2", parent=base, fontName=bold, fontSize=16, leading=20, spaceBefore=4, spaceAfter=6
        ),
        # keepWithNext: a table's title never sits alone at the bottom of a page
        "h3": ParagraphStyle(
            "h3",
            parent=base,
            fontName=bold,
            fontSize=11.5,
            leading=15,
            spaceBefore=8,
            spaceAfter=4,
            keepWithNext=1,
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9.5, leading=12),
        "cell_bold": ParagraphStyle("cell_bold", parent=base, fontName=bold, fontSize=9.5, leading=12),
        "num": ParagraphStyle("num", parent=base, fontSize=9.5, leading=12, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", parent=base, fontName=bold, fontSize=9, leading=11.5, textColor=MUTED),
        "head_num": ParagraphStyle(
            "head_num",
            parent=base,
            fontName=bold,
            fontSize=9,
            leading=11.5,
            textColor=MUTED,
            alignment=TA_RIGHT,
        ),
    }


def _logo(size: float = 28) -> Drawing:
    """The Pulseboard mark (assets/logo.svg) drawn as vector shapes."""
    d = Drawing(size, size)
    scale = size / 32
    d.add(Rect(0, 0, size, size, rx=8 * scale, ry=8 * scale, fillColor=BRAND, strokeColor=None))
    points = [(4, 18), (10, 18), (13, 10), (18, 24), (21, 15), (23, 18), (28, 18)]
    flat = [c for x, y in points for c in (x * scale, size - y * scale)]
    d.add(
        PolyLine(flat, strokeColor=colors.white, strokeWidth=2.4 * scale, strokeLineJoin=1, strokeLineCap=1)
    )
    return d


#: the largest box a workspace logo is drawn in on the cover
LOGO_BOX = (60 * mm, 16 * mm)


def _workspace_logo(png: bytes) -> Image:
    """The workspace's logo scaled into :data:`LOGO_BOX`, keeping its proportions."""
    reader = ImageReader(BytesIO(png))
    w, h = reader.getSize()
    scale = min(LOGO_BOX[0] / w, LOGO_BOX[1] / h)
    return Image(BytesIO(png), width=w * scale, height=h * scale, hAlign="LEFT")


def _cover(data: ReportData, styles, width: float, logo: bytes | None = None) -> list:
    name = data.workspace.name or data.workspace.slug
    if logo:
        brand = _workspace_logo(logo)
    else:
        brand = Table(
            [[_logo(), Paragraph("Pulseboard", styles["h3"])]],
            colWidths=[34, width - 34],
            style=[("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0)],
            hAlign="LEFT",
        )
    facts = [
        ("Period", data.period_text),
        ("Compared with", data.compare_text),
        ("Filters", data.filters_text),
        ("Generated", data.generated_text),
        ("Time zone", f"{data.workspace.timezone} (days are counted in this zone)"),
        ("Currency", data.workspace.currency),
    ]
    facts_table = Table(
        [[Paragraph(k, styles["head"]), Paragraph(_esc(v), styles["body"])] for k, v in facts],
        colWidths=[32 * mm, width - 32 * mm],
        hAlign="LEFT",
        style=[
            ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ],
    )
    story = [
        brand,
        Spacer(1, 14 * mm),
        Paragraph(_esc(data.spec.title), styles["title"]),
        Paragraph(_esc(name), styles["subtitle"]),
        Spacer(1, 8 * mm),
        facts_table,
        Spacer(1, 10 * mm),
    ]
    kpis = data.kpis
    if kpis:
        story += [Paragraph("Key numbers", styles["h2"]), _kpi_table(kpis, data, styles, width)]
    summary = next((s for s in data.sections if s.key == "kpis"), None)
    if summary is not None:
        story += _notes(summary.notes, styles)
        if summary.empty_message:
            story.append(Paragraph(_esc(summary.empty_message), styles["muted"]))
    return story


def _notes(notes: list[str], styles) -> list:
    """The muted lines under a KPI table naming the filters some of its numbers cannot apply."""
    return [Spacer(1, 2 * mm)] + [Paragraph(_esc(n), styles["muted"]) for n in notes] if notes else []


def _section(section: SectionData, data: ReportData, styles, width: float) -> list:
    story: list = [PageBreak(), Paragraph(_esc(section.title), styles["h2"])]
    if section.kpis:
        story.append(_kpi_table(section.kpis, data, styles, width))
    story += _notes(section.notes, styles)
    if section.empty_message:
        story += [Spacer(1, 4 * mm), Paragraph(_esc(section.empty_message), styles["body"])]
        return story
    if section.trend is not None and _drawable(section.trend):
        story += [
            Spacer(1, 4 * mm),
            KeepTogether(
                [Paragraph(_trend_title(section.trend), styles["h3"]), _chart(section.trend, data, width)]
                + [
                    Paragraph(_esc(note), styles["muted"])
                    for note in (_overlap_note(section.trend), section.trend.partial_note, section.trend.note)
                    if note
                ]
            ),
        ]
    for table in section.tables:
        story += [Paragraph(_esc(table.title), styles["h3"])]
        if not table.rows:
            story.append(Paragraph(_esc(table.note or "No rows for this period."), styles["muted"]))
            continue
        if table.note:
            story.append(Paragraph(_esc(table.note), styles["muted"]))
        story.append(_data_table(table, data, styles, width))
        if len(table.rows) > MAX_TABLE_ROWS:
            story.append(
                Paragraph(
                    f"The first {format_number(MAX_TABLE_ROWS)} of {format_number(len(table.rows))} rows; "
                    "the Excel file has them all.",
                    styles["muted"],
                )
            )
    return story


def _drawable(trend: Trend) -> bool:
    """Whether the trend has a value other than zero: a report never holds an empty chart."""
    return any(v not in (None, 0) for _, _, values in trend.series for v in values)


def _kpi_table(kpis: list[Kpi], data: ReportData, styles, width: float) -> Table:
    # A table none of whose numbers has a comparison (a forecast's totals) drops the two columns
    # rather than print a column of dashes.
    compared = bool(data.compare) and any(kpi.compare_value is not None for kpi in kpis)
    head = ["Metric", "Value"] + (["Compared", "Change"] if compared else [])
    rows = [head]
    style = _table_style(styles, numeric=range(1, len(head))) + [
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
        ("FONTNAME", (0, 1), (0, -1), styles["cell_bold"].fontName),
    ]
    for i, kpi in enumerate(kpis, start=1):
        cells = [kpi.label, kpi.value_text]
        if compared:
            colour = GOOD if kpi.good else BAD if kpi.good is False else MUTED
            style.append(("TEXTCOLOR", (3, i), (3, i), colour))
            cells += [kpi.compare_text, kpi.change_text]
        rows.append(cells)
    widths = [0.4, 0.25, 0.2, 0.15] if compared else [0.6, 0.4]
    col_widths = [w * width for w in widths]
    rows = _wrap_long(rows, col_widths, styles, range(1, len(head)), bold_first=True)
    return Table(rows, colWidths=col_widths, style=style, repeatRows=1, hAlign="LEFT")


def _data_table(table: DataTable, data: ReportData, styles, width: float) -> Table:
    currency = data.workspace.currency
    body = []
    for row in table.rows[:MAX_TABLE_ROWS]:
        cells = []
        for column, value in zip(table.columns, row, strict=True):
            if column.unit == "text":
                cells.append(str(value))
            elif column.unit == "date":  # a date a person reads ("15 Mar 2026")
                cells.append(format_date(value))
            elif column.unit in CHANGE_UNITS:
                cells.append(format_change(value, CHANGE_UNITS[column.unit]))
            else:
                cells.append(format_value(value, column.unit, currency))
        body.append(cells)
    header = [c.label for c in table.columns]
    col_widths = _column_widths(table, [header, *body], styles, width)
    # numbers line up on the right; words and dates read from the left
    numeric = {i for i, c in enumerate(table.columns) if c.unit not in ("text", "date")}
    style = _table_style(styles, numeric=numeric) + [
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, STRIPE]),
    ]
    return Table(
        _wrap_long([header, *body], col_widths, styles, numeric),
        colWidths=col_widths,
        style=style,
        repeatRows=1,  # a table longer than a page repeats its header on every page
        hAlign="LEFT",
    )


#: a column at most this share of the table's width is never wrapped to make room for others
SHORT_COLUMN = 0.16


def _column_widths(table: DataTable, rows: list[list[str]], styles, width: float) -> list[float]:
    """Widths: a wide first column and even number columns; several text columns share by content.

    With more than one text column (the insights table) each gets room by what it holds: even
    shares squeezed the insights' "Suggested action" to a word a line beside a half-empty
    "Insight" column.
    """
    n = len(table.columns)
    texts = [i for i, c in enumerate(table.columns) if c.unit == "text"]
    if len(texts) < 2:
        first = 0.4 if n > 2 else 0.6
        return [first * width] + [(1 - first) / (n - 1) * width] * (n - 1)
    cell = styles["cell"]
    head = styles["head"]

    def natural(c: int) -> float:  # the widest cell on one line, with the cell's padding
        body = max((pdfmetrics.stringWidth(r[c], cell.fontName, cell.fontSize) for r in rows[1:]), default=0)
        return max(body, pdfmetrics.stringWidth(rows[0][c], head.fontName, head.fontSize)) + 12

    widths = [natural(c) for c in range(n)]
    if sum(widths) <= width:  # everything fits on one line: the spare room to the first
        widths[texts[0]] += width - sum(widths)
        return widths
    # short columns (numbers, "+417.5%") keep one line; the long ones share the rest
    texts = [c for c in texts if widths[c] > SHORT_COLUMN * width] or texts
    fixed = sum(w for c, w in enumerate(widths) if c not in texts)
    room = width - fixed  # the text columns share what the numbers leave, by how much they hold
    # (a square root: a long column gets more room, but a short one is not squeezed to nothing)
    weights = {c: math.sqrt(widths[c]) for c in texts}
    total = sum(weights.values())
    for c in texts:
        widths[c] = room * weights[c] / total
    return widths


def _table_style(styles, *, numeric) -> list:
    """Table commands for plain-text cells: the head row bold and muted, numbers right-aligned.

    Plain strings rather than a reportlab Paragraph per cell: laying out and drawing those
    Paragraphs took about half of the PDF's rendering time.
    """
    cell, head = styles["cell"], styles["head"]
    style = [
        ("FONTNAME", (0, 0), (-1, 0), head.fontName),
        ("FONTSIZE", (0, 0), (-1, 0), head.fontSize),
        ("LEADING", (0, 0), (-1, 0), head.leading),
        ("TEXTCOLOR", (0, 0), (-1, 0), head.textColor),
        ("FONTNAME", (0, 1), (-1, -1), cell.fontName),
        ("FONTSIZE", (0, 1), (-1, -1), cell.fontSize),
        ("LEADING", (0, 1), (-1, -1), cell.leading),
        ("TEXTCOLOR", (0, 1), (-1, -1), cell.textColor),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    style += [("ALIGN", (i, 0), (i, -1), "RIGHT") for i in numeric]
    return style


def _wrap_long(rows: list[list[str]], widths: list[float], styles, numeric, *, bold_first=False) -> list:
    """Cells too wide for their column become wrapping Paragraphs; the rest stay plain text."""
    out = []
    for r, row in enumerate(rows):
        cells = []
        for c, text in enumerate(row):
            if r == 0:
                style = styles["head_num" if c in numeric else "head"]
            elif c in numeric:
                style = styles["num"]
            else:
                style = styles["cell_bold" if bold_first and c == 0 else "cell"]
            # 12 pt: the cell's default left and right padding
            if pdfmetrics.stringWidth(text, style.fontName, style.fontSize) > widths[c] - 12:
                cells.append(Paragraph(_esc(text), style))
            else:
                cells.append(text)
        out.append(cells)
    return out


def _trend_title(trend: Trend) -> str:
    return _esc(trend.title)


def _chart(trend: Trend, data: ReportData, width: float) -> Drawing:
    """A vector chart of the trend's series (one shared value axis, formatted for the unit).

    Lines, or bars when the trend's ``kind`` says so (sparse counts of events: a newsletter's
    few sends, see :func:`reports.assemble.chart_kind`).

    Drawn from plain shapes (lines, polylines, strings) rather than reportlab's chart widgets,
    which build a label object per category and per tick: with six sections that was more
    than half of the PDF's time. The look is the same: grid, axes, legend, ~10 date labels.
    Series that run together (net and gross revenue on a day without refunds) are drawn as a
    wide light line under a thin one, so neither hides the other; the legend shows each stroke.
    """
    font, _ = _fonts()
    height = 62 * mm
    drawing = Drawing(width, height)
    x0, y0 = 16 * mm, 16 * mm
    plot_w, plot_h = width - 20 * mm, height - 26 * mm
    unit, currency = trend.series[0][1], data.workspace.currency
    values = [v for _, _, vs in trend.series for v in vs if v is not None]
    ticks = _nice_ticks(min(0.0, min(values)), max(values), whole=unit == "count")
    low, high = ticks[0], ticks[-1]
    label = _axis_format(unit, currency, ticks)

    def y_of(value: float) -> float:
        return y0 + (value - low) / (high - low) * plot_h

    for tick in ticks:  # grid and value labels
        y = y_of(tick)
        drawing.add(Line(x0, y, x0 + plot_w, y, strokeColor=RULE, strokeWidth=0.5))
        drawing.add(
            String(x0 - 5, y - 3, label(tick), fontName=font, fontSize=8, fillColor=MUTED, textAnchor="end")
        )
    n = len(trend.periods)
    band = plot_w / max(n, 1)
    drawing.add(Line(x0, y0, x0 + plot_w, y0, strokeColor=RULE, strokeWidth=1))
    step = max(1, n // 10)  # at most ~10 labels: they must not overlap
    for i, day in enumerate(trend.periods):
        if i % step:
            continue
        x = x0 + (i + 0.5) * band
        drawing.add(Line(x, y0, x, y0 - 3, strokeColor=RULE, strokeWidth=1))
        text = _period_label(day, trend.grain)
        drawing.add(String(x, y0 - 11, text, fontName=font, fontSize=8, fillColor=MUTED, textAnchor="middle"))
    if trend.kind == "bar":
        _bars(drawing, trend, x0, band, y_of)
        _legend(drawing, trend, [(SERIES[s % len(SERIES)], None) for s in range(len(trend.series))], font)
        return drawing
    strokes = _strokes(trend, (high - low) / plot_h)
    for (_, _, series), (colour, stroke) in zip(trend.series, strokes, strict=True):
        for run in _runs(series):  # a missing value breaks the line instead of drawing a zero
            _line(drawing, run, trend.partial, colour, stroke, lambda i, v: (x0 + (i + 0.5) * band, y_of(v)))
    _legend(drawing, trend, strokes, font)
    return drawing


#: the dashes of a segment into or out of a partial period, and how much lighter it is drawn
PARTIAL_DASH, PARTIAL_TINT = (3, 2.5), 0.45


def _line(drawing: Drawing, run, partial: dict, colour, stroke: float, xy) -> None:
    """One unbroken run of a series: solid over whole periods, dashed and light into a partial one.

    A partial period (a quarter's first week of five days) is a hollow point, and the
    segments touching it are dashed in a lighter tint, as the pages draw the unfinished last
    period: the fall to it reads as fewer days, not as a drop.
    """
    solid: list[tuple[int, float]] = []

    def flush() -> None:
        if len(solid) == 1 and len(run) == 1:  # a lone value: a dot (else its dashes show it)
            x, y = xy(*solid[0])
            drawing.add(Circle(x, y, stroke / 2 + 0.6, fillColor=colour, strokeColor=None))
        elif len(solid) > 1:
            points = [c for i, v in solid for c in xy(i, v)]
            drawing.add(
                PolyLine(points, strokeColor=colour, strokeWidth=stroke, strokeLineJoin=1, strokeLineCap=1)
            )
        solid.clear()

    for (i, v), (j, w) in zip(run, run[1:], strict=False):
        if i in partial or j in partial:
            (xa, ya), (xb, yb) = xy(i, v), xy(j, w)
            light = _tint(colour, PARTIAL_TINT)
            drawing.add(
                Line(
                    xa, ya, xb, yb, strokeColor=light, strokeWidth=stroke, strokeDashArray=list(PARTIAL_DASH)
                )
            )
    for i, v in run:
        if i in partial:
            flush()
        else:
            solid.append((i, v))
    flush()
    for i, v in run:
        if i in partial:
            x, y = xy(i, v)
            drawing.add(Circle(x, y, 2.6, fillColor=colors.white, strokeColor=colour, strokeWidth=1.2))


#: the share of a period's width its bars fill (the rest is the gap between periods)
BAR_FILL = 0.7


def _bars(drawing: Drawing, trend: Trend, x0: float, band: float, y_of) -> None:
    """One bar per series and period, side by side within the period; none for a zero or gap."""
    n = len(trend.series)
    width = band * BAR_FILL / n
    base = y_of(0.0)
    for s, (_, _, values) in enumerate(trend.series):
        colour = SERIES[s % len(SERIES)]
        for i, value in enumerate(values):
            if not value:  # no event that period: no bar (a hairline would read as a small count)
                continue
            x = x0 + i * band + band * (1 - BAR_FILL) / 2 + s * width
            top = y_of(value)
            if i in trend.partial:  # a partial period's bar: light with an outline, as the pages draw it
                fill, edge = _tint(colour, 0.7), colour
            else:
                fill, edge = colour, None
            drawing.add(
                Rect(
                    x,
                    min(base, top),
                    width,
                    abs(top - base),
                    fillColor=fill,
                    strokeColor=edge,
                    strokeWidth=0.8,
                )
            )


def _legend(drawing: Drawing, trend: Trend, strokes, font: str) -> None:
    """The series' names along the top: a stroke for a line, a square (stroke None) for bars."""
    x, top = 16 * mm, drawing.height - 3 * mm
    for (name, _, _), (colour, stroke) in zip(trend.series, strokes, strict=True):
        if stroke is None:
            drawing.add(Rect(x + 3, top - 7, 8, 7, fillColor=colour, strokeColor=None))
        else:
            drawing.add(Line(x, top - 3.5, x + 14, top - 3.5, strokeColor=colour, strokeWidth=stroke))
        drawing.add(String(x + 18, top - 6.5, name, fontName=font, fontSize=9, fillColor=INK))
        x += max(90, pdfmetrics.stringWidth(name, font, 9) + 32)
    if trend.partial:  # the key to the hollow points (or light bars) the note under the chart names
        word = f"partial {trend.grain}"
        if trend.kind == "bar":
            drawing.add(
                Rect(x + 3, top - 7, 8, 7, fillColor=_tint(MUTED, 0.7), strokeColor=MUTED, strokeWidth=0.8)
            )
        else:
            drawing.add(
                Line(x, top - 3.5, x + 14, top - 3.5, strokeColor=_tint(MUTED, PARTIAL_TINT), strokeWidth=LINE_WIDTH,
                     strokeDashArray=list(PARTIAL_DASH))
            )  # fmt: skip
            drawing.add(
                Circle(x + 14, top - 3.5, 2.6, fillColor=colors.white, strokeColor=MUTED, strokeWidth=1.2)
            )
        drawing.add(String(x + 22, top - 6.5, word, fontName=font, fontSize=9, fillColor=MUTED))


#: a line's stroke, and the wider one of a series another series runs on top of
LINE_WIDTH, UNDER_WIDTH = 1.8, 4.5


def _strokes(trend: Trend, units_per_point: float) -> list[tuple[colors.Color, float]]:
    """(colour, width) of each series: a series a later one runs over is wide and light.

    Two lines closer than a point on the page look like one: the earlier series is drawn
    beneath, wide and in a lighter tint, so the later, thin one stays visible inside it.
    """
    covered = covered_series(trend, units_per_point)
    out = []
    for s in range(len(trend.series)):
        colour = SERIES[s % len(SERIES)]
        out.append((_tint(colour, 0.55), UNDER_WIDTH) if s in covered else (colour, LINE_WIDTH))
    return out


def _tint(colour: colors.Color, amount: float) -> colors.Color:
    """``colour`` mixed with white (``amount`` 0 = the colour, 1 = white)."""
    return colors.Color(*(c + (1 - c) * amount for c in (colour.red, colour.green, colour.blue)))


def _overlap_note(trend: Trend) -> str | None:
    """Which series equal which on how many periods, or None (``Net revenue equals gross ...``)."""
    if trend.kind == "bar":  # bars stand side by side: an equal one hides nothing
        return None
    notes = []
    unit = {"day": "days", "week": "weeks", "month": "months"}.get(trend.grain, "periods")
    for s, (name, _, values) in enumerate(trend.series):
        for other, _, later in trend.series[s + 1 :]:
            equal = sum(
                1
                for x, y in zip(values, later, strict=False)
                if x is not None and y is not None and math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
            )
            if equal:
                total = sum(1 for x, y in zip(values, later, strict=False) if x is not None and y is not None)
                notes.append(
                    f"{name} equals {sentence_label(other)} on {format_number(equal)} of "
                    f"{format_number(total)} {unit}: there the thin line runs inside the wide one."
                )
    return " ".join(notes) or None


def _nice_ticks(low: float, high: float, count: int = 4, *, whole: bool = False) -> list[float]:
    """Round axis ticks (1, 2, 2.5 or 5 x 10^n apart) from at or below ``low`` to at or above ``high``.

    ``whole``: the axis counts things, so every tick is a whole number (a count axis of
    0, 2.5, 5, 7.5 was written "0, 2, 5, 8").
    """
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / count
    if whole:
        raw = max(raw, 1.0)
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if whole and magnitude < 10 else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in steps if m * magnitude >= raw)
    first = math.floor(low / step + 1e-9) * step
    ticks = [first]
    while ticks[-1] < high - 1e-9 * step:
        ticks.append(first + len(ticks) * step)
    return ticks


def _runs(values: list[float | None]) -> list[list[tuple[int, float]]]:
    """The series split at missing values: runs of (index, value)."""
    runs: list[list[tuple[int, float]]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((i, value))
    return [run for run in runs if run]


def _axis_format(unit: str, currency: str, ticks: list[float]):
    """Tick labels in one style per axis: ``$0``, ``$2.5k``, ``$5.0k`` (never ``$0.0k``).

    Steps under a thousand are written in full (``$500``, ``$1,000``, ``$1,500``, not
    ``$0.5k``); larger ones in k or M with the decimals the step needs. Zero is plain ``$0``.
    """
    style = number_style()
    top = max(abs(t) for t in ticks)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else top

    def plain(v: float) -> str:
        if unit == "currency":
            return format_value(v, unit, currency).replace(style.decimal + "00", "")
        return format_value(v, unit, currency)

    if unit not in ("currency", "count") or top < 1000 or step < 1000:
        return plain
    prefix = currency_symbol(currency) if unit == "currency" else ""
    divisor, suffix = (1e6, "M") if top >= 1e6 else (1e3, "k")
    decimals = next(
        (
            d
            for d in (0, 1, 2)
            if all(abs(t / divisor * 10**d - round(t / divisor * 10**d)) < 1e-6 for t in ticks)
        ),
        2,
    )

    def tick(v: float) -> str:
        if v == 0:
            return plain(0.0)
        number = f"{abs(v) / divisor:,.{decimals}f}"
        if style.is_default:
            return f"{MINUS if v < 0 else ''}{prefix}{number}{suffix}"  # as format_value writes it
        number = style.number(number) + suffix
        return style.currency(number, v < 0, prefix) if prefix else (MINUS if v < 0 else "") + number

    return tick


def _period_label(day, grain: str) -> str:
    if grain == "month":
        return f"{day:%b %y}"
    return f"{day.day} {day:%b}"


def _esc(text: str) -> str:
    """Text for a reportlab Paragraph (which reads a small XML markup)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: the footer's type size, and the room its text leaves for "Page 12 of 12" on the right
FOOTER_SIZE = 8.5
FOOTER_WIDTH = A4[0] - 36 * mm - 70


def _footer_text(workspace: str, title: str, generated: str, font: str) -> str:
    """``Workspace · Title · generated ...`` cut to fit beside the page number.

    A long report title ran over "Page 1 of 7" and off the page; the title gives way first
    (ending in "…"), then the whole line.
    """

    def fits(text: str) -> bool:
        return pdfmetrics.stringWidth(text, font, FOOTER_SIZE) <= FOOTER_WIDTH

    text = f"{workspace} · {title} · {generated}"
    cut = title
    while not fits(text) and cut:
        cut = cut[:-1]
        text = f"{workspace} · {cut.rstrip()}… · {generated}"
    while not fits(text):
        text = text[:-2] + "…"
    return text


class _NumberedCanvas(Canvas):
    """A canvas that knows the page count at the end, for "page X of Y" footers."""

    def __init__(self, *args, footer: str, font: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved: list[dict] = []
        self._footer, self._font = footer, font

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        """Keep the page's state; pages are drawn at save(), once their count is known."""
        self._saved.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        """Draw every page's footer with the total page count, then write the file."""
        total = len(self._saved)
        for state in self._saved:
            self.__dict__.update(state)
            self._draw_footer(total)
            super().showPage()
        super().save()

    def _draw_footer(self, total: int) -> None:
        width, _ = A4
        self.setFont(self._font, FOOTER_SIZE)
        self.setFillColor(MUTED)
        self.setStrokeColor(RULE)
        self.line(18 * mm, 14 * mm, width - 18 * mm, 14 * mm)
        self.drawString(18 * mm, 10 * mm, self._footer)
        self.drawRightString(width - 18 * mm, 10 * mm, f"Page {self._pageNumber} of {total}")
