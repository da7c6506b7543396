"""PULSEBOARD_JOB_QUEUE=celery against the real Redis (PULSEBOARD_TEST_REDIS_URL, default db 15).

Jobs are queued through the web side's registry and run by real ``pulseboard worker``
subprocesses (Celery workers); only the test database number is flushed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

import tests.integration.jobqueue_kinds  # noqa: F401 - registers the test.* job kinds here too
from dashboard import jobs
from dashboard.accounts import WorkspaceContext, get_workspace, remove_member
from dashboard.jobqueue.registry import CeleryJobRegistry, QueueMisconfigured, check_settings
from dashboard.jobqueue.store import LEASE_LOST, JobStore, connect
from dashboard.jobqueue.worker import QUEUE, run_job
from dashboard.models import Role, User
from dashboard.services import Services
from dashboard.settings import Settings
from tests.conftest import acme_workspace
from tests.integration.real_engines import REDIS_URL, Processes, clean_env, redis_test_db, wait_for

LEASE = 5.0
WORKER_CODE = "import sys, tests.integration.jobqueue_kinds; from dashboard.cli import main; main()"


@pytest.fixture
def redis_db():
    """The test Redis database, emptied before and after (only this database number)."""
    with redis_test_db() as client:
        yield client


@pytest.fixture
def queue(tmp_path, monkeypatch, redis_db):
    """Celery-queue settings and services on a fresh data dir, workspace acme, and a registry."""
    for key in list(os.environ):
        if key.startswith("PULSEBOARD_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    settings = Settings(
        data_dir=tmp_path / "var", redis_url=REDIS_URL, job_queue="celery", job_lease_seconds=LEASE
    )
    services = Services(settings)
    services.db.upgrade()
    workspace = acme_workspace(services)
    with services.db.session() as db:
        owner_id = db.scalar(select(User.id).where(User.email == "owner@acme.test"))
    context = WorkspaceContext(user_id=owner_id, role=Role.OWNER, workspace=workspace)
    yield settings, services, context, CeleryJobRegistry(settings)
    services.close()


class Workers(Processes):
    """``pulseboard worker`` subprocesses on the queue's data dir and Redis database."""

    def __init__(self, settings: Settings, tmp_path: Path):
        env = clean_env(
            PULSEBOARD_DATA_DIR=str(settings.data_path),
            PULSEBOARD_REDIS_URL=REDIS_URL,
            PULSEBOARD_JOB_QUEUE="celery",
            PULSEBOARD_JOB_LEASE_SECONDS=str(LEASE),
        )
        super().__init__(tmp_path, env)

    def start(self) -> subprocess.Popen:
        argv = [sys.executable, "-c", WORKER_CODE, "worker", "--concurrency", "2", "--interval", "3600"]
        return super().start(f"worker-{len(self.procs)}", argv)


@pytest.fixture
def workers(queue, tmp_path):
    pool = Workers(queue[0], tmp_path)
    yield pool
    pool.stop()


# -- with worker processes ------------------------------------------------------------------------
def test_a_job_queued_once_runs_once_with_two_workers(queue, workers, tmp_path):
    settings, services, context, registry = queue
    log = tmp_path / "runs.log"
    workers.start()
    workers.start()
    submitted = [
        registry.submit(
            services, context, kind="test.record", label=f"job {n}", payload={"log": str(log), "sleep": 0.2}
        )
        for n in range(3)
    ]
    for job in submitted:  # each message delivered a second time: the claim still runs it once
        registry._send(job.id)
    for job in submitted:
        assert registry.wait(job, timeout=120), workers.logs()
    runs = log.read_text().splitlines()
    assert sorted(line.split()[0] for line in runs) == sorted(job.id for job in submitted), workers.logs()
    assert {line.split()[2] for line in runs} == {"acme"}
    for job in submitted:
        snap = job.snapshot()
        assert snap["status"] == "done" and snap["progress"] == 1.0
        assert snap["results"] == [{"pid": int(next(r for r in runs if r.startswith(job.id)).split()[1])}]
    # the second deliveries were taken and skipped
    wait_for(lambda: connect(REDIS_URL).llen(QUEUE) == 0, 60, "the queue to empty", workers.logs)


