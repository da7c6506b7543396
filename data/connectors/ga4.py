"""GA4 report downloads (CSV) -> web_daily rows.

A download starts with a ``#`` comment block (title, account, property, start/end dates, in the
UI's language) and may hold several tables, each after its own comment block and separated by
blank lines. Tables with a ``Date`` dimension (``YYYYMMDD``) give one row per day; a table
without it is used only when the report covers a single day.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl

from data.connectors import _text as t
from data.connectors.base import SKIP_SUMMARY, Chunk, ParseOptions, RowError, UnrecognisedFile

SOURCE = "ga4"
FORMATS = (
    "GA4 report download (# comment block, then Date, Session default channel group, Sessions, Users, ...)",
)

_DATE = ("Date", "Fecha", "Datum", "Data")
_CHANNEL = (
    "Session default channel group",
    "Session primary channel group (Default channel group)",
    "Default channel group",
    "First user default channel group",
    "First user primary channel group (Default channel group)",
    "Groupe de canaux par défaut de la session",
    "Standard-Channelgruppe der Sitzung",
    "Grupo de canales predeterminado de la sesión",
)
_SOURCE_MEDIUM = ("Session source / medium", "First user source / medium", "Source / medium")
_SOURCE = ("Session source", "Source", "First user source", "Source de la session")
_MEDIUM = ("Session medium", "Medium", "First user medium", "Support de la session")
_SESSIONS = ("Sessions", "Sitzungen", "Sesiones")
_USERS = ("Total users", "Users", "Active users", "Utilisateurs", "Nutzer", "Usuarios")
_NEW_USERS = ("New users", "Nouveaux utilisateurs", "Neue Nutzer", "Usuarios nuevos")
_KEY_EVENTS = ("Key events", "Conversions", "Événements clés", "Schlüsselereignisse", "Eventos clave")
_REVENUE = ("Total revenue", "Purchase revenue", "Revenus totaux", "Gesamtumsatz", "Ingresos totales")
_METRICS = _SESSIONS + _USERS + _NEW_USERS + _KEY_EVENTS + _REVENUE + ("Engaged sessions", "Engagement rate")
_DIMENSIONS = _DATE + _CHANNEL + _SOURCE_MEDIUM + _SOURCE + _MEDIUM


@dataclass
class _Table:
    header_line: int
    lines: list[str]  # header + data lines
    start: date | None
    end: date | None


def _looks_like_header(line: str) -> bool:
    names = {t.norm(c) for c in t.split_line(line)}
    return any(t.norm(m) in names for m in _METRICS) and any(t.norm(d) in names for d in _DIMENSIONS)


def sniff(head: str) -> float:
    """Score a GA4 download: ``#`` comment lines, then a header of GA4 dimensions and metrics."""
    lines = t.head_lines(head, 40)
    comments = sum(1 for line in lines if line.startswith("#"))
    for line in lines:
        if line.startswith("#") or not line.strip():
            continue
        if _looks_like_header(line):
            return 0.95 if comments else 0.65
        break
    return 0.0


def _comment_dates(comments: list[str]) -> tuple[date | None, date | None]:
    """Start/end dates from comment lines in any language (``# Date de début : 20260701``)."""
    found = []
    for c in comments:
        m = re.search(r"[:：]\s*(\d{8})\s*$", c)
        if m:
            try:
                found.append(datetime.strptime(m.group(1), "%Y%m%d").date())
            except ValueError:
                continue
    if not found:
        return None, None
    return found[0], found[-1] if len(found) > 1 else found[0]


def _tables(text: str) -> list[_Table]:
    tables: list[_Table] = []
    comments: list[str] = []
    start = end = None
    current: _Table | None = None
    for i, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#"):
            current = None
            comments.append(line)
            continue
        if not line.strip():
            current = None  # a blank line ends a table
            continue
        if current is None:
            if comments:
                start, end = _comment_dates(comments)
                comments = []
            current = _Table(i, [line], start, end)
            tables.append(current)
        else:
            current.lines.append(line)
    return [tb for tb in tables if _looks_like_header(tb.lines[0])]


