"""Analytics pages over HTTP: server paging (pages, sort, isolation), filters on every panel, new chart."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest

from callbacks import _analytics as an
from tests.conftest import load, payments_frame
from tests.integration.test_analytics_callbacks import _store, grid_rows, render_drill_http, render_page


def d1() -> date:
    """Two days ago, read when a test runs: a run that crosses midnight must not seed rows for
    a day the app no longer calls \"two days ago\"."""
    return date.today() - timedelta(days=2)


FIRST = {"startRow": 0, "endRow": 25}


@pytest.fixture
def data(services, workspace, other_workspace):
    """30 paying customers (c00 paid 1000, c01 1010, ...), ads, email sends and deals; a rival workspace."""
    load(
        services,
        workspace,
        "payments",
        payments_frame(
            [
                {
                    "id": f"p{i}",
                    "created": f"{d1()} 12:00",
                    "amount": f"{1000 + 10 * i}.00",
                    "customer": f"c{i:02d}",
                    "channel": "Paid Search" if i % 2 else "Email",
                    "country": "US",
                }
                for i in range(30)
            ]
        ),
    )
    ad = {"date": d1(), "currency": "USD", "impressions": 1000, "clicks": 40, "conversions": 2.0}
    load(
        services,
        workspace,
        "ad_daily",
        pl.DataFrame(
            [
                {
                    **ad,
                    "source": "google_ads",
                    "source_id": "g1",
                    "platform": "google_ads",
                    "campaign": "Brand",
                    "spend": Decimal("100"),
                    "conversion_value": Decimal("300"),
                },
                {
                    **ad,
                    "source": "meta_ads",
                    "source_id": "m1",
                    "platform": "meta_ads",
                    "campaign": "Reel",
                    "spend": Decimal("60"),
                    "conversion_value": Decimal("30"),
                },
            ]
        ),
    )
    load(
        services,
        workspace,
        "email_campaigns",
        pl.DataFrame(
            [
                {
                    "source": "mailchimp",
                    "source_id": sid,
                    "sent_at": datetime.combine(d1(), datetime.min.time()),
                    "title": title,
                    "list_name": "news",
                    "recipients": 100,
                    "delivered": 90,
                    "unique_opens": 45,
                    "unique_clicks": 9,
                    "unsubscribes": 1,
                    "bounces": 10,
                }
                for sid, title in (("e1", "Spring sale"), ("e2", "Newsletter"))
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
                {
                    "source": "hubspot",
                    "source_id": "d1",
                    "name": "Deal 1",
                    "stage": "Proposal",
                    "pipeline": "p",
                    "amount": Decimal("1000"),
                    "currency": "USD",
                    "created_at": now - timedelta(days=5),
                    "closed_at": None,
                    "won": None,
                }
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
                    "id": "x1",
                    "created": f"{d1()} 12:00",
                    "amount": "98765.00",
                    "customer": "SecretCustomer",
                    "country": "Atlantis",
                }
            ]
        ),
    )


def _json(component) -> str:
    """A rendered panel (components, or Dash's JSON from the render cache) as text."""
    return json.dumps(component, default=lambda o: o.to_plotly_json())


# -- server paging -------------------------------------------------------------------------------


def test_pgs001_page_two_returns_the_next_rows(app, client, auth, data):
    auth.login("viewer@acme.test")  # any member may page; CSV needs an analyst
    first = grid_rows(client, app, "revenue", "top", FIRST)
    second = grid_rows(client, app, "revenue", "top", {"startRow": 25, "endRow": 50})
    assert first["rowCount"] == second["rowCount"] == 30
    assert [r["customer"] for r in first["rowData"]] == [f"c{i:02d}" for i in range(29, 4, -1)]
    assert [r["customer"] for r in second["rowData"]] == ["c04", "c03", "c02", "c01", "c00"]


