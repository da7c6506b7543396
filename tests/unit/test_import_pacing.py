"""Imports go behind page requests (issue 15: an import may slow other workspaces' pages by <= 20%)."""

from __future__ import annotations

import os
import sys
import threading
import time

import click
import pytest

from dashboard import control, jobs
from dashboard.ops import priority
from data import pacing
from data.connectors.base import Chunk
from tests.conftest import load, payments_frame


def _frame(first_id: int, rows: int):
    return payments_frame(
        [
            {"id": f"ch_{first_id + i}", "created": f"2026-03-{1 + i % 28:02d}T10:00:00", "amount": "10.00"}
            for i in range(rows)
        ]
    )


def test_pace001_an_import_pauses_between_chunks_before_rollups_and_before_checking_totals(
    services, workspace, monkeypatch
):
    from data.ingest import ingest_chunks

    calls = []
    monkeypatch.setattr(pacing, "_pause", lambda: calls.append("pause"))
    chunks = [Chunk("payments", _frame(0, 5), rows_read=5), Chunk("payments", _frame(5, 5), rows_read=5)]
    result = ingest_chunks(services.warehouse, workspace, chunks, source="stripe", name="two.csv")
    assert result.status == "ok" and result.inserted == 10
    assert len(calls) == 4  # after each of the 2 chunks, before the rollups, before the totals


def test_pace002_without_a_server_pauses_do_nothing(monkeypatch):
    monkeypatch.setattr(pacing, "_pause", None)
    pacing.pause()  # nothing installed: returns


def test_pace003_an_upload_job_waits_for_running_page_callbacks_then_imports(
    services, workspace, monkeypatch
):
    monkeypatch.setattr(priority, "IMPORT_STEP_MAX_WAIT_SECONDS", 30.0)
    registry = jobs.JobRegistry()
    page = priority.page_request_started()
    try:
        job = registry.start(
            lambda job: load(services, workspace, "payments", _frame(0, 3), name="upload.csv"),
            workspace_id=workspace.id,
            user_id=1,
            kind="upload",
            label="Upload",
        )
        time.sleep(1.0)
        assert job.running  # paused at its first break while the page callback runs
    finally:
        priority.page_request_ended(page)
    assert registry.wait(job, 30) and job.status == "done"
    count = (
        services.warehouse.cursor()
        .execute("SELECT count(*) FROM payments WHERE workspace_id = ?", [workspace.id])
        .fetchone()[0]
    )
    assert count == 3


def test_pace004_an_import_on_a_page_thread_never_waits(services, workspace, monkeypatch):
    monkeypatch.setattr(priority, "IMPORT_STEP_MAX_WAIT_SECONDS", 60.0)
    page = priority.page_request_started()
    try:
        done = threading.Event()
        worker = threading.Thread(
            target=lambda: (load(services, workspace, "payments", _frame(0, 3)), done.set())
        )
        worker.start()
        worker.join(30)
        assert done.is_set()  # a normal thread (the CLI on its own, a request) is never held back
    finally:
        priority.page_request_ended(page)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_pace005_a_delegated_import_command_runs_behind_pages_and_other_commands_do_not():
    seen = {}

    def record(name):
        seen[name] = (
            priority.on_background_thread(),
            os.getpriority(os.PRIO_PROCESS, threading.get_native_id()),
        )
        click.echo(f"{name} ran")

    group = click.Group(
        "pulseboard",
        commands=[
            click.Command("ingest", callback=lambda: record("ingest")),
            click.Command("metric", callback=lambda: record("metric")),
        ],
    )
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert control.run_in_process(group, ["ingest"], services=None) == (0, "ingest ran\n", "")
    assert control.run_in_process(group, ["metric"], services=None) == (0, "metric ran\n", "")
    assert seen["ingest"][0] and seen["ingest"][1] >= priority.BACKGROUND_NICE
    assert not seen["metric"][0] and seen["metric"][1] == before
    # the thread that served the request keeps its priority
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before
