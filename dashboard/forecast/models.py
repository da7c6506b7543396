"""The forecasting models, each behind the same small interface.

``predict(model, y, horizon=..., season=..., interval=...)`` fits one model on the values ``y``
(whole periods, oldest first) and returns point forecasts with a prediction interval of the
given coverage (0.8 = the band holds the actual value 4 times out of 5, if the model is right).

- ``naive``: the last value, with a random walk's widening band;
- ``snaive``: the value one season ago (7 days, 52 weeks, 12 months);
- ``ets``: exponential smoothing (statsmodels ETSModel), additive errors, damped trend; positive
  data with a season (90% test) are deseasonalised by classical multiplicative decomposition
  first, data with zeros or negatives get an additive season when two full seasons exist;
- ``theta``: the Theta method (statsmodels ThetaModel), deseasonalised when two seasons exist;
- ``prophet``: Prophet with weekly/yearly seasonality chosen by the data's length and the
  workspace country's public holidays on daily data.

A model that cannot be fitted on this series raises :class:`ModelUnavailable` with the reason;
the selection then leaves it out, and an explicit request turns it into a clear error.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
from scipy.stats import norm

from dashboard.forecast.choices import MODELS
from dashboard.forecast.seasonality import seasonal_indices

LABELS = {
    "prophet": "Prophet",
    "ets": "Exponential smoothing (ETS)",
    "theta": "Theta",
    "snaive": "Seasonal naive",
    "naive": "Naive (last value)",
    "combo": "Combination of ETS and Theta",
}
#: Prophet's sampled uncertainty: 300 draws give a stable 80% band at a third of the default cost
PROPHET_SAMPLES = 300
_FREQ = {"day": "D", "week": "W-MON", "month": "MS"}
#: ETS and Theta are fitted on at most this many recent periods (see :func:`_recent`)
FIT_WINDOW = 366


class ModelUnavailable(ValueError):
    """This model cannot be fitted on this series (too short for it, or it failed)."""


@dataclass(frozen=True)
class Prediction:
    """Point forecasts and the prediction interval, one value per future period."""

    yhat: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def z_of(interval: float) -> float:
    """The normal quantile for a central interval of this coverage (0.8 -> 1.28)."""
    return float(norm.ppf(0.5 + interval / 2))


@cache
def single_blas_thread() -> None:
    """Limit the process's BLAS (OpenBLAS) to one thread, once.

    ETS and Theta run thousands of tiny matrix products (a Kalman filter per likelihood
    evaluation). With one BLAS thread per core, every product wakes threads that spin for
    work: on a busy 2-core server a forecast measured 41 s instead of 4.4 s with one thread.
    The limit is process-wide; the app's own work never needs a threaded BLAS.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def predict(
    model: str,
    y: np.ndarray,
    *,
    horizon: int,
    season: int,
    interval: float = 0.8,
    periods: list[date] | None = None,
    grain: str = "day",
    country: str | None = None,
    bands: bool = True,
) -> Prediction:
    """Fit ``model`` on ``y`` and forecast ``horizon`` periods with an ``interval`` band.

    ``periods`` (the start dates of ``y``'s periods) and ``grain`` are needed by Prophet only;
    ``country`` (ISO 3166 alpha-2) adds its public holidays to Prophet on daily data. A series
    that never moved is forecast as that constant with no band: any fan would be invented.
    When the history has no negative value, forecasts and bands are kept at zero or above.
    ``bands=False`` is for a caller that reads the point forecasts only (a backtest of period
    totals): models whose band costs extra work (Theta's, most of its time) may skip it, and
    their ``lower``/``upper`` are then the point forecasts.
    """
    y = np.asarray(y, dtype=float)
    if model not in MODELS:
        raise ModelUnavailable(f"unknown model {model!r}; accepted: {', '.join(MODELS)}")
    if len(y) == 0:
        raise ModelUnavailable("no history")
    if np.ptp(y) == 0:
        flat = np.full(horizon, y[-1])
        return Prediction(flat, flat.copy(), flat.copy())
    fit = _FITTERS[model]
    single_blas_thread()
    _import_backend(model)
    with warnings.catch_warnings():
        # statsmodels and Prophet warn about convergence and frequencies on short, odd series;
        # the backtest judges the result, a warning says nothing the error numbers do not.
        warnings.simplefilter("ignore")
        try:
            extra = {} if bands else {"bands": False}
            yhat, lower, upper = fit(
                y, horizon, season, interval, periods=periods, grain=grain, country=country, **extra
            )
        except ModelUnavailable:
            raise
        except Exception as exc:  # a numerical failure on an odd series: leave this model out
            raise ModelUnavailable(f"{model} could not be fitted: {exc}") from exc
    yhat, lower, upper = (np.asarray(a, dtype=float) for a in (yhat, lower, upper))
    if not (np.all(np.isfinite(yhat)) and np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))):
        raise ModelUnavailable(f"{model} gave no finite forecast for this series")
    lower, upper = np.minimum(lower, yhat), np.maximum(upper, yhat)
    if y.min() >= 0:
        yhat, lower, upper = (np.maximum(a, 0.0) for a in (yhat, lower, upper))
    return Prediction(yhat, lower, upper)