def test_pgs002_sorting_and_filtering_happen_on_the_server(app, client, auth, data):
    auth.login("owner@acme.test")
    asc = grid_rows(
        client, app, "revenue", "top", {**FIRST, "sortModel": [{"colId": "revenue", "sort": "asc"}]}
    )
    assert [r["revenue"] for r in asc["rowData"][:3]] == [1000.0, 1010.0, 1020.0]
    page2 = grid_rows(
        client,
        app,
        "revenue",
        "top",
        {"startRow": 25, "endRow": 50, "sortModel": [{"colId": "revenue", "sort": "asc"}]},
    )
    assert [r["revenue"] for r in page2["rowData"]] == [1250.0, 1260.0, 1270.0, 1280.0, 1290.0]
    big = grid_rows(
        client,
        app,
        "revenue",
        "top",
        {
            **FIRST,
            "filterModel": {
                "revenue": {"filterType": "number", "type": "greaterThanOrEqual", "filter": 1270}
            },
        },
    )
    assert big["rowCount"] == 3


def test_pgs003_other_workspaces_rows_never_appear_even_with_forged_params(
    app, client, auth, data, other_workspace
):
    auth.login("owner@acme.test")
    forged_store = {**_store(), "workspace_id": other_workspace.id, "workspace": other_workspace.slug}
    bodies = [
        grid_rows(client, app, "revenue", "top", {**FIRST, "endRow": 10**6}, store=forged_store),
        grid_rows(
            client, app, "revenue", "top", FIRST, page_filters={"workspace_id": str(other_workspace.id)}
        ),
        grid_rows(client, app, "revenue", "top", FIRST, crossfilter={"key": "country", "value": "Atlantis"}),
        grid_rows(client, app, "revenue", "../top", FIRST),
        grid_rows(
            client, app, "revenue", "drill", FIRST, drill={"item": "trend", "value": str(d1()), "ws": 2}
        ),
        grid_rows(client, app, "revenue", "drill", FIRST, drill={"item": "nope", "value": "x"}),
    ]
    text = json.dumps(bodies)
    assert "SecretCustomer" not in text and "98765" not in text and "Atlantis" not in text
    assert len(bodies[0]["rowData"]) <= 200 and bodies[0]["rowCount"] == 30  # one bounded block
    assert bodies[2] == {"rowData": [], "rowCount": 0}  # Atlantis is not this workspace's country
    assert bodies[3] == bodies[5] == {"rowData": [], "rowCount": 0}
    assert bodies[4]["rowCount"] >= 1


def test_pgs004_paging_needs_a_logged_in_member(app, client, data):
    from tests.integration.test_analytics_callbacks import grid_request

    client.get("/login")  # Dash fills its callback map on the first request
    response = client.post("/_dash-update-component", json=grid_request(app, "revenue", "top", FIRST))
    assert response.status_code == 401


def test_pgs005_csv_of_a_paged_grid_has_all_its_rows(app, services, data):
    from callbacks.revenue import SPEC
    from tests.integration.test_campaigns_customers_callbacks import _login

    with app.server.test_request_context():
        _login(app, services, "analyst@acme.test")
        payload = an.csv_download(SPEC, "top", _store(), {}, None, None)
    csv = pl.read_csv(payload["content"].encode())
    assert csv.height == 30 and csv["revenue"].sum() == sum(1000 + 10 * i for i in range(30))


# -- page filters on the formerly unfiltered panels --------------------------------------------


def test_pgs006_email_panel_honours_campaign_and_says_why_for_other_channels(app, client, auth, data):
    auth.login("owner@acme.test")
    only = grid_rows(client, app, "campaigns", "email", FIRST, page_filters={"campaign": "Spring sale"})
    assert [r["title"] for r in only["rowData"]] == ["Spring sale"]
    page = render_page(client, app, "campaigns", ("email",), page_filters={"channel": "Paid Search"})
    assert "Email campaigns are all in the Email channel, not Paid Search" in json.dumps(page)
    rows = grid_rows(client, app, "campaigns", "email", FIRST, page_filters={"channel": "Paid Search"})
    assert rows == {"rowData": [], "rowCount": 0}
    both = grid_rows(client, app, "campaigns", "email", FIRST, page_filters={"channel": "Email"})
    assert both["rowCount"] == 2


