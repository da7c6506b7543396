"""Pipeline: open deals, win rate and cycle, deals by stage, and lead scoring of open deals."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from data.metrics import (
    NONE_LABEL,
    query_metric,
)
from data.metrics.calendar import midnight
from data.warehouse import ScopedWarehouse

MIN_CLOSED_DEALS = 30


#: A standardised-feature logit coefficient this large means the classes are (almost) separated.
MAX_LOGIT_COEF = 15.0


def open_pipeline(scoped: ScopedWarehouse, as_of: date) -> dict[str, float | int]:
    """Deals open at the end of ``as_of``: ``open_deals`` and their ``open_value`` (reporting).

    Open = created by then and not closed by then (a deal closed later was still open).
    Plain SQL: the KPI row needs only this, and an ibis compile costs tens of milliseconds.
    """
    row = scoped.execute_sql(
        """
        SELECT count(*) AS n, CAST(coalesce(sum(amount_reporting), 0) AS DOUBLE) AS value FROM deals
        WHERE workspace_id = $ws AND created_at < $cut AND (won IS NULL OR closed_at >= $cut)
        """,
        {"cut": midnight(as_of + timedelta(days=1))},
    ).row(0, named=True)
    return {"open_value": float(row["value"]), "open_deals": int(row["n"])}


def pipeline_stats(scoped: ScopedWarehouse, start: date, end: date) -> dict[str, float | None]:
    """Open pipeline (as of ``end``) and the range's win rate, average deal size and sales cycle.

    Keys: open_value, open_deals, win_rate, average_deal_size, sales_cycle_days, deals_won.
    The last four are the catalogue metrics of the same names.
    """
    out: dict[str, float | None] = dict(open_pipeline(scoped, end))
    for name in ("win_rate", "average_deal_size", "sales_cycle_days", "deals_won"):
        out[name] = query_metric(scoped, name, start, end)["value"][0]
    return out


def deals_by_stage(scoped: ScopedWarehouse, start: date, end: date) -> pl.DataFrame:
    """Open deals (as of ``end``) by stage, then deals won and lost in the range.

    Columns: stage, status (open | won | lost), deals, amount.
    """
    # Plain SQL (like every deals query on a page): an ibis compile costs tens of ms a call.
    cut, since = midnight(end + timedelta(days=1)), midnight(start)
    opened = scoped.execute_sql(
        f"""
        SELECT COALESCE(CAST(stage AS VARCHAR), '{NONE_LABEL}') AS stage, count(*) AS deals,
               CAST(sum(amount_reporting) AS DOUBLE) AS amount
        FROM deals WHERE workspace_id = $ws AND created_at < $cut AND (won IS NULL OR closed_at >= $cut)
        GROUP BY 1
        """,
        {"cut": cut},
    ).with_columns(pl.lit("open").alias("status"))
    done = scoped.execute_sql(
        """
        SELECT won, count(*) AS deals, CAST(sum(amount_reporting) AS DOUBLE) AS amount
        FROM deals WHERE workspace_id = $ws AND won IS NOT NULL AND closed_at >= $since AND closed_at < $cut
        GROUP BY 1
        """,
        {"cut": cut, "since": since},
    )
    done = done.with_columns(
        pl.when(pl.col("won")).then(pl.lit("Closed won")).otherwise(pl.lit("Closed lost")).alias("stage"),
        pl.when(pl.col("won")).then(pl.lit("won")).otherwise(pl.lit("lost")).alias("status"),
    ).drop("won")
    cols = ["stage", "status", "deals", "amount"]
    schema = {"stage": pl.Utf8, "status": pl.Utf8, "deals": pl.Int64, "amount": pl.Float64}
    out = pl.concat([opened.select(cols).cast(schema), done.select(cols).cast(schema)])
    out = out.with_columns(pl.col("amount").fill_null(0.0).round(2))
    return out.sort(["status", "amount"], descending=[True, True])


def deals_frame(scoped: ScopedWarehouse, start: date, end: date) -> pl.DataFrame:
    """Deals open at ``end`` or closed in the range (the rows behind the pipeline numbers).

    Columns: deal, name, stage, owner, amount, created_at, closed_at, expected_close, won. A
    deal still open at ``end`` has no ``closed_at`` (and ``won`` is null): the CRM's close date
    of an open deal is when it is *expected* to close, so it is ``expected_close`` instead.
    """
    cut = midnight(end + timedelta(days=1))
    deals = scoped.execute_sql(
        """
        SELECT source_id AS deal, name, stage, owner, CAST(amount_reporting AS DOUBLE) AS amount,
               created_at, closed_at, won
        FROM deals
        WHERE workspace_id = $ws AND created_at < $cut
          AND (won IS NULL OR closed_at >= $cut OR (closed_at >= $since AND closed_at < $cut))
        ORDER BY created_at DESC
        """,
        {"cut": cut, "since": midnight(start)},
    )
    still_open = pl.col("won").is_null() | (pl.col("closed_at") >= cut)
    return deals.select(
        "deal",
        "name",
        "stage",
        "owner",
        "amount",
        "created_at",
        pl.when(still_open).then(None).otherwise(pl.col("closed_at")).alias("closed_at"),
        pl.when(still_open).then(pl.col("closed_at")).otherwise(None).alias("expected_close"),
        pl.when(still_open).then(None).otherwise(pl.col("won")).alias("won"),
    )


def _deal_features(deals: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Model inputs: log amount, whether the amount is known, days open, created month (cyclic)."""
    end = pl.when(pl.col("won").is_null()).then(pl.lit(as_of)).otherwise(pl.col("closed_at"))
    days_open = ((end - pl.col("created_at")).dt.total_seconds() / 86400.0).clip(lower_bound=0)
    month = pl.col("created_at").dt.month().cast(pl.Float64)
    return deals.with_columns(
        pl.col("amount").fill_null(0.0).log1p().alias("log_amount"),
        pl.col("amount").is_not_null().cast(pl.Float64).alias("has_amount"),
        days_open.log1p().alias("log_days_open"),
        (2 * math.pi * month / 12).sin().alias("month_sin"),
        (2 * math.pi * month / 12).cos().alias("month_cos"),
    )


