"""In a real browser: the CSP lets every page work (no violation in the console), log-out posts."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from components import ids
from tests.browser.conftest import login

pytestmark = pytest.mark.browser

PAGES = {
    "/": "Overview",
    "/revenue": "Revenue",
    "/campaigns": "Campaigns",
    "/customers": "Customers",
    "/sources": "Data sources",
    "/settings": "Settings",
}


def _settle(dash_duo) -> None:
    deadline = time.time() + 40
    while time.time() < deadline and dash_duo.driver.find_elements("css selector", "[data-dash-is-loading]"):
        time.sleep(0.2)


def _use(dash_duo) -> None:
    """Do what a visitor does that runs more code than drawing: sort the first grid by its first
    column (its formatters run again) and hover the first chart (Plotly's hover labels)."""
    driver = dash_duo.driver
    headers = driver.find_elements(By.CSS_SELECTOR, ".ag-header-cell-label")
    if headers:
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", headers[0])
        headers[0].click()
    plots = driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .nsewdrag")
    if plots:
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", plots[0])
        ActionChains(driver).move_to_element(plots[0]).pause(0.3).move_by_offset(5, 0).perform()
    _settle(dash_duo)


def test_secb001_every_page_runs_under_the_csp_without_violations(dash_duo, demo_app):
    # The CSP has no 'unsafe-eval' (dashboard/server.py): code built from a string anywhere in
    # what these pages run shows here as a violation.
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.get(dash_duo.server.url + "/login")
    assert dash_duo.get_logs() == []
    login(dash_duo)
    for path, title in PAGES.items():
        dash_duo.driver.get(dash_duo.server.url + path)
        dash_duo.wait_for_text_to_equal(f"#{ids.PAGE_TITLE}", title, timeout=60)
        _settle(dash_duo)
        _use(dash_duo)
        logs = dash_duo.get_logs()
        assert not [e for e in logs if "Content Security Policy" in e.get("message", "")], (path, logs)
        assert logs == [], path


def test_secb002_the_navbar_log_out_button_posts_and_ends_the_session(dash_duo, demo_app):
    dash_duo.start_server(demo_app, navigate=False)
    login(dash_duo)
    dash_duo.wait_for_text_to_equal(f"#{ids.PAGE_TITLE}", "Overview", timeout=60)
    dash_duo.driver.set_window_size(1440, 900)
    dash_duo.driver.find_element(By.CSS_SELECTOR, "form.pb-logout-form button[type=submit]").click()
    dash_duo.wait_for_element("input[name=email]", timeout=10)
    assert "/login" in dash_duo.driver.current_url
    dash_duo.driver.get(dash_duo.server.url + "/revenue")
    dash_duo.wait_for_element("input[name=email]", timeout=10)  # logged out: back to the form
    assert dash_duo.get_logs() == []
