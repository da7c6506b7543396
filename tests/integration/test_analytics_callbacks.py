"""Analytics page callbacks over HTTP: cross-filter, drill-down, CSV role checks, workspace isolation."""

from __future__ import annotations

import json
from datetime import date, timedelta

import polars as pl
import pytest

from callbacks import _analytics as an
from tests.conftest import load, payments_frame


def d1() -> date:
    """Two days ago, read when a test runs: a run that crosses midnight must not seed rows for
    a day the app no longer calls \"two days ago\"."""
    return date.today() - timedelta(days=2)


def _store():
    return {
        "range": "last_7_days",
        "start": str(date.today() - timedelta(days=6)),
        "end": str(date.today()),
        "compare": None,
        "grain": "day",
    }


PANELS = ("kpis", "trend", "movements", "by_channel", "by_product", "by_country", "cohorts", "top")


def _output_key(app, page: str, item: str) -> str:
    """The callback_map key of one panel's own callback (each panel has exactly one)."""
    if item == "kpis":
        return f"pb-{page}-kpis.children"
    wanted = json.dumps({"item": item, "page": page, "type": "pb-panel"}, separators=(",", ":"))
    return next(k for k in app.callback_map if k == f"{wanted}.children")


def panel_request(app, page, item, *, page_filters=None, crossfilter=None, store=None):
    """The /_dash-update-component body Dash sends for one panel's callback."""
    out_id = f"pb-{page}-kpis" if item == "kpis" else {"type": "pb-panel", "page": page, "item": item}
    return {
        "output": _output_key(app, page, item),
        "outputs": {"id": out_id, "property": "children"},
        "inputs": [
            {"id": "pb-filters", "property": "data", "value": store or _store()},
            {"id": f"pb-{page}-page-filters", "property": "data", "value": page_filters or {}},
            {"id": f"pb-{page}-crossfilter", "property": "data", "value": crossfilter},
            {"id": {"type": "pb-fill", "page": page, "item": item}, "property": "n_intervals", "value": 1},
        ],
        "changedPropIds": ["pb-filters.data"],
        "state": [],
    }


def render_page(client, app, page, items, **kwargs) -> dict:
    """Every panel of a page over HTTP, one request per panel callback: item -> response JSON."""
    out = {}
    for item in items:
        response = client.post("/_dash-update-component", json=panel_request(app, page, item, **kwargs))
        assert response.status_code in (200, 204), (item, response.get_data(as_text=True)[:500])
        out[item] = response.get_json() if response.status_code == 200 else None
    return out


def grid_request(app, page, item, request, *, store=None, page_filters=None, crossfilter=None, drill=None):
    """The body of a server-paged grid's block request (through its ask store) -> getRowsResponse callback."""
    grid = {"type": "pb-grid", "page": page, "item": item}
    ask = {"type": "pb-grid-ask", "page": page, "item": item}
    key = next(k for k in app.callback_map if k.endswith(".getRowsResponse") and f'"page":"{page}"' in k)
    return {
        "output": key,
        "outputs": {"id": grid, "property": "getRowsResponse"},
        "inputs": [{"id": ask, "property": "data", "value": {"request": request, "n": 1}}],
        "changedPropIds": [json.dumps(ask, sort_keys=True, separators=(",", ":")) + ".data"],
        "state": [
            {"id": "pb-filters", "property": "data", "value": store or _store()},
            {"id": f"pb-{page}-page-filters", "property": "data", "value": page_filters or {}},
            {"id": f"pb-{page}-crossfilter", "property": "data", "value": crossfilter},
            {"id": f"pb-{page}-drill", "property": "data", "value": drill},
        ],
    }


def grid_rows(client, app, page, item, request, **kwargs) -> dict:
    """The getRowsResponse a grid gets over HTTP."""
    response = client.post("/_dash-update-component", json=grid_request(app, page, item, request, **kwargs))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return next(iter(response.get_json()["response"].values()))["getRowsResponse"]


