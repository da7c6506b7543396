"""Campaigns and Customers page callbacks: render over HTTP, workspace isolation, CSV roles, drill-down."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from plotly.io.json import to_json_plotly

from callbacks import _analytics as an
from data import analytics as A
from tests.conftest import load, payments_frame
from tests.integration.test_analytics_callbacks import grid_rows, render_drill_http, render_page


def d1() -> date:
    """Two days ago, read when a test runs: a run that crosses midnight must not seed rows for
    a day the app no longer calls \"two days ago\"."""
    return date.today() - timedelta(days=2)


CAMPAIGN_PANELS = (
    "kpis",
    "spend_by_platform",
    "roas_by_platform",
    "spend_by_campaign",
    "roas_by_campaign",
    "spend_by_day",
    "campaigns",
    "email",
    "web",
    "funnel",
    "cac",
)
CUSTOMER_PANELS = ("kpis", "counts", "rfm_chart", "rfm", "geo", "pipeline", "leads", "calibration")


def _store(**extra):
    return {
        "range": "last_7_days",
        "start": str(date.today() - timedelta(days=6)),
        "end": str(date.today()),
        "compare": None,
        "grain": "day",
        **extra,
    }


def _ad(sid, platform, campaign, spend, value, source="google_ads"):
    return {
        "source": source,
        "source_id": sid,
        "date": d1(),
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
                {
                    "id": "a1",
                    "created": f"{d1()} 12:00",
                    "amount": "123.00",
                    "customer": "a",
                    "country": "US",
                },
                {"id": "a2", "created": f"{d1()} 13:00", "amount": "77.00", "customer": "b", "country": "DE"},
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
    now = datetime.combine(d1(), datetime.min.time())
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
                    "created": f"{d1()} 12:00",
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
    body = json.dumps(render_page(client, app, "campaigns", CAMPAIGN_PANELS, store=forged))
    rows = grid_rows(client, app, "campaigns", "campaigns", {"startRow": 0, "endRow": 25}, store=forged)
    body += json.dumps(rows)
    assert "SecretCampaign" not in body and "98765" not in body and "98,765" not in body
    assert "Brand" in body and "Reel" in body


def test_cmp002_crossfilter_by_campaign_filters_the_page(app, client, auth, data):
    auth.login("owner@acme.test")
    cross = {"key": "campaign", "value": "Brand"}
    page = render_page(client, app, "campaigns", ("kpis", "campaigns"), crossfilter=cross)
    rows = grid_rows(client, app, "campaigns", "campaigns", {"startRow": 0, "endRow": 25}, crossfilter=cross)
    assert [r["campaign"] for r in rows["rowData"]] == ["Brand"]  # the grid keeps only Brand
    spend_kpi = next(_find(page["kpis"], "data-value"), None)
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
    from callbacks.campaigns import SPEC
    from callbacks.common import request_scope

    with app.server.test_request_context():
        _login(app, services, "owner@acme.test")
        scope = request_scope(_store())
        f = an.frames(SPEC, scope, {})
        grid = an.render_panel(SPEC, "campaigns", scope, {})
    table = f["campaigns"]
    brand = table.filter(pl.col("campaign") == "Brand").row(0, named=True)
    assert brand["spend"] == 100.0 and brand["roas"] == 3.0
    assert f["spend_by_platform"]["platform"].to_list() == ["google_ads", "meta_ads"]
    assert f["funnel"]["value"].to_list()[:2] == [2000.0, 80.0]
    grid, first = grid  # the panel's view comes from the render cache as Dash's JSON
    props = grid["props"]  # the grid, then the store with its first page
    roas = next(c for c in props["columnDefs"] if c["field"] == "roas")
    assert "styleConditions" in roas["cellStyle"] and props["rowModelType"] == "infinite"
    assert first["props"]["data"]["rowCount"] == table.height
    assert {r["campaign"] for r in first["props"]["data"]["rowData"]} == set(table["campaign"].to_list())
    assert "'×'" in roas["valueFormatter"]["function"]  # a multiple, as on the KPI card
    # one pinned column, the campaign's name, its spend beside it: two pinned filled a phone's width
    assert [c["field"] for c in props["columnDefs"] if c.get("pinned")] == ["campaign"]
    assert [c["field"] for c in props["columnDefs"]][:3] == ["campaign", "spend", "platform"]


@pytest.mark.parametrize("page", ["campaigns", "customers"])
def test_cmp003c_every_server_paged_grid_is_a_paged_panel(app, services, data, page):
    """A paged panel gets its block requests' store and its first page; a grid outside one would have neither."""
    import importlib

    from callbacks.common import request_scope

    spec = importlib.import_module(f"callbacks.{page}").SPEC
    with app.server.test_request_context():
        _login(app, services, "owner@acme.test")
        scope = request_scope(_store())
        for panel in spec.panels:
            text = json.dumps(an.render_panel(spec, panel.item, scope, {}), default=str)
            assert ('"rowModelType": "infinite"' in text) <= panel.paged, panel.item
            assert ('"type": "pb-grid-first"' in text) >= ('"rowModelType": "infinite"' in text), panel.item


def test_cmp003b_roas_is_a_multiple_on_cards_and_charts(app, services, data):
    from callbacks.campaigns import SPEC
    from callbacks.common import request_scope

    with app.server.test_request_context():
        _login(app, services, "owner@acme.test")
        scope = request_scope(_store())
        # the KPI row is built fresh (goal progress reads the app DB): components, not cached JSON
        kpis = json.dumps(
            json.loads(to_json_plotly(an.render_panel(SPEC, "kpis", scope, {}))), ensure_ascii=False
        )
        bars = json.dumps(an.render_panel(SPEC, "roas_by_platform", scope, {}), ensure_ascii=False)
    assert "2.06×" in kpis and "206.2%" not in kpis  # (300 + 30) conversion value / (100 + 60) spend
    assert '"ticksuffix": "×"' in bars and "%{x:,.2f}×" in bars


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


def test_cmp005_drill_into_a_campaign_shows_its_daily_rows(app, client, auth, data):
    auth.login("owner@acme.test")
    drill = {"item": "campaigns", "value": "Brand"}
    rows = grid_rows(client, app, "campaigns", "drill", {"startRow": 0, "endRow": 25}, drill=drill)["rowData"]
    assert [r["campaign"] for r in rows] == ["Brand"] and rows[0]["spend"] == 100.0
    assert "Daily rows of campaign Brand" in render_drill_http(client, app, "campaigns", drill)


# -- customers ---------------------------------------------------------------------------------


def test_cus001_page_renders_only_the_callers_workspace(app, client, auth, data, other_workspace):
    auth.login("owner@acme.test")
    forged = _store(workspace_id=other_workspace.id)
    body = json.dumps(render_page(client, app, "customers", CUSTOMER_PANELS, store=forged))
    assert "Atlantis" not in body and "98765" not in body
    assert "US" in body and "Negotiation" in body


def test_cus002_lead_scoring_says_too_little_history(app, client, auth, data):
    auth.login("owner@acme.test")
    body = json.dumps(render_page(client, app, "customers", ("leads",)))
    assert "needs at least 30 closed deals" in body


def test_cus002b_lead_scores_fit_once_whatever_the_range(app, services, data, monkeypatch):
    """The model scores today's open deals: another date range reuses the cached fit."""
    from datetime import date, timedelta

    from callbacks import customers
    from callbacks.common import request_scope
    from dashboard.filters import today_in

    calls = []
    real = customers.A.lead_scores

    def counting(scoped, as_of, **kw):
        calls.append(as_of)
        return real(scoped, as_of, **kw)

    monkeypatch.setattr(customers.A, "lead_scores", counting)
    with app.server.test_request_context():
        _login(app, services, "owner@acme.test")
        week = customers.lead_scores(request_scope(_store()))
        past = {**_store(), "range": "custom", "start": "2024-01-01", "end": "2024-03-31"}
        year_ago = customers.lead_scores(request_scope(past))
        today = today_in(request_scope(_store()).ctx.workspace.timezone)
    assert calls == [today]  # one fit for both ranges
    assert year_ago["open_deals"] == week["open_deals"] == 1
    assert today >= date.today() - timedelta(days=1)


@pytest.mark.parametrize("filters", [{}, {"country": "US"}])
def test_cus002c_returning_card_equals_customer_counts(app, services, data, workspace, filters):
    """The KPI row's returning customers (active - new from its own cards) = customer_counts."""
    old = f"{d1() - timedelta(days=40)} 12:00"
    load(
        services,
        workspace,
        "payments",
        payments_frame([{"id": "a0", "created": old, "amount": "5", "customer": "a"}]),
    )
    from plotly.io.json import to_json_plotly

    from callbacks.common import request_scope
    from callbacks.customers import SPEC
    from data import analytics as A

    with app.server.test_request_context():
        _login(app, services, "owner@acme.test")
        scope = request_scope(_store())
        row = to_json_plotly(an.render_panel(SPEC, "kpis", scope, filters))  # a note may lead it
        f = scope.filters
        counts = A.customer_counts(
            services.warehouse.scoped(scope.ctx.workspace), f.start, f.end, where=filters or None
        ).row(0, named=True)
    match = re.search(r'"id":\s*"pb-kpi-returning_customers-value"[^}]*"data-value":\s*"([^"]*)"', row)
    assert match and float(match.group(1)) == counts["returning"] == 1  # a: paid before the range too


def test_cus003_frames_counts_rfm_pipeline(app, services, data):
    from callbacks.common import request_scope
    from callbacks.customers import SPEC

    with app.server.test_request_context():
        _login(app, services, "owner@acme.test")
        scope = request_scope(_store())
        f = an.frames(SPEC, scope, {})
        stats = A.open_pipeline(services.warehouse.scoped(scope.ctx.workspace), scope.filters.end)
        only_us = an.frames(SPEC, scope, {"country": "US"})
    assert f["counts"]["active"].sum() == 2 and f["rfm"]["customers"].sum() == 2
    assert sorted(f["geo"]["country"].to_list()) == ["DE", "US"]
    assert only_us["counts"]["active"].sum() == 1
    assert stats == {"open_value": 2000, "open_deals": 1}
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


def test_cus005_drill_into_segment_and_stage(app, client, auth, data):
    auth.login("owner@acme.test")
    won = grid_rows(
        client,
        app,
        "customers",
        "drill",
        {"startRow": 0, "endRow": 25},
        drill={"item": "pipeline", "value": "Closed won"},
    )
    assert [r["deal"] for r in won["rowData"]] == ["d1"]
    bad = render_drill_http(client, app, "customers", {"item": "rfm_chart", "value": "DROP TABLE"})
    assert "not valid" in bad


def test_cus005b_segment_drill_lists_exactly_that_segments_customers(app, client, auth, services, data):
    """The drill names only the clicked segment's customers: the same rows as every customer's
    scores filtered to it, in the same order."""
    from callbacks import customers
    from callbacks.common import request_scope

    with app.server.test_request_context():
        _login(app, services, "owner@acme.test")
        everyone = customers.rfm_customers(request_scope(_store()), {})
    assert everyone.height >= 2
    auth.login("owner@acme.test")
    for segment in everyone["segment"].unique().to_list():
        got = grid_rows(
            client,
            app,
            "customers",
            "drill",
            {"startRow": 0, "endRow": 100},
            store=_store(),
            drill={"item": "rfm_chart", "value": segment},
        )
        want = everyone.filter(pl.col("segment") == segment)
        assert [r["customer"] for r in got["rowData"]] == want["customer"].to_list()
        assert {r["segment"] for r in got["rowData"]} == {segment}


def _fake_leads(beats: bool) -> dict:
    """A fitted lead model's answer: two open deals, the smaller one scored higher."""
    scores = pl.DataFrame(
        {
            "deal": ["d1", "d2"],
            "name": ["Small deal", "Big deal"],
            "stage": ["Proposal", "Negotiation"],
            "amount": [1_000.0, 9_000.0],
            "created_at": [datetime(2026, 1, 5), datetime(2026, 1, 6)],
            "days_open": [30, 29],
            "win_probability": [0.71, 0.22],
        }
    )
    message = "Trained on 40 closed deals; validated on the latest 10."
    if not beats:
        message = "The model predicts no better than always guessing “lost” (60% right vs 70%)."
    return {
        "status": "ok", "message": message, "beats_baseline": beats, "accuracy": 0.6,
        "baseline_accuracy": 0.7, "scores": scores, "closed_deals": 40, "open_deals": 2,
    }  # fmt: skip


@pytest.mark.parametrize("beats", [True, False])
def test_cus002d_no_ranking_by_a_model_no_better_than_the_base_rate(monkeypatch, beats):
    """A model that does not beat always guessing gives no scores: deals are listed largest first."""
    from callbacks import customers

    monkeypatch.setattr(customers, "lead_scores", lambda scope: _fake_leads(beats))
    frame = customers.leads_frame(None, {})
    if beats:
        assert frame["name"].to_list() == ["Small deal", "Big deal"]  # most likely to win first
        assert "win_probability" in frame.columns
    else:
        assert frame["name"].to_list() == ["Big deal", "Small deal"]  # largest first
        assert "win_probability" not in frame.columns  # in the grid and its CSV
    scope = type("Scope", (), {"ctx": type("Ctx", (), {"workspace": type("W", (), {"currency": "USD"})})})
    view = to_json_plotly(customers.leads_view(scope, {}, frame))
    assert ("No lead scores" in view) is not beats
    assert ("Win probability" in view) is beats
