"""run_sync against the fake vendor servers: incremental resume, atomic cursor, auth errors, CLI."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from click.testing import CliRunner

from dashboard import connections
from dashboard.accounts import WorkspaceContext
from dashboard.auth import PermissionDenied
from dashboard.cli import cli
from dashboard.models import Connection, Role
from data import sync_state
from data.connectors.api import make_client
from tests.fakes.stripe import FakeStripe

KEY = "sk_test_51FakeKeyForTests0000"
NOW = int(time.time())
DAY = 86400
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_real_handle_request = httpx.HTTPTransport.handle_request


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """No request in these tests may leave loopback."""

    def guarded(self, request):
        if request.url.host not in LOOPBACK:
            raise AssertionError(f"a request left loopback: {request.url.host}")
        return _real_handle_request(self, request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", guarded)


@pytest.fixture
def api():
    with FakeStripe(api_key=KEY) as fake:
        fake.add_charge(
            "ch_1", 1999, "usd", NOW - 10 * DAY, fee=88, customer="cus_1", email="ann@example.com"
        )
        fake.add_charge("ch_2", 5000, "usd", NOW - 9 * DAY, fee=175)
        fake.add_charge("ch_3", 700, "usd", NOW - 8 * DAY, fee=50)
        fake.add_customer("cus_1", NOW - 11 * DAY, email="ann@example.com", name="Ann")
        yield fake


@pytest.fixture
def http():
    with make_client(timeout=httpx.Timeout(2.0)) as client:
        yield client


def owner(workspace) -> WorkspaceContext:
    return WorkspaceContext(user_id=1, role=Role.OWNER, workspace=workspace)


@pytest.fixture
def configured(services, workspace, api):
    connections.save_connection(services, owner(workspace), "stripe", {"secret_key": KEY}, base_url=api.url)
    return api


def payments(services, workspace) -> dict[str, str]:
    cur = services.warehouse.cursor()
    rows = cur.execute(
        "SELECT source_id, CAST(amount AS VARCHAR) FROM payments WHERE workspace_id = ? ORDER BY 1",
        [workspace.id],
    ).fetchall()
    return dict(rows)


def sync(services, workspace, http, **kwargs):
    return connections.run_sync(services, workspace, "stripe", client=http, sleep=lambda s: None, **kwargs)


def test_syn001_first_sync_loads_rows_saves_cursor_and_marks_connection_ok(
    services, workspace, configured, http
):
    result = sync(services, workspace, http)
    assert result.status == "ok", result.error
    assert result.inserted == 4  # three charges and one customer
    assert payments(services, workspace) == {"ch_1": "19.99", "ch_2": "50.00", "ch_3": "7.00"}
    state = sync_state.read_state(services.warehouse, workspace.id, "stripe")
    assert state["charges_created"] == NOW - 8 * DAY
    info = connections.get_connection(services, workspace.id, "stripe")
    assert info.status == "ok" and info.last_sync_at is not None and info.last_error is None
    run = connections.list_runs(services, workspace)[0]
    assert (run["kind"], run["source"], run["name"], run["status"]) == ("sync", "stripe", "Stripe API", "ok")


def test_syn002_second_sync_resumes_from_the_cursor(services, workspace, configured, http):
    sync(services, workspace, http)
    configured.requests.clear()
    configured.add_charge("ch_4", 4200, "usd", NOW - DAY, fee=150)
    result = sync(services, workspace, http)
    assert result.status == "ok"
    charges = [r for r in configured.requests if r.path == "/v1/charges"]
    # resumed from the stored high-water mark (minus Stripe's small overlap), not from scratch
    assert int(charges[0].param("created[gte]")) > NOW - 9 * DAY
    assert payments(services, workspace)["ch_4"] == "42.00"
    assert result.inserted == 1  # ch_4; ch_3 came again through the overlap and was an update
    assert sync_state.read_state(services.warehouse, workspace.id, "stripe")["charges_created"] == NOW - DAY


def test_syn011_pointing_the_connector_at_another_account_starts_over(services, workspace, http):
    """A cursor belongs to one vendor account: a new account's history must not be skipped."""
    other_key = "sk_test_51OtherAccount000000000"
    with FakeStripe(api_key=KEY) as first, FakeStripe(api_key=other_key) as second:
        first.add_charge("ch_a", 1000, "usd", NOW - 2 * DAY, fee=30)
        second.add_charge("ch_old", 2500, "usd", NOW - 300 * DAY, fee=80)  # older than the first cursor
        connections.save_connection(
            services, owner(workspace), "stripe", {"secret_key": KEY}, base_url=first.url
        )
        assert sync(services, workspace, http).status == "ok"
        stored = sync_state.read_state(services.warehouse, workspace.id, "stripe")
        assert stored["charges_created"] == NOW - 2 * DAY
        assert KEY not in json.dumps(stored)  # only a keyed hash of the account is kept

        connections.save_connection(
            services, owner(workspace), "stripe", {"secret_key": other_key}, base_url=second.url
        )
        result = sync(services, workspace, http)
        assert result.status == "ok", result.error
        charges = [r for r in second.requests if r.path == "/v1/charges"]
        # from the connector's first-sync horizon, not from the other account's cursor
        assert int(charges[0].param("created[gte]")) < NOW - 300 * DAY
        assert set(payments(services, workspace)) == {"ch_a", "ch_old"}

        second.requests.clear()  # the same account again: the cursor applies
        sync(services, workspace, http)
        charges = [r for r in second.requests if r.path == "/v1/charges"]
        assert int(charges[0].param("created[gte]")) > NOW - 301 * DAY


