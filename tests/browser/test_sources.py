"""Data sources page in a real browser: drop files, watch the job finish, see runs and quarantine."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from components import ids
from tests.browser.conftest import PHONE, horizontal_overflow, login

pytestmark = pytest.mark.browser

VENDOR = Path(__file__).parent.parent / "fixtures" / "vendor"


def _stripe_file_with_a_bad_row(folder: Path) -> Path:
    """A Stripe payments export the browser uploads: two good charges and one with a broken date."""
    path = folder / "unified_payments.csv"
    path.write_text(
        "id,Created date (UTC),Amount,Amount Refunded,Currency,Status,Customer ID,Customer Email\n"
        "ch_brw_1,2026-10-01 10:00:00,120.00,0.00,usd,Paid,cus_b1,b1@example.com\n"
        "ch_brw_2,2026-10-02 11:30:00,80.00,0.00,usd,Paid,cus_b2,b2@example.com\n"
        "ch_brw_3,not a date,10.00,0.00,usd,Paid,cus_b3,b3@example.com\n"
    )
    return path


def _upload(dash_duo, *paths: Path) -> None:
    # dcc.Upload renders a hidden <input type=file>; Selenium can type file paths into it.
    field = dash_duo.driver.find_element(By.CSS_SELECTOR, f"#{ids.SOURCES_UPLOAD} input[type=file]")
    field.send_keys("\n".join(str(p) for p in paths))


def test_brs001_upload_shows_progress_then_a_summary_runs_and_quarantine(dash_duo, demo_app, tmp_path):
    dash_duo.start_server(demo_app, navigate=False)
    login(dash_duo, next_path="/sources")
    dash_duo.wait_for_element(f"#{ids.SOURCES_UPLOAD}", timeout=15)

    _upload(dash_duo, _stripe_file_with_a_bad_row(tmp_path), VENDOR / "ga4_traffic.csv")

    dash_duo.wait_for_contains_text(f"#{ids.SOURCES_JOBS_PANEL}", "Imported 2 files", timeout=90)
    summary = dash_duo.find_element(f"#{ids.SOURCES_JOBS_PANEL}").text
    assert "unified_payments.csv" in summary and "ga4_traffic.csv" in summary
    assert "Stripe" in summary and "GA4" in summary
    # the run history and the quarantine list reload once the job is done
    dash_duo.wait_for_contains_text(f"#{ids.SOURCES_RUNS}", "unified_payments.csv", timeout=15)
    dash_duo.wait_for_contains_text(f"#{ids.SOURCES_QUARANTINE}", "'not a date'", timeout=15)
    rejected = [
        line
        for line in dash_duo.find_element(f"#{ids.SOURCES_QUARANTINE}").text.splitlines()
        if line.startswith("unified_payments.csv")
    ]
    assert rejected == [
        "unified_payments.csv 4 Created date (UTC) unparseable date 'not a date' (expected YYYY-MM-DD HH:MM[:SS])"
    ]
    assert [e for e in dash_duo.get_logs() or [] if e.get("level") == "SEVERE"] == []


def test_brs002_sources_page_fits_a_phone(dash_duo, demo_app):
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*PHONE)
    login(dash_duo, next_path="/sources")
    dash_duo.wait_for_element(f"#{ids.SOURCES_RUNS}", timeout=15)
    dash_duo.wait_for_contains_text(f"#{ids.SOURCES_RUNS}", "csv", timeout=15)  # the demo's imports
    assert horizontal_overflow(dash_duo) <= 0
