"""Job state and progress in Redis, so that every web process shows what a worker is doing.

A job is one hash, ``pulseboard:job:<id>``: who it belongs to, its kind, payload, status
(``queued`` -> ``running`` -> ``done``/``failed``), progress and results. Only the worker that
claimed the job writes its progress (the claim is an atomic compare-and-set, so a job runs once
however often its message is delivered). While it runs, the worker renews a lease; a reader that
finds a running job whose lease has run out (the worker was killed, or its machine lost) marks
it failed, so no page waits on it forever.
"""

from __future__ import annotations

import json
import secrets
import threading
import time

from dashboard.jobs import KEEP_FINISHED_SECONDS

PREFIX = "pulseboard:job:"
ACTIVE_PREFIX = "pulseboard:jobs:active:"
#: a queued or running job's hash lives at most this long (a lost queue must not keep it forever)
KEEP_UNFINISHED_SECONDS = 7 * 24 * 3600
#: progress that only moves the bar is written at most this often (imports report per chunk)
PROGRESS_WRITE_SECONDS = 0.25

# status queued -> running, only for the first claimer: ARGV worker, lease_until, started_at
_CLAIM = """
if redis.call('HGET', KEYS[1], 'status') ~= 'queued' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'running', 'worker', ARGV[1], 'lease_until', ARGV[2],
           'started_at', ARGV[3])
return 1
"""
# renew the lease of a job this worker still runs: ARGV worker, lease_until
_RENEW = """
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
if redis.call('HGET', KEYS[1], 'worker') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'lease_until', ARGV[2])
return 1
"""
# end a running job (its worker finished it, or its lease ran out): ARGV status, error,
# finished_at, keep seconds, worker ('' : any worker, when the lease ran out at ARGV[6])
_FINISH = """
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
if ARGV[5] ~= '' and redis.call('HGET', KEYS[1], 'worker') ~= ARGV[5] then return 0 end
if ARGV[5] == '' and tonumber(redis.call('HGET', KEYS[1], 'lease_until') or '0') >= tonumber(ARGV[6]) then
  return 0
end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'error', ARGV[2], 'finished_at', ARGV[3])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
redis.call('SREM', KEYS[2], redis.call('HGET', KEYS[1], 'id'))
return 1
"""

LEASE_LOST = "the worker running this job stopped before it finished (killed or lost): start it again"


def connect(redis_url: str):
    """A Redis client for ``redis_url`` (answers decoded to str)."""
    import redis

    return redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=10)


class JobStore:
    """The jobs of one installation in one Redis database."""

    def __init__(self, client, *, lease_seconds: float = 60.0):
        self.client = client
        self.lease_seconds = lease_seconds
        self._claim = client.register_script(_CLAIM)
        self._renew = client.register_script(_RENEW)
        self._finish = client.register_script(_FINISH)

    # -- web side ----------------------------------------------------------------------------
    def create(
        self, *, workspace_id: int, user_id: int, kind: str, label: str, total: int, payload: dict,
        request_id: str | None = None,
    ) -> RedisJob:  # fmt: skip
        """Record a queued job (status ``queued``) and count it as active for its workspace."""
        job_id = secrets.token_urlsafe(16)
        fields = {
            "id": job_id,
            "workspace_id": workspace_id,
            "user_id": user_id,
            "kind": kind,
            "label": label,
            "total": max(1, total),
            "done": 0,
            "partial": 0.0,
            "rows": 0,
            "status": "queued",
            "current": "",
            "results": "[]",
            "error": "",
            "started_at": time.time(),
            "finished_at": "",
            "payload": json.dumps(payload),
            "request_id": request_id or "",
        }
        with self.client.pipeline() as pipe:
            pipe.hset(PREFIX + job_id, mapping=fields)
            pipe.expire(PREFIX + job_id, KEEP_UNFINISHED_SECONDS)
            pipe.sadd(_active_key(workspace_id, kind), job_id)
            pipe.expire(_active_key(workspace_id, kind), KEEP_UNFINISHED_SECONDS)
            pipe.execute()
        return RedisJob(self, fields)

    def active_count(self, workspace_id: int, kind: str) -> int:
        """Queued or running jobs of ``kind`` in the workspace (finished and vanished ones are dropped)."""
        key = _active_key(workspace_id, kind)
        count = 0
        for job_id in self.client.smembers(key):
            job = self.load(job_id)
            if job is not None and job.running:
                count += 1
            else:
                self.client.srem(key, job_id)
        return count

    def load(self, job_id: str) -> RedisJob | None:
        """The job with this id, or None (unknown, or forgotten after KEEP_FINISHED_SECONDS)."""
        fields = self.client.hgetall(PREFIX + job_id)
        return RedisJob(self, fields) if fields else None

    def fail(self, job_id: str, error: str) -> None:
        """Mark a job that never reached a worker failed (the queue refused its message)."""
        fields = self.client.hgetall(PREFIX + job_id)
        if fields:
            self.client.hset(
                PREFIX + job_id, mapping={"status": "failed", "error": error, "finished_at": time.time()}
            )
            self.client.expire(PREFIX + job_id, KEEP_FINISHED_SECONDS)
            self.client.srem(_active_key(fields["workspace_id"], fields["kind"]), job_id)

    # -- worker side -------------------------------------------------------------------------
    def claim(self, job_id: str, worker: str) -> RedisJob | None:
        """Take the queued job for ``worker``: the job, or None when someone else has (had) it."""
        now = time.time()
        if not self._claim(keys=[PREFIX + job_id], args=[worker, now + self.lease_seconds, now]):
            return None
        job = self.load(job_id)
        if job is not None:
            job.worker = worker
        return job

    def renew(self, job_id: str, worker: str) -> bool:
        """Extend the lease of a job ``worker`` runs; False once the job is no longer its own."""
        return bool(self._renew(keys=[PREFIX + job_id], args=[worker, time.time() + self.lease_seconds]))

    def finish(self, job: RedisJob, status: str, error: str = "") -> bool:
        """End ``job`` as ``done`` or ``failed`` (its worker only); False if its lease was lost."""
        job.flush()
        return bool(
            self._finish(
                keys=[PREFIX + job.id, _active_key(job.workspace_id, job.kind)],
                args=[status, error, time.time(), KEEP_FINISHED_SECONDS, job.worker, 0],
            )
        )

    def expire_lease(self, job: RedisJob) -> bool:
        """Mark ``job`` failed if it is running and its lease has run out; True when it did."""
        return bool(
            self._finish(
                keys=[PREFIX + job.id, _active_key(job.workspace_id, job.kind)],
                args=["failed", LEASE_LOST, time.time(), KEEP_FINISHED_SECONDS, "", time.time()],
            )
        )


