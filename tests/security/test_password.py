"""Changing your own password on Settings: checks, policy, and every other session ends."""

from __future__ import annotations

import json

import pytest

from dashboard.accounts import AccountError, check_password_policy
from tests.conftest import PASSWORD


def _change(client, current, new, confirm=None):
    body = {
        "output": "..pb-settings-password-message.children...pb-settings-password-current.value..."
        "pb-settings-password-new.value...pb-settings-password-confirm.value..",
        "outputs": [
            {"id": "pb-settings-password-message", "property": "children"},
            {"id": "pb-settings-password-current", "property": "value"},
            {"id": "pb-settings-password-new", "property": "value"},
            {"id": "pb-settings-password-confirm", "property": "value"},
        ],
        "inputs": [{"id": "pb-settings-password-save", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["pb-settings-password-save.n_clicks"],
        "state": [
            {"id": "pb-settings-password-current", "property": "value", "value": current},
            {"id": "pb-settings-password-new", "property": "value", "value": new},
            {
                "id": "pb-settings-password-confirm",
                "property": "value",
                "value": new if confirm is None else confirm,
            },
        ],
    }
    return client.post("/_dash-update-component", json=body)


def test_pwd001_change_keeps_this_browser_and_ends_the_others(app, client, auth, workspace):
    auth.login("viewer@acme.test")
    other = app.server.test_client()
    page = other.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    other.post("/login", data={"email": "viewer@acme.test", "password": PASSWORD, "csrf_token": token})
    assert other.get("/_dash-layout").status_code == 200
    response = _change(client, PASSWORD, "a much better passphrase")
    assert "Password changed" in json.dumps(response.get_json())
    assert client.get("/_dash-layout").status_code == 200  # this browser: new session
    assert other.get("/_dash-layout").status_code == 401  # the other device: logged out
    auth.logout()
    assert auth.login("viewer@acme.test", "a much better passphrase").status_code == 302


@pytest.mark.parametrize(
    ("current", "new", "confirm", "why"),
    [
        ("wrong wrong wrong", "a much better passphrase", None, "current password is not right"),
        (PASSWORD, "a much better passphrase", "something else entirely", "confirmation differ"),
        (PASSWORD, "short", None, "at least 8 characters"),
        (PASSWORD, "password123", None, "too easy to guess"),
        (PASSWORD, 12345678, None, "current password"),
    ],
)
def test_pwd002_refusals_say_why_and_change_nothing(client, auth, workspace, current, new, confirm, why):
    auth.login("analyst@acme.test")
    if not isinstance(new, str):  # a forged non-string value: treated as empty, refused
        current = 5
    text = json.dumps(_change(client, current, new, confirm).get_json())
    assert "Password not changed" in text and why in text
    assert client.get("/_dash-layout").status_code == 200
    auth.logout()
    assert auth.login("analyst@acme.test", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("password", "email"),
    [("aaaaaaaaaa", ""), ("ann@example.com", "ann@example.com"), ("x" * 1025, ""), ("qwertyuiop", "")],
)
def test_pwd003_policy(password, email):
    with pytest.raises(AccountError):
        check_password_policy(password, email)
    check_password_policy("correct horse battery", "ann@example.com")
