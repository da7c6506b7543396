"""Helpers for tests against this machine's real PostgreSQL and Redis, and real subprocesses.

``PULSEBOARD_TEST_POSTGRES_URL`` names a PostgreSQL server where each test module makes (and
drops) databases of its own; ``PULSEBOARD_TEST_REDIS_URL`` (default db 15) names a Redis
database that is flushed before and after use, and nothing else. Both skip the test, saying
why, when the engine is not configured or does not answer.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("PULSEBOARD_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("PULSEBOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def database_url(base: str, name: str) -> str:
    """``base`` (a PostgreSQL URL) with its database replaced by ``name``, query kept."""
    head, _, tail = base.rpartition("/")
    query = tail.partition("?")[2]
    return f"{head}/{name}" + (f"?{query}" if query else "")


@contextlib.contextmanager
def postgres_databases(prefix: str, count: int = 1) -> Iterator[list[str]]:
    """``count`` fresh databases on the test server (C collation, as DuckDB sorts), dropped after.

    Skips when ``PULSEBOARD_TEST_POSTGRES_URL`` is unset or the server does not answer.
    """
    import psycopg

    if not POSTGRES_URL:
        pytest.skip("PULSEBOARD_TEST_POSTGRES_URL is not set: no PostgreSQL to test on")
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at PULSEBOARD_TEST_POSTGRES_URL is unreachable: {exc}")
    names: list[str] = []
    try:
        for _ in range(count):
            name = f"{prefix}_{uuid.uuid4().hex[:10]}"
            admin.execute(f"CREATE DATABASE {name} TEMPLATE template0 LOCALE 'C' ENCODING 'UTF8'")
            names.append(name)
        yield [database_url(POSTGRES_URL, name) for name in names]
    finally:
        for name in names:  # FORCE: a server or worker that outlived its test cannot keep it
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


@contextlib.contextmanager
def redis_test_db():
    """A client of the test Redis database, emptied before and after (only this database number)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, decode_responses=True)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(
            f"no Redis reachable at {REDIS_URL} ({type(exc).__name__}); set PULSEBOARD_TEST_REDIS_URL"
        )
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without any ``PULSEBOARD_*``, plus ``settings`` and the code path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSEBOARD_")}
    env.update(settings, PYTHONPATH=str(ROOT))
    return env


class Processes:
    """Subprocesses of a test, each logging to ``<log_dir>/<name>.log``; :meth:`stop` ends them all."""

    def __init__(self, log_dir: Path, env: dict[str, str]):
        self.log_dir = log_dir
        self.env = env
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], **env: str) -> subprocess.Popen:
        """Start ``argv`` in ``log_dir`` (no ``.env`` of the checkout leaks in) with extra ``env``."""
        with open(self.log_dir / f"{name}.log", "w") as log:  # the child keeps its own descriptor
            proc = subprocess.Popen(
                argv,
                cwd=self.log_dir,
                env={**self.env, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.procs[name] = proc
        return proc

    def logs(self) -> str:
        """Every process's log, headed by its name (for assertion messages)."""
        return "\n".join(
            f"--- {name} ---\n{(self.log_dir / f'{name}.log').read_text(errors='replace')}"
            for name in self.procs
        )

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM to all, then SIGKILL to any still running after ``timeout`` seconds."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_for(predicate, timeout: float, what: str, logs=lambda: "") -> None:
    """Poll ``predicate`` every 0.1 s until true; AssertionError naming ``what`` (and the logs) after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}\n{logs()}")