def test_progress_is_visible_from_a_second_registry(queue, workers, tmp_path):
    settings, services, context, registry = queue
    started, release = tmp_path / "started", tmp_path / "release"
    workers.start()
    job = registry.submit(
        services,
        context,
        kind="test.block",
        label="slow",
        payload={"started": str(started), "release": str(release)},
        total=2,
    )
    wait_for(started.exists, 120, "the worker to start the job", workers.logs)
    other = CeleryJobRegistry(settings)  # another web process: its own Redis client, no shared memory
    seen = other.get(job.id, workspace_id=context.workspace.id, user_id=context.user_id)
    assert seen is not None
    snap = seen.snapshot()
    assert snap["status"] == "running"
    assert snap["current"] == "halfway" and snap["rows"] == 7
    assert snap["progress"] == pytest.approx(0.25)  # half of the first of two items
    # it answers only to the user and workspace that started it
    assert other.get(job.id, workspace_id=context.workspace.id, user_id=context.user_id + 1) is None
    assert other.get(job.id, workspace_id=context.workspace.id + 1, user_id=context.user_id) is None
    release.touch()
    assert other.wait(seen, timeout=60), workers.logs()
    final = seen.snapshot()
    assert final["status"] == "done" and final["results"] == [{"released": True}] and final["error"] is None


def test_a_killed_worker_leaves_its_job_failed_not_running(queue, workers, tmp_path):
    settings, services, context, registry = queue
    started, release = tmp_path / "started", tmp_path / "release"
    proc = workers.start()
    job = registry.submit(
        services,
        context,
        kind="test.block",
        label="doomed",
        payload={"started": str(started), "release": str(release)},
    )
    wait_for(started.exists, 120, "the worker to start the job", workers.logs)
    assert job.snapshot()["status"] == "running"
    proc.kill()  # SIGKILL: no warm shutdown, no chance to mark anything
    proc.wait()
    # within the lease (plus a margin for a slow machine) the job shows failed, saying why
    wait_for(lambda: not job.running, LEASE * 6, "the lease to run out")
    snap = registry.get(job.id, workspace_id=context.workspace.id, user_id=context.user_id).snapshot()
    assert snap["status"] == "failed" and snap["error"] == LEASE_LOST
    # the message was acknowledged when the job started (not left unacked for redelivery after
    # the visibility timeout): no worker re-runs a half-done job
    client = connect(REDIS_URL)
    assert client.llen(QUEUE) == 0 and client.hlen("unacked") == 0
    # and the workspace's job slot is free again
    assert registry.store.active_count(context.workspace.id, "test.block") == 0


# -- in process (the worker's task function, without Celery) --------------------------------------
def test_run_job_claims_once_and_rechecks_the_membership(queue, tmp_path):
    settings, services, context, registry = queue
    log = tmp_path / "runs.log"
    job = registry.submit(services, context, kind="test.record", label="one", payload={"log": str(log)})
    assert run_job(services, registry.store, job.id) == "done"
    assert run_job(services, registry.store, job.id) == "skipped"  # a second delivery
    assert len(log.read_text().splitlines()) == 1

    later = registry.submit(services, context, kind="test.record", label="two", payload={"log": str(log)})
    with services.db.session() as db:  # the owner leaves the workspace after queuing
        remove_member(db, get_workspace(db, "acme"), "owner@acme.test")
    assert run_job(services, registry.store, later.id) == "failed"
    snap = later.snapshot()
    assert snap["status"] == "failed" and snap["error"].startswith(
        "WorkspaceGone: the workspace no longer exists"
    )
    assert len(log.read_text().splitlines()) == 1


