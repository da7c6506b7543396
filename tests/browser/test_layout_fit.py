"""Every analytics page fits its boxes: at 1440x900 and 390x844, light and dark, nothing is cut.

The rule (tests/browser/fit.py, also used when looking at screenshots by hand): no grid cell,
grid header or KPI card text is wider than its box (``scrollWidth > clientWidth``) and nothing
inside a KPI card reaches outside it (goal bars used to spill onto the cards below). The folded
KPI cards are opened first so they are checked too. No console errors either. The forecasts,
reports and settings pages hold no grids but cards of their own: nothing in any card reaches
outside it and no text in one is cut without a tooltip (``CARD_FIT_JS``).
"""

from __future__ import annotations

import pytest
from dash.testing.wait import until
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from components import ids
from dashboard.accounts import get_workspace, workspace_context
from dashboard.filters import today_in
from dashboard.goals import set_goal
from dashboard.models import User
from tests.browser.conftest import DEMO_EMAIL, DESKTOP, PHONE, login, reveal_panels
from tests.browser.fit import CARD_FIT_JS, FIT_CHECK_JS, ROW_BOTTOMS_JS, SETTLED_JS

pytestmark = pytest.mark.browser

PAGES = {"/": "Overview", "/revenue": "Revenue", "/campaigns": "Campaigns", "/customers": "Customers"}


def _settle(dash_duo, path: str) -> None:
    """Open ``path`` and wait until its KPI cards, charts and grids have rendered."""
    dash_duo.driver.get(dash_duo.server.url + path)
    dash_duo.wait_for_text_to_equal(f"#{ids.PAGE_TITLE}", PAGES[path], timeout=30)
    reveal_panels(dash_duo)
    until(lambda: dash_duo.driver.execute_script(SETTLED_JS), timeout=60)


def _unfold(dash_duo) -> None:
    """Open the KPI row's "More" cards (when the row folds at this size)."""
    for button in dash_duo.driver.find_elements("css selector", ".pb-kpi-folded .pb-fold-toggle"):
        if button.is_displayed():
            # centred first: on a phone the sticky top bar can cover a button near the edge
            # (a script click: while the page's panels settle, a row below can shift over it)
            dash_duo.driver.execute_script(
                "arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()", button
            )
            until(lambda: not dash_duo.driver.find_elements("css selector", ".pb-kpi-folded"), timeout=10)


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_fit001_no_text_cut_and_nothing_spills_out_of_a_card(dash_duo, demo_app, size, theme):
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*size)
    login(dash_duo)
    checked = 0
    for path in PAGES:
        _settle(dash_duo, path)
        dash_duo.driver.execute_script(f"window.pulseboardTheme.apply('{theme}')")
        _unfold(dash_duo)
        problems = dash_duo.driver.execute_script(FIT_CHECK_JS)
        assert problems == [], (path, problems[:10])
        checked += len(dash_duo.driver.find_elements("css selector", ".pb-kpi-value, .ag-cell"))
        assert dash_duo.get_logs() == [], path
    assert checked > 50  # the check saw cards and grid cells, not an empty page


def test_fit005_cards_side_by_side_end_on_one_line(dash_duo, demo_app):
    # A grid that grows to show its few rows (components.grids.fitted_height) is taller than the
    # chart beside it: the shorter card stretches to the row's height instead of ending ~90 px
    # above its neighbour (assets/pulseboard.css).
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*DESKTOP)
    login(dash_duo)
    pairs = 0
    for path in ("/revenue", "/campaigns", "/customers"):
        _settle(dash_duo, path)
        assert dash_duo.driver.execute_script(ROW_BOTTOMS_JS) == [], path
        pairs += dash_duo.driver.execute_script(
            "return [...document.querySelectorAll('.row')].filter((row) =>"
            " [...row.children].filter((col) => col.children.length === 1"
            " && col.firstElementChild.classList.contains('pb-panel')).length > 1).length"
        )
    assert pairs >= 3  # the check saw rows of cards side by side, not single cards


def test_fit002_the_more_row_is_remembered_per_page(dash_duo, demo_app):
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*PHONE)
    login(dash_duo)
    _settle(dash_duo, "/revenue")
    hidden = [c for c in dash_duo.driver.find_elements("css selector", ".pb-kpi") if not c.is_displayed()]
    assert len(hidden) == 7  # eleven cards, four lead on a phone
    _unfold(dash_duo)
    _settle(dash_duo, "/revenue")  # a reload keeps the row open
    until(lambda: dash_duo.driver.find_elements("css selector", ".pb-kpi-unfolded"), timeout=10)
    assert all(c.is_displayed() for c in dash_duo.driver.find_elements("css selector", ".pb-kpi"))
    _settle(dash_duo, "/campaigns")  # another page keeps its own choice
    assert dash_duo.driver.find_elements("css selector", ".pb-kpi-folded")


