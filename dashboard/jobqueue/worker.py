"""The worker side of the Celery queue: the Celery app, the claim-once task and its lease.

Delivery: messages are acknowledged when a worker receives them (``task_acks_late`` off), so
Celery hands each message to one worker; the job's Redis record is then claimed with an atomic
compare-and-set (:meth:`JobStore.claim`), so even a message delivered twice runs the job once.
A killed worker does not get its job re-run (an import half done must not be repeated behind
the user's back): its lease, renewed by a heartbeat thread, runs out and the job shows failed.

Before running, the task re-checks in the app DB that the workspace still exists and the user
still belongs to it (the web process checked the role when it queued the job).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from functools import lru_cache

from dashboard.accounts import workspace_context
from dashboard.jobqueue.store import JobStore, RedisJob, connect
from dashboard.jobqueue.tasks import run_task
from dashboard.ops import metrics
from dashboard.ops.logs import REQUEST_ID

log = logging.getLogger("pulseboard.jobs")

QUEUE = "pulseboard-jobs"
TASK_NAME = "pulseboard.run_job"
#: seconds before Redis hands an unacknowledged (prefetched, not started) message to another worker
VISIBILITY_TIMEOUT_SECONDS = 600


def make_celery(redis_url: str):
    """A Celery app on ``redis_url`` configured for Pulseboard's jobs (JSON messages, no results)."""
    from celery import Celery

    app = Celery("pulseboard", broker=redis_url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,  # state and progress live in the job's own record
        task_acks_late=False,  # at most once per message; the lease covers a lost worker
        worker_prefetch_multiplier=1,  # a busy worker leaves queued jobs to an idle one
        task_default_queue=QUEUE,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,  # Pulseboard's own log format (PULSEBOARD_LOG_FORMAT)
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
        # a message a worker prefetched but never started (the worker died) goes back to the
        # queue after this; the job's claim keeps a redelivered message from running it twice
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_SECONDS},
    )
    return app


@lru_cache(maxsize=4)
def _sender(redis_url: str):
    return make_celery(redis_url)


def celery_app(settings):
    """The process's Celery app for sending jobs to ``settings.redis_url`` (made once)."""
    return _sender(settings.redis_url)


def worker_name() -> str:
    """This process's name in job records (host and pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(services, store: JobStore, job_id: str, worker: str | None = None) -> str:
    """Claim and run one job; what happened: ``done``, ``failed`` or ``skipped`` (not ours to run)."""
    worker = worker or f"{worker_name()}:{threading.get_ident()}"
    job = store.claim(job_id, worker)
    if job is None:
        log.info("job %s: already claimed or gone, not run again", job_id)
        return "skipped"
    REQUEST_ID.set(job.request_id)
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(store, job, stop), name="pb-job-lease", daemon=True)
    beat.start()
    kind = metrics.label(job.kind)
    metrics.JOBS_RUNNING.labels(kind).inc()
    status, error = "done", ""
    try:
        context = _recheck(services, job)
        run_task(job.kind, job, services, context, job.payload)
    except Exception as exc:  # shown to the user; the details go to the log
        log.exception("job %s (%s) failed", job.id, job.kind)
        status, error = "failed", f"{type(exc).__name__}: {exc}"
    finally:
        stop.set()
        beat.join()
        metrics.JOBS_RUNNING.labels(kind).dec()
    if status == "done":
        job.step(done=int(job.snapshot()["total"]))
    if not store.finish(job, status, error):
        log.warning("job %s finished after its lease ran out; it stays marked failed", job.id)
        status = "failed"
    metrics.JOBS.labels(kind, metrics.label(status)).inc()
    return status


class WorkspaceGone(RuntimeError):
    """The job's workspace, or the user's membership of it, no longer exists."""


def _recheck(services, job: RedisJob):
    """The context the job was queued for, read again from the app DB."""
    with services.db.session() as session:
        context = workspace_context(session, job.user_id, job.workspace_id)
    if context is None or context.workspace.id != job.workspace_id:
        raise WorkspaceGone("the workspace no longer exists, or the user who started this job left it")
    return context


def _heartbeat(store: JobStore, job: RedisJob, stop: threading.Event) -> None:
    """Renew the job's lease every third of it until ``stop`` (the job ended)."""
    while not stop.wait(store.lease_seconds / 3):
        try:
            if not store.renew(job.id, job.worker):
                log.warning("job %s: lease lost (marked failed by a reader)", job.id)
                return
        except Exception:  # Redis briefly away: try again at the next beat
            log.warning("job %s: could not renew its lease", job.id, exc_info=True)


def start_worker(services, *, concurrency: int, loglevel: str = "INFO") -> int:
    """Consume Pulseboard's queue in this process until SIGTERM/SIGINT; the exit code.

    Threads, not forked processes: every job of the worker shares its one warehouse handle
    (a DuckDB file is opened by one process). Celery's warm shutdown lets running jobs finish.
    """
    settings = services.settings
    store = JobStore(connect(settings.redis_url), lease_seconds=settings.job_lease_seconds)
    app = make_celery(settings.redis_url)

    @app.task(name=TASK_NAME, ignore_result=True)
    def pulseboard_job(job_id: str) -> str:
        return run_job(services, store, job_id)

    worker = app.Worker(
        hostname=f"pulseboard@{socket.gethostname()}-{os.getpid()}",
        pool="threads",
        concurrency=concurrency,
        queues=[QUEUE],
        loglevel=loglevel,
        quiet=True,
        without_gossip=True,
        without_mingle=True,
        without_heartbeat=True,
    )
    worker.start()
    return worker.exitcode or 0
