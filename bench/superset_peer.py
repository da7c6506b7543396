"""Apache Superset as the peer to beat (issue 15): set it up headless, serve it, ask it questions.

Superset lives in its own virtualenv (``bench/out/superset-venv``, made by ``make bench-peer``
from ``bench/superset-requirements.txt``) and its own folder ``bench/out/superset/``: a config
file (SECRET_KEY, a SQLite metadata DB, a file-system data cache so "cached" means an answer
from Superset's own cache, CSRF off for the REST API), the metadata DB, its cache and its own
copy of the bench warehouse's ``payments`` table.

Why a copy: DuckDB lets one process hold a database file read-write and nobody else in, and
the Pulseboard server holds its warehouse. The copy is the same rows plus ``created_local``
(``created`` in the workspace's time zone, computed once), so Superset's day boundaries are the
workspace's calendar days like Pulseboard's — a per-row time-zone conversion at query time
would cost Superset ~2 s per question at 10M rows, which is not how anyone would model it.
The copy is written by the Superset venv's DuckDB (pinned to Pulseboard's version), in time
order as exports and syncs deliver payments (the bench generator writes them in random order):
DuckDB then skips the row groups outside a question's range — Superset's best case, not its worst.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from bench import OUT

VENV = OUT / "superset-venv"
HOME = OUT / "superset"
REQUIREMENTS = Path(__file__).parent / "superset-requirements.txt"
ADMIN = "admin"
DATABASE_NAME = "pulseboard_bench"
TABLE = "payments"

#: Run by the Superset venv's Python: the payments of the bench warehouse, plus local time.
COPY_SCRIPT = """
import sys, duckdb
src, dst, tz = sys.argv[1], sys.argv[2], sys.argv[3]
con = duckdb.connect(dst)
con.execute("ATTACH '" + src.replace("'", "''") + "' AS src (READ_ONLY)")  # ATTACH takes no parameters
con.execute(
    "CREATE TABLE payments AS SELECT *, timezone(?, created AT TIME ZONE 'UTC') AS created_local "
    "FROM src.payments ORDER BY created_local",
    [tz],
)
con.execute("DETACH src")
con.execute("CHECKPOINT")
print(con.execute("SELECT count(*) FROM payments").fetchone()[0])
"""

CONFIG_TEMPLATE = '''"""Superset config for the Pulseboard peer benchmark (written by bench/superset_peer.py)."""
from datetime import timedelta

SECRET_KEY = {secret!r}
SQLALCHEMY_DATABASE_URI = {metadata!r}
# the REST API is driven by a script with a JWT: no browser forms, no CSRF tokens
WTF_CSRF_ENABLED = False
TALISMAN_ENABLED = False
# a DuckDB file on this machine is the point of the benchmark
PREVENT_UNSAFE_DB_CONNECTIONS = False
JWT_ACCESS_TOKEN_EXPIRES = timedelta(hours=4)
RATELIMIT_STORAGE_URI = "memory://"
ROW_LIMIT = 100000
SUPERSET_WEBSERVER_TIMEOUT = 120
CACHE_CONFIG = {{"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 86400}}
# chart-data answers: shared by every worker, so a second call is a real cache hit
DATA_CACHE_CONFIG = {{
    "CACHE_TYPE": "FileSystemCache",
    "CACHE_DIR": {cache_dir!r},
    "CACHE_DEFAULT_TIMEOUT": 86400,
    "CACHE_THRESHOLD": 100000,
}}
'''


class SupersetError(RuntimeError):
    """Superset could not be set up, started or asked (the message says which step and why)."""


def venv_python() -> Path:
    """The Superset virtualenv's Python, or a SupersetError saying how to make the venv."""
    python = VENV / "bin" / "python"
    if not (VENV / "bin" / "superset").exists():
        raise SupersetError(
            f"no Superset virtualenv at {VENV}: run `make bench-peer` (it creates it from "
            f"{REQUIREMENTS.name})"
        )
    return python


