"""The AI performance summary: generations, latency, tokens, cost, failure rates, feedback.

Pure functions over the frames of :mod:`dashboard.insights.events`, so the page, a report and
the tests read the same numbers.
"""

from __future__ import annotations

import polars as pl


def summary(events: pl.DataFrame, feedback: pl.DataFrame) -> dict[str, float | int | None]:
    """Totals of the period: calls, latency p50/p95 (ms), tokens, cost, rates, feedback ratio.

    Rates are shares of calls; the grounding-failure rate is the share of calls that discarded at
    least one generated text. The feedback ratio is 👍 / all votes.
    """
    calls = events.height
    ai_calls = events.filter(pl.col("provider") != "offline")
    votes = feedback.height
    return {
        "calls": calls,
        "ai_calls": ai_calls.height,
        "latency_p50": _quantile(ai_calls, 0.5),
        "latency_p95": _quantile(ai_calls, 0.95),
        "tokens": int(events["tokens"].fill_null(0).sum()) if calls else 0,
        "cost": float(events["cost"].fill_null(0).sum()) if calls else 0.0,
        "error_rate": _share(ai_calls, ~pl.col("outcome").is_in(["ok", "grounding_failure"])),
        "fallback_rate": _share(ai_calls, pl.col("fallback")),
        "grounding_failure_rate": _share(ai_calls, pl.col("grounding_failures") > 0),
        "feedback_ratio": (int((feedback["vote"] > 0).sum()) / votes) if votes else None,
        "votes": votes,
    }


def by_model(events: pl.DataFrame) -> pl.DataFrame:
    """One row per provider and model: calls, p50/p95 latency, tokens, cost and rates."""
    if events.height == 0:
        return pl.DataFrame(
            schema={
                "provider": pl.Utf8,
                "model": pl.Utf8,
                "calls": pl.UInt32,
                "latency_p50": pl.Float64,
                "latency_p95": pl.Float64,
                "tokens": pl.Int64,
                "cost": pl.Float64,
                "error_rate": pl.Float64,
                "fallback_rate": pl.Float64,
                "grounding_failure_rate": pl.Float64,
            }  # fmt: skip
        )
    return (
        events.group_by("provider", "model")
        .agg(
            pl.len().alias("calls"),
            pl.col("latency_ms").quantile(0.5, "linear").alias("latency_p50"),
            pl.col("latency_ms").quantile(0.95, "linear").alias("latency_p95"),
            pl.col("tokens").fill_null(0).sum().alias("tokens"),
            pl.col("cost").fill_null(0).sum().alias("cost"),
            (~pl.col("outcome").is_in(["ok", "grounding_failure"])).mean().alias("error_rate"),
            pl.col("fallback").mean().alias("fallback_rate"),
            (pl.col("grounding_failures") > 0).mean().alias("grounding_failure_rate"),
        )
        .sort("calls", "provider", descending=[True, False])
    )


def per_day(events: pl.DataFrame) -> pl.DataFrame:
    """Calls per UTC day and provider/model (the chart of generations over time)."""
    if events.height == 0:
        return pl.DataFrame(schema={"day": pl.Date, "series": pl.Utf8, "calls": pl.UInt32})
    return (
        events.with_columns(
            pl.col("created").dt.date().alias("day"),
            (pl.col("provider") + " · " + pl.col("model").fill_null("?")).alias("series"),
        )
        .group_by("day", "series")
        .agg(pl.len().alias("calls"))
        .sort("day", "series")
    )


def _quantile(frame: pl.DataFrame, q: float) -> float | None:
    if frame.height == 0:
        return None
    return float(frame["latency_ms"].quantile(q, "linear"))


def _share(frame: pl.DataFrame, condition: pl.Expr) -> float | None:
    if frame.height == 0:
        return None
    return float(frame.select(condition.cast(pl.Float64).mean()).item())
