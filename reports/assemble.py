"""Gather a report's numbers from the metric layer into plain data the renderers draw.

Every number comes from ``data.metrics.query_metrics`` (the same call the pages and
``pulseboard metric`` make), and every text form of it from ``components.formatting``: a
report, the dashboard and the CLI show the same value. Renderers (PDF, XLSX, email) never query.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from components.formatting import (
    change_tone,
    format_change,
    format_datetime,
    format_delta,
    format_value,
    numbers_as,
)
from components.labels import dimension_value_label
from data.metrics import NONE_LABEL, comparison_range, get_metric, query_metrics, value_text
from data.metrics.calendar import next_period
from data.warehouse import ScopedWarehouse, WorkspaceRef
from reports.definition import SECTIONS, ReportSpec
from reports.periods import COMPARES, PERIODS, check_compare, period_label, trend_grain

#: threads computing sections at once (the machines we target have 2+ cores)
SECTION_THREADS = 2
#: dimension -> column label in split tables
DIMENSION_LABELS = {
    "channel": "Channel",
    "product": "Product",
    "country": "Country",
    "plan": "Plan",
    "platform": "Platform",
    "campaign": "Campaign",
    "source": "Source",
    "medium": "Medium",
    "list": "List",
    "pipeline": "Pipeline",
    "owner": "Owner",
}


def describe_filters(filters: dict[str, str]) -> str:
    """``Channel = Email, Country = DE`` or ``None`` when unfiltered (cover, email, lists, page)."""
    if not filters:
        return "None"
    return ", ".join(f"{DIMENSION_LABELS.get(k, k)} = {value_text(v)}" for k, v in sorted(filters.items()))


@dataclass(frozen=True)
class Kpi:
    """One metric's value over the period, its comparison and their formatted forms."""

    name: str
    label: str
    unit: str
    up_is_good: bool
    value: float | None
    compare_value: float | None
    currency: str

    @property
    def value_text(self) -> str:
        """The value as the dashboard shows it (``$12,345.67``, ``3.2%`` ...)."""
        return format_value(self.value, self.unit, self.currency)

    @property
    def compare_text(self) -> str:
        """The comparison value, formatted ("—" without one)."""
        return format_value(self.compare_value, self.unit, self.currency)

    @property
    def change(self) -> float | None:
        """Relative change (0.12 = +12%), or for ratios the change in points (0.012 = +1.2 pp)."""
        if self.value is None or self.compare_value is None:
            return None
        if self.unit == "ratio":
            return self.value - self.compare_value
        return format_delta(self.value, self.compare_value)[1]

    @property
    def change_text(self) -> str:
        """``+12.3%``; for a ratio, the change in percentage points (``+1.2 pp``); never ``−0.0 pp``."""
        return format_change(self.change, "ratio" if self.unit == "ratio" else "percent")

    @property
    def good(self) -> bool | None:
        """True when the change is good news (up for up-is-good metrics), None when it reads as zero."""
        return change_tone(self.change, self.up_is_good)


#: the change units of a table column -> the unit format_change reads them in (see Column)
CHANGE_UNITS = {"change": "percent", "change_points": "points"}


@dataclass(frozen=True)
class Column:
    """A table column: key, header and unit (``text``, ``date`` or a metric unit).

    Two units are changes, both stored as fractions: ``change`` (relative, 0.123 reads +12.3%)
    and ``change_points`` (a rate's difference, 0.068 reads +6.8 pp: never a percent of a
    percent).
    """

    key: str
    label: str
    unit: str = "text"


@dataclass(frozen=True)
class Table:
    """A titled table of typed rows (numbers stay numbers until a renderer formats them).

    ``note``: a sentence the renderers print with the table, or in its place when there are
    no rows (a split with nothing to split by says so in words).
    """

    title: str
    columns: tuple[Column, ...]
    rows: list[tuple]
    note: str | None = None


#: a trend of event counts is drawn as bars when at least this share of its periods is empty
SPARSE_SHARE = 0.5


