"""Data sources page: callbacks called over HTTP as the browser would, per role and workspace."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import httpx
import pytest

from dashboard import connections, jobs
from dashboard.accounts import WorkspaceContext, create_user, get_workspace
from dashboard.models import Role
from data.connectors.api import API_CONNECTORS
from tests.conftest import PASSWORD, load, payments_frame
from tests.fakes.stripe import FakeStripe

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "vendor"
KEY = "sk_test_51FakeKeyForTests0000"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_real_handle_request = httpx.HTTPTransport.handle_request


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    def guarded(self, request):
        if request.url.host not in LOOPBACK:
            raise AssertionError(f"a request left loopback: {request.url.host}")
        return _real_handle_request(self, request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", guarded)


@pytest.fixture
def manager(services, workspace):
    with services.db.session() as db:
        create_user(db, "manager@acme.test", PASSWORD, workspace=get_workspace(db, "acme"), role="manager")
    return "manager@acme.test"


# -- calling callbacks the way dash-renderer does --------------------------------------------------
class Dash:
    """Posts to /_dash-update-component with the exact output key from /_dash-dependencies."""

    def __init__(self, client):
        self.client = client
        self.deps = None

    def call(self, output_contains: str, outputs, inputs, state=(), changed=None):
        if self.deps is None:
            self.deps = self.client.get("/_dash-dependencies").get_json()
        dep = next(d for d in self.deps if output_contains in d["output"])
        body = {
            "output": dep["output"],
            "outputs": outputs,
            "inputs": list(inputs),
            "state": list(state),
            "changedPropIds": changed if changed is not None else [_prop_id(inputs[0])],
        }
        return self.client.post("/_dash-update-component", json=body)


def _prop_id(item) -> str:
    item = item[0] if isinstance(item, list) else item
    ident = item["id"]
    ident = json.dumps(ident, separators=(",", ":"), sort_keys=True) if isinstance(ident, dict) else ident
    return f"{ident}.{item['property']}"


def out(id_, prop):
    return {"id": id_, "property": prop}


def inp(id_, prop, value):
    return {"id": id_, "property": prop, "value": value}


SOURCES = list(API_CONNECTORS)


def field_ids():
    return [
        {"type": "pb-src-field", "source": s, "field": f.name}
        for s, cls in API_CONNECTORS.items()
        for f in cls.CREDENTIAL_FIELDS
    ]


def upload(dash, paths_or_blobs, jobs_data=None):
    contents, names = [], []
    for item in paths_or_blobs:
        name, data = (item.name, item.read_bytes()) if isinstance(item, Path) else item
        contents.append("data:text/csv;base64," + base64.b64encode(data).decode())
        names.append(name)
    return dash.call(
        "pb-src-upload-alert.children",
        [
            out("pb-src-jobs", "data"),
            out("pb-src-jobs-poll", "disabled"),
            out("pb-src-upload-alert", "children"),
            out("pb-src-upload", "contents"),
        ],
        [inp("pb-src-upload", "contents", contents)],
        [inp("pb-src-upload", "filename", names), inp("pb-src-jobs", "data", jobs_data or {"ids": []})],
    )


def connector_action(dash, source, action, typed: dict[str, str] | None = None):
    typed = typed or {}
    actions = [
        {"type": "pb-src-action", "source": s, "action": a} for s in SOURCES for a in ("save", "test", "sync")
    ]
    fields = field_ids()
    trigger = {"type": "pb-src-action", "source": source, "action": action}
    return dash.call(
        "pb-src-message",
        [
            [out({"type": "pb-src-message", "source": s}, "children") for s in SOURCES],
            [out(f, "value") for f in fields],
            [out(f, "placeholder") for f in fields],
            out("pb-src-jobs", "data"),
            out("pb-src-jobs-poll", "disabled"),
            out("pb-src-refresh", "data"),
        ],
        [[inp(a, "n_clicks", 1 if a == trigger else 0) for a in actions]],
        [
            [inp(f, "value", typed.get(f["field"], "") if f["source"] == source else "") for f in fields],
            inp("pb-src-jobs", "data", {"ids": []}),
            inp("pb-src-refresh", "data", 0),
        ],
        changed=[_prop_id(inp(trigger, "n_clicks", 1))],
    )


def poll(dash, jobs_data):
    return dash.call(
        "pb-src-jobs-panel.children",
        [
            out("pb-src-jobs-panel", "children"),
            out("pb-src-jobs-poll", "disabled"),
            out("pb-src-refresh", "data"),
        ],
        [inp("pb-src-jobs-poll", "n_intervals", 1), inp("pb-src-jobs", "data", jobs_data)],
        [inp("pb-src-jobs-poll", "disabled", False), inp("pb-src-refresh", "data", 0)],
    )


def refresh(dash):
    return dash.call(
        "pb-src-runs.children",
        [
            out("pb-src-runs", "children"),
            out("pb-src-quarantine", "children"),
            [out({"type": "pb-src-status", "source": s}, "children") for s in SOURCES],
        ],
        [inp("pb-src-refresh", "data", 1)],
    )


def render(dash):
    return dash.call(
        "pb-src-upload-section.children",
        [out("pb-src-upload-section", "children"), out("pb-src-connectors", "children")],
        [inp("pb-src-init", "data", 0)],
    )


def download(dash):
    return dash.call(
        "pb-src-quarantine-download.data",
        out("pb-src-quarantine-download", "data"),
        [inp("pb-src-quarantine-button", "n_clicks", 1)],
    )


def wait_for_jobs(ids: list[str], workspace_id: int):
    for job in list(jobs.REGISTRY._jobs.values()):
        if job.id in ids and job.workspace_id == workspace_id:
            assert jobs.REGISTRY.wait(job, timeout=60)


def row_count(services, workspace, table="payments") -> int:
    cur = services.warehouse.cursor()
    return cur.execute(f"SELECT count(*) FROM {table} WHERE workspace_id = ?", [workspace.id]).fetchone()[0]


@pytest.fixture
def dash(client):
    return Dash(client)


# -- tests ---------------------------------------------------------------------------------------------
def test_src001_manager_upload_imports_a_real_export_with_progress_and_summary(
    dash, auth, services, workspace, manager, settings
):
    auth.login(manager)
    response = upload(dash, [FIXTURES / "stripe_payments_new.csv", FIXTURES / "ga4_traffic.csv"])
    assert response.status_code == 200
    body = response.get_json()["response"]
    job_ids = body["pb-src-jobs"]["data"]["ids"]
    assert len(job_ids) == 1 and body["pb-src-jobs-poll"]["disabled"] is False
    wait_for_jobs(job_ids, workspace.id)
    assert row_count(services, workspace) > 0 and row_count(services, workspace, "web_daily") > 0
    panel = poll(dash, {"ids": job_ids}).get_json()["response"]
    text = json.dumps(panel)
    assert (
        "stripe_payments_new.csv" in text
        and "ga4_traffic.csv" in text
        and '"Stripe"' in text
        and '"GA4"' in text
    )
    assert "Imported 2 files" in text
    assert panel["pb-src-jobs-poll"]["disabled"] is True  # all done: polling stops
    assert panel["pb-src-refresh"]["data"] == 1  # and the tables reload
    assert str(settings.data_path) not in text  # no server paths in the browser
    assert list((settings.data_path / "uploads").iterdir()) == []  # temp files removed
    runs = json.dumps(refresh(dash).get_json())
    assert "stripe_payments_new.csv" in runs


def test_src011_analysts_may_upload_files_too(dash, auth, services, workspace):
    auth.login("analyst@acme.test")
    body = upload(dash, [FIXTURES / "stripe_payments_new.csv"]).get_json()["response"]
    wait_for_jobs(body["pb-src-jobs"]["data"]["ids"], workspace.id)
    assert row_count(services, workspace) > 0


def test_src002_unknown_file_is_refused_with_the_reason(dash, auth, services, workspace, manager, settings):
    auth.login(manager)
    body = upload(dash, [("notes.csv", b"hello,world\n1,2\n")]).get_json()["response"]
    job_ids = body["pb-src-jobs"]["data"]["ids"]
    wait_for_jobs(job_ids, workspace.id)
    text = json.dumps(poll(dash, {"ids": job_ids}).get_json())
    assert "Refused" in text and "notes.csv" in text and str(settings.data_path) not in text


@pytest.mark.parametrize("email", ["viewer@acme.test"])
def test_src003_viewer_uploads_are_refused_server_side(dash, auth, services, workspace, settings, email):
    auth.login(email)
    response = upload(dash, [FIXTURES / "stripe_payments_new.csv"])
    assert response.status_code == 200
    body = response.get_json()["response"]
    assert "pb-src-jobs" not in body  # no job started
    assert "needs the analyst role or higher" in json.dumps(body)
    assert row_count(services, workspace) == 0
    uploads = settings.data_path / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []
    render_text = json.dumps(render(dash).get_json())
    assert 'pb-src-upload"' not in render_text and "needs the analyst role or higher" in render_text


@pytest.mark.parametrize("email", ["analyst@acme.test", "manager@acme.test"])
def test_src004_only_owners_save_test_or_sync_connectors(dash, auth, services, workspace, manager, email):
    auth.login(email)
    for action in ("save", "test", "sync"):
        body = connector_action(dash, "stripe", action, {"secret_key": KEY}).get_json()["response"]
        assert "Only owners" in json.dumps(body)
        assert "pb-src-jobs" not in body
    assert connections.list_connections(services, workspace.id) == []
    render_text = json.dumps(render(dash).get_json())
    assert "Only owners of this workspace" in render_text and "pb-src-action" not in render_text


def test_src005_secrets_never_appear_in_any_callback_response(dash, auth, services, workspace):
    with FakeStripe(api_key=KEY) as api:
        now = int(time.time()) - 86400
        api.add_charge("ch_ui", 2500, "usd", now, fee=100)
        owner = WorkspaceContext(user_id=1, role=Role.OWNER, workspace=workspace)
        connections.save_connection(
            services, owner, "stripe", {"secret_key": "sk_test_placeholder000000"}, base_url=api.url
        )
        auth.login("owner@acme.test")
        responses = [connector_action(dash, "stripe", "save", {"secret_key": KEY})]
        saved = responses[0].get_json()["response"]
        assert "saved" in json.dumps(saved)
        responses.append(connector_action(dash, "stripe", "test"))
        assert "Connected to Stripe (test mode)." in json.dumps(responses[-1].get_json())
        responses.append(connector_action(dash, "stripe", "sync"))
        job_ids = responses[-1].get_json()["response"]["pb-src-jobs"]["data"]["ids"]
        wait_for_jobs(job_ids, workspace.id)
        responses += [poll(dash, {"ids": job_ids}), refresh(dash), render(dash)]
        assert "ch_ui" in json.dumps(
            [
                r["source_id"]
                for r in services.warehouse.cursor().execute("SELECT source_id FROM payments").pl().to_dicts()
            ]
        )
    texts = [json.dumps(r.get_json(), ensure_ascii=False) for r in responses]
    assert all(r.status_code == 200 for r in responses)
    for text in texts:
        assert KEY not in text and "FakeKeyForTests" not in text
    assert "sk_…0000" in texts[-1]  # the masked hint is what the form shows
    assert "Stripe API" in texts[3]  # the sync's result reached the panel


def test_src006_quarantine_list_and_csv_download_contain_the_rejected_rows(dash, auth, services, workspace):
    load(
        services,
        workspace,
        "payments",
        payments_frame(
            [
                {"id": "good1", "created": "2026-01-02 10:00", "amount": "10.00"},
                {"id": "bad_neg", "created": "2026-01-02 11:00", "amount": "-5.00"},
                {"id": "bad_cur", "created": "2026-01-02 12:00", "amount": "7.00", "currency": "XXQ"},
            ]
        ),
        name="january.csv",
    )
    auth.login("analyst@acme.test")
    listing = json.dumps(refresh(dash).get_json())
    assert "negative amount" in listing and "unknown currency code" in listing and "january.csv" in listing
    data = download(dash).get_json()["response"]["pb-src-quarantine-download"]["data"]
    assert data["filename"] == "rejected-rows-acme.csv"
    lines = data["content"].splitlines()
    assert lines[0].startswith("file,row,column,reason,source,run_id")
    assert len(lines) == 3
    assert any("bad_neg" in line and "negative amount" in line for line in lines)
    assert any("bad_cur" in line and "XXQ" in line for line in lines)


def test_src007_viewers_get_no_rejected_rows(dash, auth, services, workspace):
    load(
        services,
        workspace,
        "payments",
        payments_frame([{"id": "bad_neg", "created": "2026-01-02 11:00", "amount": "-5.00"}]),
        name="january.csv",
    )
    auth.login("viewer@acme.test")
    listing = json.dumps(refresh(dash).get_json())
    assert "january.csv" in listing  # the run history is for everyone
    assert "negative amount" not in listing and "analysts, managers and owners" in listing
    response = download(dash)
    assert response.status_code == 204 and not response.get_data()


def test_src008_another_workspaces_runs_quarantine_and_jobs_stay_invisible(
    dash, auth, services, workspace, other_workspace
):
    load(
        services,
        other_workspace,
        "payments",
        payments_frame(
            [
                {"id": "g_bad", "created": "2026-01-02 11:00", "amount": "-99.00", "currency": "EUR"},
                {"id": "g_ok", "created": "2026-01-02 11:00", "amount": "99.00", "currency": "EUR"},
            ]
        ),
        name="globex-private.csv",
    )
    foreign = jobs.REGISTRY.start(
        lambda job: None,
        workspace_id=other_workspace.id,
        user_id=999,
        kind="upload",
        label="Importing globex-secret-job.csv",
    )
    jobs.REGISTRY.wait(foreign)
    auth.login("owner@acme.test")
    texts = [
        refresh(dash).get_data(as_text=True),
        download(dash).get_data(as_text=True),
        poll(dash, {"ids": [foreign.id, "garbage", 5]}).get_data(as_text=True),
    ]
    for text in texts:
        assert "globex" not in text and "g_bad" not in text
    panel = json.loads(texts[2])["response"]["pb-src-jobs-panel"]["children"]
    assert panel == []


def test_src009_page_is_registered_and_served(client, auth, workspace):
    import dash as dash_module

    auth.login()
    assert client.get("/sources").status_code == 200
    page = next(p for p in dash_module.page_registry.values() if p["path"] == "/sources")
    assert (page["name"], page["order"]) == ("Data sources", 7)


def test_src010_secret_inputs_are_always_empty_password_fields():
    from components.sources import connector_form

    spec = {
        "source": "stripe",
        "label": "Stripe",
        "fields": [
            {"name": "secret_key", "label": "Secret key", "secret": True, "help": "", "required": True},
            {"name": "account", "label": "Account", "secret": False, "help": "", "required": False},
        ],
    }
    form = connector_form(spec, {"secret_key": "sk_…0000", "account": "acct_1"})
    text = json.dumps(form.to_plotly_json(), default=lambda o: o.to_plotly_json(), ensure_ascii=False)
    assert '"type": "password"' in text and '"value": ""' in text
    assert "saved: sk_…0000" in text and "acct_1" in text


def test_src012_a_finished_import_queues_the_kpi_projections(dash, auth, services, workspace, monkeypatch):
    from callbacks import kpi_projections

    warmed = []
    monkeypatch.setattr(kpi_projections, "warm", lambda svc, ctx: warmed.append(ctx.workspace.id))
    auth.login("analyst@acme.test")
    body = upload(dash, [FIXTURES / "stripe_payments_new.csv"]).get_json()["response"]
    wait_for_jobs(body["pb-src-jobs"]["data"]["ids"], workspace.id)
    assert row_count(services, workspace) > 0
    assert warmed == [workspace.id]  # once, after the rows are in, for this workspace