def parse(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Yield one web_daily chunk per table (and batch).

    Revenue is taken to be in the workspace's reporting currency: GA4 downloads do not name the property
    currency.
    """
    path = Path(path)
    tables = _tables(t.read_head(path, n_bytes=path.stat().st_size + 16))
    if not tables:
        raise UnrecognisedFile(f"{path.name}: no GA4 table found; expected {FORMATS[0]}")
    rep = options.reporting_currency.upper()
    for tb in tables:
        yield from _parse_table(tb, options, rep)


def _parse_table(tb: _Table, options: ParseOptions, rep: str) -> Iterator[Chunk]:
    sep = t.sniff_separator(tb.lines[0])
    cols = t.split_line(tb.lines[0], sep)
    frame = pl.read_csv(
        io.StringIO("\n".join(tb.lines)),
        separator=sep,
        infer_schema=False,
        new_columns=cols,
        truncate_ragged_lines=True,
    )
    frame = frame.with_columns(
        pl.when(pl.col(pl.String).str.len_bytes() == 0).then(None).otherwise(pl.col(pl.String)).name.keep()
    )
    frame = frame.with_columns(
        pl.int_range(tb.header_line + 1, tb.header_line + 1 + frame.height).alias(t.LINE_COL)
    )
    f = {
        "date": t.find_column(cols, *_DATE),
        "channel": t.find_column(cols, *_CHANNEL),
        "source_medium": t.find_column(cols, *_SOURCE_MEDIUM),
        "source": t.find_column(cols, *_SOURCE),
        "medium": t.find_column(cols, *_MEDIUM),
        "sessions": t.find_column(cols, *_SESSIONS),
        "users": t.find_column(cols, *_USERS),
        "new_users": t.find_column(cols, *_NEW_USERS),
        "key_events": t.find_column(cols, *_KEY_EVENTS),
        "revenue": t.find_column(cols, *_REVENUE),
    }
    single_day = tb.start if tb.start is not None and tb.start == tb.end else None
    if f["date"] is None and single_day is None:
        # one error for the whole table: its rows cover a range, not a day
        span = f"{tb.start}..{tb.end}" if tb.start else "an unknown range"
        chunk = t.build_chunk("web_daily", SOURCE, frame.head(0), {}, rows_read=frame.height)
        chunk.errors.append(
            RowError(
                row_number=tb.header_line,
                column="Date",
                reason=f"table has no Date dimension and covers {span}; add the Date dimension to the report",
                raw=dict(zip(cols, cols, strict=False)),
            )
        )
        yield chunk
        return
    for start in range(0, frame.height, options.batch_rows):
        raw = frame.slice(start, options.batch_rows)
        n = raw.height
        first = t.col(raw, cols[0]).fill_null("")
        keep = ~first.str.to_lowercase().str.contains(r"^(grand total|total)")
        p, bad = t.parse_columns(
            raw,
            {
                "date": t.Spec("date", f["date"], ("%Y%m%d", "%Y-%m-%d")),
                "sessions": t.Spec("int", f["sessions"]),
                "users": t.Spec("int", f["users"]),
                "new_users": t.Spec("int", f["new_users"]),
                "key_events": t.Spec("float", f["key_events"]),
                "revenue": t.Spec("money", f["revenue"]),
            },
        )
        day = p["date"] if f["date"] else pl.Series([single_day] * n, dtype=pl.Date)
        source = t.col(raw, f["source"])
        medium = t.col(raw, f["medium"])
        if f["source_medium"]:
            sm = t.col(raw, f["source_medium"]).str.split_exact(" / ", 1)
            source = source.fill_null(sm.struct.field("field_0").str.strip_chars())
            medium = medium.fill_null(sm.struct.field("field_1").str.strip_chars())
        channel = t.col(raw, f["channel"])
        if f["channel"] is None:
            channel = t.channel_series(source, medium, n)
        currency = pl.Series([rep] * n, dtype=pl.Utf8)
        vals = {k: p[k].fill_null(0) for k in ("sessions", "users", "new_users", "key_events")}
        revenue = p["revenue"].fill_null(0).cast(t.MONEY)
        checks = [
            t.Check(bad["date"] | day.is_null(), "date", f["date"], t.reason_date("YYYYMMDD")),
            *(
                t.Check(bad[k], k, f[k], t.reason_number)
                for k in ("sessions", "users", "new_users", "key_events")
            ),
            t.Check(bad["revenue"], "revenue", f["revenue"], t.reason_number),
            *(t.Check(vals[k] < 0, k, f[k], t.reason_negative) for k in ("sessions", "users", "new_users")),
        ]
        yield t.build_chunk(
            "web_daily",
            SOURCE,
            raw,
            {
                "source_id": t.stable_id(day, channel, source, medium),
                "date": day,
                "channel": channel,
                "source_name": source,
                "medium": medium,
                "currency": currency,
                "revenue": revenue,
                "revenue_reporting": revenue,
                **vals,
            },
            checks,
            keep=keep,
            skip_reason=SKIP_SUMMARY,
        )