@dataclass(frozen=True)
class Trend:
    """Series over periods for a chart: one list of values per metric, aligned with ``periods``.

    ``kind``: ``line`` or ``bar`` (see :func:`chart_kind`), the same in the PDF and the Excel
    chart. ``note``: a sentence the renderers print with the chart (what it leaves out).
    ``partial``: period index -> (days inside the report range, days in the period) for the
    periods only partly inside it (see :func:`partial_periods`): drawn distinctly and named in
    :attr:`partial_note`, so a short first or last week never reads as a drop.
    """

    grain: str
    periods: list[date]
    series: list[tuple[str, str, list[float | None]]]  # (label, unit, values)
    kind: str = "line"
    note: str | None = None
    partial: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def partial_note(self) -> str | None:
        """``Partial weeks: 29 Jun (5 of 7 days), 28 Sep (3 of 7 days) ...`` or None."""
        if not self.partial:
            return None
        word = self.grain if len(self.partial) == 1 else f"{self.grain}s"
        items = ", ".join(
            f"{partial_label(self.periods[i], self.grain)} ({inside} of {total} days)"
            for i, (inside, total) in sorted(self.partial.items())
        )
        return (
            f"Partial {word}: {items} in the report period, drawn hollow and dashed: they count "
            f"only those days, so a fall or rise into them is not a real change."
        )

    @property
    def title(self) -> str:
        """``Net revenue and gross revenue by day``: one sentence, only its first word capitalised."""
        names = [label for label, _, _ in self.series]
        return f"{_and_list([names[0], *map(sentence_label, names[1:])])} by {self.grain}"


def partial_periods(periods: list[date], grain: str, start: date, end: date) -> dict[int, tuple[int, int]]:
    """Index -> (days inside [start, end], days in the period) of the periods only partly inside.

    The metric layer clips a range's first and last week (or month) to the range: a quarter
    starting on a Wednesday has a first "week" of five days. Those periods are kept (the
    periods then add up to the KPI's total, and a week is Monday-based everywhere, as on the
    pages) and marked, never compared as if whole.
    """
    if grain not in ("week", "month"):
        return {}
    out = {}
    for i, first in enumerate(periods):
        last = next_period(first, grain) - timedelta(days=1)
        total = (last - first).days + 1
        inside = (min(last, end) - max(first, start)).days + 1
        if 0 < inside < total:
            out[i] = (inside, total)
    return out


def partial_label(day: date, grain: str) -> str:
    """How a partial period is named in notes: ``29 Jun`` (its week's Monday) or ``Sep 2026``."""
    return f"{day:%b %Y}" if grain == "month" else f"{day.day} {day:%b}"


def chart_kind(series: list[tuple[str, str, list[float | None]]], *, events: bool) -> str:
    """``bar`` for counts of discrete events that happen on few periods, else ``line``.

    ``events``: every series counts things that happen (emails delivered, insights found), not
    a level or a snapshot. A newsletter goes out on four days of thirty: as a line those four
    sends were spikes over slopes that mean nothing (there is no "between two sends"); as bars
    each send is a bar on its day. A dense count (sessions, new customers) stays a line.
    """
    if not events or any(unit != "count" for _, unit, _ in series):
        return "line"
    periods = max((len(values) for _, _, values in series), default=0)
    if periods < 2:
        return "line"
    empty = sum(
        1
        for i in range(periods)
        if all(i >= len(values) or values[i] in (None, 0) for _, _, values in series)
    )
    return "bar" if empty >= SPARSE_SHARE * periods else "line"


def covered_series(trend: Trend, tolerance: float = 0.0) -> set[int]:
    """Indexes of the series a later series runs over (within ``tolerance``) on some period.

    Drawn in order, such a line disappears under the later one (net revenue under gross on a
    day without refunds): the charts draw it wider and lighter beneath. ``0`` means equal.
    """
    covered = set()
    for s, (_, _, values) in enumerate(trend.series):
        for _, _, later in trend.series[s + 1 :]:
            if any(
                x is not None and y is not None and (abs(x - y) <= tolerance or math.isclose(x, y))
                for x, y in zip(values, later, strict=False)
            ):
                covered.add(s)
    return covered


