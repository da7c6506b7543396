"""TOTP two-factor: enrol, log in with a code, recovery codes once, owners can require it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from dashboard.models import AuditEvent, RecoveryCode, User, Workspace
from tests.conftest import PASSWORD
from tests.security.test_invitations import _csrf


def _login(client, email="analyst@acme.test", password=PASSWORD, otp=None):
    page = client.get("/login").get_data(as_text=True)
    data = {"email": email, "password": password, "csrf_token": _csrf(page)}
    if otp is not None:
        data["otp"] = otp
    return client.post("/login", data=data)


def _post(client, action, otp=None):
    page = client.get("/two-factor").get_data(as_text=True)
    data = {"action": action, "csrf_token": _csrf(page)}
    if otp is not None:
        data["otp"] = otp
    return client.post("/two-factor", data=data)


def _code(secret: str, when: datetime | None = None) -> str:
    return pyotp.TOTP(secret).at(when or datetime.now(UTC))


def _enrol(app, email="analyst@acme.test"):
    """Log in, set up two-factor; (secret, recovery codes, client)."""
    client = app.server.test_client()
    assert _login(client, email).status_code == 302
    page = _post(client, "start").get_data(as_text=True)
    secret = re.search(r"user-select-all border rounded p-2 small\">([A-Z2-7]+)<", page).group(1)
    done = _post(client, "confirm", _code(secret)).get_data(as_text=True)
    codes = re.findall(r"<li>([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})</li>", done)
    return secret, codes, client


def test_tfa001_enrol_shows_secret_uri_and_qr_then_ten_codes_once(app, services, settings, workspace):
    client = app.server.test_client()
    _login(client)
    page = _post(client, "start")
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    secret = re.search(r"user-select-all border rounded p-2 small\">([A-Z2-7]+)<", html).group(1)
    assert "otpauth://totp/Pulseboard:analyst%40acme.test?secret=" + secret in html
    assert "<svg" in html and "<?xml" not in html
    assert "not right" in _post(client, "confirm", "000000").get_data(as_text=True)
    done = _post(client, "confirm", _code(secret)).get_data(as_text=True)
    codes = re.findall(r"<li>([A-Z2-9-]{19})</li>", done)
    assert len(codes) == 10 == len(set(codes))
    with services.db.session() as db:
        user = db.scalar(select(User).where(User.email == "analyst@acme.test"))
        assert secret not in user.totp_secret_encrypted  # encrypted at rest
        stored = db.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10 and not any(c.replace("-", "") in stored for c in codes)  # hashes only
    again = client.get("/two-factor").get_data(as_text=True)
    assert "is on" in again and codes[0] not in again and secret not in again  # shown once


def test_tfa002_login_wants_the_code_wrong_refused_right_accepted(app, services, workspace):
    secret, _, _ = _enrol(app)
    client = app.server.test_client()
    first = _login(client)
    body = first.get_data(as_text=True)
    assert first.status_code == 401 and 'name="otp"' in body and "authenticator app" in body
    assert client.get("/_dash-layout").status_code == 401  # the password alone is not enough
    wrong = _login(client, otp="123456" if _code(secret) != "123456" else "654321")
    assert wrong.status_code == 401 and "Wrong code" in wrong.get_data(as_text=True)
    assert _login(client, password="wrong password!", otp=_code(secret)).status_code == 401
    later = datetime.now(UTC) + timedelta(seconds=30)  # the step after the one used to enrol
    assert _login(client, otp=_code(secret, later)).status_code == 302
    assert client.get("/_dash-layout").status_code == 200
    replay = app.server.test_client()
    assert _login(replay, otp=_code(secret, later)).status_code == 401  # a code works once
    with services.db.session() as db:
        assert db.scalar(select(AuditEvent.detail).where(AuditEvent.action == "login_failed")) == "wrong code"


def test_tfa003_a_recovery_code_works_once(app, services, workspace):
    _, codes, _ = _enrol(app)
    assert _login(app.server.test_client(), otp=codes[3].lower()).status_code == 302
    assert _login(app.server.test_client(), otp=codes[3]).status_code == 401
    with services.db.session() as db:
        assert len(db.scalars(select(RecoveryCode).where(RecoveryCode.used_at.is_(None))).all()) == 9


def test_tfa004_wrong_codes_are_throttled_like_passwords(app, workspace):
    secret, _, _ = _enrol(app)
    client = app.server.test_client()
    statuses = [_login(client, otp="000000").status_code for _ in range(6)]
    assert statuses[-1] == 429
    assert _login(client, otp=_code(secret, datetime.now(UTC) + timedelta(seconds=30))).status_code == 429


def test_tfa005_turning_off_needs_a_code(app, services, workspace):
    secret, codes, client = _enrol(app)
    assert "not right" in _post(client, "disable", "000000").get_data(as_text=True)
    assert "is on" in client.get("/two-factor").get_data(as_text=True)
    assert "Set up two-factor" in _post(client, "disable", codes[0]).get_data(as_text=True)
    assert _login(app.server.test_client()).status_code == 302  # the password alone again
    with services.db.session() as db:
        assert db.scalar(select(RecoveryCode)) is None


def _require(client, on=True):
    cid = {"type": "pb-settings-require-2fa", "where": "settings"}
    deps = client.get("/_dash-dependencies").get_json()
    output = next(
        d["output"]
        for d in deps
        if "pb-settings-people-message.children" in d["output"] and "2fa" in json.dumps(d["inputs"])
    )
    body = {
        "output": output,
        "outputs": [
            {"id": "pb-settings-people-message", "property": "children"},
            {"id": "pb-settings-people-version", "property": "data"},
        ],
        "inputs": [[{"id": cid, "property": "value", "value": on}]],
        "state": [{"id": "pb-settings-people-version", "property": "data", "value": 0}],
        "changedPropIds": [json.dumps(cid, sort_keys=True, separators=(",", ":")) + ".value"],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def _required(services) -> bool:
    with services.db.session() as db:
        return db.scalar(select(Workspace.require_two_factor).where(Workspace.slug == "acme"))


def test_tfa006_owner_requires_two_factor_and_members_are_sent_to_enrol(
    app, client, auth, services, workspace
):
    auth.login()
    assert "Turn on two-factor authentication for yourself first" in _require(client)
    assert not _required(services)
    _, _, owner = _enrol(app, "owner@acme.test")
    assert "now required" in _require(owner)
    assert _required(services)
    member = app.server.test_client()
    assert _login(member, "viewer@acme.test").status_code == 302
    assert member.get("/revenue").headers["Location"].endswith("/two-factor")
    assert member.get("/_dash-layout").status_code == 403
    assert member.get("/two-factor").status_code == 200
    assert owner.get("/_dash-layout").status_code == 200  # the owner has it


@pytest.mark.parametrize("who", ["viewer@acme.test", "manager@acme.test"])
def test_tfa007_only_owners_change_the_requirement(app, client, auth, services, workspace, who):
    from dashboard.accounts import create_user, get_workspace

    with services.db.session() as db:
        create_user(db, "manager@acme.test", PASSWORD, workspace=get_workspace(db, "acme"), role="manager")
    auth.login(who)
    assert "Only owners" in _require(client)
    assert not _required(services)