def _active_key(workspace_id, kind: str) -> str:
    return f"{ACTIVE_PREFIX}{workspace_id}:{kind}"


class RedisJob:
    """A job kept in Redis, with the API of :class:`dashboard.jobs.Job`.

    A reader (a web process) sees the state as of its last :meth:`snapshot`; the worker that
    claimed the job reports progress with :meth:`step`, which writes through to Redis.
    """

    def __init__(self, store: JobStore, fields: dict):
        self._store = store
        self.id = fields["id"]
        self.workspace_id = int(fields["workspace_id"])
        self.user_id = int(fields["user_id"])
        self.kind = fields["kind"]
        self.label = fields["label"]
        self.payload = json.loads(fields.get("payload") or "{}")
        self.request_id = fields.get("request_id") or None
        self.worker = fields.get("worker") or ""
        self._fields = fields
        self._lock = threading.Lock()
        self._results: list[dict] = json.loads(fields.get("results") or "[]")
        self._pending: dict = {}
        self._written_at = 0.0

    # -- reading -----------------------------------------------------------------------------
    def _read(self) -> dict:
        fields = self._store.client.hgetall(PREFIX + self.id) or self._fields
        lapsed = fields.get("status") == "running" and float(fields.get("lease_until") or 0) < time.time()
        if lapsed and self._store.expire_lease(self):
            fields = self._store.client.hgetall(PREFIX + self.id) or fields
        self._fields = fields
        return fields

    @property
    def status(self) -> str:
        """``running`` (queued ones included, as the UI shows them), ``done`` or ``failed``."""
        status = self._read().get("status", "failed")
        return "running" if status == "queued" else status

    @property
    def running(self) -> bool:
        """True until the worker finished the job (or its lease ran out)."""
        return self.status == "running"

    @property
    def cancel_requested(self) -> bool:
        """True once someone asked the job to stop."""
        return self._store.client.hget(PREFIX + self.id, "cancel") == "1"

    def request_cancel(self) -> None:
        """Ask the worker to stop the job at its next check."""
        self._store.client.hset(PREFIX + self.id, "cancel", "1")

    def snapshot(self) -> dict:
        """The same JSON-friendly dict as :meth:`dashboard.jobs.Job.snapshot`."""
        f = self._read()
        status = f.get("status", "failed")
        total = int(f.get("total") or 1)
        done = int(f.get("done") or 0)
        if status in ("queued", "running"):
            progress = min(1.0, (done + float(f.get("partial") or 0)) / total) if total else 0.0
        else:
            progress = 1.0
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "total": total,
            "done": done,
            "rows": int(f.get("rows") or 0),
            "status": "running" if status == "queued" else status,
            "current": f.get("current") or ("Waiting for a worker…" if status == "queued" else ""),
            "results": json.loads(f.get("results") or "[]"),
            "error": f.get("error") or None,
            "progress": progress,
            "started_at": float(f.get("started_at") or 0),
            "finished_at": float(f["finished_at"]) if f.get("finished_at") else None,
        }

    @property
    def progress(self) -> float:
        """Fraction of the work done, 0..1."""
        return self.snapshot()["progress"]

    # -- writing (the claiming worker only) -------------------------------------------------
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
        """Report progress (the same arguments as :meth:`dashboard.jobs.Job.step`)."""
        with self._lock:
            if total is not None:
                self._pending["total"] = max(1, total)
            if done is not None:
                self._pending.update(done=done, partial=0.0)
            if partial is not None:
                self._pending["partial"] = max(0.0, min(1.0, partial))
            if rows is not None:
                self._pending["rows"] = rows
            if current is not None:
                self._pending["current"] = current
            if result is not None:
                self._results.append(result)
                self._pending["results"] = json.dumps(self._results, default=str)
            # a bar that only moved waits a little; counts, labels and results go out at once
            only_moved = set(self._pending) <= {"partial", "rows"}
            if only_moved and time.monotonic() - self._written_at < PROGRESS_WRITE_SECONDS:
                return
            self._write()

    def flush(self) -> None:
        """Write progress held back by the rate limit of :meth:`step`."""
        with self._lock:
            if self._pending:
                self._write()

    def _write(self) -> None:
        self._store.client.hset(PREFIX + self.id, mapping=self._pending)
        self._pending = {}
        self._written_at = time.monotonic()
