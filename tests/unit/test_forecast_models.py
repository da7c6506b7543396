"""Models, seasonality recovery and every edge case real data brings (dashboard.forecast)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from dashboard.forecast.engine import forecast
from dashboard.forecast.models import MODELS, ModelUnavailable, predict, z_of
from dashboard.forecast.series import ForecastError, damp_outliers, prepare
from tests.unit.forecast_helpers import series_of

FAST = ("ets", "theta", "snaive", "naive")  # Prophet has its own test (a fit costs ~1 s)


def test_fcm001_naive_and_snaive_by_hand():
    y = np.array([1.0, 2, 3, 4, 5, 6, 7, 8])
    p = predict("naive", y, horizon=2, season=3, interval=0.8)
    assert list(p.yhat) == [8, 8]
    # step 2's band is sqrt(2) times step 1's (random walk), diffs all 1 -> sigma 1
    assert p.upper[0] - p.yhat[0] == pytest.approx(z_of(0.8))
    assert p.upper[1] - p.yhat[1] == pytest.approx(z_of(0.8) * np.sqrt(2))
    s = predict("snaive", y, horizon=4, season=3, interval=0.8)
    assert list(s.yhat) == [6, 7, 8, 6]


def test_fcm002_wider_interval_gives_a_wider_band():
    s = series_of(lambda t: 50 + t * 0.5, n=60, noise=3)
    for model in FAST:
        narrow = predict(model, s.values, horizon=5, season=7, interval=0.5)
        wide = predict(model, s.values, horizon=5, season=7, interval=0.95)
        assert np.all(wide.upper - wide.lower >= narrow.upper - narrow.lower - 1e-9), model


@pytest.mark.parametrize("model", FAST)
def test_fcm003_weekly_seasonality_is_recovered(model):
    # a weekday business: weekends at 20, weekdays at 100
    shape = lambda t: np.where(t % 7 >= 5, 20.0, 100.0)  # noqa: E731
    s = series_of(shape, n=140, noise=1)
    p = predict(model, s.values, horizon=14, season=7, interval=0.8)
    truth = shape(np.arange(140, 154))
    if model == "naive":  # no season: the check is that the seasonal ones do far better
        assert np.mean(np.abs(p.yhat - truth)) > 20
    else:
        assert np.mean(np.abs(p.yhat - truth)) < 8, model


def test_fcm004_yearly_seasonality_recovered_by_month():
    shape = lambda t: 1000 + 300 * np.sin(2 * np.pi * t / 12) + 5 * t  # noqa: E731
    s = series_of(shape, n=48, noise=10, grain="month")
    result = forecast(s, horizon=12, candidates=FAST)
    truth = shape(np.arange(48, 60))
    assert np.mean(np.abs(result.yhat - truth)) / 1000 < 0.08
    assert result.model != "naive"


def test_fcm005_prophet_fits_offline_with_holidays_and_a_band():
    s = series_of(lambda t: 100 + 10 * np.sin(2 * np.pi * t / 7), n=70, noise=1)
    p = predict("prophet", s.values, horizon=7, season=7, periods=s.periods, grain="day", country="US")
    truth = 100 + 10 * np.sin(2 * np.pi * np.arange(70, 77) / 7)
    assert np.mean(np.abs(p.yhat - truth)) < 4
    assert np.all(p.lower <= p.yhat) and np.all(p.yhat <= p.upper)


def test_fcm005b_prophet_point_forecasts_skip_the_band_samples_and_keep_the_point():
    """A calibration origin reads Prophet's point forecast only: without the band's samples it is
    the same forecast (the fitted curve's), at less cost, and its band is the point itself."""
    s = series_of(lambda t: 100 + 10 * np.sin(2 * np.pi * t / 7), n=70, noise=1)
    fit = {"horizon": 7, "season": 7, "periods": s.periods, "grain": "day"}
    full, point = predict("prophet", s.values, **fit), predict("prophet", s.values, bands=False, **fit)
    assert np.allclose(point.yhat, full.yhat)
    assert np.array_equal(point.lower, point.yhat) and np.array_equal(point.upper, point.yhat)


def test_fcm006_unknown_model_and_missing_dates_are_unavailable():
    with pytest.raises(ModelUnavailable, match="unknown model"):
        predict("arima", np.ones(10), horizon=1, season=7)
    with pytest.raises(ModelUnavailable, match="dates"):
        predict("prophet", np.arange(10.0), horizon=1, season=7)
    with pytest.raises(ModelUnavailable, match="more than one season"):
        predict("snaive", np.arange(10.0), horizon=1, season=12)


# -- edge cases ------------------------------------------------------------------------------------


def test_fce001_constant_series_gives_the_constant_and_no_fan():
    s = series_of(lambda t: np.full_like(t, 42.0), n=40)
    result = forecast(s, horizon=5, candidates=FAST)
    assert np.allclose(result.yhat, 42) and np.allclose(result.lower, 42) and np.allclose(result.upper, 42)


def test_fce002_all_zero_history_is_refused_clearly():
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(30)]
    s = prepare(days, [0] * 30, "day", last_day=days[-1])
    with pytest.raises(ForecastError, match="needs at least 14 whole days with data, and has 0"):
        forecast(s, horizon=5)


