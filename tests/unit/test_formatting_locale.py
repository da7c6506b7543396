"""Number locales (components.formatting): a workspace's numbers as its locale writes them.

en-US must stay byte for byte what it was (the other formatting tests pin it); every other
locale takes its separators, grouping and currency/percent placement from CLDR, with the true
minus sign U+2212 where that locale puts its sign.
"""

from __future__ import annotations

import contextvars
import threading

import pytest

from components.figures import bar_figure, tick_format, trend_figure
from components.formatting import (
    DEFAULT_LOCALE,
    MINUS,
    NUMBER_LOCALES,
    current_locale,
    format_change,
    format_days,
    format_percent,
    format_tick,
    format_value,
    grid_formatter,
    hover_format,
    needs_compact,
    normalise_locale,
    number_style,
    numbers_as,
    plotly_separators,
    set_number_locale,
)
from reports.xlsx import number_format

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("locale", "value", "unit", "currency", "compact", "expected"),
    [
        ("de-DE", 1234.56, "currency", "EUR", False, f"1.234,56{NBSP}€"),
        ("de-DE", -3500, "currency", "EUR", False, f"{MINUS}3.500,00{NBSP}€"),
        ("de-DE", -3500, "currency", "CHF", False, f"{MINUS}3.500,00{NBSP}CHF"),  # "CHF " loses its space
        ("de-DE", 0.125, "ratio", "EUR", False, f"12,5{NBSP}%"),
        ("de-DE", 1_234_567, "count", "EUR", False, "1.234.567"),
        ("de-DE", 12.5, "number", "EUR", False, "12,50"),
        ("de-DE", 2.41, "multiple", "EUR", False, "2,41×"),
        ("de-DE", 113_004.12, "currency", "EUR", True, f"113k{NBSP}€"),
        ("de-DE", 11_340.0, "currency", "EUR", True, f"11,3k{NBSP}€"),
        ("de-DE", -1_234_567.0, "currency", "EUR", True, f"{MINUS}1,23M{NBSP}€"),
        ("de-DE", 0.554, "currency", "EUR", True, f"0,55{NBSP}€"),  # a compact CPC keeps its cents
        ("de-DE", -0.001, "currency", "EUR", False, f"0,00{NBSP}€"),  # never "−0,00 €"
        ("de-DE", None, "currency", "EUR", False, "—"),
        ("fr-FR", 1234.56, "currency", "EUR", False, f"1{NNBSP}234,56{NBSP}€"),
        ("fr-FR", -3500, "currency", "EUR", False, f"{MINUS}3{NNBSP}500,00{NBSP}€"),
        ("fr-FR", 0.125, "ratio", "EUR", False, f"12,5{NBSP}%"),
        ("fr-FR", 12345, "count", "EUR", False, f"12{NNBSP}345"),
        ("en-GB", 1234.56, "currency", "GBP", False, "£1,234.56"),
        ("en-GB", -3500, "currency", "GBP", False, f"{MINUS}£3,500.00"),
        ("en-GB", 0.125, "ratio", "GBP", False, "12.5%"),
        # nl-NL writes the sign after the symbol: € −3.500,00
        ("nl-NL", -3500, "currency", "EUR", False, f"€{NBSP}{MINUS}3.500,00"),
        ("nl-NL", 1234.56, "currency", "EUR", False, f"€{NBSP}1.234,56"),
        ("pt-BR", -3500, "currency", "BRL", False, f"{MINUS}R${NBSP}3.500,00"),
        # en-IN groups lakhs and crores
        ("en-IN", 12_345_678.9, "currency", "INR", False, "₹1,23,45,678.90"),
        ("en-IN", 1_234_567, "count", "INR", False, "12,34,567"),
        ("de-CH", 1234.5, "count", "CHF", False, "1’234"),
        ("de-DE", 1234.5, "currency", "JPY", False, f"1.234{NBSP}¥"),  # yen without decimals
    ],
)
def test_loc001_values_in_a_locale(locale, value, unit, currency, compact, expected):
    with numbers_as(locale):
        assert format_value(value, unit, currency, compact=compact) == expected


