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
        "day": t.find_column(cols, *_DAY),
        "impr": t.find_column(cols, *_IMPR),
        "clicks": t.find_column(cols, *_CLICKS),
        "cost": t.find_column(cols, *_COST),
        "conv": t.find_column(cols, *_CONV),
        "conv_value": t.find_column(cols, *_CONV_VALUE),
        "currency": t.find_column(cols, *_CURRENCY),
    }
    single_day = None
    if f["day"] is None:
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
                dc = t.guess_decimal_comma(t.col(raw, f["cost"]), t.col(raw, f["conv"]))
            first = t.col(raw, first_col).fill_null("")
            campaign_raw = t.col(raw, f["campaign"])
            # "Total: Account" / "Total: Campaigns" ... summary rows are not campaigns
            keep = ~first.str.starts_with("Total") & ~campaign_raw.fill_null("").str.starts_with("Total:")
            p, bad = t.parse_columns(
                raw,
                {
                    "date": t.Spec(
                        "date", f["day"], ("%Y-%m-%d", *t.LONG_DATE, "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y")
                    ),
                    "impressions": t.Spec("int", f["impr"]),
                    "clicks": t.Spec("int", f["clicks"]),
                    "spend": t.Spec("precise_money", f["cost"]),
                    "conversions": t.Spec("float", f["conv"]),
                    "conversion_value": t.Spec("precise_money", f["conv_value"]),
                    "currency": t.Spec("currency", f["currency"]),
                },
                dc,
            )
            day = p["date"] if single_day is None else pl.Series([single_day] * n, dtype=pl.Date)
            currency = p["currency"] if f["currency"] else pl.Series([rep] * n, dtype=pl.Utf8)
            # " --" means "no data": a zero for these additive metrics
            zero = {
                "impressions": p["impressions"].fill_null(0),
                "clicks": p["clicks"].fill_null(0),
                "spend": p["spend"].fill_null(0).cast(t.PRECISE_MONEY),
                "conversions": p["conversions"].fill_null(0.0),
                "conversion_value": p["conversion_value"].fill_null(0).cast(t.PRECISE_MONEY),
            }
            campaign = campaign_raw.str.strip_chars()
            campaign_id = t.col(raw, f["campaign_id"])
            key = campaign_id.fill_null(campaign)
            checks = [
                t.Check(bad["date"] | day.is_null(), "date", f["day"], t.reason_date("YYYY-MM-DD")),
                t.Check(campaign.is_null(), "campaign", f["campaign"], lambda v: "empty campaign name"),
                t.Check(bad["impressions"], "impressions", f["impr"], t.reason_number),
                t.Check(bad["clicks"], "clicks", f["clicks"], t.reason_number),
                t.Check(bad["spend"], "spend", f["cost"], t.reason_number),
                t.Check(bad["conversions"], "conversions", f["conv"], t.reason_number),
                t.Check(bad["currency"], "currency", f["currency"], t.reason_currency),
                t.Check((zero["impressions"] < 0), "impressions", f["impr"], t.reason_negative),
                t.Check((zero["clicks"] < 0), "clicks", f["clicks"], t.reason_negative),
                t.Check((zero["spend"] < 0), "spend", f["cost"], t.reason_negative),
            ]
            yield t.build_chunk(
                "ad_daily",
                SOURCE,
                raw,
                {
                    "source_id": t.stable_id(pl.Series([PLATFORM] * n), key, day),
                    "date": day,
                    "platform": PLATFORM,
                    "campaign_id": campaign_id,
                    "campaign": campaign,
                    "currency": currency,
                    "spend_reporting": t.reporting(zero["spend"], currency, rep),
                    "conversion_value_reporting": t.reporting(zero["conversion_value"], currency, rep),
                    **zero,
                },
                checks,
                keep=keep,
                skip_reason=SKIP_SUMMARY,
                blank_rows=reader.take_blank(),
            )

    # an hourly/device/age ... export: one row per campaign and day, its segments summed
    yield from _ads.sum_breakdowns(
        chunks(), _ads.breakdown_columns(cols, key=(f["campaign"], f["campaign_id"], f["day"]))
    )