def _state() -> dict:
    """SECRET_KEY and admin password of this Superset home (made once, mode 0600)."""
    path = HOME / "state.json"
    if path.exists():
        return json.loads(path.read_text())
    HOME.mkdir(parents=True, exist_ok=True)
    state = {"secret_key": secrets.token_urlsafe(48), "admin_password": secrets.token_urlsafe(16)}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(state, handle)
    return state


def _env() -> dict[str, str]:
    config = HOME / "superset_config.py"
    return {**os.environ, "SUPERSET_CONFIG_PATH": str(config), "FLASK_APP": "superset"}


def _superset(*args: str, log: Path) -> None:
    """Run the ``superset`` CLI of the venv; its output goes to ``log`` (shown on failure)."""
    with log.open("a") as out:
        out.write(f"\n$ superset {' '.join(a if 'password' not in a else '***' for a in args)}\n")
        out.flush()
        done = subprocess.run(
            [str(VENV / "bin" / "superset"), *args], env=_env(), stdout=out, stderr=subprocess.STDOUT
        )
    if done.returncode != 0:
        tail = log.read_text()[-3000:]
        raise SupersetError(f"`superset {args[0]}` failed (exit {done.returncode}); end of {log}:\n{tail}")


def set_up() -> dict:
    """Write the config and, once, create the metadata DB, the admin and the roles.

    Returns the home's state (admin password). Re-runs only rewrite the config: the metadata
    DB is kept (its database connection and dataset are found again by name).
    """
    venv_python()
    state = _state()
    (HOME / "cache").mkdir(parents=True, exist_ok=True)
    (HOME / "superset_config.py").write_text(
        CONFIG_TEMPLATE.format(
            secret=state["secret_key"],
            metadata=f"sqlite:///{(HOME / 'superset.db').resolve()}",
            cache_dir=str((HOME / "cache").resolve()),
        )
    )
    marker = HOME / ".initialized"
    if not marker.exists():
        log = HOME / "setup.log"
        started = time.perf_counter()
        print("setting Superset up (db upgrade, admin, init): a few minutes, once")
        _superset("db", "upgrade", log=log)
        _superset("fab", "create-admin", "--username", ADMIN, "--firstname", "Bench", "--lastname",
                  "Admin", "--email", "admin@superset.local", "--password", state["admin_password"],
                  log=log)  # fmt: skip
        _superset("init", log=log)
        marker.write_text(json.dumps({"seconds": round(time.perf_counter() - started, 1)}))
    return state


