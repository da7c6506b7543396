"""Password reset by email link, and signing out everywhere else from Settings."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from dashboard.models import AuditEvent, PasswordReset
from dashboard.password_reset import request_reset
from tests.conftest import PASSWORD
from tests.security.test_invitations import _csrf

NEW = "a fresh long passphrase"


def _ask(client, email):
    page = client.get("/reset").get_data(as_text=True)
    return client.post("/reset", data={"email": email, "csrf_token": _csrf(page)})


def _token(services, email, now=None) -> str:
    with services.db.session() as db:
        return request_reset(db, email, now=now).token


def _set(client, path, password=NEW, confirm=None, csrf=None):
    page = client.get(path).get_data(as_text=True)
    data = {"password": password, "password_confirm": password if confirm is None else confirm}
    data["csrf_token"] = _csrf(page) if csrf is None else csrf
    return client.post(path, data=data)


def _login(app, email, password=PASSWORD):
    browser = app.server.test_client()
    page = browser.get("/login").get_data(as_text=True)
    response = browser.post("/login", data={"email": email, "password": password, "csrf_token": _csrf(page)})
    return browser, response


def _without_token(text: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', "", text)


def test_rst001_same_answer_whether_or_not_the_account_exists(app, services, workspace):
    answers = []
    for email in ("viewer@acme.test", "nobody@acme.test", "not an email"):
        response = _ask(app.server.test_client(), email)
        answers.append((response.status_code, _without_token(response.get_data(as_text=True))))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 200 and "If an account uses that address" in answers[0][1]
    with services.db.session() as db:
        assert len(db.scalars(select(PasswordReset)).all()) == 1  # only for the real account


def test_rst002_link_sets_the_password_ends_every_session_and_works_once(app, services, workspace):
    logged_in, _ = _login(app, "viewer@acme.test")
    assert logged_in.get("/_dash-layout").status_code == 200
    path = "/reset/" + _token(services, "viewer@acme.test")
    browser = app.server.test_client()
    page = browser.get(path)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'name="password"' in page.get_data(as_text=True)
    done = _set(browser, path)
    assert done.status_code == 200 and "every session of your account has ended" in done.get_data(
        as_text=True
    )
    assert logged_in.get("/_dash-layout").status_code == 401
    assert _login(app, "viewer@acme.test")[1].status_code == 401  # the old password is gone
    assert _login(app, "viewer@acme.test", NEW)[1].status_code == 302
    again = app.server.test_client().get(path)
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)
    with services.db.session() as db:
        assert (
            db.scalar(select(AuditEvent.actor).where(AuditEvent.action == "password_reset"))
            == "viewer@acme.test"
        )


def test_rst003_expired_unknown_and_superseded_links(app, services, workspace):
    old = _token(services, "viewer@acme.test", now=datetime.now(UTC) - timedelta(hours=2))
    browser = app.server.test_client()
    expired = browser.get(f"/reset/{old}")
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    assert browser.post(f"/reset/{old}", data={"password": NEW, "password_confirm": NEW}).status_code == 410
    assert browser.get("/reset/" + "B" * 43).status_code == 404
    first, second = _token(services, "viewer@acme.test"), _token(services, "viewer@acme.test")
    assert _set(browser, f"/reset/{second}").status_code == 200
    assert browser.get(f"/reset/{first}").status_code == 410  # an older link is spent with it


def test_rst004_csrf_and_policy_refusals_change_nothing(app, services, workspace):
    path = "/reset/" + _token(services, "viewer@acme.test")
    browser = app.server.test_client()
    assert "session expired" in _set(browser, path, csrf="forged").get_data(as_text=True)
    weak = _set(browser, path, password="password123")
    assert weak.status_code == 400 and "too easy to guess" in weak.get_data(as_text=True)
    assert "differ" in _set(browser, path, confirm="something else").get_data(as_text=True)
    assert _login(app, "viewer@acme.test")[1].status_code == 302  # the password is unchanged
    assert _set(browser, path).status_code == 200  # and the link still works
    page = browser.get("/reset").get_data(as_text=True)
    assert browser.post("/reset", data={"email": "viewer@acme.test"}).status_code == 400
    assert "csrf_token" in page


def test_rst005_requests_are_throttled_like_the_log_in(app, services, workspace):
    browser = app.server.test_client()
    from limits import parse

    limit = parse(app.server.extensions["pulseboard"].settings.login_limit_account).amount
    for email in ("viewer@acme.test", "nobody@acme.test"):
        statuses = [_ask(browser, email).status_code for _ in range(limit + 1)]
        assert statuses == [200] * limit + [429], email  # the same for an unknown address
    with services.db.session() as db:
        assert len(db.scalars(select(PasswordReset)).all()) == limit


def _mail_app(settings, inbox, public_url):
    from app import create_app

    settings.smtp_url = inbox.url
    settings.public_url = public_url
    return create_app(settings)


def _wait_for(inbox, count: int):
    deadline = time.monotonic() + 20  # the email leaves from a thread; this only waits for it
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return inbox.messages


def test_rst006_reset_email_over_real_smtp(settings, services, workspace, inbox):
    app = _mail_app(settings, inbox, "https://pulse.example.com")
    assert _ask(app.server.test_client(), "nobody@acme.test").status_code == 200
    assert _ask(app.server.test_client(), "Viewer@Acme.test").status_code == 200
    (message,) = _wait_for(inbox, 1)
    assert message["To"] == "viewer@acme.test" and message["Subject"] == "Reset your Pulseboard password"
    plain = message.get_body(("plain",)).get_content()
    path = re.search(r"https://pulse\.example\.com(/reset/[A-Za-z0-9_\-]+)", plain).group(1)
    assert _set(app.server.test_client(), path).status_code == 200
    assert _login(app, "viewer@acme.test", NEW)[1].status_code == 302
    assert len(inbox.messages) == 1  # nothing was sent for the unknown address


def test_rst007_no_reset_email_without_a_configured_public_address(settings, services, workspace, inbox):
    app = _mail_app(settings, inbox, None)
    browser = app.server.test_client()
    page = browser.get("/reset", headers={"Host": "evil.example"}).get_data(as_text=True)
    response = browser.post(
        "/reset",
        data={"email": "viewer@acme.test", "csrf_token": _csrf(page)},
        headers={"Host": "evil.example"},
    )
    assert response.status_code == 200
    time.sleep(0.5)  # a thread would have started at once; none must
    assert inbox.messages == []


def _sign_out_elsewhere(client):
    body = {
        "output": "..pb-settings-sessions-message.children...pb-settings-sessions-version.data..",
        "outputs": [
            {"id": "pb-settings-sessions-message", "property": "children"},
            {"id": "pb-settings-sessions-version", "property": "data"},
        ],
        "inputs": [{"id": "pb-settings-signout-others", "property": "n_clicks", "value": 1}],
        "state": [{"id": "pb-settings-sessions-version", "property": "data", "value": 0}],
        "changedPropIds": ["pb-settings-signout-others.n_clicks"],
    }
    return client.post("/_dash-update-component", json=body)


def test_ses001_sign_out_everywhere_else_keeps_this_browser(app, client, auth, services, workspace):
    other, _ = _login(app, "analyst@acme.test")
    auth.login("analyst@acme.test")
    response = _sign_out_elsewhere(client)
    assert "Every other session has been signed out" in response.get_data(as_text=True)
    assert other.get("/_dash-layout").status_code == 401
    assert client.get("/_dash-layout").status_code == 200
    assert auth.logout().status_code == 302  # the page's CSRF token still works
    with services.db.session() as db:
        assert (
            db.scalar(select(AuditEvent.actor).where(AuditEvent.action == "sessions_ended"))
            == "analyst@acme.test"
        )
