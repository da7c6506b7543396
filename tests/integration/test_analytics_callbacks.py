"""Analytics page callbacks over HTTP: cross-filter, drill-down, CSV role checks, workspace isolation."""

from __future__ import annotations

import json
from datetime import date, timedelta

import polars as pl
import pytest

from callbacks import _analytics as an
from tests.conftest import load, payments_frame

TODAY = date.today()
D1 = TODAY - timedelta(days=2)


def _store():
    return {
        "range": "last_7_days",
        "start": str(TODAY - timedelta(days=6)),
        "end": str(TODAY),
        "compare": None,
        "grain": "day",
    }


def _page_request(app, page_filters=None, crossfilter=None, store=None):
    panels = ("trend", "movements", "by_channel", "by_product", "by_country", "cohorts", "top")
    outputs = [{"id": "pb-revenue-kpis", "property": "children"}] + [
        {"id": {"type": "pb-panel", "page": "revenue", "item": i}, "property": "children"} for i in panels
    ]
    return {
        "output": next(k for k in app.callback_map if k.startswith("..pb-revenue-kpis.children")),
        "outputs": outputs,
        "inputs": [
            {"id": "pb-filters", "property": "data", "value": store or _store()},
            {"id": "pb-revenue-page-filters", "property": "data", "value": page_filters or {}},
            {"id": "pb-revenue-crossfilter", "property": "data", "value": crossfilter},
        ],
        "changedPropIds": ["pb-filters.data"],
        "state": [],
    }


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
                    "created": f"{D1} 12:00",
                    "amount": "123.00",
                    "customer": "a",
                    "channel": "Email",
                    "product": "Kit",
                    "country": "US",
                },
                {
                    "id": "a2",
                    "created": f"{D1} 13:00",
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
                    "created": f"{D1} 12:00",
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
    response = client.post("/_dash-update-component", json=_page_request(app, store=forged))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    body = json.dumps(response.get_json())
    assert "Secret Channel" not in body and "98765" not in body and "98,765" not in body
    assert "Paid Search" in body


def test_rev002_crossfilter_filters_the_rest_of_the_page(app, client, auth, data):
    auth.login("owner@acme.test")
    body = json.dumps(
        client.post(
            "/_dash-update-component",
            json=_page_request(app, crossfilter={"key": "channel", "value": "Email"}),
        ).get_json()
    )
    assert 'data-value": "123.0"' in body.replace("\\", "") or "123.0" in body
    assert "200.0" not in body  # the unfiltered net revenue (123 + 77) is gone


def test_rev003_crossfilter_from_click_toggles():
    spec = an.PageSpec(
        "revenue", {}, ("channel",), lambda s, f: {}, crossfilter_items={"by_channel": "channel"}
    )
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


def _csv_request(item):
    return {
        "output": "pb-revenue-download.data",
        "outputs": {"id": "pb-revenue-download", "property": "data"},
        "inputs": [
            {"id": {"type": "pb-csv", "page": "revenue", "item": item}, "property": "n_clicks", "value": 1}
        ],
        "changedPropIds": [
            json.dumps({"item": item, "page": "revenue", "type": "pb-csv"}, separators=(",", ":"))
            + ".n_clicks"
        ],
        "state": [
            {"id": "pb-filters", "property": "data", "value": _store()},
            {"id": "pb-revenue-page-filters", "property": "data", "value": {}},
            {"id": "pb-revenue-crossfilter", "property": "data", "value": None},
            {"id": "pb-revenue-drill", "property": "data", "value": None},
        ],
    }


def test_rev005_csv_download_is_exactly_the_chart_data_for_analysts(data, app, services, workspace):
    from callbacks.common import request_scope
    from callbacks.revenue import SPEC, frames

    with app.server.test_request_context():
        from flask_login import login_user

        from dashboard.models import User

        with services.db.session() as db:
            user = db.query(User).filter_by(email="analyst@acme.test").one()
            db.expunge(user)
        login_user(user)
        payload = an.csv_download(SPEC, "by_channel", _store(), {}, None, None)
        expected = frames(request_scope(_store()), {})["by_channel"]
    csv = pl.read_csv(payload["content"].encode())
    assert csv["channel"].to_list() == expected["channel"].to_list() == ["Email", "Paid Search"]
    assert csv["value"].to_list() == [123.0, 77.0]


def test_rev006_viewer_cannot_download_csv(data, app, services):
    from callbacks.revenue import SPEC
    from dashboard.auth import PermissionDenied

    with app.server.test_request_context():
        from flask_login import login_user

        from dashboard.models import User

        with services.db.session() as db:
            user = db.query(User).filter_by(email="viewer@acme.test").one()
            db.expunge(user)
        login_user(user)
        with pytest.raises(PermissionDenied):
            an.csv_download(SPEC, "by_channel", _store(), {}, None, None)


def test_rev007_drill_down_shows_the_rows_of_the_clicked_period(data, app, services):
    from callbacks.common import request_scope
    from callbacks.revenue import SPEC, render_drill

    with app.server.test_request_context():
        from flask_login import login_user

        from dashboard.models import User

        with services.db.session() as db:
            user = db.query(User).filter_by(email="owner@acme.test").one()
            db.expunge(user)
        login_user(user)
        out = render_drill(request_scope(_store()), {}, {"item": "trend", "value": str(D1)}, SPEC)
        rows = out.children[1].rowData
        assert sorted(r["net"] for r in rows) == [77.0, 123.0]
        filtered = render_drill(
            request_scope(_store()), {"channel": "Email"}, {"item": "trend", "value": str(D1)}, SPEC
        )
        assert [r["net"] for r in filtered.children[1].rowData] == [123.0]
        bad = render_drill(request_scope(_store()), {}, {"item": "trend", "value": "DROP TABLE"}, SPEC)
        assert "not valid" in json.dumps(bad.to_plotly_json(), default=str)
