"""Numbers inside sentences and Plotly's own percents, in a workspace's number locale.

Row counts (Data sources), the forecast's "80% range", the AI performance page's latencies and
the other numbers written into text go through components.formatting, so a de-DE workspace
reads ``12.345 rows`` and ``80 % range``; Plotly's ``.1%`` cannot put de-DE's space before the
percent sign, so those figures hover and label percentages from text. en-US stays byte for byte.
"""

from __future__ import annotations

import json
from datetime import datetime
from types import SimpleNamespace

import polars as pl
import pytest
from plotly.io.json import to_json_plotly

from components import forecast, insights, sources
from components.figures import bar_figure, calibration_figure, cohort_heatmap, trend_figure
from components.formatting import MINUS, format_number, numbers_as, percent_sign, plotly_percents_fit
from dashboard.insights.performance import by_model, summary
from data.accounting import describe_skipped, reconciliation_text

NBSP = "\u00a0"


def _text(component) -> str:
    """Every string in a Dash component tree, joined (what a person reads on the page)."""
    return json.dumps(json.loads(to_json_plotly(component)), ensure_ascii=False)


@pytest.mark.parametrize(
    ("value", "decimals", "grouped"),
    [
        (1234567, 0, True),
        (1234.5, 1, True),
        (-1234.56, 2, True),
        (999.95, 1, False),
        (0.0, 3, True),
        (7, 0, False),
    ],
)
def test_format_number_in_en_us_is_the_f_string_it_replaces(value, decimals, grouped):
    with numbers_as("en-US"):
        want = f"{value:,.{decimals}f}" if grouped else f"{value:.{decimals}f}"
        if isinstance(value, int) and decimals == 0:
            want = f"{value:,}" if grouped else f"{value}"
        assert format_number(value, decimals, grouped=grouped) == want


def test_format_number_and_percent_sign_in_de_de():
    with numbers_as("de-DE"):
        assert format_number(1234567) == "1.234.567"
        assert format_number(-1234.5, 1) == f"{MINUS}1.234,5"
        assert format_number(2.5, 1, grouped=False) == "2,5"
        assert format_number(None) == "—"
        assert percent_sign(format_number(12.5, 1)) == f"12,5{NBSP}%"
        assert not plotly_percents_fit()
    with numbers_as("en-US"):
        assert percent_sign("12.5") == "12.5%" and plotly_percents_fit()


def test_data_sources_row_counts_durations_and_skipped_rows_in_de_de():
    run = {
        "started_at": None,
        "kind": "file",
        "source": "stripe",
        "name": "export.csv",
        "rows_read": 12345,
        "inserted": 12000,
        "updated": 0,
        "quarantined": 45,
        "skipped": 300,
        "status": "partial",
        "duration_ms": 2500,
        "skipped_reasons": {"blank lines": 1300},
        "reconciliation": {"gross USD": {"file": 1234.5, "imported": 1000.0, "ok": False}},
    }
    job = {
        "status": "running",
        "kind": "upload",
        "done": 1,
        "total": 2,
        "rows": 12345,
        "progress": 0.5,
        "label": "2 files",
    }
    with numbers_as("de-DE"):
        text = _text(sources.runs_table([run])) + _text(sources.job_view(job))
        text += _text(sources.quarantine_table([{"row_number": 1, "reason": "x"}], 2345))
        assert "12.345" in text and "12,345" not in text
        assert "2,5 s" in text and "2.5 s" not in text
        assert "1.300 blank lines" in text
        assert "file 1.234,50, imported 1.000,00" in text
        assert "12.345 rows" in text and "of 2.345 rejected rows" in text
    with numbers_as("en-US"):
        text = _text(sources.runs_table([run])) + _text(sources.job_view(job))
        assert "12,345" in text and "2.5 s" in text and "1,300 blank lines" in text
        assert "file 1,234.50, imported 1,000.00" in text
    # without a formatter (the CLI): en-US digits whatever the context
    with numbers_as("de-DE"):
        assert describe_skipped({"blank lines": 1300}) == "1,300 blank lines"
        assert "file 1,234.50" in reconciliation_text(run["reconciliation"])


def test_forecast_range_and_goal_chance_in_de_de():
    projection = SimpleNamespace(expected=41200.0, lower=38000.0, upper=44000.0, interval=0.8)
    with numbers_as("de-DE"):
        assert f"80{NBSP}% range" in forecast.projection_text(projection, "currency", "EUR")
        assert forecast.goal_text(0.62) == f"62{NBSP}% chance of reaching the goal"
        assert forecast.goal_text(0.004).startswith(f"<1{NBSP}%")
    with numbers_as("en-US"):
        assert forecast.projection_text(projection, "currency", "USD") == (
            "On track for $41.2k this month, 80% range $38k–$44k"
        )
        assert forecast.goal_text(0.62, "$50k") == "62% chance to reach $50k"