def test_pgs007_cac_and_funnel_follow_the_channel(app, services, data):
    from callbacks.campaigns import SPEC
    from callbacks.common import request_scope
    from tests.integration.test_campaigns_customers_callbacks import _login

    with app.server.test_request_context():
        _login(app, services, "owner@acme.test")
        scope = request_scope(_store())
        paid = an.frames(SPEC, scope, {"channel": "Paid Search"})
        by_platform = an.frames(SPEC, scope, {"platform": "meta_ads"})
        email = an.render_panel(SPEC, "cac", scope, {"channel": "Email"})
        campaign_note = an.render_panel(SPEC, "cac", scope, {"campaign": "Brand"})
    row = paid["cac"].row(0, named=True)
    assert (row["channel"], row["spend"], row["new_customers"], row["cac"]) == (
        "Paid Search",
        100.0,
        15,
        6.67,
    )
    assert paid["cac"].height == 1 and by_platform["cac"]["channel"].to_list() == ["Paid Social"]
    assert paid["funnel"]["value"].to_list()[0] == 1000.0  # google_ads impressions only
    assert paid["spend_by_day"]["spend"].sum() == 100.0
    assert "No ad platform buys the Email channel" in _json(email)
    assert "Not filtered by campaign: new customers have no campaign." in _json(campaign_note)


def test_pgs008_pipeline_and_lead_panels_say_deals_have_no_country(app, client, auth, data):
    auth.login("owner@acme.test")
    page = json.dumps(
        render_page(client, app, "customers", ("kpis", "pipeline", "leads"), page_filters={"country": "US"})
    )
    assert "Not filtered by country: deals have no country." in page
    assert "Pipeline KPIs are not filtered by country" in page
    assert "Proposal" in page  # the deal is still shown


def test_pgs009_rfm_uses_the_selected_range(app, services, data, workspace):
    from callbacks.common import request_scope
    from callbacks.customers import rfm_customers
    from tests.integration.test_campaigns_customers_callbacks import _login

    load(
        services,
        workspace,
        "payments",
        payments_frame(
            [
                {
                    "id": "old",
                    "created": f"{date.today() - timedelta(days=60)} 12:00",
                    "amount": "5",
                    "customer": "old",
                }
            ]
        ),
    )
    with app.server.test_request_context():
        _login(app, services, "owner@acme.test")
        week = rfm_customers(request_scope(_store()), {})
        quarter = rfm_customers(
            request_scope({**_store(), "range": "custom", "start": str(date.today() - timedelta(days=89))}),
            {},
        )
    assert "old" not in week["customer"].to_list() and week.height == 30
    assert "old" in quarter["customer"].to_list()


# -- the spend-by-period chart: cross-filter and drill-down like the others --------------------------


def test_pgs010_spend_by_day_drills_into_the_periods_ad_rows(app, client, auth, data):
    auth.login("owner@acme.test")
    from callbacks.campaigns import SPEC

    spec_drill = an.drill_from_event(
        SPEC,
        {"type": "pb-graph", "page": "campaigns", "item": "spend_by_day"},
        {"points": [{"x": str(d1()), "customdata": str(d1())}]},
    )
    assert spec_drill == {"item": "spend_by_day", "value": str(d1())}
    rows = grid_rows(client, app, "campaigns", "drill", FIRST, drill=spec_drill)
    assert sorted(r["campaign"] for r in rows["rowData"]) == ["Brand", "Reel"]
    narrowed = grid_rows(
        client,
        app,
        "campaigns",
        "drill",
        FIRST,
        drill=spec_drill,
        crossfilter={"key": "platform", "value": "meta_ads"},
    )
    assert [r["campaign"] for r in narrowed["rowData"]] == ["Reel"]
    assert "Ad rows" in render_drill_http(client, app, "campaigns", spec_drill)
    page = render_page(
        client, app, "campaigns", ("spend_by_day",), crossfilter={"key": "campaign", "value": "Brand"}
    )
    fig = json.dumps(page)
    assert '"yaxis": "y2"' in fig and "100.0" in fig and "160.0" not in fig