def test_syn003_a_failing_sync_leaves_rows_and_cursor_unchanged(services, workspace, configured, http):
    sync(services, workspace, http)
    before_rows = payments(services, workspace)
    before_state = sync_state.read_state(services.warehouse, workspace.id, "stripe")
    configured.add_charge("ch_5", 9900, "usd", NOW - DAY, fee=300)
    # charges come through (inside the transaction), then the customers list breaks
    configured.fail_next(
        400, {"error": {"type": "invalid_request_error", "message": "boom"}}, match="/v1/customers"
    )
    result = sync(services, workspace, http)
    assert result.status == "failed"
    assert result.inserted == 0 and "boom" in result.error
    assert payments(services, workspace) == before_rows  # ch_5 was rolled back
    assert sync_state.read_state(services.warehouse, workspace.id, "stripe") == before_state
    info = connections.get_connection(services, workspace.id, "stripe")
    assert info.status == "error" and "boom" in info.last_error
    assert connections.list_runs(services, workspace)[0]["status"] == "failed"
    # and the next good sync picks ch_5 up
    again = sync(services, workspace, http)
    assert again.status == "ok", again.error
    assert "ch_5" in payments(services, workspace)


def test_syn004_rejected_key_gives_a_clear_message_and_changes_nothing(services, workspace, api, http):
    bad = "sk_test_51WrongKeyWrongKey9999"
    connections.save_connection(services, owner(workspace), "stripe", {"secret_key": bad}, base_url=api.url)
    result = sync(services, workspace, http)
    assert result.status == "refused"
    assert "Stripe rejected the API key" in result.error and "secret key" in result.error
    assert bad not in result.error
    assert payments(services, workspace) == {}
    assert sync_state.read_state(services.warehouse, workspace.id, "stripe") == {}
    info = connections.get_connection(services, workspace.id, "stripe")
    assert info.status == "error" and "rejected" in info.last_error and bad not in info.last_error
    run = connections.list_runs(services, workspace)[0]
    assert run["status"] == "refused" and bad not in run["error"]


def test_syn005_unknown_and_unconfigured_connectors_are_errors(services, workspace, http):
    with pytest.raises(connections.UnknownConnector, match="accepted: stripe"):
        connections.run_sync(services, workspace, "myspace")
    with pytest.raises(connections.NotConfigured, match="not configured"):
        connections.run_sync(services, workspace, "hubspot")


def test_syn006_credentials_are_stored_encrypted_and_listed_masked(services, workspace, configured):
    with services.db.session() as db:
        row = db.query(Connection).one()
        assert KEY not in row.credentials_encrypted and configured.url not in row.credentials_encrypted
    info = connections.get_connection(services, workspace.id, "stripe")
    assert info.hints == {"secret_key": "sk_…0000"}
    assert KEY not in json.dumps(info.as_dict())


def test_syn007_blank_fields_keep_the_stored_secret(services, workspace, configured, http):
    connections.save_connection(services, owner(workspace), "stripe", {"secret_key": ""})
    assert sync(services, workspace, http).status == "ok"


def test_syn008_only_owners_save_or_test(services, workspace):
    analyst = WorkspaceContext(user_id=2, role=Role.ANALYST, workspace=workspace)
    manager = WorkspaceContext(user_id=3, role=Role.MANAGER, workspace=workspace)
    for ctx in (analyst, manager):
        with pytest.raises(PermissionDenied):
            connections.save_connection(services, ctx, "stripe", {"secret_key": KEY})
        with pytest.raises(PermissionDenied):
            connections.test_connection(services, ctx, "stripe")
    assert connections.list_connections(services, workspace.id) == []


