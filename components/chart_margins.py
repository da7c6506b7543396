"""Margins for a chart that fit its axis labels, set before Plotly draws it.

Every figure's axes have ``automargin``: Plotly draws the chart, measures its tick labels, and
when they need more room than the layout's margins it draws the whole chart again. With the
template's 8 px margins that second pass happened for every chart, and it is half of a chart's
drawing time (two charts of the customers page: ~125 ms against ~65 ms in headless Chromium).
:func:`fit_margins` sets each margin to what the labels will need, estimated here from the
figure's own data, so the first pass is the last. ``automargin`` stays on: a label wider than
the estimate still gets its room, at the old cost of a second pass.

The estimate measures text as DejaVu Sans draws it at the template's 12 px, the widest of the
common UI fonts, so it errs on the side of a few pixels of extra space, never a cut-off label.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

import plotly.graph_objects as go

#: Advance widths of DejaVu Sans, in thousandths of the font size, for printable ASCII
#: (PIL's ``ImageFont.getlength`` at size 1000); other characters count as WIDE.
_GLYPHS = dict(
    zip(
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
        map(
            int,
            """
            318 401 460 838 636 950 780 275 390 390 500 838 318 361 318 337
            636 636 636 636 636 636 636 636 636 636 337 337 838 838 838 531
            1000 684 686 698 770 632 575 775 752 295 295 656 557 863 748 787
            603 787 695 635 611 732 684 989 685 611 685 390 337 390 838 500
            500 613 635 550 635 615 352 635 634 278 278 579 278 974 634 612
            635 635 411 521 392 634 592 818 592 592 525 636 337 636 838
            """.split(),
        ),
        strict=True,
    )
)
WIDE = 1000
FONT_PX = 12  # the template's font size (components.figures)
#: Plotly's room around a chart when no label needs more (the template's margins)
EDGE = 8
TOP = 24
#: gap between tick labels and the plot, and a few pixels of slack for fonts that draw wider
LABEL_GAP = 8
LINE_PX = 20  # one line of 12 px tick labels, with its gap to the axis
DATE_LABELS_PX = 36  # date ticks: the year goes on a second line under the first tick
LEGEND_ROW_PX = 18
#: the plot width a legend is assumed to wrap at: a half-width panel on a laptop (wider panels
#: get a row of spare room, a phone's second pass makes room for more rows)
LEGEND_WRAP_PX = 480
LEGEND_SYMBOL_PX = 46  # a legend item's symbol and gaps around its text
TITLE_PX = 22  # an axis title's line
_TAGS = re.compile(r"<[^>]+>")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_FIXED = re.compile(r"\.(\d+)~?f$")


def text_px(text: str, font_px: float = FONT_PX) -> float:
    """Width of ``text`` in px as DejaVu Sans draws it (the longest line; tags left out)."""
    lines = _TAGS.sub("", str(text).replace("<br>", "\n")).split("\n")
    return max(sum(_GLYPHS.get(ch, WIDE) for ch in line) for line in lines) * font_px / 1000


def fit_margins(fig: go.Figure) -> go.Figure:
    """Set ``fig``'s margins to the room its tick labels and legend will take (in place).

    Only what the figure's data tells: left for the y axis labels, right for a second y axis,
    bottom for the x axis labels (two lines for dates, which Plotly writes with their year under
    the first), top for a legend above the plot or an axis drawn at the top, a line more for an
    axis title. A margin the figure set itself is kept.
    """
    layout = fig.layout
    if layout.margin is not None and any(
        getattr(layout.margin, side) is not None for side in ("l", "r", "t", "b")
    ):
        return fig  # its builder chose the margins
    traces = [t for t in fig.data if getattr(t, "visible", True) is not False]
    if not traces:
        return fig
    left = right = overhang = 0.0
    bottom = top = 0.0
    for axis_name, on_right in (("yaxis", False), ("yaxis2", True)):
        axis = getattr(layout, axis_name, None)
        values = _axis_values(traces, "y", "y2" if on_right else "y")
        if not values:
            continue
        width = _labels_px(axis, values, _stack_depth(layout, traces)) + LABEL_GAP
        if axis is not None and axis.title is not None and axis.title.text:
            width += TITLE_PX
        if on_right or (axis is not None and axis.side == "right"):
            right = max(right, width)
        else:
            left = max(left, width)
    xaxis = layout.xaxis
    xs = _axis_values(traces, "x", "x")
    if xs and not all(t.type == "funnel" for t in traces):  # a funnel draws no x labels
        height = (DATE_LABELS_PX if _is_date(xaxis, xs) else LINE_PX) + (
            TITLE_PX if xaxis.title is not None and xaxis.title.text else 0
        )
        if xaxis.side == "top":
            top = max(top, height + EDGE)
        else:
            bottom = height
        if _is_date(xaxis, xs):
            # a date tick can fall on the range's last day, its label centred on the plot's right
            # edge (a 30-day range ending on the 6th ticks "Dec 6" there: Plotly then widened the
            # right margin 8 -> 13 px and drew the chart twice)
            overhang = text_px("Sep 30") / 2
        elif not _is_category(xaxis, xs):
            # the last tick label of a number axis is centred on the plot's right edge
            overhang = _labels_px(xaxis, xs, _stack_depth(layout, traces)) / 2 + LABEL_GAP
    rows = _legend_rows(layout, traces)
    if rows:
        top = max(top, TOP + rows * LEGEND_ROW_PX)
    fig.update_layout(
        margin={
            "l": math.ceil(EDGE + left),
            "r": math.ceil(max(EDGE + right if right else EDGE, overhang)),
            "t": math.ceil(max(TOP, top)),
            "b": math.ceil(EDGE + bottom),
        }
    )
    return fig


def _axis_values(traces, letter: str, axis_ref: str) -> list:
    """The values traces put on an axis (``letter`` "x" or "y"; ``axis_ref`` "y", "y2", "x")."""
    values: list = []
    for trace in traces:
        if (getattr(trace, f"{letter}axis", None) or letter) != axis_ref:
            continue
        data = getattr(trace, letter, None)
        if data is not None:
            values.extend(v for v in data if v is not None)
    return values


def _is_date(axis, values: list) -> bool:
    if axis is not None and axis.type is not None:
        return axis.type == "date"
    first = values[0]
    return isinstance(first, date | datetime) or (isinstance(first, str) and bool(_ISO_DATE.match(first)))


def _is_category(axis, values: list) -> bool:
    if axis is not None and axis.type is not None:
        return axis.type in ("category", "multicategory")
    return isinstance(values[0], str) and not _is_date(axis, values)


def _stack_depth(layout, traces) -> int:
    """How many bars may stack on one value (a stack's total bounds its axis)."""
    bars = sum(t.type == "bar" for t in traces)
    return bars if layout.barmode in ("stack", "relative") and bars > 1 else 1


def _labels_px(axis, values: list, stacked: int) -> float:
    """Width of the widest tick label an axis will draw for ``values``."""
    if axis is not None and axis.ticktext:
        return max(text_px(t) for t in axis.ticktext)
    if _is_date(axis, values):
        return text_px("Sep 30")
    if _is_category(axis, values):
        return max(text_px(v) for v in {str(v) for v in values})
    numbers = [abs(float(v)) for v in values if isinstance(v, int | float) and math.isfinite(v)]
    if not numbers:
        return 0.0
    prefix = (axis.tickprefix or "") if axis is not None else ""
    suffix = (axis.ticksuffix or "") if axis is not None else ""
    sign = "−" if any(isinstance(v, int | float) and v < 0 for v in values) else ""
    top = max(numbers) * stacked
    tickformat = (axis.tickformat or "") if axis is not None else ""
    fixed = _FIXED.search(tickformat)
    if tickformat.endswith("%"):
        body = f"{math.ceil(top * 125):d}%"
    elif fixed:  # ".1~f": the integer part and a decimal ("12.5×")
        decimals = int(fixed.group(1))
        body = str(math.ceil(top * 1.25)) + ("." + "0" * decimals if decimals else "")
    else:
        body = _si_label_bound(top)
    return text_px(sign + prefix + body + suffix)


#: the letters of Plotly's "~s" format, by power of 1000
_SI = ("", "k", "M", "G", "T", "P")


def _si_label_bound(top: float) -> str:
    """A label at least as wide as any "~s" tick of an axis up to ``top``.

    Ticks are round numbers up to a little past ``top``: "15k" for 14,200. Below 10 of a unit
    the ticks between may be three digits of the unit below ("500k" between 0 and 1M) or
    carry a decimal ("2.5M").
    """
    if top < 1:
        return "0.00"
    power = min(int(math.log10(top) // 3), len(_SI) - 1)
    mantissa = top / 1000**power
    if mantissa < 10:  # "500k" or "2.5M"; below 10 of anything: "7.5"
        return max(("000" + _SI[power - 1], "0.0" + _SI[power]), key=text_px) if power else "0.0"
    return "0" * len(str(int(mantissa * 1.25))) + _SI[power]


def _legend_rows(layout, traces) -> int:
    """How many rows of legend Plotly draws above the plot (the template puts it there), or 0."""
    if layout.showlegend is False:
        return 0
    shown = [t for t in traces if t.showlegend is not False and t.type not in ("heatmap", "funnel")]
    if layout.showlegend is None and len(shown) < 2:
        return 0
    legend = layout.legend
    if legend is not None and legend.y is not None and legend.y < 1:
        return 0
    names = list(dict.fromkeys(str(t.name or "") for t in shown))
    width = sum(LEGEND_SYMBOL_PX + text_px(name) for name in names)
    return max(1, math.ceil(width / LEGEND_WRAP_PX))
