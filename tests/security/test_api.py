"""The REST API: tokens (hashed, shown once, revocable, scoped), same JSON as the CLI, limits, fuzzing."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck
from hypothesis import settings as hsettings
from sqlalchemy import select

from dashboard.accounts import create_user, get_workspace
from dashboard.api.tokens import create_token, hash_token
from dashboard.cli import cli
from dashboard.models import ApiToken
from tests.conftest import PASSWORD, load, payments_frame

SQLI = ["' OR 1=1 --", "1; DROP TABLE payments; --", 'channel" OR "1"="1', "$ws", "../../etc/passwd", "\x00"]


def run(services, *args):
    result = CliRunner().invoke(cli, list(args), obj=services, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def seeded(services, workspace, other_workspace):
    day = date.today() - timedelta(days=1)
    load(
        services,
        workspace,
        "payments",
        payments_frame([{"id": "a", "created": f"{day} 10:00", "amount": "120.00", "channel": "Email"}]),
    )
    load(
        services,
        other_workspace,
        "payments",
        payments_frame([{"id": "b", "created": f"{day} 10:00", "amount": "98765.00"}]),
    )
    return services


def _token(services, email="analyst@acme.test", slug="acme") -> str:
    with services.db.session() as db:
        token, _ = create_token(db, email, get_workspace(db, slug), "test")
    return token


def _get(client, path, token, **params):
    return client.get(path, query_string=params, headers={"Authorization": f"Bearer {token}"})


def test_api001_cli_creates_a_token_shown_once_and_stored_hashed(services, workspace):
    code, out, _ = run(
        services, "tokens", "create", "analyst@acme.test", "--workspace", "acme", "--name", "cron", "--json"
    )
    assert code == 0
    token = json.loads(out)["token"]
    assert token.startswith("pbt_") and len(token) > 40
    with services.db.session() as db:
        stored = db.scalars(select(ApiToken.token_hash)).all()
    assert stored == [hash_token(token)] and token not in stored
    code, out, _ = run(services, "tokens", "list", "--workspace", "acme", "--json")
    assert token not in out and json.loads(out)[0]["name"] == "cron"


def test_api002_metric_json_equals_the_cli(app, client, seeded, workspace):
    token = _token(seeded)
    start, end = (date.today() - timedelta(days=6)).isoformat(), date.today().isoformat()
    args = ["--from", start, "--to", end, "--grain", "day", "--by", "channel", "--compare", "previous_period"]
    code, out, _ = run(seeded, "metric", "net_revenue", "--workspace", "acme", *args, "--json")
    assert code == 0
    api = _get(
        client,
        "/api/v1/metrics/net_revenue",
        token,
        **{"from": start, "to": end, "grain": "day", "by": "channel", "compare": "previous_period"},
    )
    assert api.status_code == 200
    assert api.get_json() == json.loads(out)
    catalogue = _get(client, "/api/v1/metrics", token)
    code, out, _ = run(seeded, "metrics", "--json")
    assert catalogue.get_json() == json.loads(out)


def test_api003_token_reads_only_its_workspace(app, client, seeded, workspace, other_workspace):
    token = _token(seeded)
    body = _get(client, "/api/v1/metrics/gross_revenue", token).get_data(as_text=True)
    assert "120" in body and "98765" not in body
    # No parameter names a workspace; extra ones are refused rather than ignored.
    forged = _get(
        client, "/api/v1/metrics/gross_revenue", token, workspace="globex", workspace_id=other_workspace.id
    )
    assert forged.status_code == 400


def test_api004_no_token_bad_token_revoked_token(app, client, seeded, workspace):
    assert client.get("/api/v1/metrics").status_code == 401
    assert client.get("/api/v1/metrics").headers["WWW-Authenticate"].startswith("Bearer")
    assert _get(client, "/api/v1/metrics", "pbt_" + "x" * 43).status_code == 401
    token = _token(seeded)
    assert _get(client, "/api/v1/metrics", token).status_code == 200
    code, _, _ = run(seeded, "tokens", "revoke", token, "--workspace", "acme")
    assert code == 0
    assert _get(client, "/api/v1/metrics", token).status_code == 401
    # A logged-in browser session is not an API credential, and unknown API paths answer JSON.
    assert client.get("/api/v1/nope").status_code == 401


def test_api005_token_follows_its_creators_role(app, client, seeded, workspace):
    token = _token(seeded)
    with seeded.db.session() as db:
        create_user(db, "analyst@acme.test", PASSWORD, workspace=get_workspace(db, "acme"), role="viewer")
    assert _get(client, "/api/v1/metrics", token).status_code == 403


def test_api006_viewers_cannot_create_tokens(services, workspace):
    code, _, err = run(services, "tokens", "create", "viewer@acme.test", "--workspace", "acme")
    assert code == 2 and "analyst role" in err
    code, _, err = run(services, "tokens", "create", "owner@globex.test", "--workspace", "acme")
    assert code == 2 and "not a member" in err


@pytest.mark.parametrize("value", SQLI)
@pytest.mark.parametrize("param", ["from", "to", "grain", "by", "compare"])
def test_api007_injection_strings_in_every_parameter_are_4xx(app, client, seeded, workspace, param, value):
    token = _token(seeded)
    response = _get(client, "/api/v1/metrics/net_revenue", token, **{param: value})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "error" in response.get_json()


def test_api008_far_dates_and_unknown_metric(app, client, seeded, workspace):
    token = _token(seeded)
    far = _get(client, "/api/v1/metrics/net_revenue", token, **{"from": "2026-01-01", "to": "9999-12-31"})
    assert far.status_code == 400 and "out of range" in far.get_json()["error"]
    assert _get(client, "/api/v1/metrics/no_such_metric", token).status_code == 404


def test_api009_rate_limited_per_token(settings, services, workspace):
    from app import create_app

    settings.api_rate_limit = "3 per minute"
    client = create_app(settings).server.test_client()
    token = _token(services)
    codes = [_get(client, "/api/v1/metrics", token).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert "Retry-After" in _get(client, "/api/v1/metrics", token).headers
    assert _get(client, "/api/v1/metrics", _token(services, "owner@acme.test")).status_code == 200


def test_api010_openapi_document_describes_the_api(app, client, seeded, workspace):
    doc = _get(client, "/api/v1/openapi.json", _token(seeded)).get_json()
    assert doc["openapi"].startswith("3.")
    assert {"/api/v1/metrics", "/api/v1/metrics/{name}"} <= set(doc["paths"])


def test_api011_fuzzed_from_its_openapi_document_never_5xx(settings, services, seeded, workspace):
    schemathesis = pytest.importorskip("schemathesis")
    from app import create_app
    from dashboard.api.openapi import openapi_document

    settings.api_rate_limit = "100000 per minute"
    server = create_app(settings).server
    token = _token(services)
    schema = schemathesis.openapi.from_dict(openapi_document())
    failures = []
    for operation in schema.get_all_operations():
        op = operation.ok()
        strategy = op.as_strategy()

        @hsettings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def check(case):
            with server.test_client() as http:
                response = http.get(
                    case.formatted_path,
                    query_string=case.query or {},
                    headers={"Authorization": f"Bearer {token}"},
                )
            if response.status_code >= 500:
                failures.append((case.formatted_path, case.query, response.status_code))

        from hypothesis import given

        given(strategy)(check)()
    assert failures == []


def _require_two_factor(services, slug="acme", on=True):
    from dashboard.models import Workspace

    with services.db.session() as db:
        db.scalar(select(Workspace).where(Workspace.slug == slug)).require_two_factor = on


def _turn_on_two_factor(services, email):
    from datetime import UTC, datetime

    from dashboard.models import User

    with services.db.session() as db:
        db.scalar(select(User).where(User.email == email)).totp_enabled_at = datetime.now(UTC)


def test_api012_a_two_factor_requirement_gates_tokens(app, client, seeded, workspace):
    from dashboard.models import AuditEvent

    token = _token(seeded)
    assert _get(client, "/api/v1/metrics", token).status_code == 200
    _require_two_factor(seeded)
    refused = _get(client, "/api/v1/metrics", token)
    assert refused.status_code == 403
    assert "requires two-factor authentication" in refused.get_json()["error"]
    assert refused.get_json()["enrol"] == "/two-factor"
    with seeded.db.session() as db:
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "api_request_denied"))
        assert event.actor == "analyst@acme.test" and event.outcome == "denied"
        assert event.detail.startswith("two-factor required")
    # No new token either, until the creator has two-factor on ...
    code, _, err = run(seeded, "tokens", "create", "analyst@acme.test", "--workspace", "acme")
    assert code == 2 and "requires two-factor authentication" in err
    # ... and once they do, the old token works again and new ones can be made.
    _turn_on_two_factor(seeded, "analyst@acme.test")
    assert _get(client, "/api/v1/metrics", token).status_code == 200
    code, _, _ = run(seeded, "tokens", "create", "analyst@acme.test", "--workspace", "acme")
    assert code == 0


def test_api013_wrong_tokens_are_throttled_per_address_like_log_ins(settings, services, workspace):
    from app import create_app
    from dashboard.models import AuditEvent
    from tests.security.test_fix_first import _login

    settings.login_limit_ip = "3 per 15 minutes"
    client = create_app(settings).server.test_client()
    token = _token(services)
    guesses = [_get(client, "/api/v1/metrics", f"pbt_guess{i:039d}").status_code for i in range(3)]
    assert guesses == [401, 401, 401]
    locked = _get(client, "/api/v1/metrics", token)  # the right token does not help now
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    elsewhere = client.application.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.5"
    assert _get(elsewhere, "/api/v1/metrics", token).status_code == 200
    # Own counts: a script stuck on a bad token does not lock its address out of the log-in.
    assert _login(client, "analyst@acme.test").status_code == 302
    with services.db.session() as db:
        failed = db.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "api_request_denied", AuditEvent.outcome == "failed"
            )
        ).all()
    assert len(failed) == 3


def test_api014_answers_come_from_the_pages_cache_and_follow_new_data(
    app, client, seeded, workspace, monkeypatch
):
    """A script polling the API costs a cache read; an import (a new data version) is seen at once."""
    from dashboard import queries

    computed = []
    real = queries.query_metrics
    monkeypatch.setattr(queries, "query_metrics", lambda *a, **kw: computed.append(a[1]) or real(*a, **kw))
    token = _token(seeded)
    first = _get(client, "/api/v1/metrics/gross_revenue", token).get_json()
    again = _get(client, "/api/v1/metrics/gross_revenue", token).get_json()
    assert again == first and len(computed) == 1
    # imported through the server's own services, as an upload is
    from dashboard.services import EXTENSION_KEY

    day = date.today() - timedelta(days=1)
    load(
        app.server.extensions[EXTENSION_KEY],
        workspace,
        "payments",
        payments_frame([{"id": "c", "created": f"{day} 11:00", "amount": "5.00"}]),
    )
    after = _get(client, "/api/v1/metrics/gross_revenue", token).get_json()
    assert len(computed) == 2
    assert sum(r["value"] for r in after["rows"]) == sum(r["value"] for r in first["rows"]) + 5