def test_syn009_test_connection_reports_ok_and_refusal(services, workspace, configured, http):
    ok, message = connections.test_connection(services, owner(workspace), "stripe", client=http)
    assert ok and message == "Connected to Stripe (test mode)."
    ok, message = connections.test_connection(
        services, owner(workspace), "stripe", values={"secret_key": "sk_test_nopenopenope1234"}, client=http
    )
    assert not ok and "rejected" in message and "sk_test_nopenopenope1234" not in message


def test_syn010_missing_required_field_is_refused_on_save(services, workspace):
    with pytest.raises(connections.ConnectionSetupError, match="enter the Secret key"):
        connections.save_connection(services, owner(workspace), "stripe", {})
    with pytest.raises(connections.ConnectionSetupError, match="unknown field 'password'"):
        connections.save_connection(services, owner(workspace), "stripe", {"password": "x"})


# -- CLI -----------------------------------------------------------------------------------------
def run(services, *args, env=None):
    result = CliRunner().invoke(cli, list(args), obj=services, catch_exceptions=False, env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def patched_client(monkeypatch, http):
    """CLI syncs use the test's short-time-out client and never sleep between retries."""
    real = connections.run_sync

    def run_sync(*args, **kwargs):
        kwargs.setdefault("client", http)
        kwargs.setdefault("sleep", lambda s: None)
        return real(*args, **kwargs)

    monkeypatch.setattr(connections, "run_sync", run_sync)


def test_syn020_cli_connections_add_then_sync_json(services, workspace, api, patched_client):
    code, out, err = run(
        services,
        "connections",
        "add",
        "stripe",
        "--workspace",
        "acme",
        "--base-url",
        api.url,
        env={"PULSEBOARD_STRIPE_SECRET_KEY": KEY},
    )
    assert code == 0, err
    assert KEY not in out and "sk_…0000" in out
    code, out, err = run(services, "sync", "stripe", "--workspace", "acme", "--json")
    assert code == 0, err
    payload = json.loads(out)
    reconciliation = payload["syncs"][0].pop("reconciliation")
    assert payload == {
        "syncs": [
            {
                "connector": "stripe",
                "kind": "sync",
                "status": "ok",
                "rows_read": 4,
                "inserted": 4,
                "updated": 0,
                "quarantined": 0,
                "skipped": 0,
                "skipped_reasons": {},
                "error": None,
            }
        ]
    }
    assert reconciliation["rows payments"] == {"file": 3, "imported": 3, "ok": True}
    assert reconciliation["gross USD"] == {"file": 76.99, "imported": 76.99, "ok": True}
    assert all(v["ok"] for v in reconciliation.values())
    # without CONNECTOR: every configured connection
    code, out, _ = run(services, "sync", "--workspace", "acme", "--json")
    assert code == 0
    assert [s["connector"] for s in json.loads(out)["syncs"]] == ["stripe"]
    code, out, _ = run(services, "runs", "--workspace", "acme", "--json")
    assert code == 0
    runs = json.loads(out)["runs"]
    assert [r["kind"] for r in runs] == ["sync", "sync"] and runs[0]["id"] > runs[1]["id"]


def test_syn021_cli_sync_exit_codes(services, workspace, api, patched_client):
    code, _, err = run(services, "sync", "myspace", "--workspace", "acme")
    assert code == 2 and err.startswith("error: unknown connector 'myspace'")
    code, _, err = run(services, "sync", "stripe", "--workspace", "acme")
    assert code == 2 and "not configured" in err and len(err.strip().splitlines()) == 1
    run(
        services,
        "connections",
        "add",
        "stripe",
        "--workspace",
        "acme",
        "--base-url",
        api.url,
        "--set",
        "secret_key=sk_test_51WrongKeyWrongKey9999",
    )
    code, out, _ = run(services, "sync", "--workspace", "acme", "--json")
    assert code == 2
    item = json.loads(out)["syncs"][0]
    assert item["status"] == "refused" and "rejected" in item["error"]
    code, _, err = run(services, "connections", "add", "stripe", "--workspace", "acme", "--set", "nokey")
    assert code == 2 and err.startswith("error: --set")


def test_syn022_cli_sync_with_nothing_configured_says_so(services, workspace):
    code, out, _ = run(services, "sync", "--workspace", "acme")
    assert code == 0 and "no connections configured" in out
    code, out, _ = run(services, "sync", "--workspace", "acme", "--json")
    assert code == 0 and json.loads(out) == {"syncs": []}