def copy_payments(source: Path, timezone: str, meta: dict) -> Path:
    """Superset's own DuckDB file: the bench warehouse's payments plus ``created_local``.

    Rebuilt when the source workspace changed (its bench-meta differs); written to a temporary
    name and renamed, so an interrupted copy is never mistaken for a finished one.
    """
    target = HOME / "warehouse.duckdb"
    stamp = HOME / "warehouse-meta.json"
    wanted = {"meta": meta, "timezone": timezone, "order": "created_local"}
    if target.exists() and stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return target
    HOME.mkdir(parents=True, exist_ok=True)
    partial = HOME / "warehouse.duckdb.partial"
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    done = subprocess.run(
        [str(venv_python()), "-c", COPY_SCRIPT, str(source.resolve()), str(partial), timezone],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise SupersetError(f"copying payments for Superset failed: {done.stderr[-2000:]}")
    target.unlink(missing_ok=True)
    partial.rename(target)
    stamp.write_text(json.dumps(wanted))
    rows = int(done.stdout.strip().splitlines()[-1])
    print(f"copied {rows:,} payments for Superset in {time.perf_counter() - started:.1f}s -> {target}")
    return target


@dataclass
class SupersetServer:
    """A running Superset (gunicorn, one worker with threads, as a small install runs it)."""

    process: subprocess.Popen
    base: str

    def stop(self) -> None:
        """Stop the gunicorn this benchmark started (its own process id only)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start(port: int, *, workers: int = 1, threads: int = 4) -> SupersetServer:
    """Serve Superset on loopback ``port`` and wait until /health answers (3 minutes at most)."""
    base = f"http://127.0.0.1:{port}"
    try:
        requests.get(base + "/health", timeout=2)
    except requests.ConnectionError:
        pass  # the port is free
    except requests.RequestException:
        raise SupersetError(
            f"something already listens on port {port}: stop it or pass another port"
        ) from None
    else:
        raise SupersetError(f"something already answers on port {port}: stop it or pass another port")
    log = (HOME / "server.log").open("a")
    process = subprocess.Popen(
        [
            str(VENV / "bin" / "gunicorn"),
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--timeout",
            "120",
            "--bind",
            f"127.0.0.1:{port}",
            "superset.app:create_app()",
        ],
        env=_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = SupersetServer(process, base)
    try:
        _wait_healthy(server)
    except BaseException:
        server.stop()  # never leave a half-started Superset behind
        raise
    return server


def _wait_healthy(server: SupersetServer, seconds: float = 180) -> None:
    """Wait until /health answers 200 (gunicorn accepts connections before the app has loaded)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SupersetError(
                f"Superset exited (code {server.process.returncode}); see {HOME / 'server.log'}"
            )
        try:
            if requests.get(server.base + "/health", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise SupersetError(f"Superset did not answer /health within {seconds:.0f} s; see {HOME / 'server.log'}")


class SupersetClient:
    """Superset's REST API with a JWT from /api/v1/security/login."""

    def __init__(self, base: str, username: str, password: str):
        self.base = base
        self.session = requests.Session()
        answer = self.session.post(
            base + "/api/v1/security/login",
            json={"username": username, "password": password, "provider": "db", "refresh": True},
            timeout=30,
        )
        if answer.status_code != 200:
            raise SupersetError(f"Superset log-in failed: HTTP {answer.status_code} {answer.text[:300]}")
        self.session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def _call(self, method: str, path: str, **kwargs) -> dict:
        answer = self.session.request(method, self.base + path, timeout=120, **kwargs)
        if answer.status_code not in (200, 201):
            raise SupersetError(f"{method} {path}: HTTP {answer.status_code} {answer.text[:500]}")
        return answer.json()

    def _find(self, path: str, match) -> dict | None:
        listed = self._call("GET", path, params={"q": "(page_size:100)"})
        return next((row for row in listed.get("result", []) if match(row)), None)

    def ensure_database(self, duckdb_file: Path) -> int:
        """The id of the DuckDB connection to ``duckdb_file`` (read-only), created if missing."""
        uri = f"duckdb:///{duckdb_file.resolve()}"
        found = self._find("/api/v1/database/", lambda row: row.get("database_name") == DATABASE_NAME)
        if found is not None:
            return found["id"]
        created = self._call(
            "POST",
            "/api/v1/database/",
            json={
                "database_name": DATABASE_NAME,
                "sqlalchemy_uri": uri,
                "expose_in_sqllab": True,
                "extra": json.dumps({"engine_params": {"connect_args": {"read_only": True}}}),
            },
        )
        return created["id"]

    def ensure_dataset(self, database_id: int) -> int:
        """The id of the dataset on ``main.payments`` of that connection, created if missing."""
        found = self._find(
            "/api/v1/dataset/",
            lambda row: (
                row.get("table_name") == TABLE and (row.get("database") or {}).get("id") == database_id
            ),
        )
        if found is not None:
            return found["id"]
        created = self._call(
            "POST", "/api/v1/dataset/", json={"database": database_id, "schema": "main", "table_name": TABLE}
        )
        return created["id"]

    def chart_data(self, query_context: dict) -> tuple[float, dict]:
        """POST /api/v1/chart/data: (milliseconds until the whole answer arrived, its first result)."""
        started = time.perf_counter()
        answer = self.session.post(self.base + "/api/v1/chart/data", json=query_context, timeout=120)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code != 200:
            raise SupersetError(f"chart data: HTTP {answer.status_code} {answer.text[:800]}")
        return elapsed, answer.json()["result"][0]


def version() -> str:
    """The installed apache-superset version (from the venv's package metadata)."""
    done = subprocess.run(
        [str(venv_python()), "-c", "import importlib.metadata as m; print(m.version('apache-superset'))"],
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or "unknown"
