"""Walk every page at desktop and phone size: it renders, fits the width, and logs no errors."""

from __future__ import annotations

import time

import pytest

from components import ids
from tests.browser.conftest import DESKTOP, PHONE, horizontal_overflow, login

pytestmark = pytest.mark.browser

PAGES = {"/": "Overview", "/revenue": "Revenue", "/campaigns": "Campaigns", "/customers": "Customers",
         "/sources": "Data sources"}


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_pag001_every_page_renders_fits_and_logs_no_errors(dash_duo, demo_app, size):
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*size)
    login(dash_duo)
    for path, title in PAGES.items():
        dash_duo.driver.get(dash_duo.server.url + path)
        dash_duo.wait_for_text_to_equal(f"#{ids.PAGE_TITLE}", title, timeout=20)
        # let the page's callbacks settle: no loading spinner left
        deadline = time.time() + 20
        while time.time() < deadline and dash_duo.driver.find_elements("css selector", "[data-dash-is-loading]"):
            time.sleep(0.2)
        assert horizontal_overflow(dash_duo) <= 0, path
        assert dash_duo.get_logs() == [], path