def test_pgs011_web_chart_cross_filters_by_channel(app, client, auth, data):
    from callbacks.campaigns import SPEC

    click = {"points": [{"customdata": "Paid Search", "y": "Paid Search"}]}
    trig = {"type": "pb-graph", "page": "campaigns", "item": "web"}
    assert an.crossfilter_from_click(SPEC, trig, click, None) == {"key": "channel", "value": "Paid Search"}


def test_pgs012_spend_by_day_csv_is_its_frame(app, services, data):
    from callbacks.campaigns import SPEC
    from tests.integration.test_campaigns_customers_callbacks import _login

    with app.server.test_request_context():
        _login(app, services, "analyst@acme.test")
        payload = an.csv_download(SPEC, "spend_by_day", _store(), {"platform": "google_ads"}, None, None)
    csv = pl.read_csv(payload["content"].encode())
    assert csv.columns == ["period", "spend", "conversions", "conversion_value", "roas"]
    assert csv["spend"].sum() == 100.0 and csv.filter(pl.col("spend") > 0)["roas"].to_list() == [3.0]


@pytest.mark.parametrize("page", ["revenue", "campaigns", "customers"])
def test_pgs013_every_panel_of_an_empty_workspace_links_to_data_sources(app, client, auth, workspace, page):
    import importlib

    spec = importlib.import_module(f"callbacks.{page}").SPEC
    auth.login("owner@acme.test")
    rendered = render_page(client, app, page, [p.item for p in spec.panels])
    for item, body in rendered.items():
        text = json.dumps(body)
        assert '"href": "/sources"' in text and "connected" in text, item


def _post(client, body):
    return client.post("/_dash-update-component", json=body)


def _csv_buttons_request(app, page, items, crossfilter=None):
    """The request of the page's controls callback (chip, filter choices, CSV buttons).

    With ``crossfilter`` it is the request a new cross-filter sends; else the page load's.
    """
    key = next(k for k in app.callback_map if f'"page":"{page}","type":"pb-csv"}}.style' in k)
    ids_ = [{"type": "pb-csv", "page": page, "item": i} for i in items]
    filters = [{"type": "pb-page-filter", "page": page, "key": "channel"}]
    return {
        "output": key,
        "outputs": [
            {"id": f"pb-{page}-chips", "property": "children"},
            [{"id": i, "property": "options"} for i in filters],
            [{"id": i, "property": "style"} for i in ids_],
        ],
        "inputs": [
            {"id": "pb-filters", "property": "data", "value": _store()},
            {"id": f"pb-{page}-crossfilter", "property": "data", "value": crossfilter},
            {
                "id": {"type": "pb-fill", "page": page, "item": "chrome"},
                "property": "n_intervals",
                "value": 1,
            },
        ],
        "changedPropIds": [
            f"pb-{page}-crossfilter.data"
            if crossfilter
            else json.dumps({"item": "chrome", "page": page, "type": "pb-fill"}, separators=(",", ":"))
            + ".n_intervals"
        ],
        "state": [
            [{"id": i, "property": "id", "value": i} for i in filters],
            [{"id": i, "property": "id", "value": i} for i in ids_],
        ],
    }


def test_pgs014_viewers_do_not_see_csv_buttons_and_cannot_download(app, client, auth, data):
    auth.login("viewer@acme.test")
    hidden = _post(client, _csv_buttons_request(app, "revenue", ["top", "trend"]))
    assert hidden.status_code == 200 and json.dumps(hidden.get_json()).count('"display": "none"') == 2
    download = {
        "output": "pb-revenue-download.data",
        "outputs": {"id": "pb-revenue-download", "property": "data"},
        "inputs": [
            {"id": {"type": "pb-csv", "page": "revenue", "item": "top"}, "property": "n_clicks", "value": 1}
        ],
        "changedPropIds": ['{"item":"top","page":"revenue","type":"pb-csv"}.n_clicks'],
        "state": [
            {"id": "pb-filters", "property": "data", "value": _store()},
            {"id": "pb-revenue-page-filters", "property": "data", "value": {}},
            {"id": "pb-revenue-crossfilter", "property": "data", "value": None},
            {"id": "pb-revenue-drill", "property": "data", "value": None},
        ],
    }
    refused = _post(client, download)  # no_update: nothing to download, and no server error
    assert refused.status_code in (200, 204) and (refused.get_json() or {}).get("response", {}) == {}
    auth.logout()
    auth.login("analyst@acme.test")
    shown = _post(client, _csv_buttons_request(app, "revenue", ["top"]))
    assert "display" not in json.dumps(shown.get_json())
    assert "c00" in _post(client, download).get_data(as_text=True)


