"""Meta Ads Manager "Export table data" (CSV) -> ad_daily rows with platform ``meta_ads``.

The first data row is a summary with blank dimension columns; the currency is in a header
(``Amount spent (EUR)``) unless a Currency column is exported.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from data.connectors import _ads
from data.connectors import _text as t
from data.connectors.base import SKIP_SUMMARY, Chunk, ParseOptions

SOURCE = "meta_ads"
PLATFORM = "meta_ads"
FORMATS = (
    "Meta Ads export (Reporting starts, Reporting ends, Campaign name, Amount spent (USD), Impressions, ...)",
)

_STARTS = ("Reporting starts", "Inicio del informe", "Début du rapport", "Berichtsstart", "Day", "Date")
_ENDS = ("Reporting ends", "Fin del informe", "Fin du rapport", "Berichtsende")
_CAMPAIGN = ("Campaign name", "Nombre de la campaña", "Nom de la campagne", "Name der Kampagne")
#: dimensions that identify a row; when all are blank the row is the summary row
_DIMENSIONS = (*_CAMPAIGN, "Ad set name", "Ad name", "Account name", "Campaign ID")
_SPENT = ("Amount spent", "Importe gastado", "Montant dépensé", "Ausgegebener Betrag")
#: the "Platform" and "Placement" breakdowns (Breakdown > By delivery)
_PLATFORM = ("Platform", "Plataforma", "Plateforme", "Plattform")
_PLACEMENT = ("Placement", "Ubicación", "Placement (emplacement)", "Platzierung")


def _spent_column(cols: list[str]) -> str | None:
    for prefix in _SPENT:
        hit = t.find_column_prefix(cols, prefix)
        if hit:
            return hit
    return None


def _platforms(
    raw: pl.DataFrame, platform_col: str | None, placement_col: str | None
) -> tuple[pl.Series, pl.Series]:
    """Each row's ad_daily platform and the platform part of its key.

    Instagram is a Meta placement that owners want to see on its own, so a ``Platform`` breakdown
    row for Instagram gets platform ``instagram``; every other Meta platform stays ``meta_ads``. The
    key keeps rows of one campaign and day apart per platform and placement; a Facebook row (or a
    file without the breakdown) keeps the plain ``meta_ads`` key it always had.
    """
    platform = t.col(raw, platform_col).str.strip_chars().str.to_lowercase().str.replace_all(r"[\s_]+", "_")
    placement = t.col(raw, placement_col).str.strip_chars().str.to_lowercase()
    shown = pl.select(
        pl.when(pl.lit(platform).str.starts_with("instagram"))
        .then(pl.lit("instagram"))
        .otherwise(pl.lit(PLATFORM))
    ).to_series()
    plain = (platform.is_null() | (platform == "facebook")) & placement.is_null()
    key = pl.select(
        pl.when(pl.lit(plain).fill_null(False))
        .then(pl.lit(PLATFORM))
        .otherwise(
            pl.concat_str(
                [pl.lit(PLATFORM), pl.lit(platform).fill_null(""), pl.lit(placement).fill_null("")],
                separator=":",
            )
        )
    ).to_series()
    return shown, key


def sniff(head: str) -> float:
    """Score a Meta export: an ``Amount spent (...)`` column plus reporting dates/impressions."""
    for line in t.head_lines(head, 3):
        cells = t.split_line(line)
        if not cells or _spent_column(cells) is None:
            continue
        names = {t.norm(c) for c in cells}
        extra = sum(
            1
            for c in (*_STARTS, *_ENDS, "Impressions", "Reach", "Frequency", *_CAMPAIGN, "Account name")
            if t.norm(c) in names
        )
        return 0.95 if extra >= 2 else 0.7
    return 0.0


def parse(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Yield ad_daily chunks.

    The date is the row's ``Reporting starts`` (one row per day in a daily breakdown); the campaign is
    Campaign name, else Ad set/Ad/Account name.
    """
    path = Path(path)
    reader = t.CsvBatches(path)
    cols = reader.columns
    spent = _spent_column(cols)
    f = {
        "date": t.find_column(cols, *_STARTS),
        "campaign": t.find_column(cols, *_CAMPAIGN, "Ad set name", "Ad name", "Account name"),
        "campaign_id": t.find_column(cols, "Campaign ID"),
        "impressions": t.find_column(cols, "Impressions", "Impresiones"),
        "clicks": t.find_column(cols, "Link clicks", "Clicks (all)", "Clicks", "Clics en el enlace"),
        "conversions": t.find_column(cols, "Purchases", "Results", "Compras", "Resultados"),
        "conversion_value": t.find_column(cols, "Purchases conversion value", "Purchase conversion value"),
        "currency": t.find_column(cols, "Currency", "Divisa", "Devise", "Währung"),
        "platform": t.find_column(cols, *_PLATFORM),
        "placement": t.find_column(cols, *_PLACEMENT),
    }
    t.missing_columns(
        path, "a Meta Ads export", cols, **{"Reporting starts": f["date"], "Amount spent": spent}
    )
    header_ccy = t.currency_from_header(spent or "")
    dims = [c for c in (t.find_column(cols, d) for d in _DIMENSIONS) if c is not None]
    rep = options.reporting_currency.upper()

    def chunks() -> Iterator[Chunk]:
        for raw in reader.iter(options.batch_rows):
            n = raw.height
            keep = pl.Series([True] * n, dtype=pl.Boolean)
            if dims:
                keep = ~raw.select(pl.all_horizontal([pl.col(d).is_null() for d in dims])).to_series()
            p, bad = t.parse_columns(
                raw,
                {
                    "date": t.Spec(
                        "date", f["date"], ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S")
                    ),
                    "impressions": t.Spec("int", f["impressions"]),
                    "clicks": t.Spec("int", f["clicks"]),
                    "spend": t.Spec("precise_money", spent),
                    "conversions": t.Spec("float", f["conversions"]),
                    "conversion_value": t.Spec("precise_money", f["conversion_value"]),
                    "currency": t.Spec("currency", f["currency"]),
                },
            )
            currency = p["currency"]
            if header_ccy:
                currency = currency.fill_null(header_ccy)
            elif not f["currency"]:
                currency = currency.fill_null(rep)
            platform, platform_key = _platforms(raw, f["platform"], f["placement"])
            # "-" means "no data": a zero for these additive metrics (the shared builder's rule);
            # the row id keeps platform and placement, so Instagram stays a value of its own
            yield _ads.ad_daily_chunk(
                SOURCE,
                platform,
                raw,
                p,
                bad,
                {**f, "spend": spent},  # canonical name -> the file's header
                campaign=t.col(raw, f["campaign"]),
                campaign_id=t.col(raw, f["campaign_id"]),
                currency=currency,
                reporting_currency=rep,
                date_hint="YYYY-MM-DD",
                keep=keep,
                skip_reason=SKIP_SUMMARY,
                blank_rows=reader.take_blank(),
                platform_key=platform_key,
                money=t.PRECISE_MONEY,
            )

    # an hourly/device/age ... export: one row per campaign and day, its segments summed
    yield from _ads.sum_breakdowns(
        chunks(),
        _ads.breakdown_columns(
            cols, key=(f["date"], f["campaign"], f["campaign_id"], f["platform"], f["placement"])
        ),
    )
