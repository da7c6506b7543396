"""Fixtures for the API connector tests: loopback-only HTTP, recorded sleeps, short time-outs."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # `pytest` (unlike `python -m pytest`) does not put the repo on sys.path
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import pytest  # noqa: E402

from data.connectors.api import make_client  # noqa: E402

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_real_handle_request = httpx.HTTPTransport.handle_request


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Every request any httpx client sends in these tests must go to loopback; the hosts are recorded."""
    hosts: list[str] = []

    def guarded(self, request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        if request.url.host not in LOOPBACK:
            raise AssertionError(f"a request left loopback: {request.url.host}")
        return _real_handle_request(self, request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", guarded)
    yield hosts
    assert set(hosts) <= LOOPBACK


@pytest.fixture
def sleeps() -> list[float]:
    """A list whose ``append`` is injected as the connectors' sleep: retries record, never wait."""
    return []


@pytest.fixture
def client():
    """An httpx client with a short time-out so a stalled fake server fails fast."""
    with make_client(timeout=httpx.Timeout(2.0)) as c:
        yield c


def _drain(connector, state, options):
    by_table: dict[str, list] = {}
    for chunk in connector.sync(state, options):
        by_table.setdefault(chunk.table, []).append(chunk)
    return by_table, connector.new_state


@pytest.fixture
def drain():
    """``drain(connector, state, options)`` runs a sync to the end -> (chunks by table, new_state)."""
    return _drain


@pytest.fixture
def rows():
    """``rows(chunks)``: all rows of a list of chunks as dicts."""
    return lambda chunks: [row for chunk in chunks for row in chunk.frame.to_dicts()]