def test_pgs014b_one_callback_fills_chip_filter_choices_and_csv_buttons(app, client, auth, data):
    auth.login("analyst@acme.test")
    loaded = _post(client, _csv_buttons_request(app, "revenue", ["top", "trend"]))
    assert loaded.status_code == 200
    answer = loaded.get_json()["response"]
    choices = answer['{"key":"channel","page":"revenue","type":"pb-page-filter"}']["options"]
    assert {o["value"] for o in choices} == {"Email", "Paid Search"}  # this workspace's channels only
    assert answer['{"item":"top","page":"revenue","type":"pb-csv"}']["style"] is None
    assert answer["pb-revenue-chips"]["children"] == []
    # a new cross-filter changes the chip alone (the choices and buttons stay as they are)
    crossed = _post(client, _csv_buttons_request(app, "revenue", ["top"], {"key": "country", "value": "US"}))
    assert crossed.status_code == 200
    assert list(crossed.get_json()["response"]) == ["pb-revenue-chips"]
    assert "Country: US" in json.dumps(crossed.get_json())


def _click_request(app, page, click, crossfilter=None):
    """The request the clientside click gate's store sends to the page's click callback."""
    key = next(
        k for k in app.callback_map if k.startswith(f"..pb-{page}-crossfilter.data...pb-{page}-drill.data")
    )
    return {
        "output": key,
        "outputs": [
            {"id": f"pb-{page}-crossfilter", "property": "data"},
            {"id": f"pb-{page}-drill", "property": "data"},
        ],
        "inputs": [{"id": f"pb-{page}-click", "property": "data", "value": click}],
        "changedPropIds": [f"pb-{page}-click.data"],
        "state": [{"id": f"pb-{page}-crossfilter", "property": "data", "value": crossfilter}],
    }


def test_pgs014c_a_click_sets_cross_filter_or_drill_down_and_forged_ones_nothing(app, client, auth, data):
    auth.login("viewer@acme.test")
    bar = {"type": "pb-graph", "page": "revenue", "item": "by_country"}
    points = {"points": [{"customdata": "US", "y": "US"}]}
    answer = _post(client, _click_request(app, "revenue", {"id": bar, "value": points, "n": 1})).get_json()
    assert answer["response"] == {"pb-revenue-crossfilter": {"data": {"key": "country", "value": "US"}}}
    again = _post(
        client,
        _click_request(
            app,
            "revenue",
            {"id": bar, "value": points, "n": 2},
            answer["response"]["pb-revenue-crossfilter"]["data"],
        ),
    )
    assert again.get_json()["response"] == {"pb-revenue-crossfilter": {"data": None}}  # the same bar: off
    period = {"points": [{"x": str(d1())}]}
    trend = {"type": "pb-graph", "page": "revenue", "item": "trend"}
    drilled = _post(client, _click_request(app, "revenue", {"id": trend, "value": period, "n": 3})).get_json()
    assert drilled["response"] == {"pb-revenue-drill": {"data": {"item": "trend", "value": str(d1())}}}
    for forged in (
        {"id": {**bar, "page": "campaigns"}, "value": points},  # another page's chart
        {"id": {**bar, "type": "pb-grid"}, "value": [{"campaign": "x"}]},  # not a drill grid here
        {"id": "pb-revenue-kpis", "value": points},
        "not a click",
    ):
        response = _post(client, _click_request(app, "revenue", forged))
        assert response.status_code in (200, 204) and (response.get_json() or {}).get("response", {}) == {}
    auth.logout()
    refused = _post(client, _click_request(app, "revenue", {"id": bar, "value": points, "n": 4}))
    assert refused.status_code != 200 or "crossfilter" not in refused.get_data(as_text=True)