@pytest.mark.parametrize(
    ("locale", "change", "unit", "expected"),
    [
        ("de-DE", 0.029, "ratio", "+2,9 pp"),
        ("de-DE", -0.068, "points", f"{MINUS}6,8 pp"),
        ("de-DE", 0.123, "percent", f"+12,3{NBSP}%"),
        ("de-DE", -0.00001, "percent", f"0,0{NBSP}%"),  # flat: no sign
        ("de-DE", 0.00001, "ratio", "0,0 pp"),
        ("fr-FR", 12.345, "percent", f"+1{NNBSP}234,5{NBSP}%"),
        ("en-GB", -0.123, "percent", f"{MINUS}12.3%"),
        ("nl-NL", 0.123, "percent", "+12,3%"),
        # en-US grouped its thousands too: "+1319.5%" beside "+1.319,5 %" in de-DE
        ("en-US", 13.195, "percent", "+1,319.5%"),
        ("de-DE", 13.195, "percent", f"+1.319,5{NBSP}%"),
    ],
)
def test_loc002_changes_in_a_locale(locale, change, unit, expected):
    with numbers_as(locale):
        assert format_change(change, unit) == expected


def test_loc003_durations_ticks_and_percent_in_a_locale():
    with numbers_as("de-DE"):
        assert format_days(2.5) == "2,5 days"  # the words stay English: the interface is
        assert format_value(14.2, "months") == "14 months"
        assert format_tick(-2000, "currency", "EUR") == f"{MINUS}2k{NBSP}€"
        assert format_tick(1500, "count") == "1,5k"
        assert format_percent(0.456, 0) == f"46{NBSP}%"


VALUES = [
    (-3500, "currency", "USD"),
    (1234.567, "currency", "EUR"),
    (0.554, "currency", "USD"),
    (1_234_567.0, "currency", "CHF"),
    (-0.001, "currency", "USD"),
    (0.1234, "ratio", "USD"),
    (1234.0, "count", "USD"),
    (12.345, "number", "USD"),
    (2.41, "multiple", "USD"),
    (2.5, "duration", "USD"),
    (None, "ratio", "USD"),
]


@pytest.mark.parametrize("compact", [False, True])
def test_loc004_en_us_is_what_it_always_was(compact):
    """The default and an explicit en-US write the same text; spot checks pin today's strings."""
    assert current_locale() == DEFAULT_LOCALE
    plain = [format_value(v, u, c, compact=compact) for v, u, c in VALUES]
    with numbers_as("en-US"):
        assert [format_value(v, u, c, compact=compact) for v, u, c in VALUES] == plain
    assert format_value(-3500, "currency", "USD") == f"{MINUS}$3,500.00"
    assert format_value(1_234_567.0, "currency", "CHF", compact=True) == "CHF 1.23M"
    assert format_change(0.029, "ratio") == "+2.9 pp" and format_change(0.123) == "+12.3%"
    assert grid_formatter("currency", "EUR")["function"] == (
        "params.value == null || params.value === '' ? '—' : "
        "(params.value < 0 ? '−' : '') + '€' + d3.format(',.2f')(Math.abs(params.value))"
    )
    assert hover_format("currency", "EUR") == "€%{y:,.2f}"
    assert plotly_separators() is None
    assert "separators" not in trend_figure_json()
    assert number_format("currency", "USD") == '"$"#,##0.00;-"$"#,##0.00'


def trend_figure_json() -> dict:
    import polars as pl

    frame = pl.DataFrame({"period": ["2026-01-01", "2026-01-02"], "value": [1.0, 2.0]})
    return trend_figure(frame, label="Net", unit="currency", currency="USD").to_plotly_json()["layout"]


def test_loc005_the_locale_is_held_per_context_and_reset():
    assert current_locale() == DEFAULT_LOCALE
    with numbers_as("de_DE") as tag:  # CLDR's underscore spelling is accepted
        assert tag == "de-DE" == current_locale()
        with numbers_as("fr-FR"):
            assert format_value(0.5, "ratio") == f"50,0{NBSP}%"
        assert format_value(1234.5, "count") == "1.234"  # 1234.5 rounds to even
        seen = []
        thread = threading.Thread(target=lambda: seen.append(current_locale()))
        thread.start()
        thread.join()
        assert seen == [DEFAULT_LOCALE]  # a new thread starts in en-US ...
        assert contextvars.copy_context().run(current_locale) == "de-DE"  # ... a copied context does not
    assert current_locale() == DEFAULT_LOCALE
    token = set_number_locale("xx-YY")  # unknown: en-US rather than a failing page
    assert current_locale() == DEFAULT_LOCALE
    set_number_locale(None)
    del token


