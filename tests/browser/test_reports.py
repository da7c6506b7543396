"""The /reports page in a real browser: preview a report, schedule it, see it listed; fits a phone."""

from __future__ import annotations

import json

import pytest
from dash.testing.wait import until
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from components import ids
from tests.browser.conftest import DESKTOP, PHONE, click_when_clear, horizontal_overflow, login

pytestmark = pytest.mark.browser


def _click(dash_duo, element_id: str) -> None:
    element = dash_duo.wait_for_element(f"#{element_id}", timeout=30)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    dash_duo.driver.execute_script("arguments[0].click()", element)


def test_rep001_preview_schedule_and_list(dash_duo, demo_app):
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*DESKTOP)
    login(dash_duo, next_path="/reports")
    dash_duo.wait_for_element(f"#{ids.REPORTS_PREVIEW_BUTTON}", timeout=30)
    _click(dash_duo, ids.REPORTS_PREVIEW_BUTTON)
    dash_duo.wait_for_contains_text(f"#{ids.REPORTS_PREVIEW}", "Net revenue", timeout=60)
    links = dash_duo.find_elements(f"#{ids.REPORTS_DOWNLOAD_LINKS} a")
    assert [a.text for a in links] == ["Download PDF", "Download Excel", "Download CSV"]
    assert "/reports/export.pdf?" in links[0].get_attribute("href")
    recipients = dash_duo.wait_for_element(f"#{ids.REPORTS_RECIPIENTS}", timeout=30)
    recipients.send_keys("ann@example.com")
    _click(dash_duo, ids.REPORTS_SAVE)
    dash_duo.wait_for_contains_text(
        f"#{ids.REPORTS_SAVE_MESSAGE}", "Scheduled Weekly performance", timeout=30
    )
    dash_duo.wait_for_contains_text(f"#{ids.REPORTS_SCHEDULES}", "every Monday at 08:00", timeout=30)
    _click_button(dash_duo, "Pause")
    dash_duo.wait_for_contains_text(f"#{ids.REPORTS_SCHEDULES}", "(paused)", timeout=30)
    dash_duo.driver.set_window_size(*PHONE)
    until(lambda: horizontal_overflow(dash_duo) <= 0, timeout=10)
    _click_button(dash_duo, "Delete")
    dash_duo.wait_for_contains_text(f"#{ids.REPORTS_SCHEDULES}", "No scheduled reports yet.", timeout=30)
    assert dash_duo.get_logs() == []


def _click_button(dash_duo, text: str) -> None:
    """Click the schedules table's button labelled ``text`` (its id is a pattern id)."""
    element = dash_duo.driver.find_element(
        By.XPATH, f"//*[@id='{ids.REPORTS_SCHEDULES}']//button[text()='{text}']"
    )
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    dash_duo.driver.execute_script("arguments[0].click()", element)


def test_rep002_filter_bar_links_for_the_current_view(dash_duo, demo_app):
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*DESKTOP)
    login(dash_duo, next_path="/revenue?range=last_7_days&compare=none&grain=day")
    until(
        lambda: (
            "d-none" not in dash_duo.driver.find_element(By.ID, ids.REPORT_DOWNLOADS).get_attribute("class")
        ),
        timeout=60,
    )
    href = dash_duo.driver.find_element(By.ID, ids.REPORT_PDF_LINK).get_attribute("href")
    assert "/reports/export.pdf?page=%2Frevenue&range=last_7_days&compare=none" in href
    assert dash_duo.get_logs() == []


@pytest.mark.parametrize("page", ["/forecasts", "/ai-performance"])
def test_rep003_forecasts_and_ai_performance_show_the_download_links(dash_duo, demo_app, page):
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*DESKTOP)
    login(dash_duo, next_path=page)
    until(
        lambda: (
            "d-none" not in dash_duo.driver.find_element(By.ID, ids.REPORT_DOWNLOADS).get_attribute("class")
        ),
        timeout=60,
    )
    encoded = page.replace("/", "%2F")
    assert f"/reports/export.pdf?page={encoded}" in dash_duo.driver.find_element(
        By.ID, ids.REPORT_PDF_LINK
    ).get_attribute("href")
    assert f"/reports/export.xlsx?page={encoded}" in dash_duo.driver.find_element(
        By.ID, ids.REPORT_XLSX_LINK
    ).get_attribute("href")
    assert dash_duo.get_logs() == []


def test_rep004_custom_period_and_a_filter_in_the_preview(dash_duo, demo_app):
    """Pick "Custom range", type its dates, choose a channel: the preview names both."""
    from datetime import date, timedelta

    from components.formatting import format_date_range

    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*DESKTOP)
    login(dash_duo, next_path="/reports")
    wrap = dash_duo.wait_for_element(f"#{ids.REPORTS_DATES_WRAP}", timeout=30)
    assert not wrap.is_displayed()  # a relative period: no date picker
    Select(dash_duo.find_element(f"#{ids.REPORTS_PERIOD}")).select_by_value("custom")
    until(lambda: dash_duo.find_element(f"#{ids.REPORTS_DATES_WRAP}").is_displayed(), timeout=30)
    start, end = date.today() - timedelta(days=40), date.today() - timedelta(days=20)
    for suffix, day in (("start", start), ("end", end)):
        field = dash_duo.find_element(f"#{ids.REPORTS_DATES}-{suffix}")
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(day.isoformat(), Keys.ENTER)
    channel_id = json.dumps(ids.report_filter("build", "channel"), sort_keys=True, separators=(",", ":"))
    option = None

    def email_option():
        """The dropdown's Email option; (re)opens the dropdown while it is closed.

        The first click after typing a date may only close the date picker's calendar.
        """
        nonlocal option
        shown = dash_duo.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
        option = next((o for o in shown if o.text == "Email"), None)
        if option is None and not shown:
            click_when_clear(
                dash_duo,
                lambda: dash_duo.driver.execute_script(
                    "return document.getElementById(arguments[0])", channel_id
                ),
                "the channel filter",
            )
        return option is not None

    until(email_option, timeout=30)
    option.click()
    _click(dash_duo, ids.REPORTS_PREVIEW_BUTTON)
    dash_duo.wait_for_contains_text(f"#{ids.REPORTS_PREVIEW}", "Filters: Channel = Email", timeout=60)
    assert format_date_range(start, end) in dash_duo.find_element(f"#{ids.REPORTS_PREVIEW}").text
    href = dash_duo.find_elements(f"#{ids.REPORTS_DOWNLOAD_LINKS} a")[0].get_attribute("href")
    assert f"from={start.isoformat()}&to={end.isoformat()}" in href and "channel=Email" in href
    # a reversed range is refused in the form, before any preview
    field = dash_duo.find_element(f"#{ids.REPORTS_DATES}-start")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys((end + timedelta(days=5)).isoformat(), Keys.ENTER)
    dash_duo.wait_for_contains_text(f"#{ids.REPORTS_RANGE_MESSAGE}", "the date range is reversed", timeout=30)
    assert dash_duo.get_logs() == []
