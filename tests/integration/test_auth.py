"""The server refuses every route without a logged-in user; log-in works without JavaScript."""

from __future__ import annotations

import pytest

DASH_ROUTES = [
    ("get", "/_dash-layout"),
    ("get", "/_dash-dependencies"),
    ("post", "/_dash-update-component"),
    ("get", "/_reload-hash"),
    ("get", "/_dash-component-suites/dash/dcc/dash_core_components.js"),
]
PAGES = ["/", "/revenue", "/campaigns", "/customers", "/sources", "/settings", "/reports", "/anything"]


@pytest.mark.parametrize(("method", "path"), DASH_ROUTES)
def test_auth001_dash_routes_refuse_anonymous(client, workspace, method, path):
    response = getattr(client, method)(path, json={} if method == "post" else None)
    assert response.status_code == 401
    assert response.get_json()["error"] == "authentication required"


@pytest.mark.parametrize("path", PAGES)
def test_auth002_pages_redirect_anonymous_to_login(client, workspace, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_auth003_login_form_is_plain_html_with_csrf(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<form method="post" action="/login"' in page
    for field in ('name="email"', 'name="password"', 'name="csrf_token"'):
        assert field in page
    assert "<script" not in page  # works without JavaScript
    assert "cdn" not in page.lower()


def test_auth004_login_then_dash_routes_answer(client, auth, workspace):
    response = auth.login()
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/_dash-dependencies").status_code == 200
    auth.logout()
    assert client.get("/_dash-layout").status_code == 401


def test_auth005_wrong_password_and_unknown_user_get_the_same_answer(client, auth, workspace):
    wrong = auth.login(password="nope nope nope")
    unknown = auth.login(email="ghost@acme.test")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong email or password." in wrong.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 401


def test_auth006_missing_csrf_token_is_refused(client, workspace):
    client.get("/login")
    response = client.post("/login", data={"email": "owner@acme.test", "password": "correct horse battery"})
    assert response.status_code == 400
    assert client.get("/_dash-layout").status_code == 401


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_auth007_next_never_leaves_the_site(client, workspace, target):
    page = client.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login",
        data={
            "email": "owner@acme.test",
            "password": "correct horse battery",
            "csrf_token": token,
            "next": target,
        },
    )
    assert response.headers["Location"] == "/"


def test_auth008_security_headers_and_assets_are_local(client, auth, workspace):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "unsafe-eval" not in csp  # no script may run code built from a string
    auth.login()
    index = client.get("/").get_data(as_text=True)
    assert "cdn.jsdelivr" not in index and "unpkg.com" not in index
    assert "/assets/00_bootstrap-5.3.9.min.css" in index


def test_auth009_deactivated_user_loses_access(client, auth, services, workspace):
    from sqlalchemy import select

    from dashboard.models import User

    auth.login()
    with services.db.session() as db:
        db.scalar(select(User).where(User.email == "owner@acme.test")).active = False
    assert client.get("/_dash-layout").status_code == 401