def render_drill_http(client, app, page, drill, *, page_filters=None) -> str:
    """The drill-down panel's callback over HTTP for a drill selection (response text)."""
    panel = {"type": "pb-panel", "page": page, "item": "drill"}
    response = client.post(
        "/_dash-update-component",
        json={
            "output": json.dumps(panel, sort_keys=True, separators=(",", ":")) + ".children",
            "outputs": {"id": panel, "property": "children"},
            "inputs": [
                {"id": f"pb-{page}-drill", "property": "data", "value": drill},
                {"id": "pb-filters", "property": "data", "value": _store()},
                {"id": f"pb-{page}-page-filters", "property": "data", "value": page_filters or {}},
                {"id": f"pb-{page}-crossfilter", "property": "data", "value": None},
            ],
            "changedPropIds": [f"pb-{page}-drill.data"],
            "state": [],
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


@pytest.fixture
def data(services, workspace, other_workspace):
    load(
        services,
        workspace,
        "payments",
        payments_frame(
            [
                {
                    "id": "a1",
                    "created": f"{d1()} 12:00",
                    "amount": "123.00",
                    "customer": "a",
                    "channel": "Email",
                    "product": "Kit",
                    "country": "US",
                },
                {
                    "id": "a2",
                    "created": f"{d1()} 13:00",
                    "amount": "77.00",
                    "customer": "b",
                    "channel": "Paid Search",
                    "product": "Pro",
                    "country": "DE",
                },
            ]
        ),
    )
    load(
        services,
        other_workspace,
        "payments",
        payments_frame(
            [
                {
                    "id": "g1",
                    "created": f"{d1()} 12:00",
                    "amount": "98765.00",
                    "currency": "EUR",
                    "customer": "g",
                    "channel": "Secret Channel",
                }
            ]
        ),
    )


def test_rev001_page_renders_only_the_callers_workspace(app, client, auth, data, other_workspace):
    auth.login("owner@acme.test")
    forged = {**_store(), "workspace_id": other_workspace.id}
    body = json.dumps(render_page(client, app, "revenue", PANELS, store=forged))
    assert "Secret Channel" not in body and "98765" not in body and "98,765" not in body
    assert "Paid Search" in body


def test_rev002_crossfilter_filters_the_rest_of_the_page(app, client, auth, data):
    auth.login("owner@acme.test")
    pages = render_page(
        client, app, "revenue", ("kpis", "trend"), crossfilter={"key": "channel", "value": "Email"}
    )
    body = json.dumps(pages)
    assert "123.0" in body
    assert "200.0" not in body  # the unfiltered net revenue (123 + 77) is gone


def test_rev003_crossfilter_from_click_toggles():
    spec = an.PageSpec("revenue", {}, ("channel",), crossfilter_items={"by_channel": "channel"})
    click = {"points": [{"customdata": "Email", "y": "Email"}]}
    trig = {"type": "pb-graph", "page": "revenue", "item": "by_channel"}
    assert an.crossfilter_from_click(spec, trig, click, None) == {"key": "channel", "value": "Email"}
    assert an.crossfilter_from_click(spec, trig, click, {"key": "channel", "value": "Email"}) is None
    from dash import no_update

    assert an.crossfilter_from_click(spec, {"item": "trend"}, click, None) is no_update


def test_rev004_forged_filter_values_are_dropped():
    assert an.clean_filters(
        {"channel": "Email", "workspace_id": 2, "country": ["x"], "product": "x" * 500}
    ) == {"channel": "Email"}
    assert an.clean_crossfilter({"key": "workspace_id", "value": "2"}) is None


def _login(app, services, email):
    from flask_login import login_user

    from dashboard.models import User

    with services.db.session() as db:
        user = db.query(User).filter_by(email=email).one()
        db.expunge(user)
    login_user(user)


def test_rev005_csv_download_is_exactly_the_chart_data_for_analysts(data, app, services, workspace):
    from callbacks.common import request_scope
    from callbacks.revenue import SPEC

    with app.server.test_request_context():
        _login(app, services, "analyst@acme.test")
        payload = an.csv_download(SPEC, "by_channel", _store(), {}, None, None)
        expected = an.frames(SPEC, request_scope(_store()), {})["by_channel"]
    csv = pl.read_csv(payload["content"].encode())
    assert csv["channel"].to_list() == expected["channel"].to_list() == ["Email", "Paid Search"]
    assert csv["value"].to_list() == [123.0, 77.0]


def test_rev006_viewer_cannot_download_csv(data, app, services):
    from callbacks.revenue import SPEC
    from dashboard.auth import PermissionDenied

    with app.server.test_request_context():
        _login(app, services, "viewer@acme.test")
        with pytest.raises(PermissionDenied):
            an.csv_download(SPEC, "by_channel", _store(), {}, None, None)


def test_rev007_drill_down_shows_the_rows_of_the_clicked_period(data, app, client, auth):
    auth.login("owner@acme.test")
    drill = {"item": "trend", "value": str(d1())}
    rows = grid_rows(client, app, "revenue", "drill", {"startRow": 0, "endRow": 25}, drill=drill)
    assert sorted(r["net"] for r in rows["rowData"]) == [77.0, 123.0] and rows["rowCount"] == 2
    filtered = grid_rows(
        client,
        app,
        "revenue",
        "drill",
        {"startRow": 0, "endRow": 25},
        drill=drill,
        page_filters={"channel": "Email"},
    )
    assert [r["net"] for r in filtered["rowData"]] == [123.0]
    bad = render_drill_http(client, app, "revenue", {"item": "trend", "value": "DROP TABLE"})
    assert "not valid" in bad
