"""AI performance numbers: the summary of recorded calls and the AI vs human content test."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import polars as pl
import pytest

from dashboard.insights.content import compare, is_ai_generated
from dashboard.insights.performance import by_model, per_day, summary
from tests.unit.insights_fakes import FakeSource


def _events() -> pl.DataFrame:
    rows = [
        ("openai", "gpt-4o-mini", 800.0, 1500, 0.0005, "ok", False, 0),
        ("openai", "gpt-4o-mini", 1200.0, 1400, 0.0004, "grounding_failure", True, 1),
        ("openai", "gpt-4o-mini", 20000.0, 0, 0.0, "timeout", True, 0),
        ("anthropic", "claude-haiku-4-5", 1000.0, 1200, 0.002, "ok", False, 0),
        ("offline", "templates", 3000.0, 0, 0.0, "ok", False, 0),
    ]
    return pl.DataFrame(
        [{"created": datetime(2026, 3, 1 + i % 2, 12), "provider": p, "model": m, "latency_ms": lat, "tokens": t,
          "cost": c, "outcome": o, "fallback": f, "grounding_failures": g} for i, (p, m, lat, t, c, o, f, g) in enumerate(rows)]
    )  # fmt: skip


def test_perf001_summary_rates_count_ai_calls_only():
    feedback = pl.DataFrame({"vote": [1, 1, -1, 1]})
    s = summary(_events(), feedback)
    assert (s["calls"], s["ai_calls"], s["tokens"]) == (5, 4, 4100)
    assert s["cost"] == pytest.approx(0.0029)
    assert s["error_rate"] == 0.25  # the time-out; a grounding failure is not an error
    assert s["fallback_rate"] == 0.5 and s["grounding_failure_rate"] == 0.25
    assert s["latency_p50"] == pytest.approx(1100.0)
    assert s["feedback_ratio"] == 0.75 and s["votes"] == 4


def test_perf002_by_model_and_per_day():
    table = by_model(_events())
    openai = table.filter(pl.col("provider") == "openai").row(0, named=True)
    assert openai["calls"] == 3 and openai["error_rate"] == pytest.approx(1 / 3)
    days = per_day(_events())
    assert days["calls"].sum() == 5 and set(days["day"].to_list()) == {date(2026, 3, 1), date(2026, 3, 2)}


def test_perf003_empty_period():
    empty = _events().clear()
    s = summary(empty, pl.DataFrame({"vote": []}, schema={"vote": pl.Int64}))
    assert s["calls"] == 0 and s["latency_p50"] is None and s["feedback_ratio"] is None
    assert by_model(empty).height == 0 and per_day(empty).height == 0


def test_perf004_ai_tags():
    assert (
        is_ai_generated("Spring sale [AI]")
        and is_ai_generated("#ai retargeting")
        and is_ai_generated("AI-generated copy")
    )
    assert (
        not is_ai_generated("Email nurture")
        and not is_ai_generated("Maintenance")
        and not is_ai_generated(None)
    )


def _content(ai_ctr: float) -> FakeSource:
    src = FakeSource(date(2026, 1, 1), 31)
    for name, ctr in (("Spring [AI]", ai_ctr), ("Spring human", 0.02), ("Brand", 0.02)):
        src.add("impressions", np.full(31, 10_000.0), campaign=name)
        src.add("clicks", np.full(31, 10_000.0 * ctr), campaign=name)
        src.add("conversions", np.full(31, 10_000.0 * ctr * 0.05), campaign=name)
    return src


def test_perf005_ai_vs_human_verdicts():
    start, end = date(2026, 1, 1), date(2026, 1, 31)
    better = compare(_content(0.03), start, end)
    ctr = better[0]
    assert (ctr.measure, ctr.ai_campaigns, ctr.human_campaigns) == ("Ad CTR", 1, 2)
    assert ctr.ai_rate == pytest.approx(0.03) and ctr.human_rate == pytest.approx(0.02)
    assert ctr.p_value < 0.001 and ctr.verdict.startswith("AI-generated content performs better")
    same = compare(_content(0.0201), start, end)[0]
    assert same.p_value > 0.05 and same.verdict.startswith("No real difference")
    assert (
        compare(_content(0.03), start, end)[2].verdict
        == "No AI-generated content in this period to compare with."
    )


def test_perf006_generations_chart_ticks_whole_counts():
    """A day with one or two generations gets ticks 0, 1, 2 — never 0.5 or 1.5."""
    from components.insights import generations_figure

    fig = generations_figure(per_day(_events()))
    assert fig.layout.yaxis.dtick == 1
    assert fig.layout.yaxis.tickformat == ",d"
    busy = pl.DataFrame({"day": [date(2026, 3, 1)], "series": ["offline · templates"], "calls": [400]})
    assert generations_figure(busy).layout.yaxis.dtick is None  # Plotly picks whole steps itself


def test_perf007_the_chart_spans_the_period_so_one_day_is_a_narrow_bar():
    """Two generations on one day filled the whole chart's width as one wide bar."""
    from datetime import datetime

    from components.insights import generations_figure

    one_day = pl.DataFrame({"day": [date(2026, 12, 3)], "series": ["offline · templates"], "calls": [2]})
    fig = generations_figure(one_day, date(2026, 11, 4), date(2026, 12, 3))
    low, high = (datetime.fromisoformat(str(x)) for x in fig.layout.xaxis.range)
    assert low < datetime(2026, 11, 4) < datetime(2026, 12, 3) < high
    assert (high - low).days == 30  # the 30 days, half a day either side
    assert fig.data[0].width == 0.8 * 86_400_000  # a day's bar, not a hairline
    assert fig.layout.xaxis.tickformat == "%-d %b"  # "3 Dec", as the pages write dates
    assert fig.layout.xaxis.dtick is None  # 30 daily ticks would not fit a phone
    week = generations_figure(one_day, date(2026, 11, 27), date(2026, 12, 3))
    assert week.layout.xaxis.dtick == 86_400_000