def _import_backend(model: str) -> None:
    """Import a model's library before warnings are silenced around its fit.

    statsmodels installs an "always show" filter for its ConvergenceWarning when first
    imported; imported inside ``catch_warnings`` that filter would outrank ours.
    """
    if model == "ets":
        import statsmodels.tsa.exponential_smoothing.ets  # noqa: F401
    elif model == "theta":
        import statsmodels.tsa.forecasting.theta  # noqa: F401
    elif model == "prophet":
        import prophet  # noqa: F401


def _quiet_prophet() -> None:
    """Keep Prophet and cmdstanpy from printing INFO lines (a CLI's --json must stay clean)."""
    from cmdstanpy.utils import get_logger

    get_logger()  # cmdstanpy adds its INFO handler lazily on first use: add it now, then quiet it
    for name in ("cmdstanpy", "prophet", "prophet.plot"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING)
        for handler in logger.handlers:
            handler.setLevel(logging.WARNING)


def _recent(y: np.ndarray, season: int) -> np.ndarray:
    """The recent part of ``y`` a local model is fitted on (ETS and Theta weigh old data little).

    Three years of days cost ETS ~5 s to fit and change its forecast by less than the noise;
    a year (or eight seasons, whichever is longer) keeps both the seasonal shape and the speed.
    """
    return y[-max(FIT_WINDOW, 8 * season) :]


def _naive(y, horizon, season, interval, **_):
    steps = np.arange(1, horizon + 1)
    diffs = np.diff(y)
    sigma = float(np.sqrt(np.mean(diffs**2))) if diffs.size else 0.0
    yhat = np.full(horizon, y[-1])
    width = z_of(interval) * sigma * np.sqrt(steps)
    return yhat, yhat - width, yhat + width