@pytest.mark.parametrize(
    ("raw", "tag"),
    [("de_DE", "de-DE"), ("de-de", "de-DE"), (" fr-FR ", "fr-FR"), ("en-US", "en-US"), ("xx-YY", None),
     ("de", None), ("", None), (None, None), (3, None), ("de-DE-x", None)],
)  # fmt: skip
def test_loc006_normalise_locale(raw, tag):
    assert normalise_locale(raw) == tag


def test_loc007_every_offered_locale_has_a_style_with_percent_after_the_number():
    for tag in NUMBER_LOCALES:
        style = number_style(tag)
        assert style.locale == tag
        assert style.decimal != style.group
        # the formatters put the percent sign after the number: every offered locale must too
        assert style.percent_suffix.endswith("%")
        with numbers_as(tag):
            text = format_value(-1234.5, "currency", "EUR")
            assert text.count(MINUS) == 1 and "€" in text and "-" not in text


def test_loc008_grid_formatter_uses_the_locale_separators_and_affixes():
    with numbers_as("de-DE"):
        js = grid_formatter("currency", "EUR")["function"]
        assert "d3.formatLocale({decimal: ',', thousands: '.', grouping: [3]" in js
        assert f"(params.value < 0 ? '{MINUS}' : '')" in js
        assert f"(params.value < 0 ? '{NBSP}€' : '{NBSP}€')" in js
        assert f"percent: '{NBSP}%'" in grid_formatter("ratio")["function"]
        assert "d3.format(" not in grid_formatter("count")["function"]
    with numbers_as("nl-NL"):
        js = grid_formatter("currency", "EUR")["function"]
        assert f"(params.value < 0 ? '€{NBSP}{MINUS}' : '€{NBSP}')" in js
    with numbers_as("en-IN"):
        assert "grouping: [3, 2, 2, 2, 2, 2, 2]" in grid_formatter("count")["function"]  # d3 cycles the list


def test_loc009_figures_carry_separators_and_the_symbol_on_the_locale_side():
    import polars as pl

    with numbers_as("de-DE"):
        assert plotly_separators() == ",."
        assert hover_format("currency", "EUR") == f"%{{y:,.2f}}{NBSP}€"
        assert tick_format("currency", "EUR") == {"tickformat": "~s", "ticksuffix": f"{NBSP}€"}
        layout = trend_figure_json()
        assert layout["separators"] == ",."
        frame = pl.DataFrame({"channel": ["a", "b"], "value": [1.0, 2.0]})
        fig = bar_figure(frame, "channel", unit="currency", currency="EUR").to_plotly_json()
        assert fig["layout"]["separators"] == ",."
        assert fig["data"][0]["hovertemplate"] == f"%{{y}}: %{{x:,.2f}}{NBSP}€<extra></extra>"
    with numbers_as("nl-NL"):
        assert tick_format("currency", "EUR") == {"tickformat": "~s", "tickprefix": f"€{NBSP}"}


def test_loc010_excel_formats_put_the_symbol_where_the_locale_does():
    with numbers_as("de-DE"):
        # Excel shows its reader's own separators; the symbol's side follows the workspace
        assert number_format("currency", "EUR") == f'#,##0.00"{NBSP}€";"-"#,##0.00"{NBSP}€"'
        assert number_format("ratio", "EUR") == "0.0%"
    with numbers_as("nl-NL"):
        assert number_format("currency", "EUR") == f'"€{NBSP}"#,##0.00;"€{NBSP}-"#,##0.00'


def test_loc011_compact_cards_decide_on_the_localised_width():
    # "1.234,56 €" is as long as "$1,234.56" plus the space: the row's decision follows the text
    with numbers_as("de-DE"):
        assert needs_compact([(12_345.67, "currency")], "EUR")
        assert not needs_compact([(123.45, "currency")], "EUR")