@dataclass(frozen=True)
class SectionData:
    """One section's KPIs, trend and split tables, or the words saying why it is empty."""

    key: str
    title: str
    kpis: list[Kpi] = field(default_factory=list)
    trend: Trend | None = None
    tables: list[Table] = field(default_factory=list)
    empty_message: str | None = None
    #: active filters some of the section's numbers cannot apply (``Not filtered by channel: ...``)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReportData:
    """Everything a renderer needs, already computed."""

    workspace: WorkspaceRef
    spec: ReportSpec
    start: date
    end: date
    compare: str | None
    compare_start: date | None
    compare_end: date | None
    generated_at: datetime  # aware, in the workspace's time zone
    sections: list[SectionData]

    @property
    def period_text(self) -> str:
        """``Last month · 1 – 31 Oct 2026`` (marked when the period is not over yet)."""
        span = period_label(self.start, self.end)
        text = span if self.spec.period == "custom" else f"{PERIODS[self.spec.period]} · {span}"
        if self.end >= self.generated_at.date():
            text += " (period not finished)"
        return text

    @property
    def compare_text(self) -> str:
        """``Previous period · 1 – 30 Sep 2026`` or ``No comparison``."""
        if self.compare is None or self.compare_start is None or self.compare_end is None:
            return COMPARES["none"]
        return f"{COMPARES[self.compare]} · {period_label(self.compare_start, self.compare_end)}"

    @property
    def filters_text(self) -> str:
        """``Channel = Email, Country = DE`` or ``None`` when unfiltered."""
        return describe_filters(self.spec.filters)

    @property
    def generated_text(self) -> str:
        """``2 Nov 2026, 08:00 Europe/Berlin``: when (as the pages write it), and in which time zone."""
        return f"{format_datetime(self.generated_at, self.workspace.timezone)} {self.workspace.timezone}"

    @property
    def kpis(self) -> list[Kpi]:
        """The KPI summary section's KPIs, else the first section's (the email's table)."""
        for section in self.sections:
            if section.key == "kpis" and section.kpis:
                return section.kpis
        return next((s.kpis for s in self.sections if s.kpis), [])

    @property
    def kpi_notes(self) -> list[str]:
        """The filter notes of the section :attr:`kpis` comes from (``Not filtered by ...``)."""
        for section in self.sections:
            if section.key == "kpis" and section.kpis:
                return section.notes
        return next((s.notes for s in self.sections if s.kpis), [])


