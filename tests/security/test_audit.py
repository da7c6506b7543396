"""The audit log: log-ins, downloads, denials, tokens, memberships; owners read and filter it."""

from __future__ import annotations

import json

from dashboard.accounts import create_user, get_workspace, remove_member
from dashboard.audit import events
from dashboard.auth import PermissionDenied
from tests.conftest import PASSWORD
from tests.integration.test_analytics_callbacks import _store


def _download(item="by_channel"):
    return {
        "output": "pb-revenue-download.data",
        "outputs": {"id": "pb-revenue-download", "property": "data"},
        "inputs": [
            {"id": {"item": item, "page": "revenue", "type": "pb-csv"}, "property": "n_clicks", "value": 1}
        ],
        "changedPropIds": [
            json.dumps({"item": item, "page": "revenue", "type": "pb-csv"}, separators=(",", ":"))
            + ".n_clicks"
        ],
        "state": [
            {"id": "pb-filters", "property": "data", "value": _store()},
            {"id": "pb-revenue-page-filters", "property": "data", "value": {}},
            {"id": "pb-revenue-crossfilter", "property": "data", "value": None},
            {"id": "pb-revenue-drill", "property": "data", "value": None},
        ],
    }


def _actions(services, workspace, **kw):
    with services.db.session() as db:
        return [(e.actor, e.action, e.outcome) for e in events(db, workspace.id, **kw)]


def test_aud001_login_logout_and_downloads_are_recorded_with_address(client, auth, services, workspace):
    auth.login("analyst@acme.test")
    client.post("/_dash-update-component", json=_download())
    auth.logout()
    seen = _actions(services, workspace)
    assert ("analyst@acme.test", "login", "ok") in seen
    assert ("analyst@acme.test", "logout", "ok") in seen
    assert ("analyst@acme.test", "download", "ok") in seen
    with services.db.session() as db:
        web = [e for e in events(db, workspace.id) if e.action in ("login", "logout", "download")]
        assert len(web) == 3 and all(e.ip == "127.0.0.1" for e in web)


def test_aud002_a_viewers_export_attempt_is_refused_and_recorded(client, auth, services, workspace):
    auth.login("viewer@acme.test")
    response = client.post("/_dash-update-component", json=_download())
    assert "content" not in response.get_data(as_text=True)
    assert ("viewer@acme.test", "export_denied", "denied") in _actions(services, workspace)


def test_aud003_membership_and_role_changes(services, workspace):
    with services.db.session() as db:
        ws = get_workspace(db, "acme")
        create_user(db, "new@acme.test", PASSWORD, workspace=ws, role="viewer")
        create_user(db, "new@acme.test", PASSWORD, workspace=ws, role="analyst")
        remove_member(db, ws, "new@acme.test")
    seen = _actions(services, workspace)
    for action in ("member_added", "role_changed", "member_removed"):
        assert ("new@acme.test", action, "ok") in seen


def test_aud004_filters_and_isolation(client, auth, services, workspace, other_workspace):
    auth.login("owner@globex.test")
    auth.logout()
    auth.login("viewer@acme.test")
    only_logins = _actions(services, workspace, action="login")
    assert {a for _, a, _ in only_logins} == {"login"}
    assert all(actor != "owner@globex.test" for actor, _, _ in _actions(services, workspace))
    assert {actor for actor, _, _ in _actions(services, workspace, actor="viewer")} == {"viewer@acme.test"}


def test_aud005_only_owners_read_the_log(app, client, auth, services, workspace):
    from callbacks.settings import audit_events, render_audit
    from dashboard.auth import current_context

    auth.login("analyst@acme.test")
    with app.server.test_request_context("/"):
        from flask_login import login_user
        from sqlalchemy import select

        from dashboard.models import User

        with services.db.session() as db:
            login_user(db.scalar(select(User).where(User.email == "analyst@acme.test")))
        ctx = current_context()
        try:
            audit_events(services, ctx)
            raise AssertionError("an analyst read the audit log")
        except PermissionDenied:
            pass
        assert "Only owners" in json.dumps(render_audit(0).to_plotly_json(), default=str)
        with services.db.session() as db:
            login_user(db.scalar(select(User).where(User.email == "owner@acme.test")))
        rendered = json.dumps(render_audit(0), default=lambda o: o.to_plotly_json())
        assert "analyst@acme.test" in rendered and "login" in rendered


def test_aud006_event_text_is_rendered_as_text():
    from datetime import UTC, datetime

    from components.settings import audit_table
    from dashboard.audit import Event

    table = audit_table(
        [Event(datetime.now(UTC), "<script>alert(1)</script>", "login_failed", "failed", "", "1.2.3.4")]
    )
    cells = json.dumps(table, default=lambda o: o.to_plotly_json())
    # Dash renders strings as text nodes: the payload stays a string child, never markup.
    assert '"children": "<script>alert(1)</script>"' in cells
