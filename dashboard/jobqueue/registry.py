"""The web side of the Celery queue: the API of :class:`dashboard.jobs.JobRegistry` over Redis.

:meth:`CeleryJobRegistry.submit` checks the workspace's job limit, records the job in Redis
(:mod:`.store`) and sends a message holding only the job's id; ``pulseboard worker`` claims and
runs it (:mod:`.worker`). :meth:`get` reads the job back from Redis in any web process, and
answers only to the workspace and user who started it, as the thread registry does.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from dashboard.jobqueue.store import JobStore, RedisJob, connect
from dashboard.jobqueue.tasks import get_task
from dashboard.jobs import JOB_NOUNS, MAX_RUNNING_PER_WORKSPACE, JobRefused, ShuttingDown, TooManyJobs
from dashboard.ops.logs import REQUEST_ID

log = logging.getLogger("pulseboard.jobs")


class QueueMisconfigured(RuntimeError):
    """``PULSEBOARD_JOB_QUEUE=celery`` without what it needs (Redis, a shared warehouse)."""


def check_settings(settings, *, web: bool) -> None:
    """Refuse a Celery queue this installation cannot use, naming the setting to change.

    ``web``: the caller serves pages. A DuckDB warehouse file is held by the web process for as
    long as it runs (DuckDB allows one read-write process per file), so a worker could never
    write to it: with DuckDB the jobs stay on the web process's threads.
    """
    if settings.job_queue != "celery":
        return
    if not settings.redis_url:
        raise QueueMisconfigured(
            "PULSEBOARD_JOB_QUEUE=celery needs PULSEBOARD_REDIS_URL (the broker and the jobs' progress)"
        )
    if web and settings.warehouse_location.startswith("duckdb:"):
        raise QueueMisconfigured(
            "PULSEBOARD_JOB_QUEUE=celery needs a warehouse several processes can open "
            "(PULSEBOARD_WAREHOUSE_URL=postgresql://...): the DuckDB file is held by this web "
            "process, so a worker could never import into it. Keep PULSEBOARD_JOB_QUEUE=threads "
            "(the default) with DuckDB."
        )


class CeleryJobRegistry:
    """Jobs queued to Celery workers, their state in Redis (one per web process)."""

    def __init__(self, settings, *, store: JobStore | None = None, sender=None):
        check_settings(settings, web=False)
        self.store = store or JobStore(connect(settings.redis_url), lease_seconds=settings.job_lease_seconds)
        self._settings = settings
        self._sender = sender
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called: no new job is queued."""
        return self._closed

    def close(self) -> None:
        """Queue no new jobs from this process (graceful shutdown); workers finish theirs."""
        self._closed = True

    def running(self) -> list:
        """Jobs running in this process: none (workers run them, and drain on their own)."""
        return []

    def wait_idle(self, timeout: float) -> list:
        """Nothing runs here to wait for (see :meth:`running`)."""
        return []

    def start(self, work, **_kwargs):
        """Closures cannot travel to a worker: use :meth:`submit` with a registered kind."""
        raise TypeError("the Celery queue runs registered job kinds: call submit(), not start(work)")

    def submit(self, services, context, *, kind: str, label: str, payload: dict, total: int = 1) -> RedisJob:
        """Queue the registered task ``kind`` with ``payload`` (ids and paths) for ``context``.

        The caller has checked the user's role; the worker re-checks that the workspace and the
        membership still exist before it runs the job.
        """
        if self._closed:
            raise ShuttingDown("the server is restarting: start this again in a minute")
        get_task(kind)  # an unknown kind fails here, not in a worker
        workspace_id = context.workspace.id
        if self.store.active_count(workspace_id, kind) >= MAX_RUNNING_PER_WORKSPACE:
            raise TooManyJobs(
                f"{JOB_NOUNS.get(kind, 'jobs')} are already running for this workspace: wait for them to end"
            )
        job = self.store.create(
            workspace_id=workspace_id,
            user_id=context.user_id,
            kind=kind,
            label=label,
            total=total,
            payload=payload,
            request_id=REQUEST_ID.get(),
        )
        try:
            self._send(job.id)
        except Exception as exc:  # the broker is down: say so, and leave no job "running"
            log.exception("could not queue job %s (%s)", job.id, kind)
            self.store.fail(job.id, f"the job queue is not reachable: {type(exc).__name__}")
            raise JobRefused("the job queue is not reachable right now: try again in a minute") from exc
        return job

    def _send(self, job_id: str) -> None:
        if self._sender is None:
            from dashboard.jobqueue.worker import celery_app

            self._sender = celery_app(self._settings)
        from dashboard.jobqueue.worker import QUEUE, TASK_NAME

        self._sender.send_task(TASK_NAME, args=[job_id], queue=QUEUE)

    def get(self, job_id: Any, *, workspace_id: int, user_id: int) -> RedisJob | None:
        """The job if it exists AND belongs to this workspace and user; else None."""
        if not isinstance(job_id, str) or not job_id or len(job_id) > 64:
            return None
        job = self.store.load(job_id)
        if job is None or job.workspace_id != workspace_id or job.user_id != user_id:
            return None
        return job

    def wait(self, job: RedisJob, timeout: float = 30.0) -> bool:
        """Block until ``job`` finished (tests, CLI); False on time-out."""
        deadline = time.monotonic() + timeout
        while job.running and time.monotonic() < deadline:
            time.sleep(0.05)
        return not job.running
