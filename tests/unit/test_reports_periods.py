"""Relative report periods, specs and spreadsheet-safe text."""

from __future__ import annotations

from datetime import date

import pytest

from reports.cells import safe_text
from reports.definition import ReportError, ReportSpec, parse_formats, parse_sections
from reports.periods import PeriodError, period_label, resolve_period


@pytest.mark.parametrize(
    ("period", "today", "expected"),
    [
        ("yesterday", date(2026, 3, 1), (date(2026, 2, 28), date(2026, 2, 28))),
        ("last_week", date(2026, 11, 2), (date(2026, 10, 26), date(2026, 11, 1))),  # a Monday
        ("last_week", date(2026, 11, 8), (date(2026, 10, 26), date(2026, 11, 1))),  # a Sunday
        ("last_month", date(2026, 1, 15), (date(2025, 12, 1), date(2025, 12, 31))),
        ("last_quarter", date(2026, 2, 10), (date(2025, 10, 1), date(2025, 12, 31))),
        ("last_quarter", date(2026, 7, 1), (date(2026, 4, 1), date(2026, 6, 30))),
        ("month_to_date", date(2026, 5, 9), (date(2026, 5, 1), date(2026, 5, 9))),
        ("year_to_date", date(2026, 5, 9), (date(2026, 1, 1), date(2026, 5, 9))),
    ],
)
def test_resolve_period(period, today, expected):
    assert resolve_period(period, today) == expected


def test_unknown_period_names_the_accepted_ones():
    with pytest.raises(PeriodError, match="unknown period 'fortnight'; accepted: yesterday, last_week"):
        resolve_period("fortnight", date(2026, 1, 1))


def test_period_label():
    assert period_label(date(2026, 10, 1), date(2026, 10, 31)) == "1 – 31 Oct 2026"
    assert period_label(date(2026, 9, 28), date(2026, 10, 4)) == "28 Sep – 4 Oct 2026"
    assert period_label(date(2025, 12, 29), date(2026, 1, 4)) == "29 Dec 2025 – 4 Jan 2026"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+33 1 23", "'+33 1 23"),
        ("-cmd", "'-cmd"),
        ("@import", "'@import"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-12.5", "-12.5"),
        ("Retainer", "Retainer"),
        (None, ""),
    ],
)
def test_safe_text(value, expected):
    assert safe_text(value) == expected


def test_spec_json_round_trip_and_validation():
    spec = ReportSpec(
        sections=("kpis", "web"),
        period="custom",
        start=date(2026, 1, 1),
        end=date(2026, 1, 31),
        compare="previous_year",
        filters={"channel": "Email"},
    ).validate()
    assert ReportSpec.from_json(spec.to_json()) == spec
    with pytest.raises(ReportError, match="custom period needs both"):
        ReportSpec(period="custom").validate()
    with pytest.raises(ReportError, match="unknown comparison 'last_decade'"):
        ReportSpec(compare="last_decade").validate()


def test_parse_lists():
    assert parse_sections("revenue, web,revenue") == ("revenue", "web")
    assert parse_formats("PDF,xlsx") == ("pdf", "xlsx")
    with pytest.raises(ReportError, match="unknown format 'docx'; accepted: pdf, xlsx, csv"):
        parse_formats("pdf,docx")