def assemble(
    scoped: ScopedWarehouse,
    spec: ReportSpec,
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> ReportData:
    """Compute every section of ``spec`` for the scoped workspace.

    ``today`` (the workspace's local date the period is resolved against) and ``now`` default to
    the current moment in the workspace's time zone; schedules pass the occurrence's.
    """
    spec.validate()
    workspace = scoped.workspace
    zone = ZoneInfo(workspace.timezone)
    now = (now or datetime.now(zone)).astimezone(zone)
    today = today or now.date()
    start, end = spec.dates(today)
    compare = check_compare(spec.compare)
    c_start, c_end = comparison_range(start, end, compare) if compare else (None, None)
    # Sections are independent: two threads overlap their queries (DuckDB releases the GIL and
    # each thread has its own cursor), which is most of a report's time.
    with ThreadPoolExecutor(max_workers=SECTION_THREADS, thread_name_prefix="pb-report") as pool:
        sections = list(
            pool.map(
                lambda key: _section(scoped, SECTIONS[key], spec.filters, start, end, compare, today),
                spec.sections,
            )
        )
    return ReportData(workspace, spec, start, end, compare, c_start, c_end, now, sections)


def _section(scoped, section, filters, start, end, compare, today) -> SectionData:
    # A pool thread starts in en-US: the briefing's sentences carry the workspace's numbers.
    with numbers_as(scoped.workspace.locale):
        return _section_data(scoped, section, filters, start, end, compare, today)


def _section_data(scoped, section, filters, start, end, compare, today) -> SectionData:
    currency = scoped.workspace.currency
    if section.key in ("insights", "forecast"):
        # Imported only here: reports.briefing builds on this module's dataclasses, and it
        # pulls in scipy/statsmodels (seconds of imports) that other reports do not need.
        from reports import briefing

        if section.key == "insights":
            return briefing.insights_section(scoped, section.title, start, end)
        return briefing.forecast_section(scoped, section.title, start, end, today)
    if not section.metrics:
        return SectionData(
            section.key,
            section.title,
            empty_message=f"No {section.title.lower()} is available for this workspace yet.",
        )
    notes = filter_notes(section.metrics, filters)
    frames = _query(scoped, section.metrics, start, end, "total", None, compare, filters)
    kpis = []
    for name in section.metrics:
        metric = get_metric(name)
        row = frames[name].row(0, named=True) if frames[name].height else {}
        kpis.append(
            Kpi(
                name,
                metric.label,
                metric.display_unit,
                metric.up_is_good,
                _number(row.get("value")),
                _number(row.get("compare_value")),
                currency,
            )
        )
    if all(k.value in (None, 0) for k in kpis):
        return SectionData(
            section.key,
            section.title,
            kpis=kpis,
            empty_message=f"No {section.title.lower()} data for {period_label(start, end)}.",
            notes=notes,
        )
    return SectionData(
        section.key,
        section.title,
        kpis=kpis,
        trend=_trend(scoped, section, filters, start, end),
        tables=[_split(scoped, m, d, filters, start, end, compare) for m, d in section.splits],
        notes=notes,
    )


def filter_notes(metrics, filters: dict[str, str]) -> list[str]:
    """One line per active filter some of ``metrics`` cannot apply, naming them.

    A report filtered to ``Channel = Email`` shows MRR unfiltered (MRR has no channel): without
    this line the cover's "Filters: Channel = Email" reads as if every number were Email's.
    """
    notes = []
    for key in sorted(filters):
        dim = DIMENSION_LABELS.get(key, key).lower()
        labels = [get_metric(m).label for m in metrics if key not in get_metric(m).dimensions]
        if not labels:
            continue
        if len(labels) == len(metrics) > 1:
            notes.append(f"Not filtered by {dim}: none of these numbers has a {dim}.")
        else:
            verb = "has" if len(labels) == 1 else "have"
            notes.append(f"Not filtered by {dim}: {_and_list(labels)} {verb} no {dim}.")
    return notes


def _and_list(items: list[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def sentence_label(label: str) -> str:
    """A metric label inside a sentence: ``net revenue``, but ``CTR`` and ``MRR`` stay."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def _trend(scoped, section, filters, start, end) -> Trend | None:
    if not section.trend:
        return None
    grain = trend_grain(start, end)
    frames = _query(scoped, section.trend, start, end, grain, None, None, filters)
    first = frames[section.trend[0]]
    periods = [date.fromisoformat(str(p)[:10]) for p in first["period"].to_list()]
    series = [
        (get_metric(n).label, get_metric(n).display_unit, [_number(v) for v in frames[n]["value"].to_list()])
        for n in section.trend
    ]
    if all(v in (None, 0) for _, _, values in series for v in values):
        return None  # nothing to draw: the section's words say so instead of an empty chart
    metrics = [get_metric(n) for n in section.trend]
    # a count summed over events (not a snapshot such as active customers) can be bars
    events = all(m.display_unit == "count" and m.additive and not m.snapshot for m in metrics)
    return Trend(
        grain,
        periods,
        series,
        kind=chart_kind(series, events=events),
        partial=partial_periods(periods, grain, start, end),
    )


def _split(scoped, name, dimension, filters, start, end, compare) -> Table:
    metric = get_metric(name)
    frame = _query(scoped, (name,), start, end, "total", dimension, None, filters)[name]
    frame = frame.select(dimension, "value")
    if compare:
        # The comparison asked on its own and joined in full (the metric layer's compare keeps
        # only this period's values): a channel that sold last month and not this one is a
        # row too, or the split's previous period would not add up to the KPI's.
        c_start, c_end = comparison_range(start, end, compare)
        before = _query(scoped, (name,), c_start, c_end, "total", dimension, None, filters)[name]
        before = before.select(dimension, pl.col("value").alias("compare_value"))
        joined = frame.join(before, on=dimension, how="full", coalesce=True, nulls_equal=True)
        both = joined.filter(pl.col("value").is_not_null() & pl.col("compare_value").is_not_null())
        # ... unless no value is in both periods: one-off values (each newsletter its own
        # campaign) would list last month's sends as −100% beside this month's.
        frame = joined if both.height else joined.filter(pl.col("value").is_not_null())
        if metric.additive and not metric.snapshot:  # nothing counted this period is a zero
            frame = frame.with_columns(pl.col("value").fill_null(0.0))
    has_value = pl.col("value").is_not_null() & (pl.col("value") != 0)
    if compare:
        # A value that fell to nothing stays (−100%): without it the rows' previous period
        # would not add up to the KPI's ("Deals won 2 vs 4" over a split showing 2 vs 2).
        has_value = has_value | (pl.col("compare_value").is_not_null() & (pl.col("compare_value") != 0))
    # Rows without a value come last whatever their size, as on the pages (callbacks'
    # split_frame): they are not a country or a channel and must not be ranked as one.
    unknown = pl.col(dimension).is_null() | (pl.col(dimension).cast(pl.Utf8) == NONE_LABEL)
    order = ["value", "compare_value"] if compare else ["value"]
    frame = frame.filter(has_value).sort(
        [unknown, *order], descending=[False] + [True] * len(order), nulls_last=True
    )
    is_rate = metric.display_unit == "ratio"
    columns = [
        Column(dimension, DIMENSION_LABELS.get(dimension, dimension.title())),
        Column("value", metric.label, metric.display_unit),
    ]
    if compare:
        columns += [
            Column("compare_value", COMPARES[compare], metric.display_unit),
            Column("change", "Change", "change_points" if is_rate else "change"),
        ]
    rows = []
    known = 0  # rows with a value of the dimension (not the none bucket)
    for row in frame.iter_rows(named=True):
        value, before = _number(row["value"]), _number(row.get("compare_value"))
        raw = row[dimension]
        known += raw is not None and raw != NONE_LABEL
        # "Google Ads", as the pages name a platform, never its source id (google_ads); the none
        # bucket "Unknown", as the pages' charts say (one label, components.labels)
        cells = [dimension_value_label(dimension, raw), value]
        if compare:
            if is_rate:  # a rate changes by points, as the KPI cards say
                change = None if value is None or before is None else value - before
            else:
                change = None if not before else (value - before) / abs(before)
            cells += [before, change]
        rows.append(tuple(cells))
    dim = DIMENSION_LABELS.get(dimension, dimension).lower()
    title = f"{metric.label} by {dim}"
    if rows and not known:
        # one "Unknown" row is not a split: say in words that nothing carries the dimension
        note = f"No {dim} is recorded for the {sentence_label(metric.label)} in this period."
        return Table(title, tuple(columns), [], note=note)
    notes = []
    if compare and rows and all(r[2] is None for r in rows):
        # one-off values (each newsletter its own campaign): the comparison and change columns
        # would be all dashes; drop them and say why in words
        columns, rows = columns[:2], [r[:2] for r in rows]
        notes.append(f"No {dim} here has a value in the {COMPARES[compare].lower()}: nothing to compare.")
    if dimension in filters:
        # _query does not filter a split by its own dimension: say so, next to the cover's filter
        applied = describe_filters({dimension: filters[dimension]})
        notes.append(f"Every {dim} is shown for context: the filter {applied} does not apply to this table.")
    return Table(title, tuple(columns), rows, note=" ".join(notes) or None)


def _query(scoped, names, start, end, grain, by, compare, filters) -> dict[str, pl.DataFrame]:
    """``query_metrics`` with each metric given only the filters it can apply.

    Metrics sharing the same applicable filters are asked together (one scan per family).
    """
    groups: dict[tuple, list[str]] = {}
    for name in names:
        dims = get_metric(name).dimensions
        where = tuple(sorted((k, v) for k, v in filters.items() if k in dims and k != by))
        groups.setdefault(where, []).append(name)
    out: dict[str, pl.DataFrame] = {}
    for where, group in groups.items():
        out |= query_metrics(
            scoped, group, start, end, grain=grain, by=by, compare=compare, where=dict(where) or None
        )
    return out


def _number(value) -> float | None:
    return None if value is None else float(value)
