"""Background work waits for page callbacks to settle (dashboard.ops.priority)."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from dashboard.ops import priority


def _in_background(fn):
    """Run ``fn`` on a fresh thread marked as background work; its result."""
    out = {}

    def run():
        priority.lower_this_thread()
        out["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        out["value"] = fn()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    return out


def test_prio001_a_background_query_waits_until_the_page_callbacks_settle():
    events = []
    page = priority.page_request_started()
    waiter = threading.Thread(
        target=lambda: _in_background(lambda: (priority.yield_to_pages(max_wait=20), events.append("ran")))
    )
    waiter.start()
    time.sleep(0.3)
    events.append("page done")
    priority.page_request_ended(page)
    waiter.join(30)
    assert events == ["page done", "ran"]


def test_prio002_constant_traffic_does_not_starve_background_work():
    page = priority.page_request_started()
    try:
        out = _in_background(lambda: priority.yield_to_pages(max_wait=0.2) or "ran")
    finally:
        priority.page_request_ended(page)
    assert out["value"] == "ran"


def test_prio003_page_threads_never_wait():
    page = priority.page_request_started()
    try:
        started = threading.Event()
        thread = threading.Thread(target=lambda: (priority.yield_to_pages(max_wait=60), started.set()))
        thread.start()
        thread.join(10)
        assert started.is_set()  # not marked as background: returns at once
    finally:
        priority.page_request_ended(page)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_prio004_background_threads_run_at_a_lower_priority_and_others_do_not():
    out = _in_background(lambda: None)
    assert out["nice"] >= priority.BACKGROUND_NICE
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) < priority.BACKGROUND_NICE


def test_prio005_a_page_request_that_never_ended_stops_holding_background_work(monkeypatch):
    priority.page_request_started()  # its teardown never comes (a server thread stopped mid-request)
    monkeypatch.setattr(priority, "PAGE_REQUEST_MAX_SECONDS", 0.2)
    started = time.monotonic()
    out = _in_background(lambda: priority.yield_to_pages(max_wait=20, quiet=0.0) or "ran")
    assert out["value"] == "ran" and time.monotonic() - started < 10


def test_prio006_a_layout_request_holds_background_work_like_a_callback(app):
    """A page's layout computes its first screen (callbacks.first_screen): background work waits."""
    from flask import g

    seen = {}
    with app.server.test_request_context("/_dash-layout"):
        from dashboard.ops import request_hooks

        request_hooks._start()
        seen["busy"] = priority._pages_busy(time.monotonic())
        token = g.pop("pulseboard_page_request", None)
        if token is not None:
            priority.page_request_ended(token)
    assert seen["busy"] and token is not None


def _holds(app, path: str, *, method: str = "GET", headers=None, body=None) -> bool:
    """Whether a request like this one marks the pages busy (background work waits for it)."""
    from flask import g

    from dashboard.ops import request_hooks

    with app.server.test_request_context(path, method=method, headers=headers or {}, json=body):
        request_hooks._start()
        busy = priority._pages_busy(time.monotonic())
        token = g.pop("pulseboard_page_request", None)
        if token is not None:
            priority.page_request_ended(token)
    return busy and token is not None


def test_prio007_opening_a_page_holds_background_work_its_files_do_not(app):
    """The HTML of a page load starts it: the layout and the drawing follow within a second."""
    assert _holds(app, "/revenue", headers={"Sec-Fetch-Dest": "document", "Accept": "text/html"})
    assert _holds(app, "/", headers={"Accept": "text/html,application/xhtml+xml"})  # no Fetch Metadata
    assert not _holds(app, "/assets/style.css", headers={"Sec-Fetch-Dest": "style", "Accept": "text/css"})
    assert not _holds(app, "/_dash-component-suites/dash/dcc/async-graph.js", headers={"Accept": "text/html"})
    fetch = {"Sec-Fetch-Dest": "empty", "Accept": "text/html"}  # a script's fetch() of a page
    assert not _holds(app, "/revenue", headers=fetch)
    assert not _holds(app, "/healthz", headers={"Accept": "*/*"})


def _tick(prop: str) -> dict:
    return {"output": "x.children", "outputs": {"id": "x", "property": "children"},
            "inputs": [], "changedPropIds": [prop]}  # fmt: skip


def test_prio008_a_panel_asked_as_it_shows_holds_background_work_a_progress_poll_does_not(app):
    """A fill trigger ticks once, when its panel shows: someone waits for it. A poll waits for the work."""
    fill = '{"item":"insights","page":"overview","type":"pb-fill"}.n_intervals'
    assert _holds(app, "/_dash-update-component", method="POST", body=_tick(fill))
    poll = "pb-insights-poll.n_intervals"
    assert not _holds(app, "/_dash-update-component", method="POST", body=_tick(poll))
    projection_poll = '{"page":"revenue","type":"pb-kpi-projection-poll"}.n_intervals'
    assert not _holds(app, "/_dash-update-component", method="POST", body=_tick(projection_poll))
    assert _holds(app, "/_dash-update-component", method="POST", body=_tick("pb-filters.data"))
