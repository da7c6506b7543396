"""Insights in a real browser: the panel fills after its progress bar, a thumb stays pressed,
and the AI performance page renders on a phone without horizontal scrolling."""

from __future__ import annotations

import pytest

from components import ids
from tests.browser.conftest import PHONE, horizontal_overflow, login, wait_for

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


def test_insb004_a_revisit_during_the_generation_follows_it(dash_duo, demo_app, held_insights):
    """Opened again while the range's insights are being generated, the panel shows the job's
    progress from the layout and polls it: no callback asks to start it. It fills when done."""
    from datetime import date, timedelta

    from bench.browser import RECORD_JS

    dash_duo.start_server(demo_app, navigate=False)
    dash_duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_JS})
    # a range no other test generates: this test's generation is the one held
    start, end = date.today() - timedelta(days=47), date.today() - timedelta(days=11)
    path = f"/?range=custom&from={start}&to={end}&compare=none&grain=day"
    panel = f"#{ids.INSIGHTS_PANEL}"
    try:
        login(dash_duo, next_path=path)
        dash_duo.wait_for_element(f"{panel} .pb-insights-progress", timeout=30)
        wait_for(lambda: _asked(dash_duo, "pb-insights-job.data"), timeout=30, what="the generation to start")
        dash_duo.driver.get(dash_duo.server.url + path)  # the revisit, while it runs
        dash_duo.wait_for_element(f"{panel} .pb-insights-progress", timeout=30)
        wait_for(lambda: _asked(dash_duo, "pb-insights-poll.disabled"), timeout=30, what="the first poll")
        assert not _asked(dash_duo, "pb-insights-job.data")  # followed from the layout, not asked
    finally:
        held_insights.set()
    dash_duo.wait_for_element(f"{panel} .pb-insight-list, {panel} .pb-empty", timeout=120)
    assert not dash_duo.find_elements(f"{panel} .pb-insights-progress")
    assert dash_duo.get_logs() == []


def _asked(dash_duo, output_part: str) -> bool:
    """Whether this page load made a callback request whose outputs include ``output_part``."""
    outputs = dash_duo.driver.execute_script("return (window.__pbCalls || []).map(c => c.output)")
    return any(output_part in o for o in outputs)
