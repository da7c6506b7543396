"""Shared helpers: numbers, dates, currencies, hashing, channels, encodings, streaming."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal

import polars as pl
import pytest

from data.connectors import _text as t

S = lambda *v: pl.Series("x", list(v), dtype=pl.Utf8)  # noqa: E731


def test_con001_parse_float_handles_vendor_spellings():
    got = t.parse_float(
        S("1,356,884", "1.234,56", "0,25", " --", "n/a", "-", None, "12.5", "(3.00)")
    ).to_list()
    assert got == [1356884.0, 1234.56, 0.25, None, None, None, None, 12.5, -3.0]


def test_con002_percent_strings_become_fractions():
    got = t.parse_float(S("3.2%", "< 10%", "> 90%", "27.78%")).to_list()
    assert got == pytest.approx([0.032, 0.1, 0.9, 0.2778])
    assert t.parse_percent(S("27.78", "5")).to_list() == pytest.approx([0.2778, 0.05])


def test_con003_parse_money_is_exact_decimal_and_rounds():
    got = t.parse_money(S("15.00", "1.234,56", "$1,011.70", "0,25", "50.12345678", "abc", "--"))
    assert got.dtype == pl.Decimal(18, 2)
    assert got.to_list() == [
        Decimal("15.00"),
        Decimal("1234.56"),
        Decimal("1011.70"),
        Decimal("0.25"),
        Decimal("50.12"),
        None,
        None,
    ]


def test_con004_parse_int_reads_dot_thousands_as_thousands():
    assert t.parse_int(S("1.234", "1,356,884", "7", " --")).to_list() == [1234, 1356884, 7, None]


def test_con005_datetimes_in_each_vendor_format_to_naive_utc():
    assert t.parse_datetime(S("2024-06-07 02:38:54", "2025-12-31 14:30"), t.ISO_DATETIME).to_list() == [
        datetime(2024, 6, 7, 2, 38, 54),
        datetime(2025, 12, 31, 14, 30),
    ]
    assert t.parse_datetime(S("2026-04-05 21:06:21 +0400"), t.SHOPIFY_DATETIME).to_list() == [
        datetime(2026, 4, 5, 17, 6, 21)
    ]
    mc = t.parse_datetime(
        S("Jun 09, 2018 09:30 pm", "2/24/17 11:29"), t.MAILCHIMP_DATETIME, "America/New_York"
    )
    assert mc.to_list() == [datetime(2018, 6, 10, 1, 30), datetime(2017, 2, 24, 16, 29)]
    assert t.parse_date(S("20250101", "x"), t.GA4_DATE).to_list() == [date(2025, 1, 1), None]


def test_con006_day_first_is_decided_by_the_values():
    assert t.day_first(["01/02/2024", "13/02/2024"]) is True
    assert t.day_first(["02/13/2024"]) is False
    assert t.day_first(["01/02/2024"]) is None


def test_con007_currency_normalised_and_unknown_codes_null():
    assert t.parse_currency(S("usd", " Eur ", "xyz", None)).to_list() == ["USD", "EUR", None, None]
    assert t.currency_from_header("Amount spent (EUR)") == "EUR"
    assert t.currency_from_header("Sale Price ($)") == "USD"


def test_con008_email_hash_is_sha256_of_lower_stripped_email():
    want = hashlib.sha256(b"ann@example.com").hexdigest()
    got = t.email_hash(S(" Ann@Example.COM ", "ann@example.com", None, "")).to_list()
    assert got == [want, want, None, None]
    assert t.email_hash_one(" ANN@example.com") == want


def test_con009_channel_mapping_to_ga4_labels():
    src = S("google", "facebook", "newsletter", "google", "instagram", "blog.example.com", None, "bing")
    med = S("cpc", "paid_social", "email", "organic", "social", "referral", None, "ppc")
    got = t.channel_series(src, med, 8).to_list()
    assert got == [
        "Paid Search",
        "Paid Social",
        "Email",
        "Organic Search",
        "Organic Social",
        "Referral",
        "Direct",
        "Paid Search",
    ]


def test_con010_separator_sniffing():
    assert t.sniff_separator('a;b;"c;d"') == ";"
    assert t.sniff_separator("a\tb\tc") == "\t"
    assert t.sniff_separator('"a,1",b') == ","


def test_con011_encoding_detection():
    assert t.detect_encoding("a,b\n".encode("utf-16-le")) == "utf-16-le"
    assert t.detect_encoding(b"\xff\xfea\x00") == "utf-16-le-bom"
    assert t.detect_encoding(b"\xef\xbb\xbfid") == "utf-8-sig"
    assert t.detect_encoding("Müller".encode("cp1252")) == "cp1252"


def test_con012_reader_streams_in_bounded_batches_with_line_numbers(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes(b'a,b\r\n1,"multi\r\nline"\r\n2,x\r\n3,y\r\n4,z\r\n5,w\r\n')
    batches = list(t.CsvBatches(p).iter(2))
    assert [b.height for b in batches] == [2, 2, 1]
    assert pl.concat(batches)[t.LINE_COL].to_list() == [2, 4, 5, 6, 7]


def test_con013_stable_id_is_stable_and_order_sensitive():
    a = t.stable_id(S("google_ads"), S("Brand"), S("2024-01-01"))[0]
    assert a == t.stable_id_one("google_ads", "Brand", "2024-01-01")
    assert a == hashlib.sha256(b"google_ads|Brand|2024-01-01").hexdigest()[:32]
    assert a != t.stable_id_one("google_ads", "2024-01-01", "Brand")