def test_an_upload_payload_outside_the_uploads_folder_is_refused(queue):
    settings, services, context, registry = queue
    job = registry.submit(
        services,
        context,
        kind="upload",
        label="x",
        payload={"folder": "/etc", "files": [["/etc/passwd", "p"]]},
    )
    assert run_job(services, registry.store, job.id) == "failed"
    assert job.snapshot()["error"] == "BadPayload: the upload folder is not under the data dir's uploads"
    assert Path("/etc/passwd").exists()


def test_a_lapsed_lease_is_marked_failed_by_the_reader(queue):
    settings, services, context, registry = queue
    job = registry.submit(services, context, kind="test.record", label="x", payload={"log": "/dev/null"})
    short = JobStore(connect(REDIS_URL), lease_seconds=0.2)
    assert short.claim(job.id, "gone-worker") is not None  # claimed, then its worker vanished
    assert job.snapshot()["status"] == "running"
    time.sleep(0.4)
    snap = job.snapshot()
    assert snap["status"] == "failed" and snap["error"] == LEASE_LOST
    assert short.renew(job.id, "gone-worker") is False  # a worker that comes back cannot revive it


def test_queue_limits_and_shutdown_refuse_new_jobs(queue):
    settings, services, context, registry = queue
    payload = {"log": "/dev/null"}
    for n in range(jobs.MAX_RUNNING_PER_WORKSPACE):
        registry.submit(services, context, kind="test.record", label=str(n), payload=payload)
    with pytest.raises(jobs.TooManyJobs, match="already running for this workspace"):
        registry.submit(services, context, kind="test.record", label="one more", payload=payload)
    registry.close()
    with pytest.raises(jobs.ShuttingDown):
        registry.submit(services, context, kind="test.block", label="late", payload=payload)
    with pytest.raises(TypeError, match="submit"):
        registry.start(lambda job: None, workspace_id=1, user_id=1, kind="upload", label="closure")


def test_threads_queue_runs_the_same_registered_kinds(queue, tmp_path):
    settings, services, context, _registry = queue
    log = tmp_path / "runs.log"
    registry = jobs.JobRegistry()
    job = registry.submit(services, context, kind="test.record", label="here", payload={"log": str(log)})
    assert registry.wait(job, timeout=30)
    assert job.snapshot()["status"] == "done"
    assert log.read_text().split()[1] == str(os.getpid())


def test_celery_settings_are_checked(tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith("PULSEBOARD_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    duck = Settings(data_dir=tmp_path / "a", job_queue="celery", redis_url=REDIS_URL)
    with pytest.raises(QueueMisconfigured, match="PULSEBOARD_WAREHOUSE_URL=postgresql"):
        check_settings(duck, web=True)
    check_settings(duck, web=False)  # a worker beside a DuckDB file may run (it opens the file itself)
    with pytest.raises(QueueMisconfigured, match="needs PULSEBOARD_REDIS_URL"):
        check_settings(Settings(data_dir=tmp_path / "b", job_queue="celery"), web=False)
    shared = Settings(
        data_dir=tmp_path / "c", job_queue="celery", redis_url=REDIS_URL, warehouse_url="postgresql://db/wh"
    )
    check_settings(shared, web=True)
    jobs.use_queue(shared)  # what create_server does: the callbacks now queue to Celery
    assert isinstance(jobs.REGISTRY, CeleryJobRegistry)
    jobs.use_queue(Settings(data_dir=tmp_path / "e"))  # and back to this process's threads
    assert jobs.REGISTRY is jobs.THREADS
    from dashboard.server import create_server

    with pytest.raises(QueueMisconfigured, match="Keep PULSEBOARD_JOB_QUEUE=threads"):
        create_server(duck)  # a web process on the DuckDB file refuses the Celery queue
    with pytest.raises(ValueError, match="accepted: threads, celery"):
        Settings(data_dir=tmp_path / "d", job_queue="rq")
