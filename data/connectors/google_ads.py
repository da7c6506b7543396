"""Google Ads campaign report downloads (CSV, or the UTF-16LE tab-separated "Excel CSV") -> ad_daily rows with platform ``google_ads``.

The file starts with a title line and a date-range line before the header; ``Total: ...``
rows at the end are summaries, not campaigns.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import polars as pl

from data.connectors import _ads
from data.connectors import _text as t
from data.connectors.base import SKIP_SUMMARY, Chunk, ParseOptions, UnrecognisedFile

SOURCE = "google_ads"
PLATFORM = "google_ads"
FORMATS = ("Google Ads campaign report (title, date range, then Campaign, Day, Impr., Clicks, Cost, ...)",)

# English headers first, then common translations (German, French, Spanish)
_CAMPAIGN = ("Campaign", "Kampagne", "Campagne", "Campaña")
_CAMPAIGN_ID = ("Campaign ID", "Kampagnen-ID", "ID de la campagne", "ID de campaña")
_DAY = ("Day", "Date", "Tag", "Jour", "Día")
_IMPR = ("Impr.", "Impressions", "Impressionen", "Impresiones")
_CLICKS = ("Clicks", "Klicks", "Clics")
_COST = ("Cost", "Kosten", "Coût", "Costo", "Coste")
_CONV = ("Conversions", "Conversions ", "Conversiones")
_CONV_VALUE = ("Conv. value", "Conversion value", "Conv.-Wert", "Valeur de conv.", "Valor de conv.")
_CURRENCY = ("Currency code", "Currency", "Währungscode", "Code de la devise", "Código de moneda")
_METRICS = (
    _IMPR + _CLICKS + _COST + ("Interactions", "Avg. CPC", "Campaign status", "Campaign type") + _CURRENCY
)


def _is_header(cells: list[str]) -> bool:
    names = {t.norm(c) for c in cells}
    has_campaign = any(t.norm(c) in names for c in _CAMPAIGN)
    metrics = sum(1 for m in _METRICS if t.norm(m) in names)
    return has_campaign and metrics >= 2


def sniff(head: str) -> float:
    """Score a Google Ads report.

    a header with Campaign plus metric columns, usually after a title and date-range preamble.
    """
    lines = t.head_lines(head, 6)
    for i, line in enumerate(lines):
        cells = t.split_line(line)
        if cells and _is_header(cells):
            score = 0.75
            if i >= 1 and "report" in lines[0].lower() or i == 2:
                score = 0.95
            return score
    return 0.0


def _range_dates(preamble: list[str]) -> tuple[date | None, date | None]:
    """Parse ``"March 27, 2026 - April 23, 2026"`` (or a single day) from the preamble."""
    for line in preamble:
        text = line.strip().strip('"')
        parts = [p.strip() for p in re.split(r"\s+[-–]\s+", text)]
        days = []
        for p in parts:
            for fmt in ("%B %d, %Y", "%b %d, %Y", "%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
                try:
                    days.append(datetime.strptime(p, fmt).date())
                    break
                except ValueError:
                    continue
        if days:
            return days[0], days[-1]
    return None, None


def parse(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Yield ad_daily chunks; rows need a ``Day`` column unless the report covers one day."""
    path = Path(path)
    header_line = t.locate_header(path, _is_header, max_lines=10)
    preamble = t.head_lines(t.read_head(path), header_line - 1)
    reader = t.CsvBatches(path, header_line=header_line)
    cols = reader.columns
    f = {
        "campaign": t.find_column(cols, *_CAMPAIGN),
        "campaign_id": t.find_column(cols, *_CAMPAIGN_ID),
        "date": t.find_column(cols, *_DAY),
        "impressions": t.find_column(cols, *_IMPR),
        "clicks": t.find_column(cols, *_CLICKS),
        "spend": t.find_column(cols, *_COST),
        "conversions": t.find_column(cols, *_CONV),
        "conversion_value": t.find_column(cols, *_CONV_VALUE),
        "currency": t.find_column(cols, *_CURRENCY),
    }
    single_day = None
    if f["date"] is None:
        start, end = _range_dates(preamble)
        if start is None or start != end:
            raise UnrecognisedFile(
                f"{path.name}: Google Ads report without a Day column covering "
                f"{preamble[1].strip() if len(preamble) > 1 else 'an unknown range'}; "
                "download it again with the Day segment (Segment > Time > Day)"
            )
        single_day = start
    first_col = cols[0]
    dc: bool | None = True if reader.separator == ";" else None
    rep = options.reporting_currency.upper()

    def chunks() -> Iterator[Chunk]:
        nonlocal dc
        for raw in reader.iter(options.batch_rows):
            n = raw.height
            if dc is None:  # localized downloads (often the tab-separated one) use decimal commas
                dc = t.guess_decimal_comma(t.col(raw, f["spend"]), t.col(raw, f["conversions"]))
            first = t.col(raw, first_col).fill_null("")
            campaign_raw = t.col(raw, f["campaign"])
            # "Total: Account" / "Total: Campaigns" ... summary rows are not campaigns
            keep = ~first.str.starts_with("Total") & ~campaign_raw.fill_null("").str.starts_with("Total:")
            p, bad = t.parse_columns(
                raw,
                {
                    "date": t.Spec(
                        "date", f["date"], ("%Y-%m-%d", *t.LONG_DATE, "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y")
                    ),
                    "impressions": t.Spec("int", f["impressions"]),
                    "clicks": t.Spec("int", f["clicks"]),
                    "spend": t.Spec("precise_money", f["spend"]),
                    "conversions": t.Spec("float", f["conversions"]),
                    "conversion_value": t.Spec("precise_money", f["conversion_value"]),
                    "currency": t.Spec("currency", f["currency"]),
                },
                dc,
            )
            if single_day is not None:  # a one-day report without a Day column: that day for every row
                p = p.with_columns(pl.Series("date", [single_day] * n, dtype=pl.Date))
            currency = p["currency"] if f["currency"] else pl.Series([rep] * n, dtype=pl.Utf8)
            # " --" means "no data": a zero for these additive metrics (the shared builder's rule)
            yield _ads.ad_daily_chunk(
                SOURCE,
                PLATFORM,
                raw,
                p,
                bad,
                f,  # canonical name -> the file's header
                campaign=campaign_raw,
                campaign_id=t.col(raw, f["campaign_id"]),
                currency=currency,
                reporting_currency=rep,
                date_hint="YYYY-MM-DD",
                keep=keep,
                skip_reason=SKIP_SUMMARY,
                blank_rows=reader.take_blank(),
                money=t.PRECISE_MONEY,
            )

    # an hourly/device/age ... export: one row per campaign and day, its segments summed
    yield from _ads.sum_breakdowns(
        chunks(), _ads.breakdown_columns(cols, key=(f["campaign"], f["campaign_id"], f["date"]))
    )