def test_ai_performance_latencies_and_counts_in_de_de():
    n = 1500  # AI calls of 1,234 ms each, one vote each
    events = pl.DataFrame(
        {"created": [datetime(2026, 3, 1, 12)] * n, "provider": ["openai"] * n, "model": ["gpt"] * n,
         "latency_ms": [1234.0] * n, "tokens": [10] * n, "cost": [0.001] * n, "outcome": ["ok"] * n,
         "fallback": [False] * n, "grounding_failures": [0] * n}
    )  # fmt: skip
    tiles = summary(events, pl.DataFrame({"vote": [1] * n}))
    with numbers_as("de-DE"):
        text = _text(insights.perf_tiles(tiles)) + _text(insights.model_table(by_model(events)))
        assert "1.234 ms" in text and "1,234 ms" not in text
        assert "1.500 through an AI provider" in text and "of 1.500 votes" in text
    with numbers_as("en-US"):
        text = _text(insights.perf_tiles(tiles)) + _text(insights.model_table(by_model(events)))
        assert "1,234 ms / 1,234 ms" in text and "of 1,500 votes" in text


def test_plotly_percents_hover_and_tick_as_the_cards_write_them_in_de_de():
    rates = pl.DataFrame({"channel": ["Email", "Paid Search"], "value": [0.125, 0.043]})
    with numbers_as("de-DE"):
        bar = bar_figure(rates, "channel", unit="ratio", currency="EUR").to_plotly_json()
        trace = bar["data"][0]
        assert "%{hovertext}" in trace["hovertemplate"] and ".1%" not in trace["hovertemplate"]
        assert list(trace["hovertext"]) == [f"12,5{NBSP}%", f"4,3{NBSP}%"]
        axis = bar["layout"]["xaxis"]
        assert "tickformat" not in axis and f"10{NBSP}%" in axis["ticktext"]
        assert all(t.endswith(f"{NBSP}%") for t in axis["ticktext"])

        trend = trend_figure(
            pl.DataFrame({"period": ["2026-01-01", "2026-02-01"], "value": [0.1, 0.2]}),
            label="Rate",
            unit="ratio",
            currency="EUR",
        ).to_plotly_json()
        assert f"20{NBSP}%" in trend["layout"]["yaxis"]["ticktext"]

        cohorts = pl.DataFrame(
            {"cohort": ["2026-01", "2026-01"], "months_since": [0, 1], "customer_retention": [1.0, 0.125]}
        )
        heat = cohort_heatmap(cohorts).to_plotly_json()["data"][0]
        assert "%{hovertext}" in heat["hovertemplate"] and f"12,5{NBSP}%" in heat["hovertext"][0]

        calibration = pl.DataFrame({"bin": ["0–50%"], "predicted": [0.25], "observed": [0.5], "deals": [10]})
        cal = calibration_figure(calibration).to_plotly_json()
        assert cal["data"][1]["hovertext"][0] == f"predicted 25{NBSP}%, won 50{NBSP}%"
        assert f"40{NBSP}%" in cal["layout"]["xaxis"]["ticktext"]

        smape = insights.forecast_accuracy_view(
            pl.DataFrame(
                {"run_id": [1], "created_at": ["2026-01-01"], "metric": ["net_revenue"], "grain": ["day"],
                 "model": ["ets"], "periods": [1200], "smape": [12.5], "backtest_smape": [None]}
            ),
            pl.DataFrame({"week": ["2026-01-05"], "model": ["ets"], "smape": [12.5], "runs": [1]}),
        )  # fmt: skip
        text = _text(smape)
        assert f"%{{y:.1f}}{NBSP}% sMAPE" in text and f"12,5{NBSP}%" in text and "1.200" in text


def test_plotly_percents_in_en_us_are_what_they_were():
    rates = pl.DataFrame({"channel": ["Email", "Paid Search"], "value": [0.125, 0.043]})
    with numbers_as("en-US"):
        trace = bar_figure(rates, "channel", unit="ratio", currency="USD").to_plotly_json()
        assert trace["data"][0]["hovertemplate"] == "%{y}: %{x:.1%}<extra></extra>"
        assert "hovertext" not in trace["data"][0]
        assert trace["layout"]["xaxis"]["tickformat"] == ".0%"
        calibration = pl.DataFrame({"bin": ["0–50%"], "predicted": [0.25], "observed": [0.5], "deals": [10]})
        cal = calibration_figure(calibration).to_plotly_json()
        assert cal["data"][1]["hovertemplate"] == "%{text}: predicted %{x:.0%}, won %{y:.0%}<extra></extra>"
        assert cal["layout"]["xaxis"]["tickformat"] == ".0%"
