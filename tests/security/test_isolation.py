"""Strangers get nothing; a viewer of workspace A forging inputs that name B gets nothing of B.

The route test walks the server's URL map; the callback test walks Dash's callback map, so a
route or callback added later is covered without editing these tests.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from dashboard.accounts import WorkspaceContext
from dashboard.goals import set_goal
from dashboard.models import Goal, Role
from tests.conftest import load, payments_frame

#: What only workspace B holds: none of it may reach A's viewer, whatever they send.
B_AMOUNT = "98765.43"
B_SECRETS = ("98765", "98,765", "globex-cust-7", "Globex hidden product")
#: Written out here on purpose: making a route public must change this test too.
PUBLIC = {"/login", "/healthz", "/readyz", "/_favicon.ico", "/favicon.ico"}
#: public by endpoint (dashboard.auth.PUBLIC_ENDPOINTS): asking for a password reset
PUBLIC_PAGES = {"/reset"}
SAMPLE = {"path": "x", "filename": "pulseboard.css", "source": "stripe", "package_name": "dash"}
SQLI = "x' OR '1'='1'; DROP TABLE payments; --"


def _concrete(rule) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", SAMPLE.get(name, "x"), path)
    return path


def test_iso001_every_route_refuses_anonymous(app, client, workspace):
    from dashboard.auth import PUBLIC_PATHS

    assert set(PUBLIC_PATHS) == PUBLIC
    app._setup_server()
    checked = 0
    for rule in app.server.url_map.iter_rules():
        path = _concrete(rule)
        if rule.endpoint in ("_dash_assets.static",) or path in PUBLIC | PUBLIC_PAGES:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, json={} if method == "POST" else None)
            checked += 1
            assert response.status_code in (302, 400, 401, 403, 404, 405, 413), (
                method,
                path,
                response.status_code,
            )
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/login"), (method, path)
            assert "_dash-config" not in response.get_data(as_text=True), (method, path)
    assert checked >= 15


@pytest.fixture
def two_workspaces(services, workspace, other_workspace):
    day = f"{date.today() - timedelta(days=2)} 12:00"
    load(
        services,
        workspace,
        "payments",
        payments_frame(
            [{"id": "a1", "created": day, "amount": "120.00", "customer": "acme-c", "product": "Widget"}]
        ),
    )
    load(
        services,
        other_workspace,
        "payments",
        payments_frame(
            [
                {
                    "id": "b1",
                    "created": day,
                    "amount": B_AMOUNT,
                    "customer": "globex-cust-7",
                    "product": "Globex hidden product",
                    "channel": "Email",
                    "country": "DE",
                }
            ]
        ),
    )
    owner_b = WorkspaceContext(user_id=4, role=Role.OWNER, workspace=other_workspace)
    set_goal(services, owner_b, "net_revenue", "month", date.today(), 55555.0)
    return workspace, other_workspace


def _forged_value(prop: str, other):
    """A value for ``prop`` that names workspace B every way a store or control could."""
    store = {
        "workspace_id": other.id,
        "workspace": other.slug,
        "range": "last_30_days",
        "start": str(date.today() - timedelta(days=29)),
        "end": str(date.today()),
        "compare": "previous_period",
        "grain": "day",
        "key": "product",
        "value": SQLI,
        "item": "top",
        "channel": SQLI,
        "product": SQLI,
        "country": SQLI,
    }
    return {
        "data": store,
        "n_clicks": 1,
        "n_submit": 1,
        "n_intervals": 1,
        "value": SQLI,
        "search_value": SQLI,
        "clickData": {"points": [{"x": SQLI, "label": SQLI, "customdata": [SQLI]}]},
        "selectedRows": [{"campaign": SQLI}],
        "getRowsRequest": {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}},
        "contents": None,
        "children": None,
        "search": "?range=custom&from=0001-01-01&to=9999-12-31&compare=previous_year&workspace=" + other.slug,
        "pathname": "/revenue",
        "start_date": "0001-01-01",
        "end_date": "9999-12-31",
    }.get(prop, other.id)


WILDCARD_VALUES = {
    "item": "top",
    "key": "product",
    "source": "stripe",
    "action": "test",
    "field": "secret_key",
    "goal": 1,
    "where": "settings",
    "page": "revenue",
    "member": 4,  # workspace B's owner (users 1-3 are A's): a forged member id names B
    "invite": 1,
}


def _concrete_id(raw: str, wildcard: str):
    """(id for the request, is ALL) for a callback map id that may be a pattern."""
    if not raw.startswith("{"):
        return raw, False
    parsed = json.loads(raw)
    is_all = False
    for key, value in parsed.items():
        if isinstance(value, list):
            is_all = is_all or value == ["ALL"]
            parsed[key] = WILDCARD_VALUES.get(key, wildcard)
    return parsed, is_all


def _outputs(key: str):
    parts = key.strip(".").split("...") if key.startswith("..") else [key]
    out = []
    for part in parts:
        part = part.split("@")[0]
        ident, _, prop = part.rpartition(".")
        cid, is_all = _concrete_id(ident, "x")
        out.append([{"id": cid, "property": prop}] if is_all else {"id": cid, "property": prop})
    return out if key.startswith("..") else out[0]


def _request(key: str, spec: dict, other) -> dict:
    def item(dep):
        cid, is_all = _concrete_id(dep["id"], "x")
        # An ALL dependency's "id" state lists the matching ids: keep the protocol's shape.
        value = cid if dep["property"] == "id" else _forged_value(dep["property"], other)
        entry = {"id": cid, "property": dep["property"], "value": value}
        return [entry] if is_all else entry

    inputs = [item(d) for d in spec["inputs"]]
    first = spec["inputs"][0]
    cid, _ = _concrete_id(first["id"], "x")
    changed = (
        (json.dumps(cid, sort_keys=True, separators=(",", ":")) if isinstance(cid, dict) else cid)
        + "."
        + first["property"]
    )
    return {
        "output": key,
        "outputs": _outputs(key),
        "inputs": inputs,
        "state": [item(d) for d in spec["state"]],
        "changedPropIds": [changed],
    }


def test_iso002_forged_inputs_naming_another_workspace_get_nothing_of_it(
    app, client, auth, services, two_workspaces
):
    _, other = two_workspaces
    auth.login("viewer@acme.test")
    assert client.get("/_dash-dependencies").status_code == 200
    failures, called = [], 0
    for key, spec in app.callback_map.items():
        if "callback" not in spec:  # clientside: runs in the browser, nothing to call
            continue
        called += 1
        response = client.post("/_dash-update-component", json=_request(key, spec, other))
        body = response.get_data(as_text=True)
        if response.status_code >= 500:
            failures.append((key, response.status_code, body[:200]))
        leaked = [s for s in B_SECRETS if s in body]
        if leaked:
            failures.append((key, "leaked", leaked))
    assert called >= 60
    assert failures == []
    with services.db.session() as db:  # and nothing of B changed: its goal is still there
        assert db.scalar(select(Goal.target).where(Goal.workspace_id == other.id)) == 55555.0


def test_iso003_viewer_cannot_export_set_goals_or_touch_connectors(
    app, client, auth, services, two_workspaces
):
    mine, _ = two_workspaces
    auth.login("viewer@acme.test")
    client.get("/_dash-dependencies")
    for key, spec in app.callback_map.items():
        if "callback" not in spec:
            continue
        if not any(s in key for s in ("download", "goal-message", "pb-src-message", "pb-src-jobs.data")):
            continue
        body = client.post("/_dash-update-component", json=_request(key, spec, mine)).get_data(as_text=True)
        assert '"content"' not in body, key  # no file
    with services.db.session() as db:
        assert db.scalar(select(Goal).where(Goal.workspace_id == mine.id)) is None


def test_iso004_xss_payload_in_data_renders_as_text(app, client, auth, services, workspace):
    payload = "<script>alert('pb')</script><img src=x onerror=alert(1)>"
    load(
        services,
        workspace,
        "payments",
        payments_frame(
            [
                {
                    "id": "x1",
                    "created": f"{date.today() - timedelta(days=1)} 10:00",
                    "amount": "10.00",
                    "product": payload,
                    "customer": payload,
                }
            ]
        ),
    )
    auth.login()
    from tests.integration.test_analytics_callbacks import panel_request

    body = client.post("/_dash-update-component", json=panel_request(app, "revenue", "by_product")).get_json()
    text = json.dumps(body)
    assert "dangerously_allow_html" not in text
    # The name arrives as a JSON string (rendered by React as text), never as markup props.
    assert payload.replace("'", "\\'") in text or json.dumps(payload)[1:-1] in text


@pytest.mark.parametrize(
    "body",
    [
        {},
        [],
        {"output": "pb-url.search", "outputs": {"id": "pb-url", "property": "search"}, "inputs": 5},
        {
            "output": "x.y",
            "outputs": {"id": "x", "property": "y"},
            "inputs": [{"id": "pb-url", "property": "search", "value": 12}],
        },
    ],
)
def test_iso005_malformed_callback_requests_get_400_not_500(client, auth, workspace, body):
    auth.login()
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 400
    assert "malformed callback request" in response.get_json()["error"]
