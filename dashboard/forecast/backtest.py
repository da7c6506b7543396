"""Rolling-origin backtesting: how each model would have done on this very history.

The history is cut at a few earlier points ("origins"); each model is fitted on the data
before an origin and its forecast compared with what really happened next. Two errors are
kept per model, averaged over the origins (and the share of days inside the model's own band,
``raw_coverage``; the engine adds the share inside the calibrated band it draws):

- sMAPE, the symmetric mean absolute percentage error in percent (0 = perfect, 200 = worst):
  ``mean(200 * |actual - forecast| / (|actual| + |forecast|))``, a period where both are zero
  counting as exact;
- MASE, the mean absolute error scaled by the in-sample error of the seasonal-naive guess
  (naive when the history is shorter than two seasons): below 1 beats that guess, above 1 is
  worse. It stays meaningful with zeros and negative values, where percentages do not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dashboard.forecast.models import ModelUnavailable, Prediction

#: how many origins a backtest uses by default (more is steadier and costs one fit each)
ORIGINS = 3


def smape(actual, forecast) -> float:
    """Symmetric MAPE in percent; periods where actual and forecast are both zero count as 0."""
    a, f = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    den = np.abs(a) + np.abs(f)
    terms = np.where(den == 0, 0.0, 200.0 * np.abs(a - f) / np.where(den == 0, 1.0, den))
    return float(np.mean(terms))


def mase_scale(train, season: int) -> float | None:
    """The in-sample mean absolute error of the seasonal-naive (or naive) guess; None when zero."""
    y = np.asarray(train, dtype=float)
    lag = season if len(y) > 2 * season else 1
    if len(y) <= lag:
        return None
    scale = float(np.mean(np.abs(y[lag:] - y[:-lag])))
    return scale if scale > 0 else None


def mase(actual, forecast, train, season: int) -> float | None:
    """MAE of the forecast divided by :func:`mase_scale` of the training data (None if undefined)."""
    scale = mase_scale(train, season)
    if scale is None:
        return None
    a, f = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    return float(np.mean(np.abs(a - f)) / scale)


def origins(n: int, horizon: int, count: int, min_train: int) -> list[int]:
    """Origins (training lengths) for a backtest of ``horizon`` periods, latest last.

    Test windows do not overlap: origins are ``horizon`` apart, as many as fit with at least
    ``min_train`` periods before the earliest one.
    """
    out = []
    for k in range(count):
        origin = n - horizon * (k + 1)
        if origin < min_train:
            break
        out.append(origin)
    return sorted(out)


def test_horizon(n: int, horizon: int, count: int, min_train: int) -> int:
    """The horizon a backtest can honestly test: the asked one, shortened so ``count`` windows fit."""
    if n <= min_train:
        return 0
    return max(1, min(horizon, (n - min_train) // max(count, 1)))


@dataclass
class ModelScore:
    """One model's backtest: mean errors over the origins and its forecasts at each origin."""

    smape: float
    mase: float | None
    #: origin -> the model's point forecasts for the test window after it
    forecasts: dict[int, np.ndarray] = field(default_factory=dict)
    #: share of the tested periods whose actual value fell inside the model's own band
    raw_coverage: float | None = None
    #: the same share for the calibrated band the page draws (:func:`.engine.band_coverage`),
    #: filled in by the engine; None until then, or when ``coverage_rough``
    coverage: float | None = None
    #: True when the calibrated band could not be read at every origin (too little history
    #: before the earliest): no share of it is claimed
    coverage_rough: bool = False
    #: False when the calibrated band was not checked (a slow model that was not chosen)
    coverage_checked: bool = True
    #: mean error of the test windows' totals, relative to each window's scale
    #: (:func:`total_error`); None when every window's scale was zero
    total_error: float | None = None


def total_error(y: np.ndarray, forecasts: dict[int, np.ndarray]) -> float | None:
    """The mean error of the test windows' totals, relative to each window's scale.

    Each window's ``|sum(actual) - sum(forecast)|`` is divided by ``h`` times the mean absolute
    value of the history before its origin; None when no window has a scale.

    The error a KPI card's "On track for ..." makes: the total of the days left, not each day.
    On a sparse series the two judge apart. Refunds are zero on most days, so the forecast with
    the smallest daily error is zero every day. Its month total is then $0, for a metric that
    sums to $300-$1,100 every month.
    """
    out = []
    for origin, forecast in forecasts.items():
        h = len(forecast)
        scale = h * float(np.mean(np.abs(y[:origin]))) if origin else 0.0
        if scale > 0:
            out.append(abs(float(y[origin : origin + h].sum()) - float(np.sum(forecast))) / scale)
    return float(np.mean(out)) if out else None


def run(
    y: np.ndarray,
    models: list[str],
    fit: Callable[[str, int, int], Prediction],
    *,
    horizon: int,
    season: int,
    count: int = ORIGINS,
    min_train: int,
    on_model: Callable[[str], None] | None = None,
) -> tuple[dict[str, ModelScore], dict[str, str], int]:
    """Backtest ``models`` on ``y``; ``fit(model, train_length, horizon)`` forecasts from a cut.

    Returns (scores of the models that could be fitted at every origin, reasons why the others
    could not, the tested horizon). No origin fits (history too short) -> empty scores.
    ``on_model(name)`` is called before each model is tested (progress; it may raise to stop).
    """
    y = np.asarray(y, dtype=float)
    h = test_horizon(len(y), horizon, count, min_train)
    cuts = origins(len(y), h, count, min_train) if h else []
    scores: dict[str, ModelScore] = {}
    skipped: dict[str, str] = {}
    if not cuts:
        return scores, {m: "too little history to backtest" for m in models}, h
    for model in models:
        if on_model is not None:
            on_model(model)
        errors, scaled, inside, forecasts = [], [], [], {}
        try:
            for origin in cuts:
                pred = fit(model, origin, h)
                actual = y[origin : origin + h]
                errors.append(smape(actual, pred.yhat))
                scaled.append(mase(actual, pred.yhat, y[:origin], season))
                inside.append(float(np.mean((actual >= pred.lower) & (actual <= pred.upper))))
                forecasts[origin] = pred.yhat
        except ModelUnavailable as exc:
            skipped[model] = str(exc)
            continue
        defined = [m for m in scaled if m is not None]
        scores[model] = ModelScore(
            smape=float(np.mean(errors)),
            mase=float(np.mean(defined)) if defined else None,
            forecasts=forecasts,
            raw_coverage=float(np.mean(inside)),
            total_error=total_error(y, forecasts),
        )
    return scores, skipped, h


def combination_score(
    y: np.ndarray, parts: dict[str, ModelScore], season: int, horizon: int
) -> ModelScore | None:
    """The backtest of the plain average of ``parts``' forecasts (None if fewer than two parts)."""
    if len(parts) < 2:
        return None
    y = np.asarray(y, dtype=float)
    cuts = sorted(set.intersection(*(set(p.forecasts) for p in parts.values())))
    if not cuts:
        return None
    errors, scaled, forecasts = [], [], {}
    for origin in cuts:
        mean = np.mean([p.forecasts[origin] for p in parts.values()], axis=0)
        actual = y[origin : origin + horizon]
        errors.append(smape(actual, mean))
        scaled.append(mase(actual, mean, y[:origin], season))
        forecasts[origin] = mean
    defined = [m for m in scaled if m is not None]
    return ModelScore(
        smape=float(np.mean(errors)),
        mase=float(np.mean(defined)) if defined else None,
        forecasts=forecasts,
        total_error=total_error(y, forecasts),
    )
