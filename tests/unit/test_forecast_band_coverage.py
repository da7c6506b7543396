"""The backtest's "in band": the share of tested days inside the calibrated band the page draws.

The forecast's band is read from the chosen model's own errors at earlier cuts
(:mod:`dashboard.forecast.calibration`); the backtest table's coverage must describe that band,
not the model's own (which held 97-100% of the days for Theta), and may use at each cut only
the errors seen before it.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest
from plotly.io.json import to_json_plotly

from components.forecast import backtest_table
from dashboard.forecast import backtest, engine
from dashboard.forecast.series import Series, damp_outliers

WEEK = np.array([1.0, 1.2, 1.3, 1.2, 1.1, 0.6, 0.6])
FIRST = date(2025, 1, 1)


def _series(y) -> Series:
    return Series([FIRST + timedelta(days=i) for i in range(len(y))], np.asarray(y, dtype=float), "day")


def _seasonal(seed: int, n: int) -> np.ndarray:
    """A weekly season around 100 with normal noise (sd 15), as the band tests use."""
    t = np.arange(n)
    return 100 * WEEK[t % 7] + np.random.default_rng(seed).normal(0, 15, n)


def _text(component) -> str:
    """Every string in a Dash component tree, joined (what a person reads on the page)."""
    return json.dumps(json.loads(to_json_plotly(component)), ensure_ascii=False)


@pytest.mark.parametrize("model", ["theta", "snaive"])
def test_fcc001_coverage_is_the_share_inside_the_band_the_page_would_have_drawn(model):
    """For each backtest cut, the band is the one a forecast fitted on the history up to that cut
    draws (run it, compare): the reported coverage is the mean share inside those bands, not
    inside the model's own band (Theta's held every day)."""
    y = _seasonal(7, 300)
    result = engine.forecast(_series(y), horizon=28, model=model, non_negative=True)
    assert result.tested_horizon == 28
    cuts = backtest.origins(len(y), 28, backtest.ORIGINS, engine.backtest_min_train(len(y), 7, "day"))
    assert len(cuts) == 3
    shares = []
    for cut in cuts:
        # damped as the whole history is: the series has no outlier, so cutting changes nothing
        assert np.allclose(damp_outliers(y[:cut], 7), damp_outliers(y, 7)[:cut])
        seen = engine.forecast(_series(y[:cut]), horizon=28, model=model, non_negative=True)
        assert seen.band_steps == 28
        actual = y[cut : cut + 28]
        shares.append(np.mean((actual >= seen.lower) & (actual <= seen.upper)))
    score = result.backtest[model]
    assert score["coverage"] == pytest.approx(np.mean(shares), abs=1e-3)
    assert score["coverage_rough"] is False
    assert 0.6 <= score["coverage"] <= 0.95
    if model == "theta":  # its own band grows like a random walk's: it held every day
        assert score["raw_coverage"] >= 0.97 and score["coverage"] < score["raw_coverage"] - 0.05


def test_fcc002_a_cuts_band_uses_nothing_from_the_cut_on():
    """Replacing every day from the cut on (the days the cut is scored on and all after) leaves its
    band unchanged: it is calibrated on errors seen before the cut only, not leave-one-out."""
    y = _seasonal(3, 300)
    fitted = damp_outliers(y, 7)
    cut, h = 216, 28
    yhat = np.full(h, 100.0)
    earlier = {188: np.full(h, 90.0), 160: np.full(h, 110.0)}

    def band(values, damped):
        return engine.cut_band(
            "snaive", cut, yhat, earlier, _series(values), damped, 0.8, country=None, non_negative=True
        )

    before = band(y, fitted)
    assert before is not None
    wild = y.copy()
    wild[cut:] = 5000.0  # a month nobody could have foreseen, and everything after it
    damped = fitted.copy()
    damped[cut:] = 5000.0
    after = band(wild, damped)
    assert np.array_equal(before[0], after[0]) and np.array_equal(before[1], after[1])


def test_fcc003_too_little_history_before_the_earliest_cut_says_rough_not_a_share():
    """120 days, four weeks ahead: today's band is checked over all 28 days, but before the
    earliest backtest cut (day 36) there are three calibration origins, too few to read a band:
    no share is claimed for any model, and the table says 'rough'."""
    result = engine.forecast(_series(_seasonal(1, 120)), horizon=28, model="snaive", non_negative=True)
    assert result.band_steps == 28 and not result.band_rough
    assert result.tested_horizon == 28 and result.origins == 3
    for name, score in result.backtest.items():
        assert score["coverage"] is None and score["coverage_rough"] is True, name
        assert 0 <= score["raw_coverage"] <= 1  # the model's own band, kept under its own name
    payload = {
        "backtest": result.backtest,
        "model": result.model,
        "interval": 0.8,
        "grain": "day",
        "tested_horizon": 28,
        "origins": 3,
    }
    text = _text(backtest_table(payload))
    assert text.count('"rough"') == len(result.backtest)
    assert "Too little history before the earliest test point to check the 80% band there" in text


def test_fcc004_the_table_shows_the_calibrated_share_and_says_what_it_is():
    payload = {
        "backtest": {
            "combo": {
                "smape": 7.7,
                "mase": 1.39,
                "coverage": 0.733,
                "coverage_rough": False,
                "raw_coverage": None,
            },
            "theta": {
                "smape": 7.6,
                "mase": 1.40,
                "coverage": 0.756,
                "coverage_rough": False,
                "raw_coverage": 0.978,
            },
        },
        "model": "combo",
        "interval": 0.8,
        "grain": "day",
        "tested_horizon": 30,
        "origins": 3,
    }
    text = _text(backtest_table(payload))
    assert '"In 80% band"' in text
    assert '"73%"' in text and '"76%"' in text and '"98%"' not in text  # the calibrated share
    assert "76% of the actual days fell inside the 80% band (the model's own band held 98%)." in text
    assert "share of the actual days inside the 80% band the chart would have drawn at each point" in text
    # a cached payload from before the field existed still renders
    old = {**payload, "backtest": {"naive": {"smape": 9.0, "mase": 2.0, "coverage": 0.9}}}
    assert '"90%"' in _text(backtest_table(old))


def test_fcc005_a_caller_without_the_table_skips_the_checks_and_progress_stays_in_order():
    y = _series(_seasonal(2, 200))
    steps = []
    result = engine.forecast(
        y, horizon=14, model="auto", candidates=("snaive", "naive"), on_step=lambda *a: steps.append(a)
    )
    # two models tested, two bands checked, one final fit: progress only ever goes forwards
    assert [(d, t) for d, t, _ in steps] == [(0, 5), (1, 5), (2, 5), (3, 5), (4, 5)]
    assert steps[2][2] == "checking Seasonal naive's range"
    assert all(s["coverage"] is not None for s in result.backtest.values())
    quick = engine.forecast(y, horizon=14, model="auto", candidates=("snaive", "naive"), check_bands=False)
    for score in quick.backtest.values():
        assert score["coverage"] is None and score["coverage_rough"] is False
        assert score["raw_coverage"] is not None
    # the same forecast and band either way: the checks only add the table's column
    assert np.array_equal(quick.lower, result.lower) and np.array_equal(quick.upper, result.upper)


def test_fcc006_a_slow_model_is_checked_only_when_it_is_the_one_chosen(monkeypatch):
    """Prophet's check refits it at every earlier cut: skipped (and said so) unless it is chosen."""
    monkeypatch.setattr(engine, "SLOW_TO_CHECK", frozenset({"naive"}))  # naive stands in: fast
    y = _series(_seasonal(2, 200))
    result = engine.forecast(y, horizon=14, model="auto", candidates=("snaive", "naive"))
    assert result.model == "snaive"  # a weekly season: the seasonal model wins
    naive, snaive = result.backtest["naive"], result.backtest["snaive"]
    assert (naive["coverage"], naive["coverage_checked"]) == (None, False)
    assert naive["raw_coverage"] is not None  # its own band's share is still in the hover text
    assert snaive["coverage"] is not None and snaive["coverage_checked"] is True
    payload = {"backtest": result.backtest, "model": result.model, "interval": 0.8, "grain": "day"}
    table = _text(backtest_table({**payload, "tested_horizon": 14, "origins": 3}))
    assert '"not checked"' in table and "Not checked: a slow model" in table
    chosen = engine.forecast(y, horizon=14, model="naive")
    assert chosen.backtest["naive"]["coverage_checked"] is True
    assert chosen.backtest["naive"]["coverage"] is not None