FEATURES = ("log_amount", "has_amount", "log_days_open", "month_sin", "month_cos")


#: L2 penalty of the fallback fit when the plain one separates (statsmodels' GLM
#: fit_regularized(alpha=0.05, L1_wt=0) objective, which this replaced)
LOGIT_RIDGE = 0.05


def fit_logit(
    x: np.ndarray, y: np.ndarray, *, ridge: float = 0.0, max_iter: int = 200, max_abs: float = np.inf
) -> np.ndarray | None:
    """Logistic regression coefficients by Newton's method (iteratively reweighted least squares).

    Maximises the mean log-likelihood minus ``ridge / 2 * |params|^2`` (the intercept column
    included, as statsmodels' ridge does). Without a ridge that is the plain maximum-likelihood
    fit (statsmodels' Logit, to 1e-8); returns None when it does not converge, the design is
    singular or a coefficient passes ``max_abs`` — what perfect separation looks like (the
    coefficients then grow without end; stopping early saves the remaining iterations). A few
    milliseconds for tens of thousands of deals, where statsmodels' model and results objects
    cost ~20 ms a fit.
    """
    n, k = x.shape
    params = np.zeros(k)
    for _ in range(max_iter):
        with np.errstate(over="ignore"):
            p = 1.0 / (1.0 + np.exp(-(x @ params)))
        gradient = x.T @ (y - p) / n - ridge * params
        hessian = (x.T * (p * (1.0 - p))) @ x / n + ridge * np.eye(k)
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            return None
        params = params + step
        if not np.all(np.isfinite(params)) or np.abs(params).max() > max_abs:
            return None
        if np.abs(step).max() < 1e-8:
            return params
    return None


