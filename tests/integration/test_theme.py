"""Light/dark theme: saved on the logged-in user only, rendered into every page load."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from callbacks import settings as cb
from dashboard.models import User


def _themes(services) -> dict[str, str]:
    with services.db.session() as db:
        return {u.email: u.theme for u in db.scalars(select(User))}


def _save(theme) -> dict:
    return {
        "output": "pb-theme-saved.data",
        "outputs": {"id": "pb-theme-saved", "property": "data"},
        "inputs": [{"id": "pb-theme", "property": "data", "value": {"theme": theme}}],
        "changedPropIds": ["pb-theme.data"],
        "state": [],
    }


def _html_tag(page: str) -> str:
    return re.search(r"<html\b[^>]*>", page).group(0)


def test_theme001_saved_for_the_current_user_only(client, auth, services, workspace):
    auth.login("analyst@acme.test")
    response = client.post("/_dash-update-component", json=_save("dark"))
    assert response.status_code == 200
    assert response.get_json()["response"]["pb-theme-saved"]["data"] == {"theme": "dark"}
    assert _themes(services) == {
        "owner@acme.test": "light",
        "analyst@acme.test": "dark",
        "viewer@acme.test": "light",
    }


def test_theme002_forged_user_id_in_the_store_is_ignored(client, auth, services, workspace):
    auth.login("viewer@acme.test")
    body = _save("auto")
    with services.db.session() as db:
        owner_id = db.scalar(select(User.id).where(User.email == "owner@acme.test"))
    body["inputs"][0]["value"] = {"theme": "auto", "user_id": owner_id, "email": "owner@acme.test"}
    assert client.post("/_dash-update-component", json=body).status_code == 200
    assert _themes(services)["owner@acme.test"] == "light"
    assert _themes(services)["viewer@acme.test"] == "auto"


@pytest.mark.parametrize("bad", ["purple", "", None, "dark; DROP TABLE users", 3])
def test_theme003_unknown_theme_changes_nothing(client, auth, services, workspace, bad):
    auth.login("owner@acme.test")
    response = client.post("/_dash-update-component", json=_save(bad))
    assert response.status_code == 204  # PreventUpdate
    assert set(_themes(services).values()) == {"light"}


def test_theme004_anonymous_is_refused(client, services, workspace):
    assert client.post("/_dash-update-component", json=_save("dark")).status_code == 401
    assert set(_themes(services).values()) == {"light"}


def test_theme005_set_user_theme_validates(services, workspace):
    with services.db.session() as db:
        uid = db.scalar(select(User.id).where(User.email == "owner@acme.test"))
    assert cb.set_user_theme(services, uid, "dark") == "dark"
    with pytest.raises(ValueError, match="unknown theme"):
        cb.set_user_theme(services, uid, "neon")
    assert _themes(services)["owner@acme.test"] == "dark"


@pytest.mark.parametrize(
    ("theme", "attrs"),
    [
        ("dark", 'data-bs-theme="dark" data-pb-theme="dark" data-ag-theme-mode="dark"'),
        ("light", 'data-bs-theme="light" data-pb-theme="light" data-ag-theme-mode="light"'),
        ("auto", 'data-bs-theme="light" data-pb-theme="auto" data-ag-theme-mode="light"'),
        ("bogus", 'data-bs-theme="light" data-pb-theme="light" data-ag-theme-mode="light"'),
    ],
)
def test_theme006_every_page_load_is_rendered_in_the_users_theme(
    client, auth, services, workspace, theme, attrs
):
    with services.db.session() as db:
        db.scalar(select(User).where(User.email == "owner@acme.test")).theme = theme
        db.commit()
    auth.login("owner@acme.test")
    for path in ("/", "/settings", "/revenue"):
        page = client.get(path).get_data(as_text=True)
        assert attrs in _html_tag(page), path
        head, body = page.split("</head>", 1)
        # theme.js runs in <head> (before the body paints) and is not loaded a second time
        assert re.search(r'<script src="/assets/theme\.js[^"]*"></script>', head)
        assert "theme.js" not in body


def test_theme007_the_csp_still_forbids_foreign_scripts(client, auth, workspace):
    auth.login("owner@acme.test")
    csp = client.get("/settings").headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp


def test_theme008_themed_index_keeps_other_attributes_and_is_idempotent():
    index = (
        '<!DOCTYPE html>\n<html lang="de" class="x"><head><title>t</title></head><body>'
        '<script src="/assets/theme.js?m=1"></script></body></html>'
    )
    once = cb.themed_index(index, "dark")
    assert cb.themed_index(once, "dark") == once
    assert _html_tag(once) == (
        '<html lang="de" class="x" data-bs-theme="dark" data-pb-theme="dark" data-ag-theme-mode="dark">'
    )
    assert once.count("theme.js") == 1 and once.index("theme.js") < once.index("</head>")
    relight = cb.themed_index(once, "light")
    assert 'data-bs-theme="light"' in relight and "dark" not in _html_tag(relight)
