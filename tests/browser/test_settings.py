"""The /settings page in a real browser: set a goal, switch the theme, reload, and fit a phone."""

from __future__ import annotations

import time

import pytest
from selenium.common.exceptions import ElementClickInterceptedException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from components import ids
from dashboard.models import Goal, User
from tests.browser.conftest import DEMO_EMAIL, DESKTOP, PHONE, horizontal_overflow, login

pytestmark = pytest.mark.browser


def _bs_theme(dash_duo) -> str | None:
    return dash_duo.driver.execute_script("return document.documentElement.dataset.bsTheme")


def _wait_for(predicate, timeout: float = 15, what: str = "condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _saved_theme(services) -> str:
    with services.db.session() as db:
        return db.scalar(select(User.theme).where(User.email == DEMO_EMAIL))


def _click(dash_duo, selector: str):
    """Scroll an element to the middle of the viewport (clear of the sticky navbar) and click it.

    Panels still rendering can move the page between the scroll and the click (the click then
    lands on whatever slid under the pointer), so wait for callbacks to settle and retry.
    """
    for attempt in range(5):
        _settled(dash_duo)
        element = dash_duo.wait_for_element(selector, timeout=20)
        dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        try:
            element.click()
            return
        except ElementClickInterceptedException:
            if attempt == 4:
                raise
            time.sleep(0.3)


def _assert_no_console_errors(dash_duo):
    logs = dash_duo.get_logs()
    assert logs == [], [entry["message"] for entry in logs]  # the whole message, not pytest's cut


def _settled(dash_duo):
    _wait_for(
        lambda: not dash_duo.driver.find_elements(By.CSS_SELECTOR, "[data-dash-is-loading]"),
        timeout=60,  # the goals list re-renders every 1.5 s until its chances are computed
        what="callbacks to settle",
    )


def test_set001_owner_sets_a_goal_and_switches_to_dark(dash_duo, demo_app, demo_services):
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*DESKTOP)
    login(dash_duo, next_path="/settings")
    dash_duo.wait_for_text_to_equal(f"#{ids.PAGE_TITLE}", "Settings", timeout=20)
    assert _bs_theme(dash_duo) == "light"

    # a monthly net revenue goal
    dash_duo.wait_for_element(f"#{ids.SETTINGS_GOAL_SAVE}", timeout=20)
    Select(dash_duo.find_element(f"#{ids.SETTINGS_GOAL_METRIC}")).select_by_value("net_revenue")
    Select(dash_duo.find_element(f"#{ids.SETTINGS_GOAL_PERIOD}")).select_by_value("month")
    target = dash_duo.find_element(f"#{ids.SETTINGS_GOAL_TARGET}")
    target.clear()
    target.send_keys("-1")
    dash_duo.find_element(f"#{ids.SETTINGS_GOAL_SAVE}").click()
    dash_duo.wait_for_contains_text(f"#{ids.SETTINGS_GOAL_MESSAGE}", "cannot be negative", timeout=15)
    target.clear()
    target.send_keys("20000")
    dash_duo.find_element(f"#{ids.SETTINGS_GOAL_SAVE}").click()
    dash_duo.wait_for_contains_text(
        f"#{ids.SETTINGS_GOAL_MESSAGE}", "Saved: Net revenue $20,000.00", timeout=15
    )
    dash_duo.wait_for_contains_text(f"#{ids.SETTINGS_GOALS}", "Net revenue", timeout=15)
    dash_duo.wait_for_contains_text(f"#{ids.SETTINGS_GOALS}", "Monthly", timeout=15)
    with demo_services.db.session() as db:
        assert [(g.metric, g.period, g.target) for g in db.scalars(select(Goal))] == [
            ("net_revenue", "month", 20000.0)
        ]

    # dark theme from the navbar button (keyboard: it is a real <button>)
    toggle = dash_duo.find_element(f"#{ids.THEME_TOGGLE}")
    assert toggle.tag_name == "button" and toggle.get_attribute("aria-label")
    toggle.click()
    _wait_for(lambda: _bs_theme(dash_duo) == "dark", what="dark theme")
    _wait_for(lambda: _saved_theme(demo_services) == "dark", what="the theme to be saved")
    # the picker on the page follows the button
    dash_duo.wait_for_element("input[type=radio][value=dark]:checked", timeout=10)

    # remembered: a fresh load is dark from the first byte (rendered by the server); leave only
    # once the page's callbacks are done, or the renderer logs the fetches the navigation aborts
    _settled(dash_duo)
    dash_duo.driver.get(dash_duo.server.url + "/revenue")
    assert _bs_theme(dash_duo) == "dark"
    dash_duo.wait_for_text_to_equal(f"#{ids.PAGE_TITLE}", "Revenue", timeout=20)
    # let the page's callbacks finish: leaving mid-request makes the renderer log aborted fetches
    _settled(dash_duo)

    # and back to light from the settings picker
    dash_duo.driver.get(dash_duo.server.url + "/settings")
    _click(dash_duo, "input[type=radio][value=light]")
    _wait_for(lambda: _bs_theme(dash_duo) == "light", what="light theme")
    _wait_for(lambda: _saved_theme(demo_services) == "light", what="the theme to be saved")
    _settled(dash_duo)
    _assert_no_console_errors(dash_duo)


def test_set002_auto_follows_the_system_and_phones_fit(dash_duo, demo_app, demo_services):
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*PHONE)
    dash_duo.driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}
    )
    login(dash_duo, next_path="/settings")
    dash_duo.wait_for_text_to_equal(f"#{ids.PAGE_TITLE}", "Settings", timeout=20)
    _click(dash_duo, "input[type=radio][value=auto]")
    _wait_for(lambda: _saved_theme(demo_services) == "auto", what="the theme to be saved")
    assert _bs_theme(dash_duo) == "dark"  # the emulated system preference

    _settled(dash_duo)
    dash_duo.driver.get(dash_duo.server.url + "/settings")
    # resolved in <head>, before the page is drawn
    assert dash_duo.driver.execute_script("return document.documentElement.dataset.pbTheme") == "auto"
    assert _bs_theme(dash_duo) == "dark"
    dash_duo.wait_for_element(f"#{ids.SETTINGS_GOAL_SAVE}", timeout=20)
    _settled(dash_duo)
    assert horizontal_overflow(dash_duo) <= 0

    dash_duo.driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]}
    )
    _wait_for(lambda: _bs_theme(dash_duo) == "light", what="auto to follow the system back to light")
    # the navbar button is outside the collapsed menu on phones
    assert dash_duo.find_element(f"#{ids.THEME_TOGGLE}").is_displayed()
    assert horizontal_overflow(dash_duo) <= 0
    _assert_no_console_errors(dash_duo)
