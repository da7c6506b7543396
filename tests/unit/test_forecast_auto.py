"""How ``auto`` chooses: the seasonality test, the seasonal adjustment, the backtest's training
floor and the preference for the ETS + Theta combination (dashboard.forecast)."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.forecast import backtest
from dashboard.forecast.engine import COMBO, COMBO_MARGIN, _choose, _preferred, backtest_min_train, forecast
from dashboard.forecast.models import predict
from dashboard.forecast.seasonality import has_season, seasonal_indices
from tests.unit.forecast_helpers import series_of

SHAPE = np.array([0.7, 0.8, 1.0, 1.1, 1.3, 1.4, 1.3, 1.1, 1.0, 0.9, 0.8, 0.6])


def _monthly(n=72, noise=0.02, seed=5, growth=0.01):
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    return 1000 * (1 + growth) ** t * SHAPE[t % 12] * (1 + rng.normal(0, noise, n))


def _noise(seed):
    return 1000 + np.random.default_rng(seed).normal(0, 50, 72)


def test_fca101_the_seasonality_test_finds_a_season_and_rarely_sees_one_in_noise():
    assert all(has_season(_monthly(seed=seed), 12) for seed in range(10))
    # a 90% test: about 1 pure-noise series in 10 passes it by chance (binomial(60, 0.1): 6 +- 2.3)
    flagged = sum(has_season(_noise(seed), 12) for seed in range(60))
    assert flagged <= 14
    assert not has_season(_monthly(n=30), 12)  # under three seasons: too little to test


def test_fca102_multiplicative_indices_are_recovered_and_average_one():
    index = seasonal_indices(_monthly(noise=0.01), 12)
    assert index.mean() == pytest.approx(1.0)
    assert np.max(np.abs(index - SHAPE / SHAPE.mean())) < 0.05


def test_fca103_no_multiplicative_season_for_zeros_negatives_or_noise():
    y = _monthly()
    y[5] = 0.0
    assert seasonal_indices(y, 12) is None
    assert seasonal_indices(y - 2000, 12) is None
    # positive data: indices exactly when the test finds a season
    for seed in range(20):
        assert (seasonal_indices(_noise(seed), 12) is None) == (not has_season(_noise(seed), 12))


def test_fca104_ets_forecasts_a_multiplicative_season_that_grows_with_the_level():
    y = _monthly(n=84, noise=0.01)
    truth = _monthly(n=96, noise=0.0)[84:]
    p = predict("ets", y, horizon=12, season=12, interval=0.8)
    assert np.mean(np.abs(p.yhat - truth) / truth) < 0.05
    assert np.all(p.lower <= p.yhat) and np.all(p.yhat <= p.upper)


def test_fca105_backtest_origins_keep_two_seasons_of_training_when_they_can():
    assert backtest_min_train(100, 12, "month") == 24
    assert backtest_min_train(30, 12, "month") == 15  # half the history when two seasons do not fit
    assert backtest_min_train(8, 12, "month") == 6  # never below the grain's minimum
    assert backtest_min_train(400, 7, "day") == 14


def _scores(**mase):
    return {name: backtest.ModelScore(smape=10 * m, mase=m) for name, m in mase.items()}


def test_fca106_the_combination_is_kept_unless_a_model_is_clearly_better():
    # Theta 5% better than the combination: within the margin, the steadier combination stays
    assert _preferred(_scores(ets=1.1, theta=0.95, combo=1.0, naive=1.6)) == COMBO
    # clearly better (more than the margin): the single model wins
    clearly = 1.0 - COMBO_MARGIN - 0.05
    assert _preferred(_scores(ets=1.1, theta=clearly, combo=1.0, naive=1.6)) == "theta"
    # no combination to prefer: the smallest error
    assert _preferred(_scores(snaive=0.9, naive=1.2)) == "snaive"


def test_fca107_the_reason_says_why_the_combination_was_kept():
    chosen, reason = _choose("auto", _scores(ets=1.1, theta=0.95, combo=1.0, naive=1.6), {}, 18, "month")
    assert chosen == COMBO
    assert "no single model did clearly better" in reason
    assert "Theta MASE 0.95" in reason and "combination MASE 1.00" in reason and "18 months" in reason
    chosen, reason = _choose("auto", _scores(ets=1.1, theta=0.5, combo=1.0, naive=1.6), {}, 18, "month")
    assert chosen == "theta" and "smallest error" in reason and "MASE 0.50" in reason


def test_fca108_auto_on_a_seasonal_monthly_series_backtests_the_combination_and_beats_naive():
    shape = lambda t: 1000 * (1.01**t) * SHAPE[t.astype(int) % 12]  # noqa: E731
    s = series_of(shape, n=72, noise=15, grain="month")
    result = forecast(s, horizon=12, candidates=("ets", "theta", "snaive", "naive"))
    assert COMBO in result.backtest
    assert result.backtest[result.model]["mase"] < result.backtest["naive"]["mase"]
    truth = shape(np.arange(72, 84, dtype=float))
    assert np.mean(np.abs(result.yhat - truth) / truth) < 0.08