def test_pgs015_cached_views_follow_new_data(app, client, auth, data, services, workspace):
    app.server.extensions["pulseboard"] = services  # the app reads the warehouse handle the test writes
    auth.login("owner@acme.test")
    before = json.dumps(render_page(client, app, "revenue", ("by_country",)))
    assert "Atlantis" not in before
    load(
        services,
        workspace,
        "payments",
        payments_frame(
            [{"id": "n1", "created": f"{d1()} 15:00", "amount": "5.00", "customer": "n", "country": "NZ"}]
        ),
    )
    after = json.dumps(render_page(client, app, "revenue", ("by_country",)))
    assert '"NZ"' in after and '"NZ"' not in before  # the data version is part of the render cache key


def test_pgs016_filter_choices_from_distinct_scans(app, services, data, workspace, other_workspace):
    """Page filter choices: each known value once, sorted, no empty value, none of another workspace's."""
    from callbacks import campaigns
    from callbacks.common import request_scope
    from tests.integration.test_campaigns_customers_callbacks import _login

    load(
        services,
        other_workspace,
        "payments",
        payments_frame(
            [{"id": "r1", "created": f"{d1()} 12:00", "amount": "5", "channel": "Rival", "country": "FR"}]
        ),
    )
    load(
        services,
        workspace,
        "payments",
        payments_frame(
            [{"id": "n1", "created": f"{d1()} 13:00", "amount": "5", "customer": "n", "product": "Kit"}]
        ),
    )
    with app.server.test_request_context():
        _login(app, services, "owner@acme.test")
        scope = request_scope(_store())
        pay = an.payment_options(scope, ("channel", "product", "country"))
        ads = campaigns.options(scope)
    assert pay == {"channel": ["Email", "Paid Search"], "product": ["Kit"], "country": ["US"]}
    assert ads["platform"] == ["google_ads", "meta_ads"]
    assert ads["campaign"] == ["Brand", "Newsletter", "Reel", "Spring sale"]  # email titles join the ads
    assert ads["channel"] == ["Email", "Paid Search", "Paid Social"]


def _routed(client, path: str, search: str) -> str:
    """The page layout Dash's router answers for ``path + search`` (as JSON text)."""
    router = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }
    response = _post(client, router)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return json.dumps(response.get_json()["response"]["_pages_content"]["children"])


def _fills(node, *, include_disabled: bool = True) -> list[dict]:
    """The ids of the fill intervals in a layout that tick (ask their panel's callback), or,
    without ``include_disabled``, only those that tick at once (not a lazy panel's)."""
    found = []
    if isinstance(node, list):
        for child in node:
            found += _fills(child, include_disabled=include_disabled)
    elif isinstance(node, dict):
        props = node.get("props") if isinstance(node.get("props"), dict) else {}
        pid = props.get("id")
        ticks = props.get("max_intervals") != 0 and (include_disabled or not props.get("disabled"))
        if isinstance(pid, dict) and pid.get("type") == "pb-fill" and ticks:
            found.append(pid)
        for value in props.values():
            found += _fills(value, include_disabled=include_disabled)
    return found


