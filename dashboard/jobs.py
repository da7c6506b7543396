"""Long work started from the web UI (file imports, syncs), run on server threads and polled.

DuckDB allows one writing process per file, and the server process owns the warehouse, so work
that writes to it runs on a thread of the server (never in another process). A job belongs to
one workspace and one user: :meth:`JobRegistry.get` answers only to them, so a forged job id
from another workspace finds nothing. The browser polls a job with ``dcc.Interval`` and draws
``progress`` (0..1) and ``rows`` as a progress bar.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("pulseboard.jobs")

#: Finished jobs are forgotten after this many seconds.
KEEP_FINISHED_SECONDS = 3600
#: At most this many jobs run at once per workspace (the warehouse serialises writes anyway).
MAX_RUNNING_PER_WORKSPACE = 4


class TooManyJobs(RuntimeError):
    """The workspace already has as many running jobs as allowed."""


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
    ) -> None:
        """Report progress from the work function (thread-safe)."""
        with self._lock:
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
        """Run ``work(job)`` on a daemon thread; TooManyJobs if the workspace is busy."""
        with self._lock:
            self._forget_old()
            running = sum(1 for j in self._jobs.values() if j.workspace_id == workspace_id and j.running)
            if running >= MAX_RUNNING_PER_WORKSPACE:
                raise TooManyJobs(
                    "several imports are already running for this workspace: wait for them to end"
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
        thread = threading.Thread(
            target=self._run, args=(job, work), name=f"pulseboard-job-{kind}", daemon=True
        )
        thread.start()
        return job

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

    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        try:
            work(job)
        except Exception as exc:  # shown to the user; the details go to the log
            log.exception("job %s (%s) failed", job.id, job.kind)
            with job._lock:
                job.finished_at = time.time()
                job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
        else:
            with job._lock:
                job.finished_at = time.time()
                job.status, job.done = "done", job.total

    def _forget_old(self) -> None:
        cutoff = time.time() - KEEP_FINISHED_SECONDS
        for key in [k for k, j in self._jobs.items() if j.finished_at and j.finished_at < cutoff]:
            del self._jobs[key]


#: The process-wide registry (jobs run on this process's threads, next to its warehouse handle).
REGISTRY = JobRegistry()
