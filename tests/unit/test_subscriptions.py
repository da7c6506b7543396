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


def test_sub004_both_ways_of_netting_changes_agree(monkeypatch):
    """The grid's bincounts (small grids) and the sort (large ones) give the same keys and sums."""
    import numpy as np

    rng = np.random.default_rng(7)
    key = rng.integers(0, 5_000, size=20_000)
    delta = rng.integers(-50_000, 50_000, size=20_000)
    delta[:10] = 0  # a cell whose changes sum to zero is still a changed cell
    by_grid = subscriptions._net_by_key(key, delta, 5_000)
    monkeypatch.setattr(subscriptions, "_BLOCK_CELLS", 0)  # force the sort
    by_sort = subscriptions._net_by_key(key, delta, 5_000)
    assert np.array_equal(by_grid[0], by_sort[0]) and np.array_equal(by_grid[1], by_sort[1])
    assert by_grid[1].dtype == np.int64
    assert subscriptions._net_by_key(key[:0], delta[:0], 0)[0].size == 0


def _sub(i: str, customer: str, mrr: str, start: datetime, end: datetime | None = None) -> dict:
    return {"source": "stripe", "source_id": i, "customer_id": customer, "plan": "Pro", "amount": Decimal(mrr),
            "currency": "USD", "mrr": Decimal(mrr), "start_at": start, "end_at": end}  # fmt: skip


def test_sub005_subscriptions_starting_after_the_range_change_nothing_in_it(services, workspace):
    """Movements read every subscription; those starting after the range's end add nothing to it."""
    from datetime import date

    rows = [
        _sub("s1", "c-a", "10", datetime(2026, 1, 5)),
        _sub("s2", "c-b", "20", datetime(2026, 1, 10), datetime(2026, 2, 20)),
        _sub("s3", "c-b", "30", datetime(2026, 3, 1)),  # c-b comes back after January
        _sub("s4", "c-c", "40", datetime(2026, 4, 1)),  # a customer who starts later
    ]
    load(services, workspace, "subscriptions", pl.DataFrame(rows))
    scoped = services.warehouse.scoped(workspace)
    january = subscriptions.mrr_movements(scoped, date(2026, 1, 1), date(2026, 1, 31), "total").row(
        0, named=True
    )
    assert (january["opening_mrr"], january["new"], january["closing_mrr"]) == (0.0, 30.0, 30.0)
    assert january["customers_end"] == 2
    weeks = subscriptions.mrr_movements(scoped, date(2026, 2, 2), date(2026, 3, 15), "week")
    assert weeks["churn"].sum() == 20.0 and weeks["reactivation"].sum() == 30.0 and weeks["new"].sum() == 0.0
    moved = subscriptions.mrr_customer_movements(scoped, date(2026, 1, 1), date(2026, 3, 31), "month")
    assert set(moved["customer"]) == {"c-a", "c-b"}  # c-c starts in April
    changed = subscriptions.mrr_customer_movements(
        scoped, date(2026, 1, 1), date(2026, 3, 31), "month", changed_only=True
    )
    assert changed.select("period", "customer", "movement").rows() == [
        ("2026-01-01", "c-a", "new"),
        ("2026-01-01", "c-b", "new"),
        ("2026-02-01", "c-b", "churn"),
        ("2026-03-01", "c-b", "reactivation"),
    ]


def test_sub006_runs_match_a_binary_search_per_subscription():
    """The kept columns' runs of active cutoffs equal the plain definition (start_at < cutoff
    <= end_at), for starts and ends on a cutoff, before the first and after the last."""
    import numpy as np

    rng = np.random.default_rng(11)
    day = 86_400_000_000
    cut = np.array([datetime(2026, 1, 1), datetime(2026, 2, 1), datetime(2026, 3, 1)], dtype="datetime64[us]")
    base = cut[0].astype(np.int64)
    # starts and ends on whole days from 40 days before to 100 after, so many fall on a cutoff
    starts = base + rng.integers(-40, 100, size=2_000) * day
    ends = starts + rng.integers(0, 60, size=2_000) * day
    open_ended = rng.random(2_000) < 0.3
    frame = pl.DataFrame(
        {
            "customer": [f"c{i % 700}" for i in range(2_000)],
            "code": [i % 700 for i in range(2_000)],
            "first_start": starts.astype("datetime64[us]"),  # any value: runs do not read it
            "start_at": starts.astype("datetime64[us]"),
            "end_at": pl.Series(ends.astype("datetime64[us]")).set(pl.Series(open_ended), None),
            "cents": rng.integers(0, 10_000, size=2_000),
        }
    )
    columns = subscriptions.SubscriptionColumns(frame)
    first, last = columns.runs(cut)
    assert np.array_equal(first, np.searchsorted(cut, columns.start_at, side="right"))
    expected_last = np.full(columns.size, len(cut))
    expected_last[columns.ended] = np.searchsorted(cut, columns.end_at[columns.ended], side="right")
    assert np.array_equal(last, expected_last)
    assert columns.ended.sum() == (~open_ended).sum()
    assert (np.diff(columns.code) >= 0).all()  # by customer: what the netting's sort is fast on
    nothing = subscriptions.SubscriptionColumns(frame.head(0))
    assert [r.size for r in nothing.runs(cut)] == [0, 0]


def test_sub007_mrr_from_the_kept_columns_equals_the_query(services, workspace):
    """The MRR metric's snapshots read the kept columns; a direct query gives the same values,
    for subscriptions starting and ending on a cutoff, before the range and after it."""
    from datetime import date

    from data.metrics import execute
    from data.metrics.catalogue import get_metric

    rows = [
        _sub("s1", "c-a", "10", datetime(2025, 12, 5)),
        _sub("s2", "c-b", "20", datetime(2026, 1, 1), datetime(2026, 2, 1)),  # ends on a cutoff
        _sub("s3", "c-b", "30", datetime(2026, 2, 1)),  # starts on one
        _sub("s4", "c-c", "40", datetime(2026, 4, 1)),  # after the range
        _sub("s5", "c-d", "50", datetime(2025, 1, 1), datetime(2025, 6, 1)),  # before it
        _sub("s6", "c-e", "60", datetime(2026, 1, 15, 12), datetime(2026, 3, 1, 0, 0, 1)),
    ]
    load(services, workspace, "subscriptions", pl.DataFrame(rows))
    scoped = services.warehouse.scoped(workspace)

    class QueryOnly:  # no ``warehouse``: _snapshot_parts queries the table itself
        def __init__(self, inner):
            self.workspace, self.execute_sql = inner.workspace, inner.execute_sql

    mrr = get_metric("mrr")
    for grain in ("total", "month", "week", "day"):
        for where in ({}, {"plan": "Pro"}, {"plan": "Basic"}):
            args = (mrr, date(2026, 1, 1), date(2026, 3, 31), grain, None, where)
            kept = execute._snapshot_parts(scoped, *args)
            queried = execute._snapshot_parts(QueryOnly(scoped), *args)
            assert kept.equals(queried), (grain, where)
    months = execute._snapshot_parts(scoped, mrr, date(2026, 1, 1), date(2026, 3, 31), "month", None, {})
    # end of January: s1, s2 (ends at that instant) and s6; of February: s1, s3 and s6 (one second
    # into March); of March: s1 and s3 (s4 starts at that instant)
    assert months["value"].to_list() == [90.0, 100.0, 40.0]
