"""Backtesting arithmetic and model selection (dashboard.forecast.backtest / engine)."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.forecast import backtest
from dashboard.forecast.engine import COMBO, _choose, accuracy_sentence, forecast
from dashboard.forecast.models import Prediction
from tests.unit.forecast_helpers import series_of


def test_fcb001_smape_by_hand():
    # |100-110|*200/(210) = 9.5238..., |50-40|*200/90 = 22.22..., both zero = 0
    assert backtest.smape([100, 50, 0], [110, 40, 0]) == pytest.approx((2000 / 210 + 2000 / 90 + 0) / 3)


def test_fcb002_smape_bounds():
    assert backtest.smape([1, 2, 3], [1, 2, 3]) == 0
    assert backtest.smape([5], [0]) == 200
    assert backtest.smape([5], [-5]) == 200


def test_fcb003_mase_scale_uses_seasonal_naive_when_two_seasons_exist():
    train = np.array([1, 2, 3, 1, 2, 3, 1, 2, 4], dtype=float)  # season 3, n > 2*3
    # lag-3 differences: 0,0,0,0,0,1 -> mean 1/6
    assert backtest.mase_scale(train, 3) == pytest.approx(1 / 6)
    # a short history falls back to lag 1: |1|,|1|,|-2| -> 4/3
    assert backtest.mase_scale(np.array([1.0, 2, 3, 1]), 3) == pytest.approx(4 / 3)


def test_fcb004_mase_by_hand_and_undefined_for_constant_training():
    train = np.array([10.0, 12, 14, 16])  # lag-1 MAE = 2
    assert backtest.mase([20, 20], [18, 23], train, 7) == pytest.approx(((2 + 3) / 2) / 2)
    assert backtest.mase([1], [2], np.array([5.0, 5, 5]), 7) is None


def test_fcb005_origins_do_not_overlap_and_keep_the_minimum_training():
    assert backtest.origins(100, 10, 3, 14) == [70, 80, 90]
    assert backtest.origins(30, 10, 3, 14) == [20]
    assert backtest.origins(20, 10, 3, 14) == []


def test_fcb006_test_horizon_shrinks_to_fit_the_history():
    assert backtest.test_horizon(1000, 30, 3, 14) == 30
    assert backtest.test_horizon(24, 12, 3, 6) == 6
    assert backtest.test_horizon(6, 12, 3, 6) == 0


def test_fcb007_run_scores_a_known_forecaster_exactly():
    y = np.arange(1.0, 41.0)  # 1..40

    def always_ten(model, length, h):
        return Prediction(np.full(h, 10.0), np.full(h, 5.0), np.full(h, 15.0))

    scores, skipped, h = backtest.run(y, ["x"], always_ten, horizon=5, season=7, count=2, min_train=14)
    assert h == 5 and not skipped
    assert sorted(scores["x"].forecasts) == [30, 35]
    actual = np.concatenate([y[30:35], y[35:40]])
    expected = np.mean([backtest.smape(y[30:35], [10] * 5), backtest.smape(y[35:40], [10] * 5)])
    assert scores["x"].smape == pytest.approx(expected)
    assert scores["x"].raw_coverage == 0  # 31..40 never inside the own band [5, 15]
    assert actual.size == 10


def test_fcb008_combination_is_the_mean_of_its_parts():
    y = np.arange(50.0)
    a = backtest.ModelScore(smape=1, mase=1, forecasts={40: np.full(5, 40.0)})
    b = backtest.ModelScore(smape=1, mase=1, forecasts={40: np.full(5, 44.0)})
    combo = backtest.combination_score(y, {"a": a, "b": b}, 7, 5)
    assert np.allclose(combo.forecasts[40], 42.0)
    assert combo.smape == pytest.approx(backtest.smape(y[40:45], [42] * 5))


def test_fcb009_auto_picks_the_lowest_backtest_error():
    scores = {
        "ets": backtest.ModelScore(smape=5, mase=0.7),
        "theta": backtest.ModelScore(smape=4, mase=0.9),
        "naive": backtest.ModelScore(smape=9, mase=1.5),
    }
    chosen, reason = _choose("auto", scores, {}, 7, "day")
    assert chosen == "ets"
    assert "MASE 0.70" in reason and "next best Theta" in reason


def test_fcb010_explicit_model_is_kept_and_said_to_be_chosen_by_the_user():
    scores = {"naive": backtest.ModelScore(smape=1, mase=0.1), "theta": backtest.ModelScore(smape=9, mase=2)}
    assert _choose("theta", scores, {}, 7, "day") == ("theta", "Chosen by you.")


def test_fcb011_auto_on_a_seasonal_series_beats_the_naive_guess():
    s = series_of(lambda t: 100 + 30 * np.sin(2 * np.pi * t / 7), n=200, noise=2)
    result = forecast(s, horizon=14, candidates=("ets", "theta", "snaive", "naive"))
    assert result.model in ("ets", "theta", "snaive", COMBO)
    assert result.backtest[result.model]["mase"] < result.backtest["naive"]["mase"]
    assert "smaller errors than simply repeating last week" in result.accuracy


def test_fcb012_the_sentence_says_when_a_model_is_no_better_than_the_naive_guess():
    s = series_of(lambda t: 100 + 30 * np.sin(2 * np.pi * t / 7), n=120, noise=1)
    result = forecast(s, horizon=7, model="naive")
    result.model = "theta"  # pretend the chosen model did as badly as the naive guess
    result.backtest["theta"] = dict(result.backtest["naive"])
    assert "no better than simply repeating last week" in accuracy_sentence(result)
