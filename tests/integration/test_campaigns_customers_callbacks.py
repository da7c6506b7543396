"""Campaigns and Customers page callbacks: render over HTTP, workspace isolation, CSV roles, drill-down."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest

from callbacks import _analytics as an
from tests.conftest import load, payments_frame

TODAY = date.today()
D1 = TODAY - timedelta(days=2)
CAMPAIGN_PANELS = (
    "spend_by_platform",
    "roas_by_platform",
    "spend_by_campaign",
    "roas_by_campaign",
    "campaigns",
    "email",
    "web",
    "funnel",
    "cac",
)
CUSTOMER_PANELS = ("counts", "rfm_chart", "rfm", "geo", "pipeline", "leads", "calibration")


def _store(**extra):
    return {
        "range": "last_7_days",
        "start": str(TODAY - timedelta(days=6)),
        "end": str(TODAY),
        "compare": None,
        "grain": "day",
        **extra,
    }


def _page_request(app, page, panels, *, page_filters=None, crossfilter=None, store=None):
    outputs = [{"id": f"pb-{page}-kpis", "property": "children"}] + [
        {"id": {"type": "pb-panel", "page": page, "item": i}, "property": "children"} for i in panels
    ]
    return {
        "output": next(k for k in app.callback_map if k.startswith(f"..pb-{page}-kpis.children")),
        "outputs": outputs,
        "inputs": [
            {"id": "pb-filters", "property": "data", "value": store or _store()},
            {"id": f"pb-{page}-page-filters", "property": "data", "value": page_filters or {}},
            {"id": f"pb-{page}-crossfilter", "property": "data", "value": crossfilter},
        ],
        "changedPropIds": ["pb-filters.data"],
        "state": [],
    }


def _ad(sid, platform, campaign, spend, value, source="google_ads"):
    return {
        "source": source,
        "source_id": sid,
        "date": D1,
        "platform": platform,
        "campaign": campaign,
        "spend": Decimal(spend),
        "currency": "USD",
        "impressions": 1000,
        "clicks": 40,
        "conversions": 2.0,
        "conversion_value": Decimal(value),
    }


def _deal(sid, created, closed=None, won=None, amount="1000", stage="Proposal"):
    return {
        "source": "hubspot",
        "source_id": sid,
        "name": f"Deal {sid}",
        "stage": stage,
        "pipeline": "default",
        "amount": Decimal(amount) if amount else None,
        "currency": "USD",
        "created_at": created,
        "closed_at": closed,
        "won": won,
    }


@pytest.fixture
def data(services, workspace, other_workspace):
    load(
        services,
        workspace,
        "payments",
        payments_frame(
            [
                {"id": "a1", "created": f"{D1} 12:00", "amount": "123.00", "customer": "a", "country": "US"},
                {"id": "a2", "created": f"{D1} 13:00", "amount": "77.00", "customer": "b", "country": "DE"},
            ]
        ),
    )
    load(
        services,
        workspace,
        "ad_daily",
        pl.DataFrame(
            [
                _ad("g1", "google_ads", "Brand", "100.00", "300.00"),
                _ad("m1", "meta_ads", "Reel", "60.00", "30.00", source="meta_ads"),
            ]
        ),
    )
    now = datetime.combine(D1, datetime.min.time())
    load(
        services,
        workspace,
        "deals",
        pl.DataFrame(
            [
                _deal("d1", now - timedelta(days=20), now, True, "1000"),
                _deal("d2", now - timedelta(days=10), now, False, "500"),
                _deal("d3", now - timedelta(days=5), None, None, "2000", stage="Negotiation"),
            ]
        ),
    )
    load(
        services,
        other_workspace,
        "ad_daily",
        pl.DataFrame([_ad("x1", "google_ads", "SecretCampaign", "98765.00", "1.00")]),
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
                    "customer": "g",
                    "country": "Atlantis",
                }
            ]
        ),
    )


def _login(app, services, email):
    from flask_login import login_user

    from dashboard.models import User

    with services.db.session() as db:
        user = db.query(User).filter_by(email=email).one()
        db.expunge(user)
    login_user(user)


# -- campaigns ---------------------------------------------------------------------------------


def test_cmp001_page_renders_only_the_callers_workspace(app, client, auth, data, other_workspace):
    auth.login("owner@acme.test")
    forged = _store(workspace_id=other_workspace.id)
    response = client.post(
        "/_dash-update-component", json=_page_request(app, "campaigns", CAMPAIGN_PANELS, store=forged)
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    body = json.dumps(response.get_json())
    assert "SecretCampaign" not in body and "98765" not in body and "98,765" not in body
    assert "Brand" in body and "Reel" in body


def test_cmp002_crossfilter_by_campaign_filters_the_page(app, client, auth, data):
    auth.login("owner@acme.test")
    response = client.post(
        "/_dash-update-component",
        json=_page_request(
            app, "campaigns", CAMPAIGN_PANELS, crossfilter={"key": "campaign", "value": "Brand"}
        ),
    )
    assert response.status_code == 200
    grids = list(_find(response.get_json(), "rowData"))
    assert grids and [r["campaign"] for r in grids[0]] == ["Brand"]  # the grid keeps only Brand
    spend_kpi = next(_find(response.get_json(), "data-value"), None)
    assert spend_kpi == "100.0"  # Brand's spend alone, not 160


def _find(node, key):
    """Every value of ``key`` in a JSON tree (depth first)."""
    if isinstance(node, dict):
        if key in node:
            yield node[key]
        for v in node.values():
            yield from _find(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from _find(v, key)


def test_cmp003_frames_campaign_grid_and_roas_colouring(app, services, data):
    from callbacks.campaigns import frames, render
    from callbacks.common import request_scope

    with app.server.test_request_context():
        _login(app, services, "owner@acme.test")
        scope = request_scope(_store())
        f = frames(scope, {})
        out = render(scope, {})
    table = f["campaigns"]
    brand = table.filter(pl.col("campaign") == "Brand").row(0, named=True)
    assert brand["spend"] == 100.0 and brand["roas"] == 3.0
    assert f["spend_by_platform"]["platform"].to_list() == ["google_ads", "meta_ads"]
    assert f["funnel"]["value"].to_list()[:2] == [2000.0, 80.0]
    grid = out[1 + CAMPAIGN_PANELS.index("campaigns")]
    roas = next(c for c in grid.columnDefs if c["field"] == "roas")
    assert "styleConditions" in roas["cellStyle"]


def test_cmp004_viewer_cannot_download_csv_analyst_can(app, services, data):
    from callbacks.campaigns import SPEC
    from dashboard.auth import PermissionDenied

    with app.server.test_request_context():
        _login(app, services, "viewer@acme.test")
        with pytest.raises(PermissionDenied):
            an.csv_download(SPEC, "campaigns", _store(), {}, None, None)
    with app.server.test_request_context():
        _login(app, services, "analyst@acme.test")
        payload = an.csv_download(SPEC, "campaigns", _store(), {}, None, None)
    csv = pl.read_csv(payload["content"].encode())
    assert sorted(csv["campaign"].to_list()) == ["Brand", "Reel"]


def test_cmp005_drill_into_a_campaign_shows_its_daily_rows(app, services, data):
    from callbacks.campaigns import SPEC
    from callbacks.common import request_scope
    from callbacks.revenue import render_drill

    with app.server.test_request_context():
        _login(app, services, "owner@acme.test")
        out = render_drill(request_scope(_store()), {}, {"item": "campaigns", "value": "Brand"}, SPEC)
    rows = out.children[1].rowData
    assert [r["campaign"] for r in rows] == ["Brand"] and rows[0]["spend"] == 100.0


# -- customers ---------------------------------------------------------------------------------


def test_cus001_page_renders_only_the_callers_workspace(app, client, auth, data, other_workspace):
    auth.login("owner@acme.test")
    forged = _store(workspace_id=other_workspace.id)
    response = client.post(
        "/_dash-update-component", json=_page_request(app, "customers", CUSTOMER_PANELS, store=forged)
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    body = json.dumps(response.get_json())
    assert "Atlantis" not in body and "98765" not in body
    assert "US" in body and "Negotiation" in body


def test_cus002_lead_scoring_says_too_little_history(app, client, auth, data):
    auth.login("owner@acme.test")
    response = client.post("/_dash-update-component", json=_page_request(app, "customers", CUSTOMER_PANELS))
    assert response.status_code == 200
    body = json.dumps(response.get_json())
    assert "needs at least 30 closed deals" in body


def test_cus003_frames_counts_rfm_pipeline(app, services, data):
    from callbacks.common import request_scope
    from callbacks.customers import frames, pipeline_stats

    with app.server.test_request_context():
        _login(app, services, "owner@acme.test")
        scope = request_scope(_store())
        f = frames(scope, {})
        stats = pipeline_stats(scope)
        only_us = frames(scope, {"country": "US"})
    assert f["counts"]["active"].sum() == 2 and f["rfm"]["customers"].sum() == 2
    assert sorted(f["geo"]["country"].to_list()) == ["DE", "US"]
    assert only_us["counts"]["active"].sum() == 1
    assert stats["open_value"] == 2000 and stats["win_rate"] == 0.5
    assert dict(zip(f["pipeline"]["status"], f["pipeline"]["deals"], strict=True)) == {
        "open": 1,
        "won": 1,
        "lost": 1,
    }


def test_cus004_viewer_cannot_download_csv(app, services, data):
    from callbacks.customers import SPEC
    from dashboard.auth import PermissionDenied

    with app.server.test_request_context():
        _login(app, services, "viewer@acme.test")
        with pytest.raises(PermissionDenied):
            an.csv_download(SPEC, "rfm", _store(), {}, None, None)


def test_cus005_drill_into_segment_and_stage(app, services, data):
    from callbacks.common import request_scope
    from callbacks.customers import SPEC
    from callbacks.revenue import render_drill

    with app.server.test_request_context():
        _login(app, services, "owner@acme.test")
        scope = request_scope(_store())
        won = render_drill(scope, {}, {"item": "pipeline", "value": "Closed won"}, SPEC)
        bad = render_drill(scope, {}, {"item": "rfm_chart", "value": "DROP TABLE"}, SPEC)
    assert [r["deal"] for r in won.children[1].rowData] == ["d1"]
    assert "not valid" in json.dumps(bad.to_plotly_json(), default=str)