def test_fce003_a_handful_of_points_is_refused_with_how_much_is_needed():
    months = [date(2026, m, 1) for m in range(1, 5)]
    s = prepare(months, [1, 2, 3, 4], "month", last_day=date(2026, 4, 30))
    with pytest.raises(ForecastError, match="at least 6 whole months.*has 4"):
        forecast(s, horizon=3)


def test_fce004_just_enough_points_forecast_with_the_naive_guess_said_plainly():
    months = [date(2026, m, 1) for m in range(1, 7)]
    s = prepare(months, [10, 12, 11, 13, 12, 14], "month", last_day=date(2026, 6, 30))
    result = forecast(s, horizon=3)
    assert result.model == "naive" and "Too little history" in result.reason
    assert "not enough history yet" in result.accuracy
    assert len(result.rows()) == 3


def test_fce005_gaps_and_zeros_do_not_break_any_model():
    rng = np.random.default_rng(5)
    y = rng.poisson(3, 120).astype(float)
    y[30:45] = 0  # a fortnight without sales
    s = series_of(lambda t: y[t.astype(int)], n=120)
    result = forecast(s, horizon=7, candidates=FAST)
    assert np.all(result.lower >= 0) and np.all(np.isfinite(result.yhat))


def test_fce006_negative_values_are_allowed_when_the_history_has_them():
    s = series_of(lambda t: -50 + 5 * np.sin(2 * np.pi * t / 7), n=60, noise=1)  # net refunds
    result = forecast(s, horizon=7, candidates=FAST)
    assert np.all(result.yhat < 0)


def test_fce007_counts_never_go_below_zero():
    s = series_of(lambda t: np.maximum(0, 30 - 0.5 * t), n=58, noise=0.5)  # falling to zero
    result = forecast(s, horizon=30, candidates=FAST)
    assert np.all(result.lower >= 0) and np.all(result.yhat >= 0)


def test_fce008_an_outlier_does_not_blow_up_the_forecast():
    base = series_of(lambda t: 100 + 10 * np.sin(2 * np.pi * t / 7), n=120, noise=1)
    spiked = base.values.copy()
    spiked[-3] = 10_000  # one enormous invoice three days ago
    damped = damp_outliers(spiked, 7)
    assert damped[-3] < 200 and damped[-4] == spiked[-4]
    s = series_of(lambda t: spiked[t.astype(int)], n=120)
    result = forecast(s, horizon=7, candidates=FAST)
    assert np.all(result.yhat < 200)


def test_fce009_damping_leaves_a_weekly_pattern_alone():
    y = np.where(np.arange(70) % 7 >= 5, 0.0, 100.0)
    assert np.array_equal(damp_outliers(y, 7), y)


def test_fce010_series_starting_mid_range_is_cut_at_its_first_value():
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(60)]
    values = [0] * 20 + [5] * 40
    s = prepare(days, values, "day", last_day=days[-1])
    assert s.periods[0] == date(2026, 1, 21) and len(s) == 40


def test_fce011_unfinished_last_period_is_dropped_not_fitted_as_a_drop():
    months = [date(2025, m, 1) for m in range(1, 13)] + [date(2026, 1, 1)]
    values = [100.0] * 12 + [15.0]  # January so far: the 5th
    s = prepare(months, values, "month", last_day=date(2026, 1, 4))
    assert s.periods[-1] == date(2025, 12, 1) and s.partial == (date(2026, 1, 1), 15.0)
    result = forecast(s, horizon=1, candidates=FAST)
    assert result.periods == [date(2026, 1, 1)] and result.yhat[0] == pytest.approx(100)


def test_fce012_nulls_and_nans_read_as_zero():
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(20)]
    s = prepare(days, [1, None, float("nan"), *range(17)], "day", last_day=days[-1])
    assert s.values[1] == 0 and s.values[2] == 0


def test_fce013_bad_requests_name_the_bad_value():
    s = series_of(lambda t: t + 1, n=30)
    with pytest.raises(ForecastError, match="unknown model 'arima'"):
        forecast(s, horizon=3, model="arima")
    with pytest.raises(ForecastError, match="horizon"):
        forecast(s, horizon=0)
    with pytest.raises(ForecastError, match="interval"):
        forecast(s, horizon=3, interval=1.5)
    with pytest.raises(ForecastError, match="unknown grain"):
        prepare([date(2026, 1, 1)], [1], "year", last_day=date(2026, 1, 1))


def test_fce014_every_model_is_known_and_answers_on_a_plain_series():
    s = series_of(lambda t: 10 + t, n=40, noise=0.5)
    for model in MODELS:
        result = forecast(s, horizon=3, model=model)
        assert result.model == model and len(result.rows()) == 3
