"""After new data, the default view of every analytics page is computed before anyone asks
(callbacks.page_warmup): the first visit's layout holds it, and the page asks for nothing it shows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from dash.testing.wait import until

from callbacks import _analytics as an
from callbacks import page_warmup
from callbacks.common import Scope
from callbacks.overview import kpi_row_for, trend_for
from dashboard.accounts import WorkspaceContext
from dashboard.filters import FilterState, today_in
from dashboard.models import Role, UserSession
from dashboard.queries import CacheMiss, peek_only
from tests.conftest import load, payments_frame
from tests.integration.test_sources import FIXTURES, dash, manager, upload, wait_for_jobs  # noqa: F401


def _payments(days: int = 120):
    today = date.today()
    return payments_frame(
        [
            {
                "id": f"p{i}",
                "created": f"{today - timedelta(days=i)} 12:00",
                "amount": f"{100 + i % 7}.00",
                "customer": f"c{i % 13}",
            }  # fmt: skip
            for i in range(1, days)
        ]
    )


def _first_visit_answers(services, workspace) -> list:
    """What a first visit of each page shows at load, from the cache only (CacheMiss when not)."""
    ctx = WorkspaceContext(user_id=99, role=Role.VIEWER, workspace=workspace)  # any visitor
    scope = Scope(services, ctx, FilterState.from_store(None, today_in(workspace.timezone)))
    answers = []
    with peek_only():
        answers.append(kpi_row_for(scope))
        answers.append(trend_for(scope, "net_revenue"))
        for spec in page_warmup.page_specs():
            for item in [spec.kpis.item, *an.held_item_names(spec)]:
                answers.append(an.render_panel(spec, item, scope, {}))
            answers.append(spec.options(scope))
    return answers


def test_pwu001_warming_computes_what_the_first_visit_of_every_page_shows(services, workspace):
    load(services, workspace, "payments", _payments())
    with pytest.raises(CacheMiss):  # nothing computed yet: the first visit would wait for all of it
        _first_visit_answers(services, workspace)
    computed = page_warmup.warm_pages(services, workspace)
    assert computed >= 1 + 1 + 3 * 2  # overview row and trend; per page its KPI row, panels, filters
    answers = _first_visit_answers(services, workspace)  # every one cached, for any role
    # the cached answers are the ones the callbacks compute (the same keys: nothing recomputed)
    ctx = WorkspaceContext(user_id=1, role=Role.OWNER, workspace=workspace)
    scope = Scope(services, ctx, FilterState.from_store(None, today_in(workspace.timezone)))
    assert answers[1] == trend_for(scope, "net_revenue")


def test_pwu002_new_data_makes_the_warm_answers_stale_and_warming_again_renews_them(services, workspace):
    load(services, workspace, "payments", _payments())
    page_warmup.warm_pages(services, workspace)
    load(services, workspace, "payments", _payments(130), name="again")  # a new data version
    with pytest.raises(CacheMiss):
        _first_visit_answers(services, workspace)
    page_warmup.warm_pages(services, workspace)
    _first_visit_answers(services, workspace)


def test_pwu003_an_upload_job_warms_the_pages_in_the_background(dash, auth, services, workspace, manager):  # noqa: F811
    until(lambda: page_warmup.RUNNER.pending() == 0, timeout=60)  # an earlier test's warm-up
    auth.login(manager)
    body = upload(dash, [FIXTURES / "stripe_payments_new.csv"]).get_json()["response"]
    wait_for_jobs(body["pb-src-jobs"]["data"]["ids"], workspace.id)
    # The job reads as done once its rows are in; the warm-up follows in the background, and
    # without anyone visiting a page every answer of the first visit is cached.
    until(lambda: _all_cached(services, workspace), timeout=120)


def _all_cached(services, workspace) -> bool:
    try:
        _first_visit_answers(services, workspace)
    except CacheMiss:
        return False
    return True


def test_pwu004_start_up_warms_the_workspaces_visited_lately_most_recent_first(
    services, workspace, other_workspace
):
    from sqlalchemy import select

    from dashboard.models import User

    now = datetime.now(UTC)
    with services.db.session() as session:
        for email, seen in (
            ("owner@globex.test", now - timedelta(days=30)),  # not in use lately
            ("viewer@acme.test", now - timedelta(hours=1)),
        ):
            user = session.scalar(select(User).where(User.email == email))
            session.add(UserSession(user_id=user.id, key_hash=email.ljust(64, "x")[:64], last_seen_at=seen))
        session.commit()
    assert [w.id for w in page_warmup.recently_visited(services)] == [workspace.id]
    assert [w.id for w in page_warmup.recently_visited(services, days=60)] == [
        workspace.id,
        other_workspace.id,
    ]
    assert page_warmup.recently_visited(services, days=60, limit=1)[0].id == workspace.id


def test_pwu005_a_server_shutting_down_stops_the_warm_up_between_two_answers(services, workspace):
    import threading

    load(services, workspace, "payments", _payments())
    stop = threading.Event()
    stop.set()  # the server is draining: nothing more is computed
    assert page_warmup.warm_pages(services, workspace, stop=stop) == 0
    with pytest.raises(CacheMiss):
        _first_visit_answers(services, workspace)


def test_pwu006_new_data_while_a_warm_up_runs_is_warmed_after_it(services, workspace, monkeypatch):
    import threading

    until(lambda: page_warmup.RUNNER.pending() == 0, timeout=60)  # an earlier test's warm-up
    load(services, workspace, "payments", _payments())
    release, started = threading.Event(), threading.Event()
    real = page_warmup.warm_pages

    def first_blocks(services, workspace, **kwargs):
        if not started.is_set():  # the first warm-up is still busy with the older data ...
            started.set()
            assert release.wait(60)
            return 0
        return real(services, workspace, **kwargs)

    monkeypatch.setattr(page_warmup, "warm_pages", first_blocks)
    assert page_warmup.warm_pages_later(services, workspace)
    assert started.wait(60)
    load(services, workspace, "payments", _payments(130), name="again")  # ... when new data lands
    assert page_warmup.warm_pages_later(services, workspace)  # queued behind it, not dropped
    release.set()
    until(lambda: _all_cached(services, workspace), timeout=120)  # the newest data's first visit
