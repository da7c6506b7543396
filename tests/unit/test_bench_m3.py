"""bench/forecast.py's M3 protocols: which forecasts each one makes, and which targets it may judge.

No timing and no accuracy is asserted: three real M3 series, forecast by the real engine."""

from __future__ import annotations

from bench import forecast as bench_forecast


def test_the_official_origin_alone_makes_one_forecast_a_series_and_judges_no_published_number_on_a_slice():
    official = bench_forecast.m3_accuracy(3, auto_prophet=False, first=0, official_only=True,
                                          prophet_defaults_too=False)  # fmt: skip
    assert official["forecasts"] == 3 and official["origins"] == "official"
    assert set(official["smape"]) == {"auto", "ets", "theta", "snaive"}
    # three series are not the published protocol (all 1428): no verdict against its number
    assert set(official["targets"]) == {"auto_not_worse_than_snaive", "auto_within_5pct_of_our_theta"}
    both = bench_forecast.m3_accuracy(3, auto_prophet=False, first=0, prophet_defaults_too=False)
    assert both["forecasts"] > 3  # the second origin, 18 months earlier, where the history allows


def test_the_published_protocol_is_all_series_at_the_official_origin(monkeypatch):
    seen = {}

    def fake(count, **kwargs):
        seen.update(count=count, **kwargs)
        return {}

    monkeypatch.setattr(bench_forecast, "m3_accuracy", fake)
    bench_forecast.m3_published_protocol()
    assert seen == {"count": 0, "auto_prophet": False, "official_only": True, "prophet_defaults_too": False}
    assert bench_forecast.M3_MONTHLY_SERIES == 1428
