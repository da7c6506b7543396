"""Users in several workspaces switch between them; nobody switches into a workspace they are not in."""

from __future__ import annotations

import json
import re

from dashboard.accounts import create_user, get_workspace
from tests.conftest import PASSWORD


def _csrf(client) -> str:
    page = client.get("/logout").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_wsw001_member_of_two_switches_and_sees_the_switcher(
    client, auth, services, workspace, other_workspace
):
    with services.db.session() as db:
        create_user(db, "analyst@acme.test", PASSWORD, workspace=get_workspace(db, "globex"), role="viewer")
    auth.login("analyst@acme.test")
    layout = json.dumps(client.get("/_dash-layout").get_json())
    assert '"action": "/workspace"' in layout and "Switch to" in layout
    response = client.post(
        "/workspace", data={"csrf_token": _csrf(client), "workspace": str(other_workspace.id)}
    )
    assert response.status_code == 302
    with client.session_transaction() as sess:  # callbacks resolve the workspace from this key
        assert sess["workspace_id"] == other_workspace.id
    layout = json.dumps(client.get("/_dash-layout").get_json())
    assert re.search(r"\"children\": \"Globex\"[^}]*\"title\": \"Current workspace\"", layout)


def test_wsw002_not_a_member_cannot_switch_in(client, auth, workspace, other_workspace):
    auth.login("viewer@acme.test")
    refused = client.post(
        "/workspace", data={"csrf_token": _csrf(client), "workspace": str(other_workspace.id)}
    )
    assert refused.status_code == 403
    with client.session_transaction() as sess:
        assert sess.get("workspace_id") != other_workspace.id
    assert (
        client.post("/workspace", data={"workspace": str(other_workspace.id)}).status_code == 400
    )  # no CSRF
    assert client.post("/workspace", data={"csrf_token": _csrf(client), "workspace": "x"}).status_code == 400


def test_wsw003_single_workspace_users_see_no_switcher(client, auth, workspace):
    auth.login("viewer@acme.test")
    assert '"action": "/workspace"' not in json.dumps(client.get("/_dash-layout").get_json())
