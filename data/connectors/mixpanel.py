"""Mixpanel event export (CSV) -> web_daily rows (users and key events per day and traffic source).

Reads raw events as Mixpanel exports them, one row per event: the API's export converted to
CSV (``event, time, distinct_id, $insert_id, $browser, ..., utm_source, utm_medium, ...``,
``time`` in Unix seconds) or the Events view's CSV (``Event Name, Time, Distinct ID, ...``,
local ISO times). Events are counted per workspace day and UTM source/medium:

* users = distinct ``distinct_id`` that day,
* key events = events you track yourself; Mixpanel's automatic ones (names starting ``$`` or
  ``mp_``, e.g. ``$mp_web_page_view``) are not key events but do count their users.

Duplicates (same ``$insert_id``, which Mixpanel advises to de-duplicate on) count once. The file
is read whole (only the columns used) because a day's distinct users span the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from data.connectors import _text as t
from data.connectors.base import Chunk, ParseOptions
from data.schema import conform

SOURCE = "mixpanel"
FORMATS = (
    "Mixpanel event export (event, time, distinct_id, $insert_id, ... or Event Name, Time, Distinct ID, ...)",
)

_EVENT = ("event", "Event Name", "Event")
_TIME = ("time", "Time")
_USER = ("distinct_id", "Distinct ID", "$distinct_id")
_INSERT = ("$insert_id", "Insert ID")
_UTM_SOURCE = ("utm_source", "UTM Source", "$initial_utm_source")
_UTM_MEDIUM = ("utm_medium", "UTM Medium", "$initial_utm_medium")
_LOCAL_TIMES = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%.f", "%m/%d/%Y %H:%M:%S")


def sniff(head: str) -> float:
    """Score a Mixpanel event export: event, time and distinct id plus Mixpanel's ``$``/``mp_`` property columns."""
    for line in t.head_lines(head, 2):
        cells = t.split_line(line)
        names = {t.norm(c) for c in cells}
        core = all(any(t.norm(a) in names for a in alts) for alts in (_EVENT, _TIME, _USER))
        mixpanel_props = sum(1 for c in cells if c.startswith(("$", "mp_")))
        if core and mixpanel_props:
            return 0.95 if mixpanel_props >= 2 else 0.8
    return 0.0


def _day(raw_time: pl.Series, tz: str) -> tuple[pl.Series, pl.Series]:
    """Each event's workspace-local day and whether its time was unreadable.

    Unix seconds are UTC instants; text times are already the project's local time.
    """
    text = raw_time.str.strip_chars()
    unix = text.cast(pl.Int64, strict=False)
    instant = pl.select(pl.from_epoch(pl.lit(unix), time_unit="s")).to_series()
    local_from_unix = instant.dt.replace_time_zone("UTC").dt.convert_time_zone(tz).dt.date()
    local_text = t.parse_datetime(text, _LOCAL_TIMES).dt.date()
    day = local_from_unix.fill_null(local_text)
    return day.rename("date"), (text.is_not_null() & day.is_null()).fill_null(False)


def parse(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Yield one web_daily chunk aggregating the whole file (rows with an unreadable time or no user are quarantined)."""
    path = Path(path)
    reader = t.CsvBatches(path)
    cols = reader.columns
    f = {
        "event": t.find_column(cols, *_EVENT),
        "time": t.find_column(cols, *_TIME),
        "user": t.find_column(cols, *_USER),
        "insert": t.find_column(cols, *_INSERT),
        "source": t.find_column(cols, *_UTM_SOURCE),
        "medium": t.find_column(cols, *_UTM_MEDIUM),
    }
    t.missing_columns(
        path,
        "a Mixpanel event export",
        cols,
        **{"event": f["event"], "time": f["time"], "distinct_id": f["user"]},
    )
    used = [c for c in f.values() if c is not None]
    batches = list(reader.iter(options.batch_rows, select=used))
    if not batches:
        return
    raw = pl.concat(batches)
    day, bad_time = _day(t.col(raw, f["time"]), options.timezone)
    user = t.col(raw, f["user"])
    checks = [
        t.Check(
            bad_time | day.is_null(), "date", f["time"], t.reason_date("Unix seconds or YYYY-MM-DDTHH:MM:SS")
        ),
        t.Check(user.is_null(), "users", f["user"], lambda v: "event without a distinct_id"),
    ]
    # build_chunk applies the checks and names each rejected file line; its frame is not used
    screened = t.build_chunk("web_daily", SOURCE, raw, {"date": day}, checks)
    good = ~(bad_time | day.is_null() | user.is_null())
    event = t.col(raw, f["event"]).fill_null("")
    events = pl.DataFrame(
        {
            "date": day,
            "source_name": t.col(raw, f["source"]),
            "medium": t.col(raw, f["medium"]),
            "user": user,
            "insert": t.col(raw, f["insert"]),
            "key": ~event.str.starts_with("$") & ~event.str.starts_with("mp_") & (event != ""),
        }
    ).filter(good)
    screened_good = events.height
    if f["insert"] is not None:
        # one event per $insert_id; rows without one are all kept
        events = pl.concat(
            [
                events.filter(pl.col("insert").is_null()),
                events.filter(pl.col("insert").is_not_null()).unique(
                    "insert", keep="first", maintain_order=True
                ),
            ]
        )
    daily = (
        events.group_by("date", "source_name", "medium", maintain_order=True)
        .agg(
            pl.col("user").n_unique().alias("users"), pl.col("key").sum().cast(pl.Float64).alias("key_events")
        )
        .sort("date", "source_name", "medium", nulls_last=True)
    )
    n = daily.height
    # read = imported + rejected + skipped: an event is imported as part of its day's row
    skipped = {
        "repeated $insert_id (the same event sent twice)": screened_good - events.height,
        "counted in a day's totals (one row per day, source and medium)": events.height - n,
    }
    daily = daily.with_columns(
        pl.lit(SOURCE).alias("source"),
        t.stable_id(
            pl.Series([SOURCE] * n),
            daily["date"].cast(pl.Utf8),
            daily["source_name"].fill_null(""),
            daily["medium"].fill_null(""),
        ).alias("source_id"),
        t.channel_series(daily["source_name"], daily["medium"], n).alias("channel"),
    )
    yield Chunk(
        table="web_daily",
        frame=conform("web_daily", daily),
        errors=screened.errors,
        rows_read=raw.height,
        skipped={reason: count for reason, count in skipped.items() if count},
    )
