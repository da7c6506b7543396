"""Settings → Your sessions: each browser listed with its device, revocable on its own, never another user's."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from dashboard.accounts import change_password, get_workspace, remove_member
from dashboard.models import AuditEvent, User, UserSession
from tests.conftest import PASSWORD
from tests.security.test_fix_first import _cookies, _login

MAC_CHROME = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1"
)
WINDOWS_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
NEW_PASSWORD = "another long passphrase"


def _browser(app, agent: str, ip: str):
    client = app.server.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": agent, "REMOTE_ADDR": ip})
    return client


def _logged_in(app, email: str, agent: str, ip: str, remember: bool = False):
    client = _browser(app, agent, ip)
    assert _login(client, email, remember=remember).status_code == 302
    return client


def _rows(services, email: str) -> list[UserSession]:
    with services.db.session() as db:
        user_id = db.scalar(select(User.id).where(User.email == email))
        return list(
            db.scalars(select(UserSession).where(UserSession.user_id == user_id).order_by(UserSession.id))
        )


def _texts(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [t for child in node for t in _texts(child)]
    if isinstance(node, dict):
        return _texts(node.get("props", {}).get("children"))
    return []


def _items(node, found=None) -> dict[str, str]:
    """The session list's rows: element id -> the row's text."""
    found = {} if found is None else found
    if isinstance(node, list):
        for child in node:
            _items(child, found)
    elif isinstance(node, dict):
        props = node.get("props", {})
        if str(props.get("id", "")).startswith("pb-settings-sessions-list-"):
            found[props["id"]] = " ".join(_texts(props.get("children")))
        else:
            _items(props.get("children"), found)
    return found


def _render(client) -> dict[str, str]:
    body = {
        "output": "..pb-settings-sessions-list.children...pb-settings-sessions-info.children..",
        "outputs": [
            {"id": "pb-settings-sessions-list", "property": "children"},
            {"id": "pb-settings-sessions-info", "property": "children"},
        ],
        "inputs": [
            {"id": "pb-settings-init", "property": "data", "value": 0},
            {"id": "pb-settings-sessions-version", "property": "data", "value": 0},
        ],
        "changedPropIds": ["pb-settings-init.data"],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return _items(response.get_json()["response"]["pb-settings-sessions-list"]["children"])


def _revoke(client, session_id) -> str:
    button = {"type": "pb-settings-session-revoke", "session": session_id}
    deps = client.get("/_dash-dependencies").get_json()
    output = next(
        d["output"]
        for d in deps
        if "pb-settings-sessions-message.children" in d["output"]
        and "session-revoke" in json.dumps(d["inputs"])
    )
    body = {
        "output": output,
        "outputs": [
            {"id": "pb-settings-sessions-message", "property": "children"},
            {"id": "pb-settings-sessions-version", "property": "data"},
        ],
        "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
        "state": [{"id": "pb-settings-sessions-version", "property": "data", "value": 0}],
        "changedPropIds": [json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def _events(services, action: str) -> list[AuditEvent]:
    with services.db.session() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_ses010_each_browser_is_listed_with_device_address_and_this_one_marked(app, services, workspace):
    mac = _logged_in(app, "analyst@acme.test", MAC_CHROME, "203.0.113.7")
    _logged_in(app, "analyst@acme.test", IPHONE_SAFARI, "198.51.100.23", remember=True)
    _logged_in(app, "owner@acme.test", WINDOWS_FIREFOX, "192.0.2.99")  # somebody else's session
    mac_row, phone_row = _rows(services, "analyst@acme.test")
    items = _render(mac)
    assert list(items) == [
        f"pb-settings-sessions-list-{mac_row.id}",
        f"pb-settings-sessions-list-{phone_row.id}",
    ]
    mine, phone = items.values()
    assert "Chrome on macOS" in mine and "This device" in mine and "IP 203.0.113.7" in mine
    assert "Safari on iPhone" in phone and "This device" not in phone and "IP 198.51.100.23" in phone
    assert "Kept logged in" in phone and "Signed in Today at" in phone
    assert not any("Firefox" in text or "192.0.2.99" in text for text in items.values())


def test_ses011_revoking_one_session_logs_out_that_browser_only(app, services, workspace):
    mac = _logged_in(app, "analyst@acme.test", MAC_CHROME, "203.0.113.7")
    phone = _logged_in(app, "analyst@acme.test", IPHONE_SAFARI, "198.51.100.23", remember=True)
    remember_cookie = _cookies(phone)["remember_token"]
    _, phone_row = _rows(services, "analyst@acme.test")
    assert phone.get("/_dash-layout").status_code == 200
    assert "Signed out Safari on iPhone (198.51.100.23)" in _revoke(mac, phone_row.id)
    assert phone.get("/_dash-layout").status_code == 401  # its session cookie is worth nothing now
    thief = app.server.test_client()
    thief.set_cookie("remember_token", remember_cookie)
    assert thief.get("/_dash-layout").status_code == 401  # and neither is its remember-me cookie
    assert mac.get("/_dash-layout").status_code == 200  # the other browser stays logged in
    assert [r.user_agent for r in _rows(services, "analyst@acme.test")] == [MAC_CHROME]
    (event,) = _events(services, "session_revoked")
    assert event.actor == "analyst@acme.test" and event.outcome == "ok"
    assert "Safari on iPhone" in event.detail and "198.51.100.23" in event.detail


def test_ses012_forged_ids_reach_no_other_users_session(app, services, workspace):
    owner = _logged_in(app, "owner@acme.test", WINDOWS_FIREFOX, "192.0.2.99")
    analyst = _logged_in(app, "analyst@acme.test", MAC_CHROME, "203.0.113.7")
    (owner_row,) = _rows(services, "owner@acme.test")
    for forged in (owner_row.id, 10**9, "x", -1, None):
        assert "already ended" in _revoke(analyst, forged)
    _revoke(analyst, {"id": owner_row.id})  # a nested id: refused quietly (no 5xx)
    assert owner.get("/_dash-layout").status_code == 200  # the owner's session is untouched
    assert [r.id for r in _rows(services, "owner@acme.test")] == [owner_row.id]
    denied = [e for e in _events(services, "session_revoked") if e.outcome == "denied"]
    assert denied and all(e.actor == "analyst@acme.test" for e in denied)
    assert f"no session {owner_row.id} " in denied[0].detail


def test_ses013_this_browser_is_not_revoked_from_the_list(app, services, workspace):
    mac = _logged_in(app, "analyst@acme.test", MAC_CHROME, "203.0.113.7")
    (row,) = _rows(services, "analyst@acme.test")
    assert "use Log out" in _revoke(mac, row.id)
    assert mac.get("/_dash-layout").status_code == 200
    assert len(_rows(services, "analyst@acme.test")) == 1


def test_ses014_logout_password_change_and_removal_delete_the_rows(app, services, workspace):
    browser = _logged_in(app, "analyst@acme.test", MAC_CHROME, "203.0.113.7")
    _logged_in(app, "analyst@acme.test", IPHONE_SAFARI, "198.51.100.23")
    page = browser.get("/logout").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    browser.post("/logout", data={"csrf_token": token})
    assert _rows(services, "analyst@acme.test") == []  # log-out ends every session of the user

    keep = _logged_in(app, "analyst@acme.test", MAC_CHROME, "203.0.113.7")
    _logged_in(app, "analyst@acme.test", IPHONE_SAFARI, "198.51.100.23")
    with services.db.session() as db:
        user_id = db.scalar(select(User.id).where(User.email == "analyst@acme.test"))
        change_password(db, user_id, PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    assert _rows(services, "analyst@acme.test") == []
    assert keep.get("/_dash-layout").status_code == 401

    _logged_in(app, "viewer@acme.test", MAC_CHROME, "203.0.113.7")
    with services.db.session() as db:
        assert remove_member(db, get_workspace(db, "acme"), "viewer@acme.test")
    assert _rows(services, "viewer@acme.test") == []


def test_ses015_sign_out_everywhere_else_keeps_only_this_row(app, services, workspace):
    from tests.security.test_password_reset import _sign_out_elsewhere

    mac = _logged_in(app, "analyst@acme.test", MAC_CHROME, "203.0.113.7", remember=True)
    phone = _logged_in(app, "analyst@acme.test", IPHONE_SAFARI, "198.51.100.23")
    mac_row, _ = _rows(services, "analyst@acme.test")
    assert _sign_out_elsewhere(mac).status_code == 200
    assert [r.id for r in _rows(services, "analyst@acme.test")] == [mac_row.id]
    assert phone.get("/_dash-layout").status_code == 401
    assert mac.get("/_dash-layout").status_code == 200
    # This browser's remember-me cookie was rewritten under the new version and still works.
    revived = app.server.test_client()
    revived.set_cookie("remember_token", _cookies(mac)["remember_token"])
    assert revived.get("/_dash-layout").status_code == 200


def test_ses016_last_seen_is_written_at_most_once_a_minute(app, services, workspace):
    mac = _logged_in(app, "analyst@acme.test", MAC_CHROME, "203.0.113.7")
    long_ago = datetime.now(UTC) - timedelta(minutes=30)
    with services.db.session() as db:
        db.execute(UserSession.__table__.update().values(last_seen_at=long_ago))
    mac.environ_base["REMOTE_ADDR"] = "203.0.113.8"
    assert mac.get("/_dash-layout").status_code == 200
    (row,) = _rows(services, "analyst@acme.test")
    assert row.ip == "203.0.113.7"  # seen less than a minute ago by this browser: no write
    with mac.session_transaction() as cookie:
        cookie["_seen_at"] = time.time() - 61
    assert mac.get("/_dash-layout").status_code == 200
    (row,) = _rows(services, "analyst@acme.test")
    assert row.ip == "203.0.113.8"
    assert row.last_seen_at.replace(tzinfo=UTC) > long_ago + timedelta(minutes=29)


def test_ses017_expired_and_keyless_sessions_log_nobody_in(app, services, settings, workspace):
    mac = _logged_in(app, "analyst@acme.test", MAC_CHROME, "203.0.113.7")
    too_old = datetime.now(UTC) - timedelta(hours=settings.session_max_hours + 1)
    with services.db.session() as db:
        db.execute(UserSession.__table__.update().values(created_at=too_old))
    assert mac.get("/_dash-layout").status_code == 401
    _logged_in(app, "analyst@acme.test", IPHONE_SAFARI, "198.51.100.23")
    assert [r.user_agent for r in _rows(services, "analyst@acme.test")] == [IPHONE_SAFARI]  # pruned
    # A cookie from before session rows existed ("<id>:<version>", no key) is refused.
    with services.db.session() as db:
        user = db.scalar(select(User).where(User.email == "analyst@acme.test"))
        old_style = f"{user.id}:{user.session_version}"
    stale = app.server.test_client()
    with stale.session_transaction() as cookie:
        cookie["_user_id"] = old_style
        cookie["_fresh"] = True
    assert stale.get("/_dash-layout").status_code == 401
