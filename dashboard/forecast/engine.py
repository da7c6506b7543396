"""From a prepared series to a forecast: backtest, choose the model, forecast, explain.

Pure computation (no warehouse, no cache): the service feeds it a :class:`~.series.Series`,
the benchmark feeds it public series, the tests feed it synthetic ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from dashboard.forecast import backtest, calibration
from dashboard.forecast.choices import AUTO, CHOICES, COMBO, COMBO_PARTS
from dashboard.forecast.models import LABELS, MODELS, ModelUnavailable, Prediction, predict
from dashboard.forecast.series import MIN_POINTS, ForecastError, Series, damp_outliers, future_periods

#: how much smaller (relative) a single model's backtest error must be to replace the combination
COMBO_MARGIN = 0.1
#: models whose band is checked only when chosen: each check refits them at every earlier cut
SLOW_TO_CHECK = frozenset({"prophet"})
#: what ``auto`` judges the models on (:func:`forecast`'s ``judge``): each period's error ...
PERIODS = "periods"
#: ... or, for an intermittent series, the error of the tested windows' totals (a KPI card's
#: period total: see :func:`judged_on`)
TOTALS = "totals"
#: a series with at least this share of zero periods (after its first non-zero) is intermittent
INTERMITTENT_SHARE = 0.3
_UNIT_WORD = {"day": "day", "week": "week", "month": "month"}


@dataclass
class ForecastResult:
    """Everything a page, the CLI or a KPI card shows about one forecast."""

    requested: str
    model: str
    grain: str
    interval: float
    periods: list[date]
    yhat: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    history_periods: list[date]
    history: np.ndarray
    #: model -> {"smape": %, "mase": x or None, "coverage": share inside the calibrated band or
    #: None, "coverage_rough": bool, "coverage_checked": False for a slow model's band left
    #: unchecked (SLOW_TO_CHECK), "raw_coverage": share inside the model's own band or None}
    backtest: dict[str, dict] = field(default_factory=dict)
    tested_horizon: int = 0
    origins: int = 0
    reason: str = ""
    accuracy: str = ""
    #: models left out and why (too short for them, failed to fit)
    skipped: dict[str, str] = field(default_factory=dict)
    partial: tuple[date, float] | None = None
    #: how many periods of the band are calibrated on the model's own past errors (from the
    #: first on); the rest is the model's own band, and the band is then ``band_rough``
    band_steps: int = 0

    @property
    def band_rough(self) -> bool:
        """True when part of the band (or all) could not be checked against the history."""
        return self.band_steps < len(self.periods)

    def rows(self) -> list[dict]:
        """The forecast rows: period (ISO date), yhat, lower, upper (rounded to cents)."""
        return [
            {"period": p.isoformat(), "yhat": _r(y), "lower": _r(lo), "upper": _r(hi)}
            for p, y, lo, hi in zip(self.periods, self.yhat, self.lower, self.upper, strict=True)
        ]


def _r(x: float) -> float:
    return round(float(x), 2)


def check_request(model: str, horizon: int, interval: float) -> None:
    """Raise ForecastError naming the bad value and the accepted ones."""
    if model not in CHOICES:
        raise ForecastError(f"unknown model {model!r}; accepted: {', '.join(CHOICES)}")
    if not isinstance(horizon, int) or not 1 <= horizon <= 1000:
        raise ForecastError(f"horizon must be a whole number of periods from 1 to 1000, got {horizon!r}")
    if not 0.5 <= interval <= 0.99:
        raise ForecastError(f"interval must be a coverage between 0.5 and 0.99 (0.8 = 80%), got {interval!r}")


def forecast(
    series: Series,
    *,
    horizon: int,
    model: str = AUTO,
    interval: float = 0.8,
    country: str | None = None,
    origins: int = backtest.ORIGINS,
    candidates: tuple[str, ...] = MODELS,
    on_step: Callable[[int, int, str], None] | None = None,
    non_negative: bool = False,
    check_bands: bool = True,
    judge: str = PERIODS,
) -> ForecastResult:
    """Backtest, choose (``auto``) or use the asked model, and forecast ``horizon`` periods.

    ``candidates`` are the models ``auto`` compares (all five by default). An explicit model is
    backtested beside the naive baselines, so its accuracy can be put in words against them.
    ``non_negative`` (a metric that cannot go below zero, :attr:`Metric.can_be_negative` False)
    keeps the forecast and its band at zero or above whatever the history held: a range of
    "−$120 to $300" for refunds is no range.
    ``check_bands`` measures, for every model backtested, the share of days inside the band it
    would have drawn (:func:`band_coverage`, the backtest table's "in band"), except a model in
    :data:`SLOW_TO_CHECK` that is not the one chosen; a caller that shows no table (a KPI card)
    skips those fits.
    ``judge`` is what ``auto`` compares the models on: their error on each period
    (:data:`PERIODS`, the forecast page's) or on the total of the tested periods
    (:data:`TOTALS`, a KPI card's "On track for ...", which adds the days left up).
    ``on_step(done, total, what)`` reports progress (one step per model tested, one per band
    checked, one for the final fit); it may raise to cancel the forecast between two fits.
    """
    check_request(model, horizon, interval)
    if len(series) < MIN_POINTS[series.grain]:
        raise ForecastError(
            f"not enough history to forecast by {series.grain}: it needs at least "
            f"{MIN_POINTS[series.grain]} whole {series.grain}s with data, and has {len(series)}. "
            "Pick a finer grain or wait for more data."
        )
    y_fit = damp_outliers(series.values, series.season)
    season = series.season

    def fit(name: str, length: int, h: int) -> Prediction:
        return predict(
            name,
            y_fit[:length],
            horizon=h,
            season=season,
            interval=interval,
            periods=series.periods[:length],
            grain=series.grain,
            country=country,
        )

    tested = list(candidates) if model == AUTO else list(dict.fromkeys([model, "snaive", "naive"]))
    # one step per model tested, one per band checked (the combination's too), one to forecast
    checked = [*tested, COMBO] if model == AUTO and set(COMBO_PARTS) <= set(tested) else tested
    checked = checked if check_bands else []
    total = len(tested) + len(checked) + 1

    def on_model(name: str) -> None:
        if on_step is not None:
            on_step(tested.index(name), total, f"testing {LABELS[name]}")

    scores, skipped, h = backtest.run(
        series.values,
        tested,
        fit,
        horizon=horizon,
        season=season,
        count=origins,
        min_train=backtest_min_train(len(series), season, series.grain),
        on_model=on_model,
    )
    if model == AUTO:
        parts = {m: scores[m] for m in COMBO_PARTS if m in scores}
        combo = backtest.combination_score(series.values, parts, season, h)
        if combo is not None:
            scores[COMBO] = combo
    judge = judged_on(judge, series.values)
    chosen, reason = _choose(model, scores, skipped, h, series.grain, judge)  # on errors, not bands
    # point forecasts from earlier cuts of this history, made once for the band checks and the
    # final band (the combination's parts, origins the two share)
    paths: dict = {}
    for name in checked:
        if name not in scores:  # left out of the backtest: no band to check
            continue
        if name in SLOW_TO_CHECK and name != chosen:
            # checking Prophet's band refits it ~30 times: most of a forecast's time (1.7 s ->
            # 4.5 s on the demo) for a band the chart does not draw. The chosen one is checked.
            scores[name].coverage_checked = False
            continue
        if on_step is not None:
            on_step(len(tested) + checked.index(name), total, f"checking {LABELS[name]}'s range")
        score = scores[name]
        score.coverage, score.coverage_rough = band_coverage(
            name, score, series, y_fit, interval, country=country, non_negative=non_negative, cache=paths
        )
    if on_step is not None:
        on_step(total - 1, total, f"forecasting with {LABELS[chosen]}")
    prediction = _final(chosen, fit, len(series.values), horizon, skipped)
    prediction, band_steps = conformal_band(
        chosen,
        prediction,
        series,
        y_fit,
        scores.get(chosen),
        h,
        interval,
        country=country,
        non_negative=non_negative,
        cache=paths,
    )
    if non_negative:
        prediction = Prediction(
            *(np.maximum(a, 0.0) for a in (prediction.yhat, prediction.lower, prediction.upper))
        )
    first_origin = min((o for s in scores.values() for o in s.forecasts), default=None)
    result = ForecastResult(
        requested=model,
        model=chosen,
        grain=series.grain,
        interval=interval,
        periods=future_periods(series.periods[-1], series.grain, horizon),
        yhat=prediction.yhat,
        lower=prediction.lower,
        upper=prediction.upper,
        history_periods=list(series.periods),
        history=series.values,
        backtest={
            name: {
                "smape": round(s.smape, 2),
                "mase": None if s.mase is None else round(s.mase, 3),
                # the share of tested days inside the calibrated band the page draws (None
                # when ``coverage_rough``); ``raw_coverage``: inside the model's own band
                "coverage": None if s.coverage is None else round(s.coverage, 3),
                "coverage_rough": s.coverage_rough,
                "coverage_checked": s.coverage_checked,
                "raw_coverage": None if s.raw_coverage is None else round(s.raw_coverage, 3),
            }
            for name, s in scores.items()
        },
        tested_horizon=h,
        origins=len({o for s in scores.values() for o in s.forecasts}) if first_origin is not None else 0,
        reason=reason,
        skipped=skipped,
        partial=series.partial,
        band_steps=band_steps,
    )
    result.accuracy = accuracy_sentence(result)
    return result


def backtest_min_train(n: int, season: int, grain: str) -> int:
    """The fewest periods a backtest origin trains on: two seasons (half the history if shorter).

    A seasonal model cut to less than two seasons cannot fit its season, so an origin that
    early tests a different, simpler model than the one that will forecast, and a seasonal
    naive guess cannot be made at all. Never below the grain's minimum history.
    """
    return max(MIN_POINTS[grain], min(2 * season, n // 2))


def judged_on(judge: str, y) -> str:
    """What ``auto`` compares the models on for a caller that asked ``judge``.

    A caller that adds the forecast up (:data:`TOTALS`, a KPI card) gets the models judged on
    the totals only where the series is intermittent: on a series that is zero most days, the
    forecast with the smallest daily error is zero every day, and the card read "On track for $0"
    for refunds that sum to $300-$1,100 a month. On a regular series each period's error is
    the steadier judge of the same thing. Card projections of the demo's last 12 months (days 3,
    10 and 20): refunds' median error of the month total 41% -> 29% judged on totals, net
    revenue's 11% judged on periods against 15% on totals.
    """
    if judge != TOTALS:
        return judge
    y = np.asarray(y, dtype=float)
    started = np.flatnonzero(y != 0)
    if started.size == 0:
        return PERIODS
    since = y[started[0] :]
    return TOTALS if np.mean(since == 0) >= INTERMITTENT_SHARE else PERIODS


def _error_key(score, judge: str = PERIODS) -> tuple:
    """Sort key of a backtest score: MASE when defined (scale-free), else sMAPE.

    Judged on :data:`TOTALS`: the error of the windows' totals first (see
    :func:`.backtest.total_error`), then as on periods.
    """
    if judge == TOTALS and score.total_error is not None:
        return (False, score.total_error, score.smape)
    if judge == TOTALS:
        return (True, score.smape, score.smape)
    return (score.mase is None, score.mase if score.mase is not None else score.smape, score.smape)


def _choose(
    model: str, scores: dict, skipped: dict, h: int, grain: str, judge: str = PERIODS
) -> tuple[str, str]:
    """The model to forecast with and why, in words."""
    if model != AUTO:
        if model in skipped and model not in scores and "too little history" not in skipped[model]:
            raise ForecastError(f"{LABELS[model]} cannot forecast this series: {skipped[model]}")
        return model, "Chosen by you."
    if not scores:
        return "naive", (
            "Too little history to test the models against each other, so the naive guess "
            "(the last value carried forward) is shown."
        )
    best = _preferred(scores, judge)
    others = sorted((n for n in scores if n != best), key=lambda n: _error_key(scores[n], judge))
    runner = f"; next best {LABELS[others[0]]}" if others else ""
    over = f"over the next {h} {_UNIT_WORD[grain]}{'s' if h != 1 else ''}"
    if best == COMBO and others and _error_key(scores[others[0]], judge) < _error_key(scores[COMBO], judge):
        single = others[0]
        return best, (
            f"{LABELS[best]}: no single model did clearly better when tested on your own history "
            f"({LABELS[single]} {_error_words(scores[single], judge)}, the combination "
            f"{_error_words(scores[COMBO], judge)} {over}), and an average of two models is steadier "
            "than either alone."
        )
    return best, (
        f"{LABELS[best]} had the smallest error when tested on your own history "
        f"({_error_words(scores[best], judge)} {over}{runner})."
    )


def _error_words(score, judge: str = PERIODS) -> str:
    """The error in words: MASE 0.84, or sMAPE 12.30 when MASE is undefined.

    Judged on :data:`TOTALS`: "total off by 12%" (the tested windows' totals).
    """
    if judge == TOTALS and score.total_error is not None:
        return f"total off by {score.total_error:.0%}"
    return f"MASE {score.mase:.2f}" if score.mase is not None else f"sMAPE {score.smape:.2f}"


def _preferred(scores: dict, judge: str = PERIODS) -> str:
    """The model ``auto`` forecasts with: the combination, unless one model is clearly better.

    A backtest of a few origins is a noisy judge: picking its single winner often picks the
    luckiest model, and forecasting competitions (M3, M4) found equal-weight combinations more
    accurate than per-series selection. So the combination is kept whenever a single model's
    backtest error is not smaller than the combination's by more than ``COMBO_MARGIN``.
    """
    best = min(scores, key=lambda name: _error_key(scores[name], judge))
    if COMBO not in scores or best == COMBO:
        return best
    mine, theirs = _error_key(scores[best], judge), _error_key(scores[COMBO], judge)
    if mine[0] != theirs[0]:  # one has a MASE and the other not: not comparable, keep the minimum
        return best
    return best if mine[1] < (1 - COMBO_MARGIN) * theirs[1] else COMBO


def _final(chosen: str, fit, n: int, horizon: int, skipped: dict) -> Prediction:
    """The chosen model's forecast from the whole history (the combination averages its parts)."""
    if chosen == COMBO:
        parts = [fit(m, n, horizon) for m in COMBO_PARTS]
        return Prediction(
            *(np.mean([getattr(p, a) for p in parts], axis=0) for a in ("yhat", "lower", "upper"))
        )
    try:
        return fit(chosen, n, horizon)
    except ModelUnavailable as exc:
        raise ForecastError(f"{LABELS.get(chosen, chosen)} cannot forecast this series: {exc}") from None


def conformal_band(
    chosen: str,
    prediction: Prediction,
    series: Series,
    y_fit: np.ndarray,
    score,
    h: int,
    interval: float,
    *,
    country: str | None,
    non_negative: bool,
    cache: dict | None = None,
) -> tuple[Prediction, int]:
    """The band read from the chosen model's own errors (:func:`.calibration.daily_band`).

    Returns the prediction with its band replaced, and how many periods of it are calibrated.
    The backtest's forecasts of the chosen model (``score``, tested horizon ``h``) count among
    the calibration origins; the others cost one point forecast each. Periods past what the
    history can check keep the model's own band (never narrower than the last checked one);
    with nothing checked at all, the model's band stays, widened to its backtest errors
    (:func:`calibrated`). ``cache`` holds point forecasts already made from earlier cuts of this
    history (:func:`.calibration.point_path`).
    """
    n, horizon = len(series.values), len(prediction.yhat)
    known = dict(score.forecasts) if score is not None else {}
    reused = {**known, **origin_paths(chosen, n, horizon, known, series, y_fit, non_negative, country, cache)}
    if non_negative:
        reused = {o: np.maximum(f, 0.0) for o, f in reused.items()}
    # as the models do: a history with nothing below zero gets no band below zero
    floor = non_negative or min(series.values) >= 0
    band = calibration.daily_band(series.values, y_fit, prediction.yhat, reused, interval, non_negative=floor)
    if band is None:
        return (
            calibrated(prediction, score, series.values, h, interval) if score is not None else prediction
        ), 0
    lower, upper, steps = band
    if steps < horizon:  # past the checked periods: the model's band, at least as wide as the last
        own = calibrated(prediction, score, series.values, h, interval) if score is not None else prediction
        reach_low = prediction.yhat[steps - 1] - lower[steps - 1]
        reach_high = upper[steps - 1] - prediction.yhat[steps - 1]
        lower[steps:] = np.minimum(own.lower[steps:], prediction.yhat[steps:] - reach_low)
        upper[steps:] = np.maximum(own.upper[steps:], prediction.yhat[steps:] + reach_high)
        if floor:
            lower = np.maximum(lower, 0.0)
    return Prediction(
        prediction.yhat, np.minimum(lower, prediction.yhat), np.maximum(upper, prediction.yhat)
    ), steps


def band_coverage(
    name: str,
    score,
    series: Series,
    y_fit: np.ndarray,
    interval: float,
    *,
    country: str | None,
    non_negative: bool,
    cache: dict | None = None,
) -> tuple[float | None, bool]:
    """The share of backtested periods inside the calibrated band ``name`` would have drawn: ``(share, rough)``.

    At each backtest cut the band is the one :func:`cut_band` rebuilds as if the history ended
    there, compared with what happened next; the share is the mean over the cuts, as the
    backtest's errors are. ``rough`` (and no share): at some cut the band could not be read
    over the whole tested window (too few earlier origins), so the page would have drawn the
    model's own band there, marked uncertain: no share of it is claimed.
    """
    held = []
    # earliest first: the cut with the least history is the one most likely to be rough
    for cut, yhat in sorted(score.forecasts.items()):
        earlier = {o: f for o, f in score.forecasts.items() if o < cut}
        band = cut_band(
            name,
            cut,
            yhat,
            earlier,
            series,
            y_fit,
            interval,
            country=country,
            non_negative=non_negative,
            cache=cache,
        )
        if band is None:
            return None, True
        actual = series.values[cut : cut + len(yhat)]
        held.append(np.mean((actual >= band[0]) & (actual <= band[1])))
    return (float(np.mean(held)), False) if held else (None, False)


def cut_band(
    name: str,
    cut: int,
    yhat: np.ndarray,
    earlier: dict[int, np.ndarray],
    series: Series,
    y_fit: np.ndarray,
    interval: float,
    *,
    country: str | None,
    non_negative: bool,
    cache: dict | None = None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The calibrated band ``(lower, upper)`` around ``yhat``, forecast at ``cut``, as the page would have drawn it.

    Built as :func:`conformal_band` builds today's band, as if the history ended at ``cut``:
    the same calibration origins (:func:`.calibration.band_origins`, the ``earlier`` backtest
    cuts' forecasts among them), the same :func:`.calibration.daily_band`. None when it cannot
    be read over all of ``yhat`` (the page would show the model's own band, marked rough).

    Only errors already seen at the cut calibrate it (``y[:cut]``: an earlier origin's days
    after the cut are cut off too). Leave-one-out over the cuts would be the cheaper reading,
    but it calibrates a cut on errors made after it, on the very days it is scored on (the
    windows touch, calibration windows overlap them): it flatters the band, and the page never
    has tomorrow's errors to draw today's band from. The damped history ``y_fit`` is the
    backtest's own (damping looks three days ahead), as the forecasts at the cuts are.
    """
    y = series.values
    horizon = len(yhat)
    paths = origin_paths(name, cut, horizon, earlier, series, y_fit, non_negative, country, cache)
    if non_negative:
        paths = {o: np.maximum(f, 0.0) for o, f in paths.items()}
    floor = non_negative or min(y[:cut]) >= 0
    band = calibration.daily_band(y[:cut], y_fit[:cut], yhat, paths, interval, non_negative=floor)
    if band is None or band[2] < horizon:
        return None
    lower, upper = np.minimum(band[0], yhat), np.maximum(band[1], yhat)
    if non_negative:  # as the engine floors the final forecast
        lower, upper = np.maximum(lower, 0.0), np.maximum(upper, 0.0)
    return lower, upper


def origin_paths(
    name: str,
    end: int,
    horizon: int,
    known: dict[int, np.ndarray],
    series: Series,
    y_fit: np.ndarray,
    non_negative: bool,
    country: str | None,
    cache: dict | None,
) -> dict[int, np.ndarray]:
    """``name``'s point forecasts from each calibration origin of the history up to ``end``.

    The origins are :func:`.calibration.band_origins`'s; one in ``known`` (a backtest cut's
    forecast) is reused, the others are made (:func:`.calibration.point_path`, through
    ``cache``). An origin too early for the model to fit is left out: one origin fewer.
    """
    min_train = backtest_min_train(end, series.season, series.grain)
    paths = {}
    for origin in calibration.band_origins(end, horizon, series.season, min_train, known):
        if origin in known:
            paths[origin] = known[origin]
            continue
        try:
            paths[origin] = calibration.point_path(
                name,
                y_fit[:origin],
                horizon,
                non_negative=non_negative,
                cache=cache,
                season=series.season,
                periods=series.periods[:origin],
                grain=series.grain,
                country=country,
            )
        except ModelUnavailable:
            continue
    return paths


def calibrated(prediction: Prediction, score, y: np.ndarray, h: int, interval: float) -> Prediction:
    """The band widened, where needed, to what the model's own backtest errors say.

    A model's band is only as good as its assumptions: on short or irregular series Prophet
    and ETS can be far too sure of themselves. The ``interval`` quantile of the absolute
    errors the model made in its backtest is a floor for the band's half-width, so an 80% band
    is never narrower than the errors seen 80% of the time.
    """
    errors = (
        np.concatenate([np.abs(y[o : o + h] - f) for o, f in score.forecasts.items()])
        if score.forecasts
        else []
    )
    if len(errors) < 3:
        return prediction
    floor = float(np.quantile(errors, interval))
    lower = np.minimum(prediction.lower, prediction.yhat - floor)
    upper = np.maximum(prediction.upper, prediction.yhat + floor)
    if np.min(y) >= 0:
        lower = np.maximum(lower, 0.0)
    return Prediction(prediction.yhat, lower, upper)


def accuracy_sentence(result: ForecastResult) -> str:
    """How accurate the chosen model has been, in words a non-statistician understands."""
    score = result.backtest.get(result.model)
    unit = _UNIT_WORD[result.grain]
    if not score:
        return (
            "There is not enough history yet to check how accurate forecasts of this series are; "
            "treat the forecast as a rough guide."
        )
    h = result.tested_horizon
    within = (
        f"typically within ±{score['smape']:.0f}% per {unit} over the next {h} {unit}{'s' if h != 1 else ''}"
    )
    baseline_name = "snaive" if "snaive" in result.backtest else "naive"
    baseline = result.backtest.get(baseline_name)
    label = LABELS[result.model]
    text = f"Tested on your own history, {label} was {within}"
    if result.model in ("naive", "snaive") or not baseline:
        return text + "."
    mine, theirs = score.get("mase"), baseline.get("mase")
    if mine is None or theirs is None or theirs == 0:
        mine, theirs = score["smape"], baseline["smape"]
    guess = (
        "repeating last " + {"day": "week", "week": "year", "month": "year"}[result.grain]
        if baseline_name == "snaive"
        else "repeating the last value"
    )
    if theirs and mine < theirs:
        return text + f", with {100 * (1 - mine / theirs):.0f}% smaller errors than simply {guess}."
    return text + f": no better than simply {guess}, so treat it as a rough guide."
