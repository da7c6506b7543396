"""Amplitude chart export (Event Segmentation / Users charts, "Export CSV") -> web_daily rows.

The download starts with lines describing the chart (its title, ``Metric: Uniques``, the date
range, the interval), then a wide table: label columns (``Segment``, ``Event``) followed by one
column per day (``Mar 1, 2024`` or ``2024-03-01``); each row is one series. Counts carry
thousands separators; ``n/a`` or ``-`` mean no data.

The chart's metric says which web_daily column a series fills: uniques / active users ->
users, new users -> new_users, event totals -> key_events, sessions -> sessions. Averages,
frequencies, property sums and formulas do not add up per day and are refused. Each (day,
segment, event) becomes its own row: a chart of several events' uniques counts a person once per
event, as Amplitude's own chart does.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import polars as pl

from data.connectors import _text as t
from data.connectors.base import Chunk, ParseOptions, UnrecognisedFile
from data.schema import conform

SOURCE = "amplitude"
FORMATS = ("Amplitude chart export (chart lines, then Segment, Event, one column per day)",)

_DAY_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y")
_LABELS = ("segment", "event", "events", "formula", "metric", "user property", "")
#: chart metric words -> the web_daily column its series fill (first match wins)
_METRICS = (
    ("new users", "new_users"),
    ("new user", "new_users"),
    ("active users", "users"),
    ("active user", "users"),
    ("uniques", "users"),
    ("unique users", "users"),
    ("event totals", "key_events"),
    ("totals", "key_events"),
    ("sessions", "sessions"),
)
_NOT_ADDITIVE = ("average", "frequency", "property sum", "property average", "formula", "percent", "%")
_CHART_WORDS = (
    "amplitude",
    "event segmentation",
    "metric:",
    "uniques",
    "event totals",
    "active users",
    "interval:",
)


def _as_day(cell: str) -> date | None:
    for fmt in _DAY_FORMATS:
        try:
            return datetime.strptime(cell.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _is_header(cells: list[str]) -> bool:
    days = [c for c in cells if _as_day(c)]
    labels = [c for c in cells if not _as_day(c)]
    return len(days) >= 1 and bool(labels) and all(t.norm(c) in _LABELS for c in labels) and cells[-1] in days


def sniff(head: str) -> float:
    """Score an Amplitude chart export: a wide day-per-column header after chart description lines."""
    lines = t.head_lines(head, 15)
    for i, line in enumerate(lines):
        cells = t.split_line(line)
        if cells and _is_header(cells):
            preamble = " ".join(lines[:i]).lower()
            return 0.9 if any(w in preamble for w in _CHART_WORDS) else 0.65
    return 0.0


def _metric_column(preamble: list[str], path: Path) -> str:
    """The web_daily column the chart's metric fills (Amplitude's default metric is Uniques)."""
    text = " ".join(line.strip().strip('"') for line in preamble).lower()
    metric_line = next((line.lower() for line in preamble if "metric" in line.lower()), text)
    for word in _NOT_ADDITIVE:
        if word in metric_line:
            raise UnrecognisedFile(
                f"{path.name}: an Amplitude chart of {metric_line.strip().strip(chr(34))!r} does not add up per day; "
                "export Uniques, Event Totals, Active or New Users instead"
            )
    for word, column in _METRICS:
        if word in text:
            return column
    return "users"


def parse(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Yield one web_daily chunk: one row per (day, segment, event) with the chart's metric filled."""
    path = Path(path)
    header_line = t.locate_header(path, _is_header, max_lines=20)
    text = t.read_head(path, n_bytes=path.stat().st_size + 16)
    lines = text.splitlines()
    column = _metric_column(lines[: header_line - 1], path)
    header = t.split_line(lines[header_line - 1])
    sep = t.sniff_separator(lines[header_line - 1])
    body = "\n".join(lines[header_line - 1 :])
    names = [f"c{i}" for i in range(len(header))]
    frame = pl.read_csv(
        io.StringIO(body), separator=sep, infer_schema=False, new_columns=names, truncate_ragged_lines=True
    )
    frame = frame.with_columns(
        pl.int_range(header_line + 1, header_line + 1 + frame.height).alias(t.LINE_COL)
    )
    frame = frame.filter(~pl.all_horizontal([pl.col(c).is_null() | (pl.col(c) == "") for c in names]))
    label_idx = [i for i, c in enumerate(header) if _as_day(c) is None]
    day_idx = [i for i, c in enumerate(header) if _as_day(c) is not None]
    seg_i = next((i for i in label_idx if t.norm(header[i]) == "segment"), None)
    event_i = next((i for i in label_idx if t.norm(header[i]) != "segment"), None)
    # one long row per (series, day): its file line, labels, the day's header and value
    long = pl.concat(
        [
            frame.select(
                pl.col(t.LINE_COL),
                (pl.col(f"c{seg_i}") if seg_i is not None else pl.lit(None, dtype=pl.Utf8)).alias("segment"),
                (pl.col(f"c{event_i}") if event_i is not None else pl.lit(None, dtype=pl.Utf8)).alias(
                    "event"
                ),
                pl.lit(header[i]).alias("day_header"),
                pl.lit(_as_day(header[i])).alias("date"),
                pl.col(f"c{i}").alias("value"),
            )
            for i in day_idx
        ]
    ).sort(t.LINE_COL, "date", maintain_order=True)
    value = t.parse_float(long["value"])
    bad_value = (long["value"].is_not_null() & value.is_null() & ~t.is_null_token(long["value"])).fill_null(
        False
    )
    checks = [
        t.Check(bad_value, column, "Value", t.reason_number),
        t.Check((value < 0).fill_null(False), column, "Value", t.reason_negative),
    ]
    # the raw row shown for a rejected cell: its labels, day and value under the file's own headers
    raw = long.select(
        pl.col(t.LINE_COL),
        pl.col("segment").alias(header[seg_i] if seg_i is not None else "Segment"),
        pl.col("event").alias(header[event_i] if event_i is not None else "Event"),
        pl.col("day_header").alias("Day"),
        pl.col("value").alias("Value"),
    )
    n = long.height
    source_id = t.stable_id(
        pl.Series([SOURCE] * n),
        long["date"].cast(pl.Utf8),
        long["segment"].fill_null(""),
        long["event"].fill_null(""),
    )
    counts = value.round(0).cast(pl.Int64) if column != "key_events" else value
    chunk = t.build_chunk(
        "web_daily",
        SOURCE,
        raw,
        {"source_id": source_id, "date": long["date"], column: counts},
        checks,
        keep=long["value"].is_not_null() & ~t.is_null_token(long["value"]),
        # a pivoted export's unit is one value (a series on a day): each is imported, rejected
        # or skipped on its own, so the run accounts for values, not lines
        rows_read=long.height,
    )
    chunk.frame = conform("web_daily", chunk.frame)
    yield chunk