def test_pgs020_a_revisit_renders_cached_kpis_with_the_layout_and_leaves_panels_to_the_viewport(
    app, client, auth, data, monkeypatch
):
    from bench.pages import page_load_requests
    from callbacks import first_screen
    from callbacks.revenue import SPEC

    monkeypatch.setattr(first_screen, "BUDGET_SECONDS", 0.0)  # the layout waits for nothing
    auth.login("viewer@acme.test")
    client.get("/")  # registers Dash's page router
    search = "?range=last_7_days&compare=none&grain=day"
    first = page_load_requests(client, app, "/revenue", search)
    asked = {output for output, _ in first}
    assert any('"item":"trend"' in o for o in asked) and "pb-revenue-kpis.children" in asked
    for _output, payload in first:  # the first visit: every panel through its callback
        assert _post(client, payload).status_code in (200, 204)
    again = page_load_requests(client, app, "/revenue", search)
    assert [o for o, _ in again if "kpis" in o or "chips" in o] == []
    layout = _routed(client, "/revenue", search)
    tree = json.loads(layout)
    # the KPI row comes with the layout; no chart is drawn before it nears the viewport
    assert '"id": "pb-kpi-net_revenue"' in layout
    assert _drawn_graphs(tree) == []
    # every chart and grid panel waits, its body naming for assets/lazy_panels.js the interval
    # to tick when the panel comes within reach of the viewport. The first row's content came
    # with the layout, held in a store: its interval shows it without asking the server. The
    # other rows' intervals ask their callbacks.
    first_row = {item for item, _ in SPEC.layout[0]}
    lazy = _lazy_bodies(tree)
    assert set(lazy) == {p.item for p in SPEC.panels}
    for item, marker in lazy.items():
        kind = "pb-fill-held" if item in first_row else "pb-fill"
        assert json.loads(marker) == {"type": kind, "page": "revenue", "item": item}
    held = _held(tree)
    assert set(held) == first_row
    assert held["trend"]["type"] == "Graph" and held["trend"]["props"]["figure"]["data"]
    assert {i["item"] for i in _fills(tree, include_disabled=False)} <= {"insights"}
    assert {i["item"] for i in _fills(tree)} - {"insights"} == set(lazy) - first_row
    # a viewer: the CSV buttons the layout renders are hidden, as the callback hides them
    assert '"type": "pb-csv"' in layout and '"display": "none"' in layout


def _drawn_graphs(node) -> list:
    """The charts a layout draws at once (not those held in a store until their panel shows)."""
    found = []
    if isinstance(node, list):
        for child in node:
            found += _drawn_graphs(child)
    elif isinstance(node, dict):
        if node.get("type") == "Graph":
            found.append(node["props"].get("id"))
        props = node.get("props") if isinstance(node.get("props"), dict) else {}
        if node.get("type") != "Store":
            for value in props.values():
                found += _drawn_graphs(value)
    return found


def _held(node) -> dict:
    """Panel item -> the content a layout holds for it (components.analytics.held_content)."""
    found: dict = {}
    if isinstance(node, list):
        for child in node:
            found.update(_held(child))
    elif isinstance(node, dict):
        props = node.get("props") if isinstance(node.get("props"), dict) else {}
        pid = props.get("id")
        if node.get("type") == "Store" and isinstance(pid, dict) and pid.get("type") == "pb-held":
            found[pid["item"]] = props["data"]
        for value in props.values():
            found.update(_held(value))
    return found


def _lazy_bodies(node) -> dict[str, str]:
    """Panel item -> the ``data-pb-fill`` marker of its body, for every lazy panel in a layout."""
    found: dict[str, str] = {}
    if isinstance(node, list):
        for child in node:
            found.update(_lazy_bodies(child))
    elif isinstance(node, dict):
        props = node.get("props") if isinstance(node.get("props"), dict) else {}
        if "data-pb-fill" in props:
            found[json.loads(props["data-pb-fill"])["item"]] = props["data-pb-fill"]
        for value in props.values():
            found.update(_lazy_bodies(value))
    return found


def test_pgs021_a_cold_layout_computes_its_first_screen_and_leaves_the_rest_lazy(
    app, client, auth, data, services, monkeypatch
):
    """A cold cache: the layout computes the KPI row and the first row; the rest waits for the viewport."""
    from callbacks import first_screen
    from callbacks.revenue import SPEC

    monkeypatch.setattr(first_screen, "BUDGET_SECONDS", 60.0)  # never cut short on a slow machine
    auth.login("owner@acme.test")
    client.get("/")
    services.query_cache.cache.clear()
    layout = _routed(client, "/revenue", "?range=last_30_days&compare=none&grain=week")
    tree = json.loads(layout)
    first_row = {item for item, _ in SPEC.layout[0]}
    assert '"id": "pb-kpi-net_revenue"' in layout  # the KPI row, computed
    held = _held(tree)
    assert set(held) == first_row and held["trend"]["props"]["figure"]["data"]
    assert _drawn_graphs(tree) == []  # held until the panel nears the viewport
    # the other rows, and nothing else, ask their callbacks (the Insights panel starts its job)
    fills = {i["item"] for i in _fills(tree)}
    assert fills - {"insights", "chrome"} == {p.item for p in SPEC.panels} - first_row


