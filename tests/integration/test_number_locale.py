"""A workspace's number locale: owners choose it on Settings; pages, PDF, email follow it; CSV does not.

The choice is checked on the server (owner role, an offered locale) and audited; a request
resolves it from the session's workspace and the next request on the same thread starts in
en-US again, so one workspace's "1.234,56 €" never shows in another's page.
"""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import select

from callbacks import settings as cb
from components.formatting import DEFAULT_LOCALE, current_locale, format_value, numbers_as
from dashboard.accounts import WorkspaceContext, create_user, to_ref
from dashboard.auth import PermissionDenied
from dashboard.cli import cli
from dashboard.models import AuditEvent, Role, User, Workspace
from reports.assemble import assemble
from reports.definition import ReportSpec
from reports.email import build_message
from tests.conftest import PASSWORD, load, payments_frame
from tests.integration.test_callbacks_security import _kpi_request


def _ctx(services, workspace, email: str, role: Role) -> WorkspaceContext:
    with services.db.session() as db:
        user_id = db.scalar(select(User.id).where(User.email == email))
        ref = to_ref(db.get(Workspace, workspace.id))
    return WorkspaceContext(user_id=user_id, role=role, workspace=ref)


def _stored(services, workspace) -> str:
    with services.db.session() as db:
        return db.get(Workspace, workspace.id).locale


def _events(services, workspace) -> list[tuple[str, str, str]]:
    with services.db.session() as db:
        rows = db.scalars(
            select(AuditEvent)
            .where(AuditEvent.workspace_id == workspace.id, AuditEvent.action == "number_locale_changed")
            .order_by(AuditEvent.id)
        )
        return [(e.actor, e.outcome, e.detail) for e in rows]


def _set_locale(services, workspace, tag: str):
    with services.db.session() as db:
        db.get(Workspace, workspace.id).locale = tag
    return to_ref_of(services, workspace)


def to_ref_of(services, workspace):
    with services.db.session() as db:
        return to_ref(db.get(Workspace, workspace.id))


# -- the setting -------------------------------------------------------------------------------------
def test_nloc001_owner_sets_the_locale_and_it_is_audited(services, workspace):
    owner = _ctx(services, workspace, "owner@acme.test", Role.OWNER)
    assert _stored(services, workspace) == DEFAULT_LOCALE
    assert cb.save_number_locale(services, owner, "de_DE") == "de-DE"
    assert _stored(services, workspace) == "de-DE"
    assert _events(services, workspace) == [("owner@acme.test", "ok", "en-US -> de-DE")]


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ANALYST, Role.VIEWER])
def test_nloc002_only_owners_change_it(services, workspace, role):
    ctx = _ctx(services, workspace, "analyst@acme.test", role)
    with pytest.raises(PermissionDenied, match="only owners"):
        cb.save_number_locale(services, ctx, "de-DE")
    assert _stored(services, workspace) == DEFAULT_LOCALE
    assert _events(services, workspace) == [("analyst@acme.test", "denied", "-> 'de-DE'")]


@pytest.mark.parametrize("bad", ["xx-YY", "de", "", None, 7, "de-DE'; DROP TABLE workspaces", ["de-DE"]])
def test_nloc003_a_locale_that_is_not_offered_is_refused(services, workspace, bad):
    owner = _ctx(services, workspace, "owner@acme.test", Role.OWNER)
    with pytest.raises(ValueError, match="unknown number format"):
        cb.save_number_locale(services, owner, bad)
    assert _stored(services, workspace) == DEFAULT_LOCALE


def _choose(value) -> dict:
    return {
        "output": "pb-settings-numbers-message.children",
        "outputs": {"id": "pb-settings-numbers-message", "property": "children"},
        "inputs": [{"id": "pb-settings-number-locale", "property": "value", "value": value}],
        "changedPropIds": ["pb-settings-number-locale.value"],
        "state": [],
    }


