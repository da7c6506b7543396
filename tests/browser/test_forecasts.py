"""Forecasts in a real browser: the revenue chart's Forecast toggle, and /forecasts at both sizes."""

from __future__ import annotations

import pytest
from dash.testing.wait import until
from selenium.webdriver.support.ui import Select

from components import ids
from tests.browser.conftest import DESKTOP, PHONE, click_when_clear, horizontal_overflow, login

pytestmark = pytest.mark.browser

#: the names of the traces on the page's Plotly charts
TRACE_NAMES = """
return Array.from(document.querySelectorAll('.js-plotly-plot'))
    .flatMap(p => (p.data || []).map(t => t.name + '|' + (t.fill || '')));
"""


def test_brfc001_revenue_forecast_toggle_draws_the_band(dash_duo, demo_app):
    dash_duo.start_server(demo_app, navigate=False)
    login(dash_duo, next_path="/revenue?range=last_90_days&grain=week&compare=previous_period")
    dash_duo.wait_for_element(f"#{ids.REVENUE_FORECAST_TOGGLE}", timeout=30)
    until(lambda: any(n.startswith("Net revenue|") for n in dash_duo.driver.execute_script(TRACE_NAMES)), 120)
    assert not any("range" in n for n in dash_duo.driver.execute_script(TRACE_NAMES))
    switch = lambda: dash_duo.find_element(f"#{ids.REVENUE_FORECAST_TOGGLE}")  # noqa: E731
    click_when_clear(dash_duo, switch, "the Forecast switch")
    until(lambda: "80% range|toself" in dash_duo.driver.execute_script(TRACE_NAMES), 120)
    assert any(n.startswith("Forecast (") for n in dash_duo.driver.execute_script(TRACE_NAMES))
    click_when_clear(dash_duo, switch, "the Forecast switch")  # off again: the band goes
    until(lambda: "80% range|toself" not in dash_duo.driver.execute_script(TRACE_NAMES), 30)
    assert dash_duo.get_logs() == []


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_brfc002_forecasts_page_runs_a_forecast_at_both_sizes(dash_duo, demo_app, size):
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*size)
    login(dash_duo, next_path="/forecasts")
    dash_duo.wait_for_element(f"#{ids.FORECAST_RUN}", timeout=30)
    until(lambda: dash_duo.find_element(f"#{ids.FORECAST_METRIC}").text.strip() == "Net revenue", 30)
    Select(dash_duo.find_element(f"#{ids.FORECAST_GRAIN}")).select_by_value("week")
    Select(dash_duo.find_element(f"#{ids.FORECAST_MODEL}")).select_by_value("theta")
    dash_duo.find_element(f"#{ids.FORECAST_RUN}").click()
    dash_duo.wait_for_contains_text(f"#{ids.FORECAST_STATUS}", "Done", timeout=180)
    dash_duo.wait_for_contains_text(f"#{ids.FORECAST_SUMMARY}-model", "Theta", timeout=10)
    assert dash_duo.find_element(f"#{ids.FORECAST_BACKTEST}-table").is_displayed()
    # Plotly draws the chart just after Dash mounts it: wait for the band rather than race it
    until(lambda: "80% range|toself" in dash_duo.driver.execute_script(TRACE_NAMES), 30)
    assert horizontal_overflow(dash_duo) <= 0
    assert dash_duo.get_logs() == []
