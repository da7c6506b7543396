"""Shared fixtures: each test gets its own data dir, settings, services and app."""

from __future__ import annotations

import contextlib
import os
import re
from datetime import date, datetime
from decimal import Decimal

import polars as pl
import pytest

from dashboard.accounts import create_user, ensure_workspace, to_ref
from dashboard.services import Services
from dashboard.settings import Settings
from data.connectors.base import Chunk
from data.ingest import ingest_chunks

PASSWORD = "correct horse battery"

#: names of the threads the apps under test start for background work (dashboard.forecast.cards
#: Runner, callbacks.page_warmup, dashboard.jobs)
BACKGROUND_THREADS = ("pb-projection", "pb-page-warm-up", "pulseboard-job-", "pb-first-screen-")
#: how long the end of the run waits for them
BACKGROUND_GRACE_SECONDS = 120


def pytest_sessionfinish(session, exitstatus):
    """Let the background work of the tests' apps end before the interpreter does.

    An app made by a test (``create_app``) has services of its own that no fixture closes, and a
    KPI card's projection may still be fitting a model when the last test ends. A thread still
    inside native code (statsmodels, DuckDB) while the interpreter finalizes aborted the
    process ("terminate called without an active exception", exit 134) after every test had
    passed: CI would fail on a run that passed.
    """
    import threading
    import time

    deadline = time.monotonic() + BACKGROUND_GRACE_SECONDS
    for thread in threading.enumerate():
        if thread.name.startswith(BACKGROUND_THREADS) and thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))


@pytest.fixture(autouse=True)
def fresh_job_registry(monkeypatch):
    """Each test its own job registry and projection runner, and no page request in flight: work an earlier test left running
    (its server and warehouse already gone) must not count against this test's workspace or be
    waited for."""
    from dashboard import jobs
    from dashboard.forecast import cards

    monkeypatch.setattr(jobs, "REGISTRY", jobs.JobRegistry())
    # the same for the KPI cards' projections: an earlier test's backlog (one fit at a time, for
    # services long closed) must not keep this test's projections waiting
    monkeypatch.setattr(cards, "RUNNER", cards.Runner())
    # and a quiet process: a page request an earlier test's server left open must not make this
    # test's background work wait for the pages to settle
    from dashboard.ops import priority

    priority.reset()


@pytest.fixture
def held_insights(monkeypatch):
    """Insights generations wait until the test sets the event this yields (set again at teardown).

    For tests of what a page shows while its range's generation is still running.
    """
    import threading

    from dashboard.insights import service

    release = threading.Event()
    real = service.generate

    def held_generation(*args, **kwargs):
        release.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "generate", held_generation)
    yield release
    release.set()


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """Settings on a temporary data dir; the environment cannot leak in."""
    for key in list(__import__("os").environ):
        if key.startswith("PULSEBOARD_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no .env from the repo
    return Settings(data_dir=tmp_path / "var")


@contextlib.contextmanager
def readonly_services(tmp_path_factory, name: str):
    """Services on a fresh data dir for a whole module whose tests only read (set up once).

    Loading a fixture through the real ingest path costs seconds; tests that only query it can
    share one copy instead of each building its own. Tests that write use ``services``.
    """
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("PULSEBOARD_"):
                mp.delenv(key)
        path = tmp_path_factory.mktemp(name)
        mp.chdir(path)
        services = Services(Settings(data_dir=path / "var"))
        services.db.upgrade()
        try:
            yield services
        finally:
            services.close()


def acme_workspace(services):
    """Workspace "acme" (USD, UTC) with an owner, an analyst and a viewer."""
    with services.db.session() as db:
        ws = ensure_workspace(db, "acme", name="Acme", currency="USD", timezone="UTC")
        create_user(db, "owner@acme.test", PASSWORD, workspace=ws, role="owner")
        create_user(db, "analyst@acme.test", PASSWORD, workspace=ws, role="analyst")
        create_user(db, "viewer@acme.test", PASSWORD, workspace=ws, role="viewer")
        return to_ref(ws)


@pytest.fixture
def services(settings):
    services = Services(settings)
    services.db.upgrade()
    yield services
    services.close()


@pytest.fixture
def workspace(services):
    """An empty workspace "acme" (USD, UTC) with an owner, an analyst and a viewer."""
    return acme_workspace(services)


@pytest.fixture
def other_workspace(services):
    """A second workspace with its own owner, for isolation tests."""
    with services.db.session() as db:
        ws = ensure_workspace(db, "globex", name="Globex", currency="EUR", timezone="Europe/Berlin")
        create_user(db, "owner@globex.test", PASSWORD, workspace=ws, role="owner")
        return to_ref(ws)


def payments_frame(rows: list[dict]) -> pl.DataFrame:
    """Canonical payments from short dicts (money as strings)."""
    out = []
    for i, row in enumerate(rows):
        out.append(
            {
                "source": row.get("source", "stripe"),
                "source_id": row.get("id", f"ch_{i}"),
                "created": row["created"]
                if isinstance(row["created"], datetime)
                else datetime.fromisoformat(row["created"]),
                "kind": row.get("kind", "charge"),
                "status": row.get("status", "succeeded"),
                "amount": Decimal(row["amount"]),
                "amount_refunded": Decimal(row.get("refunded", "0")),
                "fee": Decimal(row.get("fee", "0")),
                "currency": row.get("currency", "USD"),
                "customer_id": row.get("customer"),
                "product": row.get("product"),
                "channel": row.get("channel"),
                "country": row.get("country"),
            }
        )
    return pl.DataFrame(out)


def load(services, workspace, table: str, frame: pl.DataFrame, name: str = "fixture"):
    """Ingest a canonical frame through the real ingest path."""
    return ingest_chunks(
        services.warehouse,
        workspace,
        [Chunk(table, frame, rows_read=frame.height)],
        source=frame["source"][0] if frame.height else "test",
        name=name,
    )


@pytest.fixture
def app(settings, services):
    from app import create_app

    return create_app(settings)


@pytest.fixture
def client(app):
    return app.server.test_client()


class AuthActions:
    """Log in and out through the real form (CSRF token included)."""

    def __init__(self, client):
        self.client = client

    def login(self, email="owner@acme.test", password=PASSWORD):
        page = self.client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return self.client.post("/login", data={"email": email, "password": password, "csrf_token": token})

    def logout(self):
        page = self.client.get("/logout").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return AuthActions(client)


def day(text: str) -> date:
    return date.fromisoformat(text)


@pytest.fixture
def inbox():
    """A real SMTP server on loopback keeping what it receives (tests/smtp.py)."""
    from tests.smtp import running_inbox

    with running_inbox() as handler:
        yield handler
