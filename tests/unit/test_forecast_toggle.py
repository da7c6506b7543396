"""The revenue chart's Forecast switch: switching it off (or on again) leaves one clean chart."""

import plotly.graph_objects as go

from components.forecast import add_forecast, without_forecast

PAYLOAD = {
    "unit": "currency",
    "currency": "EUR",
    "interval": 0.8,
    "rows": [
        {"period": "2026-11-02", "yhat": 120.0, "lower": 100.0, "upper": 140.0},
        {"period": "2026-11-09", "yhat": 125.0, "lower": 101.0, "upper": 150.0},
    ],
    "history": [{"period": "2026-10-26", "value": 110.0}],
    "partial": {"period": "2026-11-02", "value": 40.0},
}


def test_fct001_without_forecast_takes_away_exactly_the_forecast_traces():
    base = go.Figure(go.Scatter(x=["2026-10-26"], y=[110.0], name="Net revenue"))
    plain = base.to_plotly_json()
    with_band = add_forecast(go.Figure(base), PAYLOAD, name="Forecast (ETS)").to_plotly_json()
    assert len(with_band["data"]) > len(plain["data"])
    assert [t["name"] for t in without_forecast(with_band)["data"]] == ["Net revenue"]
    # on again over a figure that already had one: still a single band
    again = add_forecast(
        go.Figure(without_forecast(with_band)), PAYLOAD, name="Forecast (ETS)"
    ).to_plotly_json()
    assert len(again["data"]) == len(with_band["data"])


def test_fct002_forecast_hovers_carry_the_currency():
    fig = add_forecast(go.Figure(), PAYLOAD, name="Forecast (ETS)")
    line = next(t for t in fig.data if t.name == "Forecast (ETS)")
    # the first point is the last actual value the line continues from
    assert list(line.text)[1] == "€120.00 (range €100.00 – €140.00)"
    assert line.hovertemplate == "%{text}<extra>Forecast (ETS)</extra>"
    so_far = next(t for t in fig.data if t.name == "So far (unfinished)")
    assert list(so_far.text) == ["€40.00"]
