"""The KPI card: value, change vs the comparison (coloured by whether up is good), sparkline."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import dash_bootstrap_components as dbc
from dash import html

from components import ids
from components.figures import SPARK_COLORS, sparkline_mode
from components.formatting import (
    change_tone,
    format_delta,
    format_number,
    format_value,
    is_flat,
    percent_sign,
)

#: the sparkline's drawing box; the image is stretched to the card's width (the stroke is not)
SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 100, 44, 3


def sparkline(values: list[float | None], *, good: bool | None = None) -> str:
    """A KPI card's sparkline: a tiny line with no axes, as an SVG ``data:`` URI for an ``<img>``.

    Drawn here rather than by Plotly: a page holds up to eight of them, and Plotly laid out and
    drew each as a full figure on the browser's main thread (a revisit's longest task). Same
    look as before: the axis starts at zero (or below, for negative values), gaps are joined
    (a ratio with a value on few days, such as win rate, is still one line), and the points get
    dots when half or fewer have a value, so a lone point shows at all.
    """
    points = [(i, float(v)) for i, v in enumerate(values) if v is not None]
    color = SPARK_COLORS[good]
    if not points:
        return _svg_uri("")
    low = min(0.0, *(v for _, v in points))
    high = max(0.0, *(v for _, v in points))
    span = (high - low) or 1.0
    steps = max(len(values) - 1, 1)

    def xy(i: int, v: float) -> str:
        x = SPARK_WIDTH / 2 if len(values) == 1 else i / steps * SPARK_WIDTH
        y = SPARK_PAD + (high - v) / span * (SPARK_HEIGHT - 2 * SPARK_PAD)
        return f"{x:.2f} {y:.2f}"

    stroke = (
        f'fill="none" stroke="{color}" stroke-linecap="round" stroke-linejoin="round" '
        'vector-effect="non-scaling-stroke"'
    )
    line = "M" + " L".join(xy(i, v) for i, v in points)
    body = f'<path d="{line}" stroke-width="1.8" {stroke}/>'
    if sparkline_mode(values)["mode"] == "lines+markers":
        # a zero-length segment with round caps is a dot that the stretched box leaves round
        dots = "".join(f"M{xy(i, v)} h0" for i, v in points)
        body += f'<path class="pb-spark-dots" d="{dots}" stroke-width="5" {stroke}/>'
    return _svg_uri(body)


def _svg_uri(body: str) -> str:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" '
        f'preserveAspectRatio="none">{body}</svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def kpi_card(
    *,
    metric: str,
    label: str,
    unit: str,
    currency: str,
    value: float | None,
    compare_value: float | None,
    up_is_good: bool,
    series: list[float | None],
    compare_label: str | None,
    description: str = "",
    compact: bool = True,
    goal: GoalView | None = None,
    projection: bool = False,
) -> dbc.Card:
    """One KPI card. ``series`` feeds the sparkline; ``compare_value`` may be None (no comparison).

    The change of a ratio reads in percentage points (``+6.8 pp``), any other in percent.
    ``compact`` is decided for the whole row (:func:`components.formatting.needs_compact`) so
    neighbouring cards use the same notation; the card's tooltip always has the full value.
    ``goal`` adds a progress bar inside the card. ``projection`` adds the slot a later callback
    fills with the period-end projection (and the goal's chance): the row never waits for it.
    """
    card_id = ids.kpi_card(metric)
    delta_text, change = format_delta(value, compare_value, unit)
    # a change that reads "0.0%" / "0.0 pp" is flat: no arrow, no colour (never "▲ 0.0 pp")
    flat = is_flat(change)
    good = change_tone(change, up_is_good)
    badge_class = {True: "pb-delta-good", False: "pb-delta-bad", None: "pb-delta-flat"}[good]
    arrow = "" if flat else ("▲ " if change > 0 else "▼ ")
    compare_line = (
        html.Div(
            [
                html.Span(arrow + delta_text, className=f"pb-delta {badge_class}", id=f"{card_id}-delta"),
                # may wrap under the change on a narrow card rather than be cut ("vs prev. peri…")
                html.Span(f" vs {compare_label}", className="text-body-secondary pb-delta-context"),
            ],
            className="small pb-compare",
            title=_compare_title(value, compare_value, unit, currency, compare_label),
        )
        if compare_label
        else html.Div("\u00a0", className="small")
    )
    body = [
        html.Div(label, className="pb-kpi-label text-body-secondary", title=description or label),
        html.Div(
            format_value(value, unit, currency, compact=compact),
            className="pb-kpi-value",
            id=f"{card_id}-value",
            title=format_value(value, unit, currency),
            **{"data-value": "" if value is None else repr(value)},
        ),
        compare_line,
        html.Img(src=sparkline(series, good=good), alt="", className="pb-sparkline"),
    ]
    if goal is not None:
        body.append(goal_progress(card_id, goal, unit, currency, up_is_good))
    if projection:
        body.append(projection_slot(metric))
    return dbc.Card(
        dbc.CardBody(body, className="p-3"),
        id=card_id,
        className="pb-kpi h-100 shadow-sm",
    )


def _compare_title(value, compare_value, unit: str, currency: str, compare_label: str | None) -> str:
    """The card's comparison in full, for the tooltip: "$1,234.50 vs $1,000.00 (previous period)"."""
    return (
        f"{format_value(value, unit, currency)} vs {format_value(compare_value, unit, currency)}"
        f" ({compare_label})"
    )


@dataclass(frozen=True)
class GoalView:
    """What a card shows of a goal (see :class:`dashboard.goals.GoalProgress`)."""

    period: str  # month | quarter | year
    target: float
    actual: float | None
    on_pace: bool | None
    finished: bool  # the goal's period is over: "met"/"missed" rather than a pace


def goal_status(goal: GoalView, up_is_good: bool) -> tuple[str, str]:
    """The goal's words and colour: a target to reach, or a budget (up is bad) to stay within."""
    if goal.actual is None:
        return "", "secondary"
    if not up_is_good:  # a budget (ad spend): under its target is the good side
        return ("within budget", "success") if goal.actual <= goal.target else ("over budget", "danger")
    if goal.finished:
        met = goal.actual is not None and goal.actual >= goal.target
        return ("met", "success") if met else ("missed", "warning")
    return ("on pace", "success") if goal.on_pace else ("behind pace", "warning")


def goal_progress(card_id: str, goal: GoalView, unit: str, currency: str, up_is_good: bool) -> html.Div:
    """The goal line inside a KPI card: a thin bar and "62% of $50k month goal · on pace"."""
    share = None if goal.actual is None or not goal.target else goal.actual / goal.target
    pct = 0 if share is None else max(0.0, min(share, 1.0)) * 100
    words, color = goal_status(goal, up_is_good)
    target = format_value(goal.target, unit, currency, compact=True)
    noun = "goal" if up_is_good else "budget"
    shown = "—" if share is None else percent_sign(format_number(share * 100, 0, grouped=False))
    text = f"{shown} of {target} {goal.period} {noun}" + (f" · {words}" if words else "")
    return html.Div(
        [
            # dbc.Progress takes no aria-label; the text line below says the same for readers
            dbc.Progress(value=pct, color=color, className="pb-goal-bar"),
            html.Div(
                text, className="small text-body-secondary pb-goal-text", id=f"{card_id}-goal", title=text
            ),
        ],
        className="pb-goal mt-2",
    )


#: what a projection slot says until its projection is computed
PROJECTING = "Projecting…"


def projecting() -> html.Span:
    """What a projection slot shows while its projection is computed."""
    return html.Span(PROJECTING, className="pb-kpi-projecting")


def projection_slot(metric: str) -> html.Div:
    """The empty projection line of a card: a quiet "Projecting…" until the poll fills it."""
    return html.Div(
        projecting(),
        id=ids.kpi_projection(metric),
        className="small text-body-secondary pb-kpi-projection mt-1",
    )


def projection_lines(projection: str | None, chance: str | None) -> list:
    """The filled slot: the projection sentence and the goal's chance, each on its own line."""
    return [
        html.Div(text, className=name, title=text)
        for text, name in ((projection, "pb-kpi-projected"), (chance, "pb-kpi-chance"))
        if text
    ]


def kpi_placeholder(label: str) -> dbc.Card:
    """A card-shaped placeholder shown while KPIs load."""
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(label, className="pb-kpi-label text-body-secondary"),
                html.Div(
                    className="placeholder-glow",
                    children=html.Span(className="placeholder col-8 pb-kpi-value"),
                ),
            ],
            className="p-3",
        ),
        className="pb-kpi h-100 shadow-sm",
    )