#: the pages of test_fit003 and what fills each one's cards first
CARD_PAGES = ("/forecasts", "/reports", "/settings")
#: a long goal label: the goal list's title must wrap inside its card on a phone
LONG_GOAL_METRIC = "revenue_per_customer_month"


def _long_goal(services) -> None:
    """A goal with a long metric label this month, so /settings lists one that must wrap."""
    with services.db.session() as db:
        user = db.execute(select(User).where(User.email == DEMO_EMAIL)).scalar_one()
        ctx = workspace_context(db, user.id, get_workspace(db, "demo").id)
    set_goal(services, ctx, LONG_GOAL_METRIC, "month", today_in(ctx.workspace.timezone), 25)


def _fill(dash_duo, path: str) -> None:
    """Open ``path`` and fill its cards as a user would: run a forecast, preview a report."""
    dash_duo.driver.get(dash_duo.server.url + path)
    dash_duo.wait_for_text_to_equal(f"#{ids.PAGE_TITLE}", path.strip("/").title(), timeout=30)
    if path == "/forecasts":
        until(lambda: dash_duo.find_element(f"#{ids.FORECAST_METRIC}").text.strip() == "Net revenue", 30)
        Select(dash_duo.find_element(f"#{ids.FORECAST_GRAIN}")).select_by_value("week")
        Select(dash_duo.find_element(f"#{ids.FORECAST_MODEL}")).select_by_value("theta")
        dash_duo.find_element(f"#{ids.FORECAST_RUN}").click()
        dash_duo.wait_for_contains_text(f"#{ids.FORECAST_STATUS}", "Done", timeout=180)
        dash_duo.wait_for_element(f"#{ids.FORECAST_BACKTEST}-table", timeout=10)
    elif path == "/reports":
        button = dash_duo.wait_for_element(f"#{ids.REPORTS_PREVIEW_BUTTON}", timeout=30)
        dash_duo.driver.execute_script(
            "arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()", button
        )
        dash_duo.wait_for_contains_text(f"#{ids.REPORTS_PREVIEW}", "Net revenue", timeout=60)
    else:
        dash_duo.wait_for_contains_text(f"#{ids.SETTINGS_GOALS}", "Monthly revenue per customer", timeout=30)
        dash_duo.wait_for_contains_text(f"#{ids.SETTINGS_PEOPLE}", "Send invitation", timeout=30)
    until(lambda: "Loading…" not in dash_duo.find_element("#_pages_content").text, timeout=30)


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_fit003_forecasts_reports_and_settings_fit_their_cards(dash_duo, demo_app, demo_services, size):
    _long_goal(demo_services)
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*size)
    login(dash_duo)
    # the login's redirect to "/" lands first: a page opened before it would be replaced by it
    dash_duo.wait_for_text_to_equal(f"#{ids.PAGE_TITLE}", "Overview", timeout=30)
    checked = 0
    for path in CARD_PAGES:
        _fill(dash_duo, path)
        for theme in ("light", "dark"):
            dash_duo.driver.execute_script(f"window.pulseboardTheme.apply('{theme}')")
            problems = dash_duo.driver.execute_script(FIT_CHECK_JS) + dash_duo.driver.execute_script(
                CARD_FIT_JS
            )
            assert problems == [], (path, theme, problems[:10])
        checked += len(dash_duo.driver.find_elements("css selector", ".card"))
        assert dash_duo.get_logs() == [], path
    assert checked >= 10  # the check saw the pages' cards, not an empty page


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_fit004_a_german_workspace_fits_and_reads_german_numbers(dash_duo, demo_app, demo_services, size):
    """de-DE numbers are longer ("52,8k $", "+36,5 %"): cards and grids still fit, grids format them."""
    with demo_services.db.session() as db:
        get_workspace(db, "demo").locale = "de-DE"
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*size)
    login(dash_duo)
    for path in PAGES:
        _settle(dash_duo, path)
        _unfold(dash_duo)
        problems = dash_duo.driver.execute_script(FIT_CHECK_JS)
        assert problems == [], (path, problems[:10])
        assert dash_duo.get_logs() == [], path
    # the grid's valueFormatter (d3.formatLocale in the browser) writes the German amounts
    cells = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('.ag-cell')).map(e => e.textContent)"
    )
    money = [c for c in cells if c.endswith("\u00a0$")]
    assert money and all("," in c for c in money), cells[:20]
    values = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('.pb-kpi-value')).map(e => e.textContent)"
    )
    assert any("\u00a0$" in v for v in values), values
