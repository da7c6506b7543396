"""Closing the services while background work still reads the warehouse (Services.close).

A page warm-up, a KPI card's projection or a job runs on its own thread after the request that
started it. DuckDB closed under a query running on another thread crashed the whole process
(CI died with a segfault in a test after an import's warm-up). close() now interrupts that
work, waits for it to leave, and only then closes the warehouse.
"""

from __future__ import annotations

import os
import threading
import time

import duckdb

from dashboard.forecast.cards import Runner
from dashboard.services import Services
from dashboard.settings import Settings
from tests.integration.real_engines import postgres_databases

#: a query that would run for hours: only an interrupt ends it
ENDLESS_DUCKDB = "SELECT sum(hash(i)) FROM range(1000000000000) t(i)"


def _start_endless(services: Services, sql: str, runner: Runner) -> tuple[threading.Event, list]:
    """Start ``sql`` as background work of ``services``; (started, what it raised)."""
    started, raised = threading.Event(), []

    def work() -> None:
        cur = services.warehouse.cursor()
        started.set()
        try:
            cur.execute(sql).fetchall()
        except Exception as exc:
            raised.append(exc)
            raise

    assert runner.submit("endless", 1, work, owner=services)
    assert started.wait(30)
    return started, raised


def test_clo001_close_interrupts_a_background_query_and_then_closes_the_warehouse(settings):
    services = Services(settings)
    runner = Runner()
    _, raised = _start_endless(services, ENDLESS_DUCKDB, runner)
    time.sleep(0.3)  # inside DuckDB now
    services.close()
    # the process is still here, the query was interrupted in its own thread, the file is free
    assert raised and isinstance(raised[0], duckdb.InterruptException)
    assert services.open_warehouse is None
    assert runner.pending() == 0
    reopened = Services(settings)  # the file lock went with the close
    assert reopened.warehouse.cursor().execute("SELECT 1").fetchone() == (1,)
    reopened.close()


def test_clo002_work_asked_for_after_close_never_touches_the_stores(settings):
    services = Services(settings)
    services.warehouse  # noqa: B018 (opened, as in a running server)
    services.close()
    ran = threading.Event()
    runner = Runner()
    assert runner.submit("late", 1, ran.set, owner=services)
    deadline = time.monotonic() + 10
    while runner.pending() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not ran.is_set()
    with services.background_work() as alive:
        assert alive is False


def test_clo003_close_waits_for_a_task_between_two_queries(settings):
    """A task that starts its next query after the first interrupt is interrupted again."""
    services = Services(settings)
    services.warehouse  # noqa: B018
    steps: list[str] = []
    inside = threading.Event()

    def work() -> None:
        cur = services.warehouse.cursor()
        for step in ("first", "second"):
            try:
                inside.set()
                cur.execute(ENDLESS_DUCKDB).fetchall()
            except duckdb.InterruptException:
                steps.append(step)  # ... and carries on, as a careless task would

    runner = Runner()
    assert runner.submit("two", 1, work, owner=services)
    assert inside.wait(30)
    time.sleep(0.3)
    services.close()
    assert steps == ["first", "second"]
    assert services.open_warehouse is None


def test_clo004_a_task_that_will_not_stop_keeps_the_warehouse_open_instead_of_crashing(settings):
    services = Services(settings)
    services.warehouse  # noqa: B018
    release = threading.Event()

    def stubborn() -> None:  # outside DuckDB, so no interrupt reaches it
        release.wait(30)

    runner = Runner()
    assert runner.submit("stubborn", 1, stubborn, owner=services)
    deadline = time.monotonic() + 10
    while not services._background and time.monotonic() < deadline:
        time.sleep(0.01)
    services.close(grace_seconds=0.5)
    assert services.open_warehouse is not None  # left open: closing it under the task could crash
    release.set()
    services.open_warehouse.close()


def test_clo005_postgres_close_cancels_a_background_statement(tmp_path, monkeypatch):
    with postgres_databases("pb_close_test") as (url,):
        for key in list(os.environ):  # (after the test server's URL was read)
            if key.startswith("PULSEBOARD_"):
                monkeypatch.delenv(key)
        services = Services(Settings(data_dir=tmp_path / "var", warehouse_url=url))
        runner = Runner()
        _, raised = _start_endless(services, "SELECT pg_sleep(600)", runner)
        time.sleep(0.3)
        started = time.monotonic()
        services.close()
        assert time.monotonic() - started < 60  # cancelled, not slept out
        assert raised, "the statement was cancelled and raised in its own thread"
        assert services.open_warehouse is None
