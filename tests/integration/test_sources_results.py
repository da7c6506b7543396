"""Data sources page: refusals say why in one line, names are the user's, re-uploads add nothing twice.

Callback bodies are called over HTTP as the browser would (helpers from test_sources).
"""

from __future__ import annotations

import json

import pytest

from components import sources as ui
from tests.integration.test_sources import Dash, poll, refresh, upload, wait_for_jobs
from tests.integration.test_sources import manager as _manager_fixture

manager = _manager_fixture  # the same fixture: a manager of workspace acme


@pytest.fixture
def dash(client):
    return Dash(client)


STRIPE = (
    b"id,Created date (UTC),Amount,Amount Refunded,Currency,Status,Fee\n"
    b"ch_1,2026-03-01 10:00:00,100.00,0.00,usd,Paid,3.20\n"
    b"ch_2,yesterday,50.00,0.00,usd,Paid,1.75\n"
)


def _upload_and_wait(dash, files, workspace, jobs_data=None) -> dict:
    body = upload(dash, files, jobs_data).get_json()["response"]
    ids = body["pb-src-jobs"]["data"]["ids"]
    wait_for_jobs(ids, workspace.id)
    return {"ids": ids}


def _texts(component) -> list[str]:
    """Every string in a serialised component tree, in order."""
    out: list[str] = []

    def walk(node):
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            walk(node.get("props", {}).get("children"))

    walk(component)
    return out


def test_srr001_a_refused_file_is_not_headed_imported_and_says_why_in_one_line(
    dash, auth, workspace, manager
):
    auth.login(manager)
    jobs_data = _upload_and_wait(dash, [("notes.csv", b"hello,world\n1,2\n")], workspace)
    panel = poll(dash, jobs_data).get_json()["response"]["pb-src-jobs-panel"]["children"]
    texts = _texts(panel)
    assert "Not imported: notes.csv" in texts
    assert not any(t.startswith("Imported") for t in texts)
    [reason] = [t for t in texts if "not a recognised export" in t]
    assert reason == "notes.csv: not a recognised export."  # one line: the formats are folded away
    assert "Which files can I import?" in texts
    assert any(t.startswith("Stripe payments (") for t in texts)  # ... behind that link
    runs = refresh(dash).get_json()["response"]["pb-src-runs"]["children"]
    assert "notes.csv: not a recognised export." in _texts(runs)


def test_srr002_history_and_rejections_use_the_users_names(dash, auth, services, workspace, manager):
    auth.login(manager)
    _upload_and_wait(dash, [("payments.csv", STRIPE)], workspace)
    response = refresh(dash).get_json()["response"]
    text = json.dumps(response)
    assert "000-" not in text and "payments.csv" in text
    rejected = services.warehouse.cursor().execute("SELECT file_name, column_name FROM quarantine").fetchall()
    assert rejected == [("payments.csv", "Created date (UTC)")]  # the file's own header, not "created"
    assert "Created date (UTC)" in _texts(response["pb-src-quarantine"]["children"])


def test_srr003_reuploading_a_file_does_not_add_its_rejected_rows_again(
    dash, auth, services, workspace, manager
):
    auth.login(manager)
    first = _upload_and_wait(dash, [("payments.csv", STRIPE)], workspace)
    _upload_and_wait(dash, [("payments.csv", STRIPE)], workspace, first)
    count = services.warehouse.cursor().execute("SELECT count(*) FROM quarantine").fetchone()[0]
    assert count == 1


def test_srr004_result_panels_do_not_pile_up(dash, auth, workspace, manager):
    auth.login(manager)
    first = _upload_and_wait(dash, [("payments.csv", STRIPE)], workspace)
    body = upload(dash, [("again.csv", STRIPE)], first).get_json()["response"]
    ids = body["pb-src-jobs"]["data"]["ids"]
    assert len(ids) == 1 and ids != first["ids"]  # the finished job's panel is replaced


def test_srr005_partly_refused_upload_counts_what_was_imported():
    job = {
        "kind": "upload",
        "status": "done",
        "label": "2 files",
        "total": 2,
        "results": [{"status": "ok"}, {"status": "refused"}],
    }
    assert ui.job_title(job) == "Imported 1 of 2 files"
    assert ui.job_title({**job, "results": [{"status": "ok"}, {"status": "partial"}]}) == "Imported 2 files"


def test_srr006_history_shows_whether_totals_match_the_file(dash, auth, workspace, manager):
    auth.login(manager)
    good = b"id,Created date (UTC),Amount,Amount Refunded,Currency,Status,Fee\nch_1,2026-03-01 10:00:00,100.00,0.00,usd,Paid,3.20\n"
    jobs_data = _upload_and_wait(dash, [("good.csv", good)], workspace)
    panel = _texts(poll(dash, jobs_data).get_json()["response"]["pb-src-jobs-panel"]["children"])
    assert "Totals: matches the file." in panel
    jpy = good + b"ch_2,2026-03-02 10:00:00,5.00,0.00,jpy,Paid,0.10\n"  # no JPY rate: rejected
    _upload_and_wait(dash, [("jpy.csv", jpy)], workspace)
    runs = _texts(refresh(dash).get_json()["response"]["pb-src-runs"]["children"])
    assert "Totals: matches the file." in runs
    assert any(t.startswith("Totals: differs from the file: rows payments: file 2, imported 1") for t in runs)
