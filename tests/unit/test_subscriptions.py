"""data.subscriptions: one fetch per data version, shared by concurrent readers."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from decimal import Decimal

import polars as pl
import pytest

from data.metrics import subscriptions
from data.metrics.service import service_of
from tests.conftest import load


def _subs(ids: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"source": "stripe", "source_id": i, "customer_id": f"c-{i}", "plan": "Pro", "amount": Decimal("10"),
             "currency": "USD", "mrr": Decimal("10"), "start_at": datetime(2026, 1, 1)}
            for i in ids
        ]
    )  # fmt: skip


@pytest.fixture
def counted(monkeypatch):
    calls = []
    real = subscriptions._fetch

    def fetch(scoped, plan):
        calls.append(plan)
        time.sleep(0.05)  # long enough for the other threads to arrive while it runs
        return real(scoped, plan)

    monkeypatch.setattr(subscriptions, "_fetch", fetch)
    return calls


def test_sub001_concurrent_readers_share_one_fetch(services, workspace, counted):
    load(services, workspace, "subscriptions", _subs(["s1", "s2"]))
    scoped = services.warehouse.scoped(workspace)
    heights = []
    threads = [
        threading.Thread(target=lambda: heights.append(subscriptions.all_subscriptions(scoped).height))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert heights == [2, 2, 2, 2] and counted == [None]
    assert subscriptions.all_subscriptions(scoped, "Pro").height == 2 and counted == [None, "Pro"]


def test_sub002_an_import_is_seen_at_once(services, workspace, counted):
    load(services, workspace, "subscriptions", _subs(["s1"]))
    scoped = services.warehouse.scoped(workspace)
    assert subscriptions.all_subscriptions(scoped).height == 1
    assert subscriptions.all_subscriptions(scoped).height == 1 and len(counted) == 1
    load(services, workspace, "subscriptions", _subs(["s2"]), name="second")
    assert subscriptions.all_subscriptions(scoped).height == 2 and len(counted) == 2


def test_sub003_a_failed_fetch_is_not_kept(services, workspace, monkeypatch):
    load(services, workspace, "subscriptions", _subs(["s1"]))
    scoped = services.warehouse.scoped(workspace)
    real = subscriptions._fetch
    monkeypatch.setattr(subscriptions, "_fetch", lambda s, p: (_ for _ in ()).throw(RuntimeError("db down")))
    with pytest.raises(RuntimeError):
        subscriptions.all_subscriptions(scoped)
    monkeypatch.setattr(subscriptions, "_fetch", real)
    assert subscriptions.all_subscriptions(scoped).height == 1
    assert not service_of(scoped).subscriptions._computing  # no reader left waiting on the failure
