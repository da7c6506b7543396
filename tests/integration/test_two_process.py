"""Two app servers and two workers on one PostgreSQL and one Redis (issue 15, scale-out).

Real processes, as a multi-node deployment runs them (docs/deploy.md, "Several machines"):
``python -m dashboard serve`` twice on two free ports and ``python -m dashboard worker`` twice,
configured only by ``PULSEBOARD_*`` variables: the app DB and the warehouse in two fresh
databases of ``PULSEBOARD_TEST_POSTGRES_URL``, Redis in ``PULSEBOARD_TEST_REDIS_URL``, the
Celery job queue, one secret key and one data dir (the shared volume of a real deployment).
Checked over HTTP only: an import uploaded through one server shows the same numbers on the
other (pages and API), a job queued once runs once, a session started on one server works on
(and ends on) the other, and the log-in and API limits count across both. Skipped, saying
why, when PostgreSQL or Redis does not answer.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from components.formatting import format_value
from dashboard.jobqueue.registry import CeleryJobRegistry
from dashboard.jobqueue.store import connect
from dashboard.jobqueue.worker import QUEUE
from dashboard.services import Services
from dashboard.settings import Settings
from data.warehouse import Warehouse
from tests.conftest import PASSWORD, acme_workspace
from tests.integration.real_engines import (
    REDIS_URL,
    Processes,
    clean_env,
    postgres_databases,
    redis_test_db,
    wait_for,
)
from tests.integration.test_callbacks_security import _kpi_request
from tests.integration.test_sources import Dash, poll, upload
from tests.smtp import free_port

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "vendor"
#: The month of the Stripe fixture's payments: the pages and the API are asked about it.
JUNE = {"range": "custom", "start": "2024-06-01", "end": "2024-06-30", "compare": None, "grain": "day"}
JUNE_API = {"from": "2024-06-01", "to": "2024-06-30"}
#: Small limits, so that crossing them takes a handful of requests spread over both servers.
LOGIN_LIMIT = 3
API_LIMIT = 6
#: Seconds any one wait may take: a loaded 2-core machine starts four Python processes slowly.
WAIT = 120

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(4 * WAIT)]


@dataclass
class Cluster:
    """The running processes, the servers' URLs and what the test set up in the shared databases."""

    a: str
    b: str
    processes: Processes
    settings: Settings
    token: str  # an analyst's API token for the numbers
    limited_token: str  # another one, only for the rate-limit test (its own bucket)

    def client(self, base: str, cookies: httpx.Cookies | None = None) -> httpx.Client:
        """A browser-like client of one server; responses answer ``get_json`` for the Dash helpers."""
        return httpx.Client(
            base_url=base,
            cookies=cookies,
            timeout=60,
            # the Dash helpers of test_sources were written for Flask's test client
            event_hooks={"response": [lambda response: setattr(response, "get_json", response.json)]},
        )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two ``serve`` and two ``worker`` processes on fresh PostgreSQL databases and the test Redis."""
    with (
        postgres_databases("pb_two_proc", 2) as (app_db, warehouse_db),
        redis_test_db(),
        pytest.MonkeyPatch.context() as mp,
    ):
        root = tmp_path_factory.mktemp("two_proc")
        for key in list(os.environ):
            if key.startswith("PULSEBOARD_"):
                mp.delenv(key)
        mp.chdir(root)  # no .env of the checkout
        values = {
            "data_dir": str(root / "var"),
            "database_url": app_db.replace("postgresql://", "postgresql+psycopg://", 1),
            "warehouse_url": warehouse_db,
            "redis_url": REDIS_URL,
            "job_queue": "celery",
            "secret_key": secrets.token_hex(32),
            "scheduler": "false",  # the workers send reports; no web process needs to
            "login_limit_account": f"{LOGIN_LIMIT} per 15 minutes",
            "api_rate_limit": f"{API_LIMIT} per minute",
            "shutdown_grace": "5",
            "threads": "4",
        }
        settings = Settings(**values)
        tokens = _prepare(settings)
        processes = Processes(root, clean_env(**{f"PULSEBOARD_{k.upper()}": v for k, v in values.items()}))
        try:
            ports = free_port(), free_port()
            for name, port in zip("ab", ports, strict=True):
                processes.start(
                    f"server-{name}", [sys.executable, "-m", "dashboard", "serve", "--port", str(port)]
                )
            for n in (1, 2):
                argv = [
                    sys.executable,
                    "-m",
                    "dashboard",
                    "worker",
                    "--concurrency",
                    "1",
                    "--interval",
                    "3600",
                ]
                processes.start(f"worker-{n}", argv)
            a, b = (f"http://127.0.0.1:{port}" for port in ports)
            for base in (a, b):
                wait_for(lambda base=base: _ready(base, processes), WAIT, f"{base}/readyz", processes.logs)
            for n in (1, 2):  # Celery logs "ready." once it consumes the queue
                log = root / f"worker-{n}.log"
                wait_for(lambda log=log: "ready." in log.read_text(), WAIT, f"worker {n}", processes.logs)
            yield Cluster(a, b, processes, settings, *tokens)
        finally:
            processes.stop()


def _prepare(settings: Settings) -> tuple[str, str]:
    """Migrate both databases once (as `pulseboard db upgrade` per release), add acme and two tokens."""
    from dashboard.accounts import get_workspace
    from dashboard.api.tokens import create_token

    services = Services(settings)
    try:
        services.db.upgrade()
        acme_workspace(services)
        with services.db.session() as db:
            acme = get_workspace(db, "acme")
            token, _ = create_token(db, "analyst@acme.test", acme, name="numbers")
            limited, _ = create_token(db, "analyst@acme.test", acme, name="limits")
    finally:
        services.close()
    Warehouse(settings.warehouse_url).close()  # its migrations, before two servers open it at once
    return token, limited


def _ready(base: str, processes: Processes) -> bool:
    crashed = [name for name, proc in processes.procs.items() if proc.poll() is not None]
    if crashed:
        raise AssertionError(f"{', '.join(crashed)} exited early\n{processes.logs()}")
    try:
        return httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def _login(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def _kpi_row(client: httpx.Client) -> str:
    response = client.post("/_dash-update-component", json=_kpi_request(JUNE))
    assert response.status_code == 200, response.text[:500]
    return json.dumps(response.json())


def _net_revenue(base: str, token: str) -> dict:
    response = httpx.get(
        f"{base}/api/v1/metrics/net_revenue",
        params=JUNE_API,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _worker_logs(cluster: Cluster) -> str:
    return "".join(
        (cluster.processes.log_dir / f"{name}.log").read_text()
        for name in cluster.processes.procs
        if "worker" in name
    )


def _upload_and_wait(cluster: Cluster, through: httpx.Client, polled: httpx.Client, path: Path) -> str:
    """Upload ``path`` through one server and poll its job on the other until it ends; the job id."""
    body = upload(Dash(through), [path]).json()["response"]
    (job_id,) = body["pb-src-jobs"]["data"]["ids"]
    panel = {}

    def finished() -> bool:
        panel.update(poll(Dash(polled), {"ids": [job_id]}).json()["response"])
        return panel["pb-src-jobs-poll"]["disabled"] is True  # polling stops when all jobs ended

    wait_for(finished, WAIT, f"the import of {path.name}", cluster.processes.logs)
    text = json.dumps(panel)
    assert '"Imported ' in text and path.name in text, (text, cluster.processes.logs())
    assert "Not imported" not in text and "stopped" not in text, text
    return job_id


# -- (a) an import through one server is visible on the other ------------------------------------
def test_an_import_through_server_a_shows_the_same_numbers_on_server_b(cluster):
    with cluster.client(cluster.a) as a, cluster.client(cluster.b) as b:
        assert _login(a, "owner@acme.test").status_code == 302
        assert _login(b, "owner@acme.test").status_code == 302
        before_row = _kpi_row(b)  # B caches June's empty row (memory and Redis) and its data version
        before = _net_revenue(cluster.b, cluster.token)
        assert before["rows"][0]["value"] in (0, None)
        _upload_and_wait(cluster, a, b, FIXTURES / "stripe_payments_new.csv")

        on_a, on_b = _net_revenue(cluster.a, cluster.token), _net_revenue(cluster.b, cluster.token)
        assert on_a == on_b
        value = on_b["rows"][0]["value"]
        assert value > 0
        row_b = _kpi_row(b)
        assert row_b != before_row  # B did not keep answering from its cache of the old data
        assert format_value(value, "currency", "USD", compact=True) in row_b
        assert _kpi_row(a) == row_b


# -- (b) a job queued once runs once ----------------------------------------------------------------
def test_a_job_queued_once_runs_once_on_two_workers(cluster):
    registry = CeleryJobRegistry(cluster.settings)  # what a web process sends to Celery
    with cluster.client(cluster.a) as a, cluster.client(cluster.b) as b:
        assert _login(b, "analyst@acme.test").status_code == 302
        a.cookies = b.cookies
        body = upload(Dash(b), [FIXTURES / "ga4_traffic.csv"]).json()["response"]
        (job_id,) = body["pb-src-jobs"]["data"]["ids"]
        for _ in range(2):  # the same message delivered twice more: either worker may take them
            registry._send(job_id)
        wait_for(
            lambda: poll(Dash(a), {"ids": [job_id]}).json()["response"]["pb-src-jobs-poll"]["disabled"],
            WAIT,
            "the GA4 import",
            cluster.processes.logs,
        )
        # both extra deliveries reach a worker, which finds the job claimed and skips it (Celery
        # logs each task's return value: "done" for the run, "skipped" for the duplicates)
        wait_for(
            lambda: _worker_logs(cluster).count("'skipped'") == 2,
            WAIT,
            "the two duplicate deliveries to be skipped",
            cluster.processes.logs,
        )
        assert connect(REDIS_URL).llen(QUEUE) == 0
    warehouse = Warehouse(cluster.settings.warehouse_url)
    try:
        runs = (
            warehouse.cursor()
            .execute("SELECT count(*) FROM ingest_runs WHERE name = ?", ["ga4_traffic.csv"])
            .fetchone()[0]
        )
    finally:
        warehouse.close()
    assert runs == 1, cluster.processes.logs()
    snapshot = registry.store.load(job_id).snapshot()
    assert snapshot["status"] == "done", snapshot
    assert all(proc.poll() is None for proc in cluster.processes.procs.values()), cluster.processes.logs()


# -- (c) a session started on server A works on server B -------------------------------------------
def test_a_session_started_on_a_works_on_b_and_ends_on_both(cluster):
    with cluster.client(cluster.a) as a:
        assert _login(a, "analyst@acme.test").status_code == 302
        assert a.get("/").status_code == 200
        with cluster.client(cluster.b, cookies=a.cookies) as b, cluster.client(cluster.b) as stranger:
            assert stranger.get("/").status_code == 302  # no cookie: B sends to the log-in
            assert b.get("/").status_code == 200  # the same cookie: logged in on B too
            assert "pb-kpi-net_revenue" in _kpi_row(b)  # and B's callbacks answer it
            page = b.get("/logout").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            assert b.post("/logout", data={"csrf_token": token}).status_code in (302, 303)
        # logged out on B: the old cookie no longer works on A (the session row is shared)
        stale = cluster.client(cluster.a, cookies=a.cookies)
        with stale:
            response = stale.get("/")
            assert response.status_code == 302 and "/login" in response.headers["location"]


# -- (d) the log-in and API limits count across both servers ---------------------------------------
def test_failed_log_ins_and_api_requests_count_across_both_servers(cluster):
    with cluster.client(cluster.a) as a, cluster.client(cluster.b) as b:
        for n in range(LOGIN_LIMIT):  # wrong passwords spread over both servers
            assert _login((a, b)[n % 2], "viewer@acme.test", "wrong password").status_code == 401
        locked = _login((a, b)[LOGIN_LIMIT % 2], "viewer@acme.test")  # the right one, too late
        assert locked.status_code == 429 and "Too many failed attempts" in locked.text
        assert _login((b, a)[LOGIN_LIMIT % 2], "viewer@acme.test").status_code == 429
    headers = {"Authorization": f"Bearer {cluster.limited_token}"}
    statuses = [
        httpx.get(f"{(cluster.a, cluster.b)[n % 2]}/api/v1/metrics", headers=headers, timeout=60).status_code
        for n in range(API_LIMIT + 1)
    ]
    assert statuses == [200] * API_LIMIT + [429]
