"""Only owners export or erase a customer: through the Settings card's callbacks and the download route."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from sqlalchemy import select

from components import privacy as ui
from dashboard.accounts import create_user, get_workspace
from dashboard.models import AuditEvent
from data import privacy
from tests.conftest import PASSWORD
from tests.unit.test_privacy import JANE, JANE_TRACES, _fill, _text_dump

MEMBERS = ("viewer@acme.test", "analyst@acme.test", "manager@acme.test")


@pytest.fixture
def filled(services, workspace, other_workspace):
    with services.db.session() as db:
        create_user(db, "manager@acme.test", PASSWORD, workspace=get_workspace(db, "acme"), role="manager")
    _fill(services, workspace)
    _fill(services, other_workspace)
    return workspace, other_workspace


def _csrf(client) -> str:
    page = client.get("/login").get_data(as_text=True)  # the session's token, as the card renders it
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if match:
        return match.group(1)
    with client.session_transaction() as sess:
        return sess["_csrf_token"]


def _action(trigger: str, email, pending=None) -> dict:
    """A /_dash-update-component body for the card's action callback, ``trigger`` clicked."""
    outputs = [
        (ui.PRIVACY_CONFIRM_AREA, "className"),
        (ui.PRIVACY_CONFIRM_TEXT, "children"),
        (ui.PRIVACY_PENDING, "data"),
        (ui.PRIVACY_MESSAGE, "children"),
    ]
    return {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..",
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": [
            {"id": b, "property": "n_clicks", "value": 1 if b == trigger else 0}
            for b in (ui.PRIVACY_ERASE, ui.PRIVACY_CONFIRM, ui.PRIVACY_CANCEL)
        ],
        "state": [
            {"id": ui.PRIVACY_EMAIL, "property": "value", "value": email},
            {"id": ui.PRIVACY_PENDING, "property": "data", "value": pending},
        ],
        "changedPropIds": [f"{trigger}.n_clicks"],
    }


def _render() -> dict:
    return {
        "output": f"{ui.PRIVACY_BODY}.children",
        "outputs": {"id": ui.PRIVACY_BODY, "property": "children"},
        "inputs": [{"id": "pb-settings-init", "property": "data", "value": 0}],
        "changedPropIds": ["pb-settings-init.data"],
    }


def _post(client, body: dict) -> tuple[int, str]:
    response = client.post("/_dash-update-component", json=body)
    text = response.get_data(as_text=True)
    if response.status_code == 200:  # Dash escapes "/" as \u002f: compare the decoded text
        text = json.dumps(json.loads(text), ensure_ascii=False)
    return response.status_code, text


def test_owner_previews_then_erases_through_the_card(app, client, auth, services, filled):
    ws, other = filled
    other_before = _text_dump(services, other.id)
    auth.login()
    client.get("/_dash-dependencies")
    code, body = _post(client, _render())
    assert code == 200 and '"csrf_token"' in body and '"/privacy/export"' in body

    code, body = _post(client, _action(ui.PRIVACY_ERASE, JANE))
    assert code == 200
    response = json.loads(body)["response"]
    pending = response[ui.PRIVACY_PENDING]["data"]
    rows = privacy.find(services.warehouse, ws, JANE).rows_to_change()
    assert pending == {"email": "jane.doe@example.com", "rows": rows}
    assert (
        f"{rows} rows will change" in body and "d-none" not in response[ui.PRIVACY_CONFIRM_AREA]["className"]
    )
    assert privacy.find(services.warehouse, ws, JANE).tables  # nothing erased by the question

    # a confirmation for another address than the one asked about only asks again
    code, body = _post(client, _action(ui.PRIVACY_CONFIRM, "bob@example.com", pending))
    assert code == 200 and "Bob" not in body and "bob@example.com?" in body
    assert privacy.find(services.warehouse, ws, "bob@example.com").tables

    code, body = _post(client, _action(ui.PRIVACY_CONFIRM, JANE, pending))
    assert code == 200 and f"{rows} rows pseudonymised" in body
    dump = _text_dump(services, ws.id).lower()
    assert not any(t.lower() in dump for t in JANE_TRACES)
    assert _text_dump(services, other.id) == other_before
    with services.db.session() as db:
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "customer_erased")).one()
    assert (event.actor, event.outcome, event.workspace_id) == ("owner@acme.test", "ok", ws.id)


def test_owner_gets_a_message_for_bad_or_unknown_addresses(app, client, auth, filled):
    auth.login()
    client.get("/_dash-dependencies")
    code, body = _post(client, _action(ui.PRIVACY_ERASE, "x' OR '1'='1"))
    assert code == 200 and "is not an email address" in body
    code, body = _post(client, _action(ui.PRIVACY_ERASE, "nobody@example.com"))
    assert code == 200 and "holds nothing about nobody@example.com" in body


def test_owner_downloads_the_zip(app, client, auth, services, filled):
    auth.login()
    token = _csrf(client)
    response = client.post("/privacy/export", data={"email": JANE, "csrf_token": token})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=acme-customer-")
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert "payments.csv" in names and "manifest.json" in names
    assert client.post("/privacy/export", data={"email": JANE, "csrf_token": "forged"}).status_code == 400
    assert client.post("/privacy/export", data={"email": "nope", "csrf_token": token}).status_code == 400
    # never from a URL (GET falls through to the page shell, which holds no data)
    assert client.get(f"/privacy/export?email={JANE}").mimetype != "application/zip"


@pytest.mark.parametrize("member", MEMBERS)
def test_members_below_owner_get_nothing(app, client, auth, services, filled, member):
    ws, other = filled
    before = _text_dump(services, ws.id)
    auth.login(member)
    client.get("/_dash-dependencies")
    code, body = _post(client, _render())
    assert code == 200 and "Only owners" in body and "/privacy/export" not in body
    pending = {"email": "jane.doe@example.com", "rows": 11}
    for trigger in (ui.PRIVACY_ERASE, ui.PRIVACY_CONFIRM, ui.PRIVACY_CANCEL):
        code, body = _post(client, _action(trigger, JANE, pending))
        assert code == 200 and "Only owners" in body, trigger
        assert "rows" not in body and "payments" not in body
    response = client.post("/privacy/export", data={"email": JANE, "csrf_token": _csrf(client)})
    assert response.status_code == 403 and b"PK" not in response.data[:2]
    assert _text_dump(services, ws.id) == before
    with services.db.session() as db:
        events = db.scalars(select(AuditEvent).where(AuditEvent.action.like("customer_%"))).all()
        seen = sorted((e.action, e.outcome, e.actor) for e in events)
    assert seen == [("customer_erased", "denied", member), ("customer_exported", "denied", member)]


def test_strangers_get_nothing(client, filled):
    response = client.post("/privacy/export", data={"email": JANE})
    assert response.status_code in (302, 401)
    assert b"PK" not in response.data[:2]