def lead_scores(scoped: ScopedWarehouse, as_of: date, *, min_closed: int = MIN_CLOSED_DEALS) -> dict:
    """Train a logistic regression on closed deals and score the open ones.

    Returns a dict with ``status`` ("ok" or "too_little_history"), ``message``, ``closed_deals``,
    ``accuracy`` (on the most recent quarter of closed deals, held out; the model is then
    refit on all closed deals to score), ``baseline_accuracy`` (always predicting the majority
    class), ``beats_baseline`` (True only when the model was right on at least one held-out
    deal more than always guessing the majority outcome; None without a model: a page must not
    rank deals by a model that does no better than the base rate, and ``message`` says so
    plainly), ``calibration`` (frame: bin, predicted, observed, deals on the held-out deals) and
    ``scores`` (frame: deal, name, stage, amount, created_at, days_open, win_probability).
    Features: log amount, amount known, log days the deal has been open, created month.
    """
    cut = midnight(as_of + timedelta(days=1))
    # Plain SQL: an ibis compile would cost ~30 ms of the first (cold) answer.
    deals = scoped.execute_sql(
        """
        SELECT source_id AS deal, name, stage, CAST(amount_reporting AS DOUBLE) AS amount,
               created_at, closed_at, won
        FROM deals WHERE workspace_id = $ws AND created_at < $cut
        """,
        {"cut": cut},
    )
    # A deal closed after as_of was still open then.
    deals = deals.with_columns(
        pl.when(pl.col("closed_at") >= cut).then(None).otherwise(pl.col("won")).alias("won")
    )
    feats = _deal_features(deals, cut)
    closed = feats.filter(pl.col("won").is_not_null()).sort("closed_at")
    open_ = feats.filter(pl.col("won").is_null())
    empty_scores = pl.DataFrame(schema={"deal": pl.Utf8, "win_probability": pl.Float64})
    result = {
        "status": "too_little_history",
        "closed_deals": closed.height,
        "open_deals": open_.height,
        "accuracy": None,
        "baseline_accuracy": None,
        "beats_baseline": None,
        "calibration": pl.DataFrame(
            schema={"bin": pl.Utf8, "predicted": pl.Float64, "observed": pl.Float64, "deals": pl.Int64}
        ),
        "scores": empty_scores,
    }
    wins = int(closed["won"].sum()) if closed.height else 0
    if closed.height < min_closed or wins == 0 or wins == closed.height:
        result["message"] = (
            f"Lead scoring needs at least {min_closed} closed deals with both wins and losses; "
            f"this workspace has {closed.height} closed ({wins} won)."
        )
        return result

    def design(frame: pl.DataFrame, mean, std):
        x = (frame.select(FEATURES).to_numpy() - mean) / std
        return np.column_stack([np.ones(len(x)), x])

    def fit(frame: pl.DataFrame):
        raw = frame.select(FEATURES).to_numpy()
        mean, std = raw.mean(axis=0), raw.std(axis=0)
        std[std == 0] = 1.0
        y = frame["won"].cast(pl.Float64).to_numpy()
        x = design(frame, mean, std)
        params = fit_logit(x, y, max_abs=MAX_LOGIT_COEF)
        if params is None:  # (quasi-)perfect separation or a singular design: a ridge-penalised logit
            params = fit_logit(x, y, ridge=LOGIT_RIDGE)
        if params is None:  # not seen; a strictly convex objective converges
            params = np.zeros(x.shape[1])
        return params, mean, std

    def predict(params, frame: pl.DataFrame, mean, std):
        with np.errstate(over="ignore"):  # exp overflow is a probability of 0, as wanted
            return 1.0 / (1.0 + np.exp(-(design(frame, mean, std) @ params)))

    n_val = max(1, closed.height // 4)
    train, valid = closed.head(closed.height - n_val), closed.tail(n_val)
    if train["won"].n_unique() < 2:
        train, valid = closed, closed
    res, mean, std = fit(train)
    p_val = predict(res, valid, mean, std)
    y_val = valid["won"].cast(pl.Int64).to_numpy()
    accuracy = float(((p_val >= 0.5).astype(int) == y_val).mean())
    majority = max(y_val.mean(), 1 - y_val.mean())
    edges = np.linspace(0, 1, 6)
    bins = np.clip(np.digitize(p_val, edges[1:-1]), 0, 4)
    calib = [
        {
            "bin": f"{edges[b]:.0%}–{edges[b + 1]:.0%}",
            "predicted": float(p_val[bins == b].mean()),
            "observed": float(y_val[bins == b].mean()),
            "deals": int((bins == b).sum()),
        }
        for b in range(5)
        if (bins == b).any()
    ]
    final, mean, std = fit(closed)
    if open_.height:
        p_open = predict(final, open_, mean, std)
        scores = open_.select(
            "deal",
            "name",
            "stage",
            "amount",
            "created_at",
            ((pl.lit(cut) - pl.col("created_at")).dt.total_seconds() / 86400.0)
            .round(0)
            .cast(pl.Int64)
            .alias("days_open"),
        ).with_columns(pl.Series("win_probability", p_open).round(3))
        scores = scores.sort("win_probability", descending=True)
    else:
        scores = empty_scores
    # Better than the base rate by at least one held-out deal: less is what guessing gets.
    beats = accuracy - majority >= 1.0 / len(y_val) - 1e-9
    message = f"Trained on {closed.height} closed deals; validated on the latest {valid.height}."
    if not beats:
        guess = "won" if y_val.mean() > 0.5 else "lost"
        message = (
            f"The model predicts no better than always guessing “{guess}” ({accuracy:.0%} right vs "
            f"{majority:.0%}) on the latest {valid.height} closed deals: do not rank deals by it."
        )
    result.update(
        status="ok",
        message=message,
        beats_baseline=bool(beats),
        accuracy=accuracy,
        baseline_accuracy=float(majority),
        calibration=pl.DataFrame(calib, schema=result["calibration"].schema),
        scores=scores,
    )
    return result