def test_pgs022_a_layout_waits_for_its_first_screen_no_longer_than_its_budget(
    app, client, auth, data, services, monkeypatch
):
    """Past the budget the layout goes without the answer; it is computed once, and the callback gets it."""
    import threading

    from callbacks import first_screen

    auth.login("owner@acme.test")
    client.get("/")
    services.query_cache.cache.clear()
    monkeypatch.setattr(first_screen, "BUDGET_SECONDS", 3.0)  # ample for all but the stuck one
    release = threading.Event()
    real = an.render_panel

    def slow_movements(spec, item, *args, **kwargs):
        if item == "movements":
            release.wait(30)  # a panel slower than the budget
        return real(spec, item, *args, **kwargs)

    monkeypatch.setattr(an, "render_panel", slow_movements)
    search = "?range=last_30_days&compare=none&grain=week"
    tree = json.loads(_routed(client, "/revenue", search))
    assert "movements" not in _held(tree)  # not ready in time: left to its callback
    assert "trend" in _held(tree)  # the others came with the layout
    release.set()
    for thread in threading.enumerate():  # the layout's computation goes on, into the cache
        if thread.name.startswith("pb-first-screen-"):
            thread.join(30)
    again = _held(json.loads(_routed(client, "/revenue", search)))
    assert "movements" in again  # the answer the first layout did not wait for


def test_pgs023_the_overview_layout_holds_its_trend_until_the_card_shows(
    app, client, auth, data, monkeypatch
):
    """The trend chart comes with the layout, held in a store (not drawn); its callback still answers."""
    from bench.pages import page_load_requests
    from callbacks import overview

    auth.login("owner@acme.test")
    client.get("/")
    search = "?range=last_7_days&compare=none&grain=day"
    tree = json.loads(_routed(client, "/", search))
    # held, not drawn: the card's body shows it when it nears the viewport (a phone: below the fold)
    assert "pb-overview-trend" not in _drawn_graphs(tree)
    held = _held(tree)["trend"]
    assert held["type"] == "Graph" and held["props"]["id"] == "pb-overview-trend"
    assert held["props"]["figure"]["data"]
    assert _lazy_bodies(tree) == {
        "trend": json.dumps({"item": "trend", "page": "overview", "type": "pb-fill-held"}, sort_keys=True)
    }
    # the chart held is the one update_trend answers (a filter change or another metric asks it)
    asks = page_load_requests(client, app, "/", search, every_panel=True)
    trend = next(p for o, p in asks if "pb-overview-trend-body" in o)
    answer = _post(client, trend).get_json()["response"]["pb-overview-trend-body"]["children"]
    assert answer == held

    # a revisit takes the chart from the cache: no figure is built again
    def no_rebuild(*_args):
        raise AssertionError("the trend figure was built again")

    monkeypatch.setattr(overview, "trend_for", no_rebuild)
    assert _held(json.loads(_routed(client, "/", search)))["trend"] == held


def test_pgs024_an_overview_trend_past_the_budget_is_left_to_its_callback(
    app, client, auth, data, services, monkeypatch
):
    """No budget: the layout holds no trend, its body asks update_trend when the card shows."""
    from callbacks import first_screen

    auth.login("owner@acme.test")
    client.get("/")
    services.query_cache.cache.clear()
    monkeypatch.setattr(first_screen, "BUDGET_SECONDS", 0.0)
    tree = json.loads(_routed(client, "/", "?range=last_30_days&compare=none&grain=day"))
    assert "trend" not in _held(tree)
    assert _lazy_bodies(tree) == {
        "trend": json.dumps({"item": "trend", "page": "overview", "type": "pb-fill"}, sort_keys=True)
    }
