"""Graceful shutdown in-process: the registry stops taking jobs, waits for running ones, then stops."""

from __future__ import annotations

import signal
import threading

import pytest

from dashboard.jobs import JobRefused, JobRegistry, ShuttingDown
from dashboard.ops.shutdown import GracefulShutdown


def _blocked_job(registry: JobRegistry, release: threading.Event, kind="upload"):
    return registry.start(
        lambda job: release.wait(10), workspace_id=1, user_id=1, kind=kind, label="orders.csv"
    )


def test_shd001_a_closed_registry_refuses_new_jobs_and_lets_running_ones_finish():
    registry, release = JobRegistry(), threading.Event()
    job = _blocked_job(registry, release)
    registry.close()
    with pytest.raises(ShuttingDown, match="restarting") as refused:
        registry.start(lambda job: None, workspace_id=2, user_id=2, kind="sync", label="stripe")
    assert isinstance(refused.value, JobRefused)  # callbacks show JobRefused's message to the user
    assert registry.running() == [job]
    release.set()
    assert registry.wait_idle(10) == []
    assert job.status == "done"


def test_shd002_wait_idle_gives_up_after_its_timeout_and_names_the_running_jobs():
    registry, release = JobRegistry(), threading.Event()
    job = _blocked_job(registry, release)
    try:
        assert registry.wait_idle(0.05) == [job]
    finally:
        release.set()
        registry.wait(job)


def test_shd003_drain_waits_for_running_jobs_then_stops_once():
    registry, release = JobRegistry(), threading.Event()
    job = _blocked_job(registry, release)
    stops, hooks = [], []
    shutdown = GracefulShutdown(
        registry, grace=30, on_drain=[lambda: hooks.append("scheduler")], stop=lambda: stops.append(1)
    )
    shutdown.handle(signal.SIGTERM)  # starts the drain on its own thread and returns at once
    assert shutdown.draining.is_set()
    # Still serving: the job is running and nothing stopped, whatever time passes.
    assert not shutdown.drained.wait(0.2) and stops == [] and job.running
    assert registry.closed and hooks == ["scheduler"]
    release.set()
    assert shutdown.drained.wait(10)
    assert stops == [1] and shutdown.abandoned == [] and job.status == "done"
    with pytest.raises(SystemExit) as stopped:  # the drain's own interrupt ends the server loop
        shutdown.handle(signal.SIGTERM)
    assert stopped.value.code == 0


def test_shd004_drain_stops_after_the_grace_period_with_the_job_abandoned(caplog):
    registry, release = JobRegistry(), threading.Event()
    job = _blocked_job(registry, release, kind="sync")
    stops = []
    try:
        with caplog.at_level("INFO", logger="pulseboard.shutdown"):
            abandoned = GracefulShutdown(registry, grace=0.05, stop=lambda: stops.append(1)).drain()
        assert abandoned == [job] and stops == [1]
        assert "1 job(s) still running: sync 'orders.csv'" in caplog.text
    finally:
        release.set()
        registry.wait(job)


def test_shd005_a_second_signal_stops_at_once():
    registry, release = JobRegistry(), threading.Event()
    job = _blocked_job(registry, release)
    shutdown = GracefulShutdown(registry, grace=30, stop=lambda: None)
    try:
        shutdown.handle(signal.SIGINT)
        with pytest.raises(SystemExit):
            shutdown.handle(signal.SIGINT)
        assert shutdown.abandoned == [job]
    finally:
        release.set()
        registry.wait(job)


def test_shd006_a_failing_drain_hook_does_not_keep_the_process_up():
    def broken():
        raise RuntimeError("scheduler already gone")

    stops = []
    assert (
        GracefulShutdown(JobRegistry(), grace=1, on_drain=[broken], stop=lambda: stops.append(1)).drain()
        == []
    )
    assert stops == [1]
