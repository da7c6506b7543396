"""reconcile.FileTotals: a file's own totals, accumulated once per file over all its chunks."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from data.reconcile import FileTotals
from data.schema import conform


def _payments(*rows: tuple[str, str, str, str, str, str]) -> pl.DataFrame:
    """Payments rows (source_id, kind, amount, amount_refunded, fee, currency) as a chunk has them."""
    frame = pl.DataFrame(
        {
            "source": ["stripe"] * len(rows),
            "source_id": [r[0] for r in rows],
            "kind": [r[1] for r in rows],
            "amount": [Decimal(r[2]) for r in rows],
            "amount_refunded": [Decimal(r[3]) for r in rows],
            "fee": [Decimal(r[4]) for r in rows],
            "currency": [r[5] for r in rows],
        }
    )
    return conform("payments", frame)


def _ads(*rows: tuple[str, int, int, str]) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "source": ["meta_ads"] * len(rows),
            "source_id": [r[0] for r in rows],
            "impressions": [r[1] for r in rows],
            "clicks": [r[2] for r in rows],
            "spend": [Decimal(r[3]) for r in rows],
            "currency": ["USD"] * len(rows),
        }
    )
    return conform("ad_daily", frame)


def test_rec101_chunks_add_up_to_the_file_read_whole():
    rows = [
        ("ch_1", "charge", "10.00", "0", "0.59", "usd"),
        ("ch_2", "charge", "20.00", "5.00", "0.88", "USD"),
        ("re_1", "refund", "3.00", "0", "0", "EUR"),
        ("ch_3", "charge", "7.50", "0", "0.52", "EUR"),
    ]
    whole, chunked = FileTotals(), FileTotals()
    whole.add("payments", _payments(*rows))
    for row in rows:  # one chunk per row
        chunked.add("payments", _payments(row))
    expected = {
        "rows payments": 4,
        "gross USD": Decimal("30.00"),
        "refunds USD": Decimal("5.00"),
        "fees USD": Decimal("1.47"),
        "gross EUR": Decimal("7.50"),
        "refunds EUR": Decimal("3.00"),
        "fees EUR": Decimal("0.52"),
    }
    assert whole.totals().values == expected
    assert chunked.totals().values == expected


def test_rec102_an_id_repeated_in_a_later_chunk_counts_once_with_its_last_row():
    totals = FileTotals()
    totals.add("payments", _payments(("ch_1", "charge", "10.00", "0", "1.00", "USD")))
    totals.add("payments", _payments(("ch_2", "charge", "20.00", "0", "1.00", "USD")))
    # ch_1 again, refunded since: the upsert keeps this row, so must the file's totals
    totals.add("payments", _payments(("ch_1", "charge", "10.00", "10.00", "1.00", "USD")))
    assert totals.totals().values == {
        "rows payments": 2,
        "gross USD": Decimal("30.00"),
        "refunds USD": Decimal("10.00"),
        "fees USD": Decimal("2.00"),
    }


def test_rec103_a_repeat_within_a_chunk_and_across_chunks_keeps_the_very_last_row():
    totals = FileTotals()
    totals.add(
        "payments",
        _payments(("ch_1", "charge", "1.00", "0", "0", "USD"), ("ch_1", "charge", "2.00", "0", "0", "USD")),
    )
    totals.add("payments", _payments(("ch_1", "charge", "3.00", "0", "0", "USD")))
    totals.add("payments", _payments(("ch_2", "charge", "4.00", "0", "0", "USD")))
    assert totals.totals().values["gross USD"] == Decimal("7.00")
    assert totals.totals().values["rows payments"] == 2


def test_rec104_the_same_id_from_two_sources_is_two_rows():
    totals = FileTotals()
    a = _payments(("1", "charge", "1.00", "0", "0", "USD"))
    totals.add("payments", a)
    totals.add("payments", a.with_columns(pl.lit("paypal").alias("source")))
    assert totals.totals().values["rows payments"] == 2


def test_rec105_counts_and_precise_spend_over_chunks_of_ad_rows():
    totals = FileTotals()
    totals.add("ad_daily", _ads(("a", 100, 3, "1.12345678"), ("b", 50, 1, "0.00000001")))
    totals.add("ad_daily", _ads(("c", 7, 0, "2.5"), ("a", 110, 4, "1.2")))  # a: its last row
    values = totals.totals().values
    assert values["rows ad_daily"] == 3
    assert values["impressions"] == 167 and values["clicks"] == 5
    assert values["spend USD"] == Decimal("3.70000001")


def test_rec106_no_chunks_no_totals():
    totals = FileTotals()
    totals.add("payments", _payments())
    assert totals.totals().values == {}


def test_rec107_a_repeat_in_another_currency_moves_the_money_to_that_currency():
    totals = FileTotals()
    totals.add("payments", _payments(("ch_1", "charge", "10.00", "0", "1.00", "EUR")))
    totals.add("payments", _payments(("ch_2", "charge", "5.00", "0", "0", "EUR")))
    totals.add("payments", _payments(("ch_1", "charge", "11.00", "0", "1.10", "USD")))
    values = totals.totals().values
    assert values["rows payments"] == 2
    assert (values["gross EUR"], values["fees EUR"]) == (Decimal("5.00"), Decimal("0.00"))
    assert (values["gross USD"], values["fees USD"]) == (Decimal("11.00"), Decimal("1.10"))
    assert totals.totals().values == values  # asking twice changes nothing


def test_rec108_many_chunks_with_many_repeats_match_the_rows_read_whole():
    rows = [(f"ch_{i % 37}", "charge", f"{i}.{i % 100:02d}", "0", f"0.{i % 10}0", "USD") for i in range(400)]
    chunked = FileTotals()
    for start in range(0, len(rows), 7):
        chunked.add("payments", _payments(*rows[start : start + 7]))
    last = {r[0]: r for r in rows}  # the last row of each id
    assert chunked.totals().values == {
        "rows payments": 37,
        "gross USD": sum(Decimal(r[2]) for r in last.values()),
        "refunds USD": Decimal("0.00"),
        "fees USD": sum(Decimal(r[4]) for r in last.values()),
    }
    chunked.close()