def test_nloc004_over_http_owner_yes_analyst_no(client, auth, services, workspace):
    auth.login("analyst@acme.test")
    response = client.post("/_dash-update-component", json=_choose("fr-FR"))
    assert response.status_code == 200
    assert "Only owners change the number format; you are analyst." in json.dumps(response.get_json())
    assert _stored(services, workspace) == DEFAULT_LOCALE
    auth.logout()
    auth.login("owner@acme.test")
    response = client.post("/_dash-update-component", json=_choose("xx-YY"))
    assert "Unknown number format" in json.dumps(response.get_json())
    response = client.post("/_dash-update-component", json=_choose("fr-FR"))
    body = json.dumps(response.get_json(), ensure_ascii=False)
    assert "Numbers are now written as French (France)" in body
    assert "\u22121\u202f234,56\u00a0$" in body  # the sample amount, in the workspace currency
    assert _stored(services, workspace) == "fr-FR"


def _render_numbers(client) -> str:
    body = {
        "output": "pb-settings-numbers.children",
        "outputs": {"id": "pb-settings-numbers", "property": "children"},
        "inputs": [{"id": "pb-settings-init", "property": "data", "value": 0}],
        "changedPropIds": ["pb-settings-init.data"],
        "state": [],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    return json.dumps(response.get_json(), ensure_ascii=False)


def test_nloc005_settings_shows_a_select_to_owners_and_text_to_others(client, auth, services, workspace):
    _set_locale(services, workspace, "de-DE")
    auth.login("owner@acme.test")
    owner_view = _render_numbers(client)
    assert '"type": "Select"' in owner_view and '"value": "de-DE"' in owner_view
    assert "German (Germany) — \u22121.234,56\u00a0$ · 12,5\u00a0% · 12.345" in owner_view
    auth.logout()
    auth.login("viewer@acme.test")
    viewer_view = _render_numbers(client)
    assert '"type": "Select"' not in viewer_view
    assert "German (Germany)" in viewer_view and "Only owners change this; you are a viewer." in viewer_view


# -- pages follow it, one request at a time ------------------------------------------------------------
def _kpis(client) -> str:
    store = {"range": "last_7_days", "start": str(date.today() - timedelta(days=6)), "end": str(date.today()),
             "compare": None, "grain": "day"}  # fmt: skip
    response = client.post("/_dash-update-component", json=_kpi_request(store))
    assert response.status_code == 200
    return json.dumps(response.get_json(), ensure_ascii=False)


def _use_workspace(client, workspace) -> None:
    with client.session_transaction() as session:
        session["workspace_id"] = workspace.id


def test_nloc006_kpi_cards_follow_the_callers_workspace_only(
    app, client, auth, services, workspace, other_workspace
):
    app.server.extensions["pulseboard"] = services
    created = f"{date.today() - timedelta(days=1)} 12:00"
    for ws in (workspace, other_workspace):
        row = {"id": "p1", "created": created, "amount": "1234.56", "currency": ws.currency}
        load(services, ws, "payments", payments_frame([row]))
    _set_locale(services, other_workspace, "de-DE")
    with services.db.session() as db:  # Globex's owner (de-DE) is an analyst of Acme (en-US) too
        create_user(
            db, "owner@globex.test", PASSWORD, workspace=db.get(Workspace, workspace.id), role="analyst"
        )
    with numbers_as("de-DE"):
        german = {format_value(1234.56, "currency", "EUR", compact=c) for c in (False, True)}
    english = {format_value(1234.56, "currency", "USD", compact=c) for c in (False, True)}
    auth.login("owner@globex.test")
    _use_workspace(client, other_workspace)
    globex = _kpis(client)
    assert any(t in globex for t in german) and not any(t in globex for t in english)
    # the same thread serves the next request, for the other workspace, in that one's numbers
    _use_workspace(client, workspace)
    acme = _kpis(client)
    assert any(t in acme for t in english) and not any(t in acme for t in german)
    assert current_locale() == DEFAULT_LOCALE  # nothing leaks out of a request into this thread


# -- reports -----------------------------------------------------------------------------------------
@pytest.fixture
def german(services, workspace):
    rows = [
        {
            "id": f"p{i}",
            "created": f"2026-01-{1 + i % 28:02d} 10:00",
            "amount": "1234.56",
            "customer": f"c{i}",
        }
        for i in range(30)
    ]
    rows += [{"id": "r1", "created": "2026-01-05 10:00", "amount": "-99.90", "customer": "c1"}]
    load(services, workspace, "payments", payments_frame(rows))
    return _set_locale(services, workspace, "de-DE")


def _run(services, *args):
    result = CliRunner().invoke(cli, list(args), obj=services, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_nloc007_pdf_of_a_de_workspace_reads_german_numbers(services, german, tmp_path):
    out = tmp_path / "r.pdf"
    _run(services, "report", "render", "--workspace", "acme", "--format", "pdf", "--out", str(out),
         "--from", "2026-01-01", "--to", "2026-01-31", "--sections", "kpis,revenue")  # fmt: skip
    text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    value = json.loads(
        _run(
            services,
            "metric",
            "gross_revenue",
            "--workspace",
            "acme",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--json",
        )  # fmt: skip
    )["rows"][0]["value"]
    assert value == pytest.approx(30 * 1234.56)  # the CLI's JSON keeps a plain number
    with numbers_as("de-DE"):
        expected = format_value(value, "currency", "USD")
    assert expected.split("\u00a0")[0] == "37.036,80"
    assert "37.036,80" in text, text[:800]
    assert "$37,036.80" not in text


def test_nloc008_csv_stays_a_machine_format(services, german, tmp_path):
    out = tmp_path / "r.csv"
    _run(services, "report", "render", "--workspace", "acme", "--format", "csv", "--out", str(out),
         "--from", "2026-01-01", "--to", "2026-01-31", "--sections", "revenue")  # fmt: skip
    rows = list(csv.DictReader(out.open(newline="", encoding="utf-8")))
    gross = [r["gross"] for r in rows if r.get("gross")]
    assert gross and all("," not in g for g in gross) and any("." in g for g in gross)


def test_nloc009_email_briefing_in_the_workspace_locale(services, german, tmp_path):
    spec = ReportSpec(sections=("kpis",), period="custom", start=date(2026, 1, 1), end=date(2026, 1, 31))
    data = assemble(services.warehouse.scoped(german), spec)
    message = build_message(
        data, sender="r@acme.test", recipients=["o@acme.test"], subject="s", intro="", attachments=[]
    )
    text = message.get_body(("plain",)).get_content()
    assert "37.036,80" in text
    assert current_locale() == DEFAULT_LOCALE  # the render's locale ends with it


@pytest.fixture
def german_partner(services, workspace):
    """A de-DE workspace whose January revenue comes mostly from one channel (a concentration insight)."""
    rows = [
        {"id": f"p{i}", "created": f"2026-01-{1 + i % 28:02d} 10:00", "amount": "1234.56",
         "customer": f"c{i}", "channel": "Partner" if i % 10 else "Organic"}
        for i in range(40)
    ]  # fmt: skip
    load(services, workspace, "payments", payments_frame(rows))
    return _set_locale(services, workspace, "de-DE")


def test_nloc010_insights_briefing_in_the_workspace_locale(services, german_partner, tmp_path):
    spec = ReportSpec(sections=("insights",), period="custom", start=date(2026, 1, 1), end=date(2026, 1, 31))
    data = assemble(services.warehouse.scoped(german_partner), spec)
    [table] = data.sections[0].tables
    headlines = [row[0] for row in table.rows]
    assert "90,0\u00a0% of net revenue comes from channel “Partner”" in headlines, headlines
    message = build_message(
        data, sender="r@acme.test", recipients=["o@acme.test"], subject="s", intro="", attachments=[]
    )
    assert "90,0\u00a0% of net revenue" in message.get_body(("plain",)).get_content()
    out = tmp_path / "r.pdf"
    _run(services, "report", "render", "--workspace", "acme", "--format", "pdf", "--out", str(out),
         "--from", "2026-01-01", "--to", "2026-01-31", "--sections", "insights")  # fmt: skip
    text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    assert "90,0" in text and "90.0%" not in text, text[:800]
