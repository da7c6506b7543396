"""The Insights panel and AI performance page over HTTP: jobs, caching, feedback, roles, isolation."""

from __future__ import annotations

import json
import re

from dashboard import jobs
from dashboard.insights.events import feedback_frame
from dashboard.models import Workspace
from tests.integration.test_insights_cli import END, START, seeded  # noqa: F401 - the fixture

STORE = {"range": "custom", "start": str(START), "end": str(END), "compare": None, "grain": "day"}


def _post(client, output: str, outputs, inputs, changed, state=()):
    body = {
        "output": output,
        "outputs": outputs,
        "inputs": inputs,
        "changedPropIds": changed,
        "state": list(state),
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def _fill(page: str) -> dict:
    """The input of the interval a layout leaves when it could not show cached insights."""
    return {
        "id": {"type": "pb-fill", "page": page, "item": "insights"},
        "property": "n_intervals",
        "value": 1,
    }


def _start(client):
    outputs = [{"id": "pb-insights-panel", "property": "children"}, {"id": "pb-insights-job", "property": "data"},
               {"id": "pb-insights-poll", "property": "disabled"}]  # fmt: skip
    return _post(client, "..pb-insights-panel.children...pb-insights-job.data...pb-insights-poll.disabled..",
                 outputs, [{"id": "pb-filters", "property": "data", "value": STORE}, _fill("overview")],
                 ["pb-filters.data"])  # fmt: skip


def _key(app, fragment: str) -> str:
    """The callback map's key of the callback whose outputs mention ``fragment``."""
    return next(k for k in app.callback_map if fragment in k)


def _poll(app, client, job_data):
    outputs = [
        {"id": "pb-insights-panel", "property": "children"},
        {"id": "pb-insights-poll", "property": "disabled"},
    ]
    return _post(client, _key(app, "pb-insights-poll.disabled@"), outputs,
                 [{"id": "pb-insights-poll", "property": "n_intervals", "value": 1}], ["pb-insights-poll.n_intervals"],
                 [{"id": "pb-insights-job", "property": "data", "value": job_data}])  # fmt: skip


def _wait_all():
    for job in list(jobs.REGISTRY._jobs.values()):
        jobs.REGISTRY.wait(job, timeout=120)


def test_inscb001_panel_generates_once_then_serves_the_cache(app, client, auth, seeded):  # noqa: F811
    app.server.extensions["pulseboard"] = seeded
    auth.login("analyst@acme.test")
    first = _start(client)
    job = first["pb-insights-job"]["data"]
    assert job and first["pb-insights-poll"]["disabled"] is False
    _wait_all()
    done = json.dumps(_poll(app, client, job), ensure_ascii=False)
    assert "Ads" in done and "Next: " in done and "bi-hand-thumbs-up" in done
    again = _start(client)  # same workspace, data version and range: no new job
    assert again["pb-insights-job"]["data"] is None and "Ads" in json.dumps(again["pb-insights-panel"])


def test_inscb002_a_job_answers_only_its_owner(app, client, auth, seeded):  # noqa: F811
    app.server.extensions["pulseboard"] = seeded
    auth.login("analyst@acme.test")
    job = _start(client)["pb-insights-job"]["data"]
    _wait_all()
    auth.logout()
    auth.login("viewer@acme.test")
    stolen = json.dumps(_poll(app, client, job))
    assert "no longer available" in stolen and "Ads" not in stolen


def test_inscb003_ai_performance_needs_the_analyst_role(app, client, auth, seeded):  # noqa: F811
    app.server.extensions["pulseboard"] = seeded
    outputs = {"id": "pb-ai-perf-body", "property": "children"}
    args = (
        "pb-ai-perf-body.children",
        outputs,
        [{"id": "pb-filters", "property": "data", "value": STORE}],
        ["pb-filters.data"],
    )
    auth.login("viewer@acme.test")
    assert "needs the analyst role" in json.dumps(_post(client, *args))
    auth.logout()
    auth.login("analyst@acme.test")
    page = json.dumps(_post(client, *args))
    assert "Insight generations over time" in page and "AI-generated vs human-written content" in page


def test_inscb004_feedback_is_stored_for_the_session_user(app, client, auth, seeded, workspace):  # noqa: F811
    app.server.extensions["pulseboard"] = seeded
    auth.login("viewer@acme.test")
    ident = lambda vote: {"insight": "ins_00112233aabb", "type": "pb-insight-vote", "vote": vote}  # noqa: E731
    outputs = [[{"id": ident(v), "property": "className"} for v in ("up", "down")],
               [{"id": ident(v), "property": "aria-pressed"} for v in ("up", "down")]]  # fmt: skip
    inputs = [
        [
            {"id": ident("up"), "property": "n_clicks", "value": 0},
            {"id": ident("down"), "property": "n_clicks", "value": 1},
        ]
    ]
    changed = [json.dumps(ident("down"), separators=(",", ":"), sort_keys=True) + ".n_clicks"]
    answer = _post(client, _key(app, "pb-insight-vote"), outputs, inputs, changed)
    assert "true" in json.dumps(answer)
    votes = feedback_frame(seeded.warehouse.scoped(workspace), START, END.replace(year=2100))
    assert votes["insight_id"].to_list() == ["ins_00112233aabb"] and votes["vote"].to_list() == [-1]


def test_inscb005_forecast_accuracy(app, client, auth, seeded, workspace, other_workspace):  # noqa: F811
    """Forecast accuracy: the workspace's own runs, scored against the metric layer's actuals."""
    from datetime import timedelta

    from dashboard.forecast.runs import record_run

    app.server.extensions["pulseboard"] = seeded
    first = END - timedelta(days=6)
    days = [first + timedelta(days=i) for i in range(7)]

    def record(ws, model):
        rows = [{"period": d, "yhat": 500.0, "lower": 400.0, "upper": 600.0} for d in days]
        return record_run(seeded.warehouse.scoped(ws), origin="cli", metric="net_revenue", grain="day", filters=None,
                          requested="auto", model=model, horizon=7, interval=0.8, train_until=first - timedelta(days=1),
                          series_length=200, duration_ms=5.0, backtest={model: {"smape": 12.5, "mase": 0.9}},
                          status="ok", rows=rows)  # fmt: skip

    own = record(workspace, "ets")
    record(other_workspace, "prophet")
    args = ("pb-ai-perf-body.children", {"id": "pb-ai-perf-body", "property": "children"},
            [{"id": "pb-filters", "property": "data", "value": STORE}], ["pb-filters.data"])  # fmt: skip
    auth.login("analyst@acme.test")
    page = json.dumps(_post(client, *args))
    assert "pb-ai-perf-forecast" in page and "No forecast can be scored yet" not in page
    assert (
        f"#{own}" in page and "Net revenue (by day)" in page and "12.5%" in page
    )  # the run and its backtest
    assert "prophet" not in page  # another workspace's run
    auth.logout()
    auth.login("viewer@acme.test")
    assert "Net revenue (by day)" not in json.dumps(_post(client, *args))  # the role is checked first


def _page_start(client, page: str):
    ids = [f"pb-{page}-insights-{part}" for part in ("panel", "job", "poll")]
    outputs = [{"id": ids[0], "property": "children"}, {"id": ids[1], "property": "data"},
               {"id": ids[2], "property": "disabled"}]  # fmt: skip
    return _post(client, f"..{ids[0]}.children...{ids[1]}.data...{ids[2]}.disabled..", outputs,
                 [{"id": "pb-filters", "property": "data", "value": STORE}, _fill(page)],
                 ["pb-filters.data"])  # fmt: skip


def _page_poll(app, client, page: str, job_data):
    outputs = [{"id": f"pb-{page}-insights-panel", "property": "children"},
               {"id": f"pb-{page}-insights-poll", "property": "disabled"}]  # fmt: skip
    return _post(client, _key(app, f"pb-{page}-insights-poll.disabled@"), outputs,
                 [{"id": f"pb-{page}-insights-poll", "property": "n_intervals", "value": 1}],
                 [f"pb-{page}-insights-poll.n_intervals"],
                 [{"id": f"pb-{page}-insights-job", "property": "data", "value": job_data}])  # fmt: skip


def test_inscb006_page_panels_show_their_own_findings(app, client, auth, seeded):  # noqa: F811
    """Revenue's panel tells the Ads revenue drop; Campaigns' (no ad data here) has nothing to say."""
    app.server.extensions["pulseboard"] = seeded
    auth.login("viewer@acme.test")
    first = _page_start(client, "revenue")
    job = first["pb-revenue-insights-job"]["data"]
    assert job and first["pb-revenue-insights-poll"]["disabled"] is False
    _wait_all()
    revenue = json.dumps(_page_poll(app, client, "revenue", job), ensure_ascii=False)
    assert "Ads" in revenue and "Next: " in revenue
    # the same generation serves every page and the overview: no second job
    campaigns = _page_start(client, "campaigns")
    assert campaigns["pb-campaigns-insights-job"]["data"] is None
    assert "Nothing unusual in this period" in json.dumps(campaigns["pb-campaigns-insights-panel"])
    overview = _start(client)
    assert overview["pb-insights-job"]["data"] is None and "Ads" in json.dumps(overview["pb-insights-panel"])


def test_inscb007_page_panel_jobs_answer_only_their_owner(app, client, auth, seeded):  # noqa: F811
    app.server.extensions["pulseboard"] = seeded
    auth.login("analyst@acme.test")
    job = _page_start(client, "customers")["pb-customers-insights-job"]["data"]
    _wait_all()
    auth.logout()
    auth.login("viewer@acme.test")
    stolen = json.dumps(_page_poll(app, client, "customers", job))
    assert "no longer available" in stolen


def test_inscb008_page_panel_checks_the_role_on_the_server(app, client, auth, seeded, monkeypatch):  # noqa: F811
    """Every member may read the pages today; the check is real: a stricter role is refused."""
    from dashboard.insights import pages
    from dashboard.models import Role

    monkeypatch.setitem(pages.PAGE_ROLES, "revenue", Role.ANALYST)
    app.server.extensions["pulseboard"] = seeded
    auth.login("viewer@acme.test")
    denied = _page_start(client, "revenue")
    assert (
        "needs the analyst role" in json.dumps(denied) and denied["pb-revenue-insights-job"]["data"] is None
    )
    assert "needs the analyst role" in json.dumps(_page_poll(app, client, "revenue", {"job": "x"}))


def test_inscb020_panels_opened_while_a_generation_runs_follow_it(app, client, auth, seeded):  # noqa: F811
    """Opening pages quickly starts one generation per range, not one per panel (the limit of
    running generations was hit and the panel showed an error)."""
    app.server.extensions["pulseboard"] = seeded
    auth.login("analyst@acme.test")
    answers = [_start(client) for _ in range(6)]
    job_ids = {a["pb-insights-job"]["data"]["job"] for a in answers if a["pb-insights-job"]["data"]}
    assert len(job_ids) <= 1  # the others followed it, or found its insights cached
    assert all("already running" not in json.dumps(a) for a in answers)
    _wait_all()
    assert len([j for j in jobs.REGISTRY._jobs.values() if j.kind == "insights"]) == 1


def test_inscb021_a_de_de_panel_reads_german_numbers(app, client, auth, seeded, workspace):  # noqa: F811
    """Counts and shares too (the concentration's "79,4 %"), not only the formatted amounts."""
    with seeded.db.session() as db:
        db.get(Workspace, workspace.id).locale = "de-DE"
        db.commit()
    app.server.extensions["pulseboard"] = seeded
    auth.login("analyst@acme.test")
    job = _start(client)["pb-insights-job"]["data"]
    _wait_all()
    panel = json.dumps(_poll(app, client, job), ensure_ascii=False)
    assert "\u00a0%" in panel
    assert not re.search(r"\d%|\d,\d{3}(?!\d)|\d\.\d{1,2}(?!\d)", panel), panel


def _layout_panel(client, path: str, panel: str) -> dict:
    """What a page layout at the seeded range gives the Insights panel: its body, job, poll and fill."""
    from tests.integration.test_analytics_pages_paging import _routed

    found: dict = {}

    def walk(node):
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            props = node.get("props") if isinstance(node.get("props"), dict) else {}
            pid = props.get("id")
            if pid == f"{panel}-panel":
                found["body"] = json.dumps(props.get("children"), ensure_ascii=False)
            elif pid == f"{panel}-job":
                found["job"] = props.get("data")
            elif pid == f"{panel}-poll":
                found["polls"] = not props.get("disabled")
            elif isinstance(pid, dict) and pid.get("type") == "pb-fill" and pid.get("item") == "insights":
                found["fill_ticks"] = props.get("max_intervals") != 0
            for value in props.values():
                walk(value)

    walk(json.loads(_routed(client, path, f"?range=custom&from={START}&to={END}&compare=none&grain=day")))
    return found


def test_inscb022_a_revisit_follows_its_running_generation(app, client, auth, seeded, held_insights):  # noqa: F811
    """A revisit during the generation the last visit started polls it at once: no callback asks
    first. Only the user who started it follows it; once done, the layout shows the insights."""
    app.server.extensions["pulseboard"] = seeded
    try:
        auth.login("analyst@acme.test")
        job = _start(client)["pb-insights-job"]["data"]
        assert job
        for path, panel in (("/", "pb-insights"), ("/revenue", "pb-revenue-insights")):
            shown = _layout_panel(client, path, panel)
            assert shown["job"] == job and shown["polls"] is True and shown["fill_ticks"] is False
            assert "Looking for what changed" in shown["body"]
        # the poll the layout enabled answers for this user
        assert _poll(app, client, job)["pb-insights-poll"]["disabled"] is False
        auth.logout()
        auth.login("viewer@acme.test")  # another member: not theirs to follow; their callback asks
        other = _layout_panel(client, "/", "pb-insights")
        assert other["job"] is None and other["polls"] is False and other["fill_ticks"] is True
    finally:
        held_insights.set()
        _wait_all()
    done = _layout_panel(client, "/", "pb-insights")  # generated: from the cache, nothing to ask
    assert done["job"] is None and done["fill_ticks"] is False and "Ads" in done["body"]
