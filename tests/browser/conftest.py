"""Browser-test harness: headless Debian Chromium via dash_duo, a demo-seeded app, a login helper."""

from __future__ import annotations

import time
from urllib.parse import quote, urlsplit

import pytest
from selenium.webdriver.common.by import By

from dashboard.demo_setup import seed_demo

DEMO_EMAIL = "demo@pulseboard.local"
DEMO_PASSWORD = "pulseboard-demo"
DESKTOP = (1440, 900)
PHONE = (390, 844)


def pytest_setup_options():
    """Chromium options for dash_duo: headless-friendly and quiet on a closed network."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for flag in (
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--window-size=1440,900",
    ):
        options.add_argument(flag)
    return options


@pytest.fixture
def demo_services(services):
    """Services whose "demo" workspace holds the generated demo business and its owner."""
    seed_demo(services, "demo", seed=7, years=1, owner=DEMO_EMAIL, owner_password=DEMO_PASSWORD)
    return services


@pytest.fixture
def demo_app(settings, demo_services):
    from app import create_app

    app = create_app(settings)
    app.server.extensions["pulseboard"] = demo_services  # one warehouse handle per process
    return app


# Start servers with ``dash_duo.start_server(app, navigate=False)``: every page needs a login, so
# dash_duo's own wait for the Dash entry point on "/" would only find the login form.


def login(dash_duo, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD, next_path: str = "/") -> None:
    """Log in through the real server-rendered form; returns once the browser has left /login.

    Waiting matters: a test that opens another page right after the click could cancel the
    form's POST (no session: the page answers with the log-in form) or be replaced by the
    log-in's redirect landing late (test_fit002 opened /revenue and found the Overview).
    """
    dash_duo.driver.get(f"{dash_duo.server.url}/login?next={quote(next_path)}")
    dash_duo.driver.find_element(By.NAME, "email").send_keys(email)
    dash_duo.driver.find_element(By.NAME, "password").send_keys(password)
    dash_duo.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(
        lambda: urlsplit(dash_duo.driver.current_url).path not in ("/login", ""),
        timeout=30,
        what="the log-in to redirect",
    )


def horizontal_overflow(dash_duo) -> int:
    """Pixels the page is wider than the viewport (0 or less means no horizontal scrolling)."""
    return dash_duo.driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")


def wait_for(predicate, timeout=20, what="condition"):
    """Poll ``predicate`` until it is truthy (an exception counts as "not yet"); its value."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            value = predicate()
        except Exception:  # the element is being re-rendered: try again
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


#: how many lazy panels (assets/lazy_panels.js) have not been filled yet
UNFILLED_JS = "return document.querySelectorAll('.pb-panel-body[data-pb-fill]:empty').length"


def reveal_panels(dash_duo, timeout: float = 60) -> None:
    """Scroll down the page a screen at a time, as a reader does, until every lazy panel is filled.

    Chart and grid panels ask for their content only when they near the viewport, so a test
    that checks a whole page first scrolls through it; it ends back at the top.
    """
    driver = dash_duo.driver
    deadline = time.time() + timeout
    y = 0
    while driver.execute_script(UNFILLED_JS) and time.time() < deadline:
        driver.execute_script("window.scrollTo(0, arguments[0])", y)
        time.sleep(0.3)  # the observer fires on the next frame; the panel's answer follows
        if y > driver.execute_script("return document.documentElement.scrollHeight"):
            y = 0  # the page grew or shrank while filling: go round again
        else:
            y += driver.execute_script("return window.innerHeight")
    wait_for(lambda: driver.execute_script(UNFILLED_JS) == 0, timeout=max(deadline - time.time(), 1),
             what="every panel to be filled")  # fmt: skip
    driver.execute_script("window.scrollTo(0, 0)")


def click_when_clear(dash_duo, find, what: str) -> None:
    """Click an element once nothing covers it: the sticky navbar or a loading overlay may, for a moment."""

    def attempt():
        element = find()
        dash_duo.driver.execute_script(
            "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element
        )
        element.click()  # raises ElementClickInterceptedException while covered; _wait retries
        return True

    wait_for(attempt, what=f"a click on {what}")
