"""The /reports page in a real browser: preview a report, schedule it, see it listed; fits a phone."""

from __future__ import annotations

import pytest
from dash.testing.wait import until
from selenium.webdriver.common.by import By

from components import ids
from tests.browser.conftest import DESKTOP, PHONE, horizontal_overflow, login

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
