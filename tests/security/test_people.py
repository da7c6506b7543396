"""Settings → People: owners list, re-role and remove members; nobody else can, whatever they send."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from dashboard.accounts import create_user, get_workspace
from dashboard.models import AuditEvent, Membership, User
from tests.conftest import PASSWORD

MESSAGE_OUT = "..pb-settings-people-message.children...pb-settings-people-version.data.."


def _uid(services, email: str) -> int:
    with services.db.session() as db:
        return db.scalar(select(User.id).where(User.email == email))


def _role(services, email: str, slug: str = "acme") -> str | None:
    with services.db.session() as db:
        return db.scalar(
            select(Membership.role)
            .join(User, User.id == Membership.user_id)
            .where(User.email == email, Membership.workspace_id == get_workspace(db, slug).id)
        )


def people_action(client, member_id, *, role=None, remove=False, revoke=False):
    """Post the people callback as the browser does: a role select changed, Remove confirmed, Revoke."""
    kind = "pb-settings-member-remove" if remove else "pb-settings-member-role"
    cid = {"type": kind, "member": member_id}
    if revoke:
        cid = {"type": "pb-settings-invite-revoke", "invite": member_id}
    prop = "submit_n_clicks" if remove else "n_clicks" if revoke else "value"
    fired = {"id": cid, "property": prop, "value": 1 if remove or revoke else role}
    roles = [fired] if prop == "value" else []
    removes = [fired] if remove else []
    revokes = [fired] if revoke else []
    body = {
        "output": MESSAGE_OUT,
        "outputs": [
            {"id": "pb-settings-people-message", "property": "children"},
            {"id": "pb-settings-people-version", "property": "data"},
        ],
        "inputs": [roles, removes, revokes],
        "state": [{"id": "pb-settings-people-version", "property": "data", "value": 0}],
        "changedPropIds": [json.dumps(cid, sort_keys=True, separators=(",", ":")) + "." + fired["property"]],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def render_people(client) -> str:
    body = {
        "output": "pb-settings-people.children",
        "outputs": {"id": "pb-settings-people", "property": "children"},
        "inputs": [
            {"id": "pb-settings-init", "property": "data", "value": 0},
            {"id": "pb-settings-people-version", "property": "data", "value": 0},
        ],
        "changedPropIds": [],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _login(app, email):
    other = app.server.test_client()
    page = other.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    other.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert other.get("/_dash-layout").status_code == 200
    return other


@pytest.fixture
def manager(services, workspace):
    with services.db.session() as db:
        create_user(db, "manager@acme.test", PASSWORD, workspace=get_workspace(db, "acme"), role="manager")
    return "manager@acme.test"


def test_ppl001_owner_sees_members_with_role_and_last_login(client, auth, workspace):
    auth.login()
    body = render_people(client)
    for email in ("owner@acme.test", "analyst@acme.test", "viewer@acme.test"):
        assert email in body
    assert "Last log-in: never" in body  # the analyst and viewer have not logged in
    assert re.search(r"Last log-in: \d{4}-\d\d-\d\d \d\d:\d\d UTC", body)  # the owner just did
    assert "owner@globex.test" not in body


def test_ppl002_owner_changes_a_role_and_it_is_audited(client, auth, services, workspace):
    auth.login()
    body = people_action(client, _uid(services, "analyst@acme.test"), role="manager")
    assert "analyst@acme.test is now manager (was analyst)" in body
    assert _role(services, "analyst@acme.test") == "manager"
    with services.db.session() as db:
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "role_changed"))
        assert event.actor == "owner@acme.test" and event.workspace_id == workspace.id
        assert event.detail == "analyst@acme.test: analyst -> manager"


def test_ppl003_removal_ends_every_session_of_the_member(app, client, auth, services, workspace):
    viewer_browser = _login(app, "viewer@acme.test")
    auth.login()
    body = people_action(client, _uid(services, "viewer@acme.test"), remove=True)
    assert "viewer@acme.test was removed" in body
    assert _role(services, "viewer@acme.test") is None
    assert viewer_browser.get("/_dash-layout").status_code == 401  # logged out at once
    assert client.get("/_dash-layout").status_code == 200  # the owner is not
    with services.db.session() as db:
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "member_removed"))
        assert event.actor == "owner@acme.test" and "viewer@acme.test" in event.detail


def test_ppl004_the_last_owner_is_never_demoted_or_removed(client, auth, services, workspace):
    auth.login()
    me = _uid(services, "owner@acme.test")
    assert "at least one owner" in people_action(client, me, role="viewer")
    assert "at least one owner" in people_action(client, me, remove=True)
    assert _role(services, "owner@acme.test") == "owner"
    # With a second owner, the first may step down.
    people_action(client, _uid(services, "analyst@acme.test"), role="owner")
    assert "is now viewer" in people_action(client, me, role="viewer")
    assert _role(services, "owner@acme.test") == "viewer"


@pytest.mark.parametrize("who", ["viewer@acme.test", "analyst@acme.test", "manager@acme.test"])
def test_ppl005_other_roles_get_nothing_and_change_nothing(client, auth, services, manager, who):
    auth.login(who)
    assert "owner@acme.test" not in render_people(client)  # a note, not the member list
    owner = _uid(services, "owner@acme.test")
    analyst = _uid(services, "analyst@acme.test")
    assert "Only owners manage people" in people_action(client, owner, role="viewer")
    assert "Only owners manage people" in people_action(client, owner, remove=True)
    assert "Only owners manage people" in people_action(client, _uid(services, who), role="owner")
    people_action(client, analyst, remove=True)
    assert _role(services, "owner@acme.test") == "owner"
    assert _role(services, who) == who.split("@")[0]
    assert _role(services, "analyst@acme.test") == "analyst"
    with services.db.session() as db:
        denied = db.scalars(select(AuditEvent.actor).where(AuditEvent.outcome == "denied")).all()
    assert denied == [who] * 4


def test_ppl006_forged_member_of_another_workspace_matches_nothing(
    client, auth, services, workspace, other_workspace
):
    auth.login()
    globex_owner = _uid(services, "owner@globex.test")
    assert "not in this workspace" in people_action(client, globex_owner, role="viewer")
    assert "not in this workspace" in people_action(client, globex_owner, remove=True)
    assert "not in this workspace" in people_action(client, "1 OR 1=1", remove=True)
    assert _role(services, "owner@globex.test", "globex") == "owner"


def test_ppl007_bad_role_is_refused(client, auth, services, workspace):
    auth.login()
    body = people_action(client, _uid(services, "viewer@acme.test"), role="superuser")
    assert "Pick a role" in body
    assert _role(services, "viewer@acme.test") == "viewer"


def test_ppl008_an_owner_forging_the_people_callbacks_gets_no_500_and_nothing_of_b(
    app, client, auth, services, workspace, other_workspace
):
    from tests.security.test_isolation import _request

    auth.login()
    client.get("/_dash-dependencies")
    keys = [k for k in app.callback_map if "pb-settings-people" in k or "pb-settings-invite" in k]
    assert len(keys) == 4  # list, member actions, invite, two-factor requirement
    for key in keys:
        response = client.post(
            "/_dash-update-component", json=_request(key, app.callback_map[key], other_workspace)
        )
        assert response.status_code < 500, (key, response.get_data(as_text=True)[:300])
        assert "globex" not in response.get_data(as_text=True).lower()
    assert _role(services, "owner@globex.test", "globex") == "owner"
