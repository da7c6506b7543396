"""Invitations by email link: single use, expiring, hashed, CSRF-protected, owners only."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from dashboard.accounts import WorkspaceContext, create_user, get_workspace
from dashboard.api.tokens import hash_token
from dashboard.invitations import create as create_invitation
from dashboard.models import AuditEvent, Invitation, Membership, Role, User
from tests.conftest import PASSWORD
from tests.security.test_people import people_action, render_people

NEW_PASSWORD = "a long new passphrase"


def send_invitation(client, email, role="analyst"):
    """Post the Send invitation callback as the browser does."""
    send = {"type": "pb-settings-invite-send", "where": "settings"}
    body = {
        "output": "",  # set below from the callback map
        "outputs": [
            {"id": "pb-settings-invite-result", "property": "children"},
            {"id": "pb-settings-people-version", "property": "data"},
        ],
        "inputs": [[{"id": send, "property": "n_clicks", "value": 1}]],
        "state": [
            [
                {
                    "id": {"type": "pb-settings-invite-email", "where": "settings"},
                    "property": "value",
                    "value": email,
                }
            ],
            [
                {
                    "id": {"type": "pb-settings-invite-role", "where": "settings"},
                    "property": "value",
                    "value": role,
                }
            ],
            {"id": "pb-settings-people-version", "property": "data", "value": 0},
        ],
        "changedPropIds": [json.dumps(send, sort_keys=True, separators=(",", ":")) + ".n_clicks"],
    }
    # The output key Dash uses for a duplicate-allowed output carries a hash suffix: take it from the map.
    deps = client.get("/_dash-dependencies").get_json()
    body["output"] = next(d["output"] for d in deps if "pb-settings-invite-result.children" in d["output"])
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def _link(text: str) -> str:
    text = text.replace("\\u002f", "/")  # Dash's JSON escapes slashes
    match = re.search(r"https?://[^\s\"'<>]+/invite/([A-Za-z0-9_\-]+)", text)
    assert match, text[:500]
    return "/invite/" + match.group(1)


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _accept(client, path, name="Nina New", password=NEW_PASSWORD, confirm=None, token=None):
    page = client.get(path).get_data(as_text=True)
    data = {"name": name, "password": password, "password_confirm": password if confirm is None else confirm}
    data["csrf_token"] = _csrf(page) if token is None else token
    return client.post(path, data=data)


def _owner_ctx(services, slug="acme") -> WorkspaceContext:
    from dashboard.accounts import to_ref

    with services.db.session() as db:
        ws = get_workspace(db, slug)
        owner = db.scalar(
            select(User.id)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.workspace_id == ws.id, Membership.role == "owner")
        )
        return WorkspaceContext(user_id=owner, role=Role.OWNER, workspace=to_ref(ws))


def _invite(services, email, role="viewer", now=None) -> str:
    with services.db.session() as db:
        _, token = create_invitation(db, _owner_ctx(services), email, role, now=now)
    return token


def test_inv001_owner_invites_without_smtp_sees_the_link_and_only_a_hash_is_stored(
    app, client, auth, services, workspace
):
    auth.login()
    text = send_invitation(client, "Nina@Example.com", "analyst")
    assert "not emailed" in text and "no mail server is configured" in text
    path = _link(text)
    token = path.rsplit("/", 1)[1]
    with services.db.session() as db:
        row = db.scalar(select(Invitation))
        assert row.email == "nina@example.com" and row.role == "analyst"
        assert row.token_hash == hash_token(token) and token not in row.token_hash
        assert db.scalar(select(AuditEvent.detail).where(AuditEvent.action == "invitation_created")) == (
            "nina@example.com as analyst"
        )
    assert "nina@example.com" in render_people(client)  # pending invitations are listed


def test_inv002_new_person_sets_name_and_password_then_the_link_is_spent(app, services, workspace):
    path = "/invite/" + _invite(services, "nina@example.com", "analyst")
    browser = app.server.test_client()
    page = browser.get(path)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    for field in ('name="name"', 'name="password"', 'name="password_confirm"', 'name="csrf_token"'):
        assert field in html
    response = _accept(browser, path)
    assert response.status_code == 302
    assert browser.get("/_dash-layout").status_code == 200  # logged in, in the new workspace
    with services.db.session() as db:
        user = db.scalar(select(User).where(User.email == "nina@example.com"))
        assert user.name == "Nina New"
        assert db.scalar(select(Membership.role).where(Membership.user_id == user.id)) == "analyst"
    again = app.server.test_client().get(path)
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)
    assert _accept(app.server.test_client(), "/invite/x", token="t").status_code == 404


def test_inv003_expired_revoked_and_unknown_links_get_a_clear_page(app, services, workspace):
    old = _invite(services, "old@example.com", now=datetime.now(UTC) - timedelta(days=8))
    browser = app.server.test_client()
    response = browser.get(f"/invite/{old}")
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    assert browser.post(f"/invite/{old}", data={"name": "x"}).status_code == 410
    first = _invite(services, "twice@example.com")
    _invite(services, "twice@example.com")  # a new invitation withdraws the earlier link
    assert "withdrawn" in browser.get(f"/invite/{first}").get_data(as_text=True)
    unknown = browser.get("/invite/" + "A" * 43)
    assert unknown.status_code == 404 and "not valid" in unknown.get_data(as_text=True)
    assert browser.get("/invite/" + "A" * 5000).status_code in (404, 414)


def test_inv004_csrf_weak_password_and_mismatch_create_nothing(app, services, workspace):
    path = "/invite/" + _invite(services, "nina@example.com")
    browser = app.server.test_client()
    assert "session expired" in _accept(browser, path, token="forged").get_data(as_text=True)
    weak = _accept(browser, path, password="password123")
    assert weak.status_code == 400 and "too easy to guess" in weak.get_data(as_text=True)
    assert "differ" in _accept(browser, path, confirm="something else").get_data(as_text=True)
    assert "enter your name" in _accept(browser, path, name="  ").get_data(as_text=True).lower()
    with services.db.session() as db:
        assert db.scalar(select(User).where(User.email == "nina@example.com")) is None
    assert _accept(browser, path).status_code == 302  # the link still works after the refusals


def test_inv005_existing_account_logs_in_then_joins(app, services, workspace, other_workspace):
    path = "/invite/" + _invite(services, "owner@globex.test", "manager")
    browser = app.server.test_client()
    page = browser.get(path).get_data(as_text=True)
    assert "Log in to accept" in page and f"/login?next={path}" in page
    login = browser.get(f"/login?next={path}").get_data(as_text=True)
    response = browser.post(
        "/login",
        data={"email": "owner@globex.test", "password": PASSWORD, "csrf_token": _csrf(login), "next": path},
    )
    assert response.headers["Location"] == path
    join = browser.get(path).get_data(as_text=True)
    assert "Join Acme" in join
    assert browser.post(path, data={"csrf_token": _csrf(join)}).status_code == 302
    with services.db.session() as db:
        ws = get_workspace(db, "acme")
        user_id = db.scalar(select(User.id).where(User.email == "owner@globex.test"))
        role = db.scalar(
            select(Membership.role).where(Membership.user_id == user_id, Membership.workspace_id == ws.id)
        )
    assert role == "manager"


def test_inv006_a_forwarded_link_does_not_let_someone_else_in(app, auth, client, services, workspace):
    path = "/invite/" + _invite(services, "nina@example.com", "owner")
    auth.login("viewer@acme.test")
    response = client.get(path)
    assert response.status_code == 403 and "log out" in response.get_data(as_text=True)
    page = client.get("/logout").get_data(as_text=True)  # any CSRF token of this session will do
    assert client.post(path, data={"csrf_token": _csrf(page)}).status_code == 403
    with services.db.session() as db:
        assert db.scalar(select(Invitation.accepted_at)) is None
        roles = db.scalars(select(Membership.role).join(User).where(User.email == "viewer@acme.test")).all()
    assert roles == ["viewer"]


@pytest.mark.parametrize("who", ["viewer@acme.test", "analyst@acme.test", "manager@acme.test"])
def test_inv007_only_owners_invite(client, auth, services, workspace, who):
    with services.db.session() as db:
        create_user(db, "manager@acme.test", PASSWORD, workspace=get_workspace(db, "acme"), role="manager")
    auth.login(who)
    text = send_invitation(client, "mallory@example.com", "owner")
    assert "Only owners manage people" in text and "/invite/" not in text
    with services.db.session() as db:
        assert db.scalar(select(Invitation)) is None
        denied = db.scalar(select(AuditEvent).where(AuditEvent.outcome == "denied"))
        assert denied.action == "invitation_created" and denied.actor == who


def test_inv008_bad_input_is_refused_with_a_message(client, auth, workspace):
    auth.login()
    assert "Enter the email address" in send_invitation(client, "not an email")
    assert "Enter the email address" in send_invitation(client, {"forged": 1})
    assert "Pick a role" in send_invitation(client, "ok@example.com", "root")
    assert "already a member" in send_invitation(client, "viewer@acme.test")


def test_inv009_invitation_email_over_real_smtp(settings, services, workspace, inbox):
    from app import create_app

    settings.smtp_url = inbox.url
    settings.public_url = "https://pulse.example.com/"
    settings.mail_from = "team@example.com"
    app = create_app(settings)
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": "owner@acme.test", "password": PASSWORD, "csrf_token": _csrf(page)})
    text = send_invitation(client, "nina@example.com", "viewer")
    assert "Invitation emailed to nina@example.com" in text and "/invite/" not in text
    (message,) = inbox.messages
    assert message["To"] == "nina@example.com" and "team@example.com" in message["From"]
    assert message["Subject"] == "You are invited to Acme on Pulseboard"
    plain = message.get_body(("plain",)).get_content()
    assert "https://pulse.example.com/invite/" in plain and "as a viewer" in plain
    assert "https://pulse.example.com/invite/" in message.get_body(("html",)).get_content()
    browser = app.server.test_client()
    assert _accept(browser, _link(plain)).status_code == 302


def test_inv010_owner_revokes_a_pending_invitation_others_cannot(
    app, client, auth, services, workspace, other_workspace
):
    token = _invite(services, "nina@example.com")
    with services.db.session() as db:
        invitation_id = db.scalar(select(Invitation.id))
    auth.login("analyst@acme.test")
    assert "Only owners manage people" in people_action(client, invitation_id, revoke=True)
    auth.logout()
    auth.login("owner@globex.test")  # an owner of another workspace: the id is not theirs
    assert "no longer pending" in people_action(client, invitation_id, revoke=True)
    assert app.server.test_client().get(f"/invite/{token}").status_code == 200
    auth.logout()
    auth.login()
    assert "nina@example.com was withdrawn" in people_action(client, invitation_id, revoke=True)
    assert app.server.test_client().get(f"/invite/{token}").status_code == 410
