"""Insights in a real browser: the panel fills after its progress bar, a thumb stays pressed,
and the AI performance page renders on a phone without horizontal scrolling."""

from __future__ import annotations

import pytest

from components import ids
from tests.browser.conftest import PHONE, horizontal_overflow, login

pytestmark = pytest.mark.browser


def test_insb001_panel_fills_and_feedback_sticks(dash_duo, demo_app):
    dash_duo.start_server(demo_app, navigate=False)
    login(dash_duo)
    dash_duo.wait_for_element(".pb-insight", timeout=120)  # generated on a server thread, polled
    items = dash_duo.find_elements(".pb-insight")
    assert 1 <= len(items) <= 3
    assert all(i.find_element("css selector", ".pb-insight-headline").text for i in items)
    up = items[0].find_element("css selector", ".pb-insight-vote")
    up.click()
    dash_duo.wait_for_class_to_equal(
        f"#{ids.INSIGHTS_PANEL} .pb-insight .pb-insight-vote",
        "btn btn-sm btn-primary pb-insight-vote",
        timeout=10,
    )
    assert dash_duo.get_logs() == []


def test_insb002_ai_performance_on_a_phone(dash_duo, demo_app):
    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.set_window_size(*PHONE)
    login(dash_duo, next_path="/ai-performance")
    dash_duo.wait_for_contains_text(
        f"#{ids.AI_PERF_BODY}", "AI-generated vs human-written content", timeout=60
    )
    assert horizontal_overflow(dash_duo) <= 0
    assert dash_duo.get_logs() == []


def test_insb003_revenue_page_has_its_own_panel(dash_duo, demo_app):
    dash_duo.start_server(demo_app, navigate=False)
    login(dash_duo, next_path="/revenue")
    panel = f"#{ids.page_insights('revenue', 'panel')}"
    # the panel settles on findings or on "nothing unusual", never on its progress bar
    dash_duo.wait_for_element(f"{panel} .pb-insight-list, {panel} .pb-empty", timeout=120)
    assert not dash_duo.find_elements(f"{panel} .pb-insights-progress")
    assert dash_duo.get_logs() == []
