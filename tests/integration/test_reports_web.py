"""Report downloads and the Reports page callbacks: roles and workspaces checked on the server."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from flask_login import login_user
from sqlalchemy import select

from dashboard.accounts import create_user, get_workspace
from dashboard.models import ReportRun, ReportSchedule, User
from reports.delivery import run_folder
from tests.conftest import PASSWORD, load, payments_frame

QUERY = "page=/revenue&range=custom&from=2026-01-01&to=2026-01-31&compare=previous_period"


@pytest.fixture
def seeded(services, workspace):
    rows = [
        {"id": f"p{i}", "created": f"2026-01-{1 + i:02d} 10:00", "amount": "10.00", "customer": f"c{i}"}
        for i in range(20)
    ]
    load(services, workspace, "payments", payments_frame(rows))
    with services.db.session() as db:
        create_user(db, "manager@acme.test", PASSWORD, workspace=get_workspace(db, "acme"), role="manager")
    return services


@contextmanager
def as_user(app, email: str):
    """A request context logged in as ``email`` (callbacks read the session's user)."""
    with app.server.test_request_context("/"):
        from dashboard.services import current_services

        with current_services().db.session() as db:
            login_user(db.scalar(select(User).where(User.email == email)))
        yield


@pytest.mark.parametrize(("fmt", "magic"), [("pdf", b"%PDF"), ("xlsx", b"PK"), ("csv", b"\xef\xbb\xbf")])
def test_reportweb001_analyst_downloads_the_current_view(app, client, auth, seeded, fmt, magic):
    auth.login("analyst@acme.test")
    response = client.get(f"/reports/export.{fmt}?{QUERY}")
    assert response.status_code == 200
    assert response.data.startswith(magic)
    assert f"acme-revenue-report-2026-01-01-2026-01-31.{fmt}" in response.headers["Content-Disposition"]


def test_reportweb002_viewers_and_strangers_get_nothing(app, client, auth, seeded):
    assert client.get(f"/reports/export.pdf?{QUERY}").status_code == 302  # to the log-in page
    auth.login("viewer@acme.test")
    assert client.get(f"/reports/export.pdf?{QUERY}").status_code == 403
    auth.logout()
    auth.login("analyst@acme.test")
    response = client.get("/reports/export.pdf?page=/nowhere")
    assert response.status_code == 400 and "no report for page '/nowhere'" in response.get_json()["error"]
    assert client.get(f"/reports/export.docx?{QUERY}").status_code == 404


def test_reportweb003_kept_files_only_for_their_workspace(
    app, client, auth, seeded, workspace, other_workspace
):
    with seeded.db.session() as db:
        run = ReportRun(
            workspace_id=workspace.id,
            occurrence_key="test:1",
            occurrence_at=datetime(2026, 2, 2, 7, tzinfo=UTC),
            status="sent",
            attempts=1,
            recipients="ann@acme.test",
            bytes=4,
            files_json="[]",
        )
        db.add(run)
        db.flush()
        folder = run_folder(seeded, workspace.id, run.id)
        folder.mkdir(parents=True)
        (folder / "r.pdf").write_bytes(b"%PDF")
        run.files_json = json.dumps(
            [{"format": "pdf", "name": "r.pdf", "path": str(folder / "r.pdf"), "bytes": 4}]
        )
        run_id = run.id
    auth.login("analyst@acme.test")
    assert client.get(f"/reports/runs/{run_id}/pdf").data == b"%PDF"
    assert client.get(f"/reports/runs/{run_id}/xlsx").status_code == 404
    auth.logout()
    auth.login("owner@globex.test")
    assert client.get(f"/reports/runs/{run_id}/pdf").status_code == 404


def _form(**overrides):
    values = dict(
        name="Weekly performance", preset="weekly", weekday="mon", day=1, hour=8, cron="", tz="Europe/Berlin",
        formats=["pdf"], recipients="ann@acme.test", subject="{report}", sections=["kpis", "revenue"],
        period="last_week", compare="previous_period", version=0,
    )  # fmt: skip
    values |= overrides
    return list(values.values())


def test_reportweb011_the_schedule_form_keeps_an_intro_text(app, seeded):
    from callbacks.reports import save_schedule
    from components import ids
    from components.reports import schedule_form
    from reports.store import list_schedules

    form = json.dumps(schedule_form("UTC").to_plotly_json(), default=lambda o: o.to_plotly_json())
    assert f'"id": "{ids.REPORTS_INTRO}"' in form
    with as_user(app, "manager@acme.test"):
        message, _ = save_schedule(1, *_form(), "y" * 2001)
    assert "Not saved: the intro text is 2,001 characters long; at most 2,000 are allowed" in str(message)
    with as_user(app, "manager@acme.test"):
        message, version = save_schedule(1, *_form(), "Hello {workspace},\nsee {period}.")
    assert message.startswith("Scheduled Weekly performance") and version == 1
    with seeded.db.session() as db:
        workspace_id = get_workspace(db, "acme").id
    (info,) = list_schedules(seeded, workspace_id)
    assert info["intro"] == "Hello {workspace},\nsee {period}."


def test_reportweb004_only_owners_and_managers_schedule(app, seeded):
    from callbacks.reports import save_schedule

    with as_user(app, "analyst@acme.test"):
        message, version = save_schedule(1, *_form())
    assert "Not saved" in str(message) and version is not None
    with seeded.db.session() as db:
        assert db.scalars(select(ReportSchedule)).all() == []
    with as_user(app, "manager@acme.test"):
        message, version = save_schedule(1, *_form())
    assert message == "Scheduled Weekly performance: every Monday at 08:00 (Europe/Berlin)." and version == 1
    with as_user(app, "manager@acme.test"):
        message, _ = save_schedule(1, *_form(recipients="nope", name="Other"))
    assert "recipient 'nope' is not an email address" in str(message)
    with seeded.db.session() as db:
        (schedule,) = db.scalars(select(ReportSchedule)).all()
        assert schedule.recipients == "ann@acme.test"


def test_reportweb005_preview_shows_the_metric_values(app, seeded):
    from callbacks.reports import preview

    with as_user(app, "viewer@acme.test"):
        shown, links = preview(1, ["kpis", "campaigns"], "last_month", "none")
    text = json.dumps(shown.to_plotly_json(), default=lambda o: o.to_plotly_json())
    assert "Net revenue" in text and "No campaigns data for" in text
    assert links == []  # viewers preview, analysts download
    with as_user(app, "analyst@acme.test"):
        _, links = preview(1, ["kpis"], "last_month", "none")
    assert [link.children for link in links] == ["Download PDF", "Download Excel", "Download CSV"]
    with as_user(app, "analyst@acme.test"):
        shown, _ = preview(1, ["kpis", "'; DROP TABLE"], "last_month", "none")
    assert "unknown section" in json.dumps(shown[0].to_plotly_json(), default=str)


def test_reportweb006_filter_bar_links_follow_the_page_for_analysts(app, seeded):
    from callbacks.reports import filter_bar_links

    with as_user(app, "analyst@acme.test"):
        pdf, xlsx, cls = filter_bar_links("/revenue", "?range=last_7_days&compare=none")
    assert pdf == "/reports/export.pdf?page=%2Frevenue&range=last_7_days&compare=none"
    assert xlsx.startswith("/reports/export.xlsx?") and "d-none" not in cls
    with as_user(app, "viewer@acme.test"):
        _, _, cls = filter_bar_links("/revenue", "")
    assert "d-none" in cls


def test_reportweb007_export_keeps_the_pages_own_filters():
    from datetime import date

    from dashboard.report_routes import export_spec

    spec = export_spec(
        {"page": "/revenue", "range": "last_month", "channel": "Email", "junk": "x"}, date(2026, 3, 5)
    )
    assert (spec.start, spec.end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert spec.filters == {"channel": "Email"} and spec.sections == ("kpis", "revenue", "customers")


def test_reportweb008_a_download_streams_from_its_file_and_leaves_nothing_behind(
    app, client, auth, seeded, tmp_path, monkeypatch
):
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    auth.login("analyst@acme.test")
    response = client.get(f"/reports/export.csv?{QUERY}")
    assert response.status_code == 200
    assert response.is_streamed  # sent in chunks from the file, not read into memory first
    lines = response.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith('"day","channel","product","country"') and len(lines) == 21  # header + 20 days
    assert list(scratch.iterdir()) == []  # the rendered file's folder is gone


@pytest.mark.parametrize(
    ("page", "name", "fmt", "magic"),
    [
        ("/forecasts", "forecasts-report", "pdf", b"%PDF"),
        ("/forecasts", "forecasts-report", "xlsx", b"PK"),
        ("/ai-performance", "ai-performance-report", "pdf", b"%PDF"),
        ("/ai-performance", "ai-performance-report", "xlsx", b"PK"),
    ],
)
def test_reportweb008_forecasts_and_ai_performance_download_like_every_page(
    app, client, auth, seeded, other_workspace, page, name, fmt, magic
):
    query = f"page={page}&range=custom&from=2026-01-01&to=2026-01-31"
    assert client.get(f"/reports/export.{fmt}?{query}").status_code == 302  # to the log-in page
    auth.login("viewer@acme.test")
    assert client.get(f"/reports/export.{fmt}?{query}").status_code == 403
    auth.logout()
    auth.login("analyst@acme.test")
    response = client.get(f"/reports/export.{fmt}?{query}")
    assert response.status_code == 200 and response.data.startswith(magic)
    assert f"acme-{name}-2026-01-01-2026-01-31.{fmt}" in response.headers["Content-Disposition"]
    auth.logout()
    # the workspace is the session's: another workspace's owner gets a report of their own
    auth.login("owner@globex.test")
    response = client.get(f"/reports/export.{fmt}?{query}&workspace=acme")
    assert response.status_code == 200
    assert f"globex-{name}-2026-01-01-2026-01-31.{fmt}" in response.headers["Content-Disposition"]


def test_reportweb009_forecasts_and_ai_performance_links_for_analysts(app, seeded):
    from callbacks.reports import filter_bar_links
    from dashboard.report_routes import export_spec

    for page in ("/forecasts", "/ai-performance"):
        with as_user(app, "analyst@acme.test"):
            pdf, xlsx, cls = filter_bar_links(page, "?metric=net_revenue&grain=month")
        assert pdf.startswith(f"/reports/export.pdf?page={page.replace('/', '%2F')}&metric=net_revenue")
        assert xlsx.startswith("/reports/export.xlsx?") and "d-none" not in cls
        with as_user(app, "viewer@acme.test"):
            assert "d-none" in filter_bar_links(page, "")[2]
    from datetime import date

    assert export_spec({"page": "/forecasts"}, date(2026, 3, 5)).sections == ("kpis", "forecast")
    assert export_spec({"page": "/ai-performance"}, date(2026, 3, 5)).sections == ("kpis", "insights")


def test_reportweb010_the_forecasts_page_has_the_download_links(app):
    import dash

    from components import ids

    page = next(p for p in dash.page_registry.values() if p["path"] == "/forecasts")
    layout = json.dumps(page["layout"]().to_plotly_json(), default=lambda o: o.to_plotly_json())
    for component_id in (ids.REPORT_DOWNLOADS, ids.REPORT_PDF_LINK, ids.REPORT_XLSX_LINK):
        assert f'"id": "{component_id}"' in layout