def _snaive(y, horizon, season, interval, **_):
    n = len(y)
    if n <= season:
        raise ModelUnavailable(f"seasonal naive needs more than one season ({season} periods) of history")
    steps = np.arange(horizon)
    yhat = y[n - season + steps % season]
    resid = y[season:] - y[:-season]
    sigma = float(np.sqrt(np.mean(resid**2)))
    width = z_of(interval) * sigma * np.sqrt(steps // season + 1)
    return yhat, yhat - width, yhat + width


def _ets(y, horizon, season, interval, **_):
    y = _recent(y, season)
    n = len(y)
    if n < 6:
        raise ModelUnavailable("ETS needs at least 6 periods of history")
    # Positive data with a season the 90% test confirms: take the season out by classical
    # multiplicative decomposition, fit a damped trend to the adjusted series and put the season
    # back (the M3 benchmarks' way). A season as ETS states costs as many parameters as periods
    # in a season, too many for a few years of months, and seasons of sales scale with the level.
    index = seasonal_indices(y, season)
    if index is not None:
        past = index[np.arange(n) % season]
        future = index[(n + np.arange(horizon)) % season]
        yhat, lower, upper = _ets_fit(y / past, horizon, interval, season, seasonal=False)
        return yhat * future, lower * future, upper * future
    # Zeros or negatives rule out a multiplicative season: an additive one, when two seasons exist.
    seasonal = season > 1 and n >= 2 * season + 2 and y.min() <= 0
    return _ets_fit(y, horizon, interval, season, seasonal=seasonal)


def _ets_fit(y, horizon, interval, season, *, seasonal: bool):
    """Additive-error ETS with a damped trend (and an additive season), simpler forms as fallbacks."""
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    n = len(y)
    endog = pd.Series(y)  # statsmodels' ETS prediction needs an index (a bare array fails)
    # Richest first; a shorter or odd series falls back to fewer parameters.
    configs = [
        {"trend": "add", "damped_trend": True, "seasonal": "add" if seasonal else None},
        {"trend": "add", "damped_trend": True, "seasonal": None},
        {"trend": None, "damped_trend": False, "seasonal": None},
    ]
    last_error: Exception | None = None
    for config in configs if seasonal else configs[1:]:
        try:
            kwargs = {"seasonal_periods": season} if config["seasonal"] else {}
            res = ETSModel(endog, error="add", **config, **kwargs).fit(disp=False, maxiter=100)
            pred = res.get_prediction(start=n, end=n + horizon - 1)
            bands = np.asarray(pred.pred_int(alpha=1 - interval))
            out = np.asarray(pred.predicted_mean), bands[:, 0], bands[:, 1]
            if all(np.all(np.isfinite(a)) for a in out):
                return out
        except Exception as exc:  # try the simpler form
            last_error = exc
    raise ModelUnavailable(f"ETS could not be fitted: {last_error}")


def _theta(y, horizon, season, interval, *, bands=True, **_):
    from statsmodels.tsa.forecasting.theta import ThetaModel

    y = _recent(y, season)
    n = len(y)
    if n < 4:
        raise ModelUnavailable("Theta needs at least 4 periods of history")
    seasonal = season > 1 and n >= 2 * season
    # Multiplicative deseasonalising divides by the season: only for strictly positive data.
    method = "multiplicative" if seasonal and y.min() > 0 else "additive"
    res = ThetaModel(y, period=season if season > 1 else None, deseasonalize=seasonal, method=method).fit()
    yhat = np.asarray(res.forecast(horizon))
    if not bands:
        return yhat, yhat, yhat
    band = res.prediction_intervals(horizon, alpha=1 - interval)
    return yhat, np.asarray(band["lower"]), np.asarray(band["upper"])


def _prophet(y, horizon, season, interval, *, periods=None, grain="day", country=None, bands=True, **_):
    import pandas as pd
    from prophet import Prophet

    if periods is None or len(periods) != len(y):
        raise ModelUnavailable("Prophet needs the dates of the history")
    _quiet_prophet()
    span_days = (periods[-1] - periods[0]).days
    model = Prophet(
        interval_width=interval,
        yearly_seasonality=span_days >= 730 if grain != "month" else len(y) >= 24,
        weekly_seasonality=grain == "day" and len(y) >= 14,
        daily_seasonality=False,
        # the point forecast is the fitted curve's, the samples only draw the band: a caller
        # that reads the point forecasts (a calibration origin) skips them, ~40% of a fit
        uncertainty_samples=PROPHET_SAMPLES if bands else 0,
    )
    if country and grain == "day":
        try:
            model.add_country_holidays(country_name=country)
        except Exception:  # a country the holidays package does not know: fit without holidays
            logging.getLogger(__name__).info("no holidays known for country %r", country)
    history = pd.DataFrame({"ds": pd.to_datetime(periods), "y": y})
    model.fit(history)
    future = pd.DataFrame(
        {"ds": pd.date_range(history["ds"].iloc[-1], periods=horizon + 1, freq=_FREQ[grain])[1:]}
    )
    out = model.predict(future)
    if not bands:  # no samples, no yhat_lower/yhat_upper columns
        return out["yhat"].to_numpy(), out["yhat"].to_numpy(), out["yhat"].to_numpy()
    return out["yhat"].to_numpy(), out["yhat_lower"].to_numpy(), out["yhat_upper"].to_numpy()


_FITTERS = {"naive": _naive, "snaive": _snaive, "ets": _ets, "theta": _theta, "prophet": _prophet}
