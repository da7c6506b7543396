"""Long work started from the web UI (file imports, syncs), run on server threads and polled.

DuckDB allows one writing process per file, and the server process owns the warehouse, so work
that writes to it runs on a thread of the server (never in another process). A job belongs to
one workspace and one user: :meth:`JobRegistry.get` answers only to them, so a forged job id
from another workspace finds nothing. The browser polls a job with ``dcc.Interval`` and draws
``progress`` (0..1) and ``rows`` as a progress bar.

With ``PULSEBOARD_JOB_QUEUE=celery`` :func:`use_queue` swaps :data:`REGISTRY` for the Redis-backed
registry of :mod:`dashboard.jobqueue`: the same ``submit``/``get``/``snapshot`` API, with the work
done by ``pulseboard worker`` processes. Work that may go to a worker is started with
:meth:`JobRegistry.submit` (a named task and a payload of ids and paths), never a closure.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from dashboard.ops import metrics
from dashboard.ops.logs import REQUEST_ID
from dashboard.ops.priority import lower_this_thread

log = logging.getLogger("pulseboard.jobs")

#: Finished jobs are forgotten after this many seconds.
KEEP_FINISHED_SECONDS = 3600
#: At most this many jobs of one kind run at once per workspace (the warehouse serialises writes anyway).
MAX_RUNNING_PER_WORKSPACE = 4
#: what the refusal calls several running jobs of one kind
JOB_NOUNS = {
    "upload": "several imports",
    "sync": "several syncs",
    "insights": "several insight generations",
    "forecast": "several forecasts",
}

#: job kinds a page load starts on its own (the Insights panel), not asked for and watched
BACKGROUND_KINDS = frozenset({"insights"})
#: job kinds that run behind page requests: the background ones, and imports. An import is
#: watched by the one who started it, but on a shared host every other workspace's pages wait
#: on its core (issue 15: an import may slow others' pages by at most 20%).
YIELDING_KINDS = BACKGROUND_KINDS | {"upload", "sync"}


class JobRefused(RuntimeError):
    """A job was not started; the message says why, in words for the user."""


class TooManyJobs(JobRefused):
    """The workspace already has as many running jobs as allowed."""


class ShuttingDown(JobRefused):
    """The server is shutting down: it finishes running jobs but starts no new ones."""


@dataclass
class Job:
    """One unit of background work and what the UI shows about it."""

    id: str
    workspace_id: int
    user_id: int
    kind: str  # upload | sync
    label: str
    total: int = 1
    done: int = 0
    partial: float = 0.0  # fraction (0..1) of the item in progress, for long single files
    rows: int = 0
    status: str = "running"  # running | done | failed
    current: str = ""
    results: list[dict] = field(default_factory=list)
    error: str | None = None
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    @property
    def cancel_requested(self) -> bool:
        """True once someone asked the job to stop (the work function checks it between steps)."""
        return self._cancel.is_set()

    def request_cancel(self) -> None:
        """Ask the work function to stop at its next check."""
        self._cancel.set()

    @property
    def running(self) -> bool:
        """True until the work function returned or raised."""
        return self.status == "running"

    @property
    def progress(self) -> float:
        """Fraction of the work done, 0..1: items done plus the part of the current one, over total."""
        if not self.running:
            return 1.0
        return min(1.0, (self.done + self.partial) / self.total) if self.total else 0.0

    def step(
        self,
        *,
        done: int | None = None,
        partial: float | None = None,
        rows: int | None = None,
        current: str | None = None,
        result: dict | None = None,
        total: int | None = None,
    ) -> None:
        """Report progress from the work function (thread-safe)."""
        with self._lock:
            if total is not None:
                self.total = max(1, total)
            if done is not None:
                self.done = done
                self.partial = 0.0
            if partial is not None:
                self.partial = max(0.0, min(1.0, partial))
            if rows is not None:
                self.rows = rows
            if current is not None:
                self.current = current
            if result is not None:
                self.results.append(result)

    def snapshot(self) -> dict:
        """A JSON-friendly copy for the UI (no internals)."""
        with self._lock:
            return {
                "id": self.id,
                "kind": self.kind,
                "label": self.label,
                "total": self.total,
                "done": self.done,
                "rows": self.rows,
                "status": self.status,
                "current": self.current,
                "results": [dict(r) for r in self.results],
                "error": self.error,
                "progress": self.progress,
                "started_at": self.started_at,
                "finished_at": self.finished_at,
            }


class JobRegistry:
    """The jobs of this server process."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._idle = threading.Condition(self._lock)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called: no new job starts."""
        return self._closed

    def close(self) -> None:
        """Refuse new jobs from now on (graceful shutdown); running ones go on."""
        with self._lock:
            self._closed = True

    def running(self) -> list[Job]:
        """The jobs still running, oldest first."""
        with self._lock:
            return sorted((j for j in self._jobs.values() if j.running), key=lambda j: j.started_at)

    def wait_idle(self, timeout: float) -> list[Job]:
        """Block until no job runs or ``timeout`` seconds passed; the jobs still running."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while any(j.running for j in self._jobs.values()):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._idle.wait(left)
        return self.running()

    def start(
        self,
        work: Callable[[Job], Any],
        *,
        workspace_id: int,
        user_id: int,
        kind: str,
        label: str,
        total: int = 1,
    ) -> Job:
        """Run ``work(job)`` on a daemon thread.

        Raises TooManyJobs if the workspace is busy, ShuttingDown once the server is stopping.
        """
        with self._lock:
            if self._closed:
                raise ShuttingDown("the server is restarting: start this again in a minute")
            self._forget_old()
            # counted per kind: a few Insights panels generating must not refuse an upload
            running = sum(
                1
                for j in self._jobs.values()
                if j.workspace_id == workspace_id and j.kind == kind and j.running
            )
            if running >= MAX_RUNNING_PER_WORKSPACE:
                raise TooManyJobs(
                    f"{JOB_NOUNS.get(kind, 'jobs')} are already running for this workspace: "
                    "wait for them to end"
                )
            job = Job(
                id=secrets.token_urlsafe(16),
                workspace_id=workspace_id,
                user_id=user_id,
                kind=kind,
                label=label,
                total=max(1, total),
            )
            self._jobs[job.id] = job
        metrics.JOBS_RUNNING.labels(metrics.label(kind)).inc()
        # The job's log lines keep the id of the request that started it. Only the id travels:
        # a copy of the whole context would hand the thread Flask's finished request (and keep
        # its upload body alive) for as long as the job runs.
        thread = threading.Thread(
            target=self._run,
            args=(job, work, REQUEST_ID.get()),
            name=f"pulseboard-job-{kind}",
            daemon=True,
        )
        thread.start()
        return job

    def submit(self, services, context, *, kind: str, label: str, payload: dict, total: int = 1) -> Job:
        """Run the registered task ``kind`` (dashboard.jobqueue.tasks) with ``payload`` for ``context``.

        The caller checked the role; here the task runs on a thread of this process with the
        caller's context, exactly as the Celery registry's worker runs it after re-checking it.
        """
        from dashboard.jobqueue.tasks import get_task, run_task

        get_task(kind)  # an unknown kind fails here, not on the thread

        def work(job: Job):
            # inside the stores until it ends: closing the services waits for it (Services.close)
            with services.background_work() as alive:
                if not alive:
                    raise ShuttingDown("the server is restarting: start this again in a minute")
                return run_task(kind, job, services, context, payload)

        return self.start(
            work,
            workspace_id=context.workspace.id,
            user_id=context.user_id,
            kind=kind,
            label=label,
            total=total,
        )

    def get(self, job_id: Any, *, workspace_id: int, user_id: int) -> Job | None:
        """The job if it exists AND belongs to this workspace and user; else None."""
        if not isinstance(job_id, str):
            return None
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.workspace_id != workspace_id or job.user_id != user_id:
            return None
        return job

    def wait(self, job: Job, timeout: float = 30.0) -> bool:
        """Block until ``job`` finished (tests, CLI); False on time-out."""
        deadline = time.monotonic() + timeout
        while job.running and time.monotonic() < deadline:
            time.sleep(0.01)
        return not job.running

    def _run(self, job: Job, work: Callable[[Job], Any], request_id: str | None = None) -> None:
        REQUEST_ID.set(request_id)
        if job.kind in YIELDING_KINDS:  # pages go first (see YIELDING_KINDS)
            lower_this_thread()
        try:
            work(job)
        except duckdb.InterruptException:
            # Services.close() interrupts the warehouse's queries when the server stops: the job
            # ends unfinished, nothing is broken (no traceback for the operator to chase)
            log.info("job %s (%s) stopped unfinished: the server is shutting down", job.id, job.kind)
            with job._lock:
                job.finished_at = time.time()
                job.status, job.error = "failed", "stopped: the server was shutting down"
        except Exception as exc:  # shown to the user; the details go to the log
            log.exception("job %s (%s) failed", job.id, job.kind)
            with job._lock:
                job.finished_at = time.time()
                job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
        else:
            with job._lock:
                job.finished_at = time.time()
                job.status, job.done = "done", job.total
        finally:
            kind = metrics.label(job.kind)
            metrics.JOBS_RUNNING.labels(kind).dec()
            metrics.JOBS.labels(kind, metrics.label(job.status)).inc()
            with self._idle:
                self._idle.notify_all()

    def _forget_old(self) -> None:
        cutoff = time.time() - KEEP_FINISHED_SECONDS
        for key in [k for k, j in self._jobs.items() if j.finished_at and j.finished_at < cutoff]:
            del self._jobs[key]


#: The registry of threads of this process (the default queue: one machine, no broker).
THREADS = JobRegistry()
#: The process-wide registry the callbacks use: :data:`THREADS`, or the Celery one (:func:`use_queue`).
REGISTRY = THREADS


def use_queue(settings) -> None:
    """Point :data:`REGISTRY` at the queue ``settings`` ask for (one app per process in production).

    ``threads`` keeps the thread registry in place (or restores it after a Celery one); ``celery``
    puts the Redis-backed registry in its place, so every web process sees every job.
    """
    global REGISTRY
    if settings.job_queue == "celery":
        from dashboard.jobqueue.registry import CeleryJobRegistry, check_settings

        check_settings(settings, web=True)  # QueueMisconfigured names the setting to change
        REGISTRY = CeleryJobRegistry(settings)
    elif not isinstance(REGISTRY, JobRegistry):
        REGISTRY = THREADS
