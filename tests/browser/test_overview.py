"""The overview in a real browser: log in, read KPIs, change filters, phone layout."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from selenium.webdriver.support.ui import Select

from components import ids
from components.overview import OVERVIEW_KPIS
from dashboard.cli import cli
from tests.browser.conftest import PHONE, horizontal_overflow, login, reveal_panels, wait_for

pytestmark = pytest.mark.browser


def cli_metric(services, name: str, start: date, end: date) -> float:
    result = CliRunner().invoke(
        cli,
        [
            "metric",
            name,
            "--workspace",
            "demo",
            "--from",
            start.isoformat(),
            "--to",
            end.isoformat(),
            "--json",
        ],
        obj=services,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["rows"][0]["value"]


def test_brw001_kpis_equal_pulseboard_metric(dash_duo, demo_app, demo_services):
    dash_duo.start_server(demo_app, navigate=False)
    end = date.today() - timedelta(days=3)
    start = end - timedelta(days=59)
    query = f"?range=custom&from={start}&to={end}&compare=previous_period&grain=week"
    login(dash_duo, next_path="/" + query)
    dash_duo.wait_for_element(f"#{ids.kpi_card('net_revenue')}-value", timeout=20)
    for name in OVERVIEW_KPIS:
        element = dash_duo.find_element(f"#{ids.kpi_card(name)}-value")
        shown = element.get_attribute("data-value")
        expected = cli_metric(demo_services, name, start, end)
        assert shown not in ("", None), (name, element.get_attribute("outerHTML"))
        assert float(shown) == pytest.approx(expected, abs=0.005), name
    assert (
        float(dash_duo.find_element(f"#{ids.kpi_card('net_revenue')}-value").get_attribute("data-value")) > 0
    )
    assert dash_duo.get_logs() == []


def test_brw002_filter_change_goes_into_the_url(dash_duo, demo_app):
    dash_duo.start_server(demo_app, navigate=False)
    login(dash_duo)
    dash_duo.wait_for_element(f"#{ids.kpi_card('net_revenue')}-value", timeout=20)
    Select(dash_duo.find_element(f"#{ids.FILTER_RANGE}")).select_by_value("last_7_days")
    dash_duo.wait_for_contains_text(f"#{ids.FILTER_SUMMARY}", "Last 7 days", timeout=10)
    assert "range=last_7_days" in dash_duo.driver.current_url
    # the link reproduces the view
    dash_duo.driver.get(dash_duo.driver.current_url)
    dash_duo.wait_for_contains_text(f"#{ids.FILTER_SUMMARY}", "Last 7 days", timeout=10)
    assert dash_duo.get_logs() == []


def test_brw003_phone_has_no_horizontal_overflow_and_menu_collapses(dash_duo, demo_app):
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*PHONE)
    login(dash_duo)
    dash_duo.wait_for_element(f"#{ids.kpi_card('sessions')}-value", timeout=20)
    assert horizontal_overflow(dash_duo) <= 0
    collapse = dash_duo.find_element(f"#{ids.NAVBAR_COLLAPSE}")
    assert not collapse.is_displayed() or "show" not in collapse.get_attribute("class")
    dash_duo.find_element(f"#{ids.NAVBAR_TOGGLER}").click()
    dash_duo.wait_for_class_to_equal(f"#{ids.NAVBAR_COLLAPSE}", "navbar-collapse collapse show", timeout=5)
    assert horizontal_overflow(dash_duo) <= 0
    assert dash_duo.get_logs() == []


def test_brw004_anonymous_browser_lands_on_login(dash_duo, demo_app):
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.get(dash_duo.server.url + "/")
    assert "/login" in dash_duo.driver.current_url
    assert dash_duo.driver.find_element("name", "password")


def test_brw005_the_trend_the_layout_holds_shows_on_a_laptop_and_waits_on_a_phone(dash_duo, demo_app):
    """The trend chart comes with the layout: drawn when its card shows, redrawn for another metric."""
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*PHONE)
    login(dash_duo)
    dash_duo.wait_for_element(f"#{ids.kpi_card('sessions')}-value", timeout=20)
    # below the fold on a phone: not drawn until the reader scrolls to it
    assert dash_duo.driver.find_elements("css selector", f"#{ids.OVERVIEW_TREND}") == []
    reveal_panels(dash_duo)
    dash_duo.wait_for_element(f"#{ids.OVERVIEW_TREND} .main-svg", timeout=20)

    dash_duo.driver.set_window_size(1440, 900)
    dash_duo.driver.get(dash_duo.server.url + "/")
    dash_duo.wait_for_element(f"#{ids.OVERVIEW_TREND} .main-svg", timeout=20)  # on screen at once
    Select(dash_duo.find_element(f"#{ids.OVERVIEW_TREND_METRIC}")).select_by_value("sessions")
    wait_for(
        lambda: "Sessions" in dash_duo.find_element(f"#{ids.OVERVIEW_TREND}").text,
        what="the trend redrawn for sessions",
    )
    assert dash_duo.get_logs() == []
