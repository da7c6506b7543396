"""LinkedIn Campaign Manager "Campaign performance" export (CSV) -> ad_daily rows with platform ``linkedin_ads``.

Campaign Manager writes the file as UTF-16 with tabs, starting with a block of report lines
(``Campaign Performance Report``, ``Report Start: ...``, ``Time zone: ...``) and a blank line
before the header. With the daily time breakdown each row is one campaign on one day
(``Start Date (in UTC)``, ``3/1/2024``); counts carry thousands separators and rates are
``0.77%`` strings (recomputed, not read).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from data.connectors import _ads
from data.connectors import _text as t
from data.connectors.base import Chunk, ParseOptions

SOURCE = "linkedin_ads"
PLATFORM = "linkedin_ads"
FORMATS = (
    "LinkedIn Campaign Manager campaign performance (Start Date (in UTC), Campaign Name, Total Spent, Impressions, ...)",
)

_DAY = ("Start Date (in UTC)", "Start Date", "Date", "Day")
_SPENT = ("Total Spent", "Amount Spent", "Spend")
_CONV = ("Conversions", "Total Conversions")
_CONV_VALUE = ("Total Conversion Value", "Conversion Value")


def _is_header(cells: list[str]) -> bool:
    names = {t.norm(c) for c in cells}
    has = lambda options: any(t.norm(o) in names for o in options)  # noqa: E731
    return (
        has(("Campaign Name",))
        and has(_SPENT)
        and has(("Impressions",))
        and has((*_DAY, "Campaign Group Name"))
    )


def sniff(head: str) -> float:
    """Score a LinkedIn report: its header within the first lines, surer after the report preamble."""
    lines = t.head_lines(head, 15)
    for i, line in enumerate(lines):
        cells = t.split_line(line)
        if cells and _is_header(cells):
            names = {t.norm(c) for c in cells}
            linkedin_only = {
                "campaign group name",
                "start date (in utc)",
                "total social actions",
                "viral impressions",
            }
            return 0.95 if names & linkedin_only or i > 0 else 0.7
    return 0.0


def parse(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Yield ad_daily chunks; the day is ``Start Date (in UTC)`` (LinkedIn reports days in UTC)."""
    path = Path(path)
    header_line = t.locate_header(path, _is_header, max_lines=20)
    reader = t.CsvBatches(path, header_line=header_line)
    cols = reader.columns
    f = {
        "date": t.find_column(cols, *_DAY),
        "campaign": t.find_column(cols, "Campaign Name"),
        "campaign_id": t.find_column(cols, "Campaign ID"),
        "impressions": t.find_column(cols, "Impressions"),
        "clicks": t.find_column(cols, "Clicks"),
        "spend": t.find_column(cols, *_SPENT),
        "conversions": t.find_column(cols, *_CONV),
        "conversion_value": t.find_column(cols, *_CONV_VALUE),
        "currency": t.find_column(cols, "Currency"),
    }
    t.missing_columns(
        path, "a LinkedIn campaign performance report", cols, **{"Start Date (in UTC)": f["date"]}
    )
    rep = options.reporting_currency.upper()
    dc = True if reader.separator == ";" else None

    def chunks() -> Iterator[Chunk]:
        for raw in reader.iter(options.batch_rows):
            specs = {k: t.Spec(kind, f[k]) for k, kind in _ads.METRIC_KINDS.items()}
            specs["date"] = t.Spec("date", f["date"], ("%m/%d/%Y", "%Y-%m-%d", "%d/%m/%Y"))
            specs["currency"] = t.Spec("currency", f["currency"])
            p, bad = t.parse_columns(raw, specs, dc)
            currency = p["currency"] if f["currency"] else p["currency"].fill_null(rep)
            yield _ads.ad_daily_chunk(
                SOURCE,
                PLATFORM,
                raw,
                p,
                bad,
                f,
                campaign=t.col(raw, f["campaign"]),
                campaign_id=t.col(raw, f["campaign_id"]),
                currency=currency,
                reporting_currency=rep,
                date_hint="M/D/YYYY",
            )

    # an hourly/device/age ... export: one row per campaign and day, its segments summed
    yield from _ads.sum_breakdowns(
        chunks(), _ads.breakdown_columns(cols, key=(f["date"], f["campaign"], f["campaign_id"]))
    )
