"""Incremental rollup refresh must always equal a full rebuild.

Ingestion recomputes only the rollup days it touched (rows written and rows they replaced). These
tests replay overlapping imports that move payments between days, switch their customer and
refund them, in UTC and in a time zone where local days differ from UTC days, and compare every
rollup table with a from-scratch rebuild after each import.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from data import ingest, rollups
from data.connectors.base import SKIP_DUPLICATE, Chunk
from tests.conftest import load, payments_frame

ROLLUP_TABLES = {
    "payments_daily": "day, channel, product, country",
    "customer_daily": "day, customer_no, channel, product, country",
    "customer_weekly": "week, customer_no",
    "customer_monthly": "month, customer_no",
    "customer_weekly_dim_counts": "dim, value, week",
    "customer_monthly_dim": "dim, value, month, customer_no",
    "customer_monthly_dim_totals": "dim, value, month, customer_no",
    "customer_first": "customer_no",
}


def _snapshot(cur, workspace) -> dict[str, list[tuple]]:
    out = {}
    for table, order in ROLLUP_TABLES.items():
        columns = "*"  # channel/product/country included: customer_daily keeps each (no any_value)
        out[table] = cur.execute(
            f"SELECT {columns} FROM {table} WHERE workspace_id = ? ORDER BY {order}", [workspace.id]
        ).fetchall()
    return out


def _assert_matches_full_rebuild(services, workspace) -> None:
    warehouse = services.warehouse
    cur = warehouse.cursor()
    incremental = _snapshot(cur, workspace)
    # A full rebuild in a transaction we roll back: the stored rollups stay as ingestion left them.
    cur.execute("BEGIN TRANSACTION")
    try:
        rollups.refresh(cur, workspace, {"payments"})
        rebuilt = _snapshot(cur, workspace)
    finally:
        cur.execute("ROLLBACK")
    for table in ROLLUP_TABLES:
        assert incremental[table] == rebuilt[table], table
    assert incremental["payments_daily"], "the fixture should produce rollup rows"


def _batch(rng: random.Random, ids: range, base: datetime, currency: str = "USD") -> list[dict]:
    rows = []
    for i in ids:
        created = base + timedelta(
            days=rng.randint(0, 40), hours=rng.randint(0, 23), minutes=rng.randint(0, 59)
        )
        status = rng.choice(["succeeded", "succeeded", "refunded", "failed"])
        rows.append(
            {
                "id": f"ch_{i}",
                "created": created,
                "amount": f"{rng.randint(5, 500)}.{rng.randint(0, 99):02d}",
                "refunded": "0" if status != "refunded" else "5.00",
                "status": status,
                "currency": currency,
                "customer": f"cus_{rng.randint(0, 12)}",
                "product": rng.choice(["Pro", "Basic", None]),
                "channel": rng.choice(["Email", "Paid Search", None]),
                "country": rng.choice(["US", "DE"]),
            }
        )
    return rows


@pytest.mark.parametrize("tz_workspace", ["workspace", "other_workspace"])
def test_incremental_refresh_equals_full_rebuild(request, services, tz_workspace, monkeypatch):
    workspace = request.getfixturevalue(tz_workspace)  # UTC, and Europe/Berlin
    # Small insert batches: one run writes several batches, and later batches replace earlier ones.
    monkeypatch.setattr(ingest, "INSERT_BATCH_ROWS", 7)
    rng = random.Random(20261122)
    base = datetime(2026, 3, 1)
    steps = [
        (range(0, 60), base),  # first import
        (range(40, 90), base + timedelta(days=20)),  # overlap: 20 payments move ~20 days later
        (range(0, 10), base - timedelta(days=30)),  # the oldest move a month earlier (first days change)
        (range(85, 95), base + timedelta(days=90)),  # a disjoint later span plus a few replacements
        (range(200, 230), base - timedelta(days=60)),  # only new rows, earlier: first days move earlier
        (range(300, 340), base + timedelta(days=10)),  # only new rows on days that already have some
    ]
    for ids, start in steps:
        result = load(
            services, workspace, "payments", payments_frame(_batch(rng, ids, start, workspace.currency))
        )
        assert result.status == "ok", result.error
        _assert_matches_full_rebuild(services, workspace)


def test_replacing_rows_reports_updates_and_keeps_one_copy(services, workspace, monkeypatch):
    monkeypatch.setattr(ingest, "INSERT_BATCH_ROWS", 3)
    rows = _batch(random.Random(1), range(0, 10), datetime(2026, 1, 1))
    first = load(services, workspace, "payments", payments_frame(rows))
    assert (first.inserted, first.updated) == (10, 0)
    # the same ids in two chunks of one run, written as separate batches: the last occurrence wins
    again = [Chunk("payments", payments_frame(rows[:5]), rows_read=5) for _ in range(2)]
    second = ingest.ingest_chunks(services.warehouse, workspace, again, source="stripe", name="again")
    assert (second.inserted, second.updated) == (0, 10)
    count = (
        services.warehouse.cursor()
        .execute("SELECT count(*) FROM payments WHERE workspace_id = ?", [workspace.id])
        .fetchone()[0]
    )
    assert count == 10
    _assert_matches_full_rebuild(services, workspace)


def test_first_import_in_batches_replaces_ids_repeated_across_batches(services, workspace, monkeypatch):
    """A source new to the workspace, written in several batches: only repeated ids are looked up."""
    monkeypatch.setattr(ingest, "INSERT_BATCH_ROWS", 3)
    rng = random.Random(5)
    base = datetime(2026, 2, 1)
    first, repeated, later = (
        _batch(rng, range(0, 10), base),
        _batch(rng, range(5, 15), base + timedelta(days=50)),  # ids 5-9 again, ~50 days later
        _batch(rng, range(20, 25), base - timedelta(days=10)),
    )
    chunks = [
        Chunk("payments", payments_frame(rows), rows_read=len(rows)) for rows in (first, repeated, later)
    ]
    result = ingest.ingest_chunks(services.warehouse, workspace, chunks, source="stripe", name="batches")
    # (the file's totals count an id repeated across chunks twice, so the run reconciles as partial)
    assert (result.rows_read, result.inserted, result.updated) == (25, 20, 5)
    stored = dict(
        services.warehouse.cursor()
        .execute("SELECT source_id, created FROM payments WHERE workspace_id = ?", [workspace.id])
        .fetchall()
    )
    assert len(stored) == 20
    # the later batch's row wins for every repeated id
    assert all(
        stored[f"ch_{i}"] == next(r["created"] for r in repeated if r["id"] == f"ch_{i}")
        for i in range(5, 10)
    )
    _assert_matches_full_rebuild(services, workspace)


def _numbers(cur, workspace) -> dict[str, int]:
    rows = cur.execute(
        "SELECT customer_key, customer_no FROM customer_keys WHERE workspace_id = ?", [workspace.id]
    ).fetchall()
    return dict(rows)


def test_customer_numbers_are_dense_stable_and_per_workspace(services, workspace, other_workspace):
    rng = random.Random(7)
    load(services, workspace, "payments", payments_frame(_batch(rng, range(0, 40), datetime(2026, 2, 1))))
    cur = services.warehouse.cursor()
    first = _numbers(cur, workspace)
    assert sorted(first.values()) == list(range(1, len(first) + 1))  # dense, from 1
    # every customer in the rollups has exactly one number, and every number names a rollup row
    keys = cur.execute(
        "SELECT count(*), count(DISTINCT customer_no) FROM customer_first WHERE workspace_id = ?",
        [workspace.id],
    ).fetchone()
    assert keys == (len(first), len(first))

    # new customers get the next numbers; the old keep theirs, through a full rebuild too
    later = _batch(rng, range(100, 110), datetime(2026, 5, 1))
    for row in later:
        row["customer"] = f"cus_new_{row['id']}"
        row["status"] = "succeeded"
    load(services, workspace, "payments", payments_frame(later))
    rollups.refresh(cur, workspace, {"payments"})
    second = _numbers(cur, workspace)
    assert {k: second[k] for k in first} == first
    assert sorted(second.values()) == list(range(1, len(first) + 11))

    # another workspace numbers its own customers from 1, even with the same vendor ids
    load(
        services,
        other_workspace,
        "payments",
        payments_frame(
            _batch(random.Random(7), range(0, 40), datetime(2026, 2, 1), other_workspace.currency)
        ),
    )
    assert min(_numbers(cur, other_workspace).values()) == 1


def test_migration_numbers_rollups_written_by_string_key(tmp_path):
    """A warehouse from before 0002 keeps its rollups, now keyed by number."""
    import duckdb

    from data.warehouse import MIGRATIONS_DIR, Warehouse, _split_sql

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    for statement in _split_sql((MIGRATIONS_DIR / "0001_canonical.sql").read_text()):
        con.execute(statement)
    con.execute("CREATE TABLE schema_migrations (version VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
    con.execute("INSERT INTO schema_migrations VALUES ('0001_canonical', now())")
    con.execute(
        "INSERT INTO customer_daily VALUES (1, DATE '2026-01-02', 'cus_b', 'Email', 'Pro', 'US', 1, 10),"
        " (1, DATE '2026-01-05', 'cus_a', NULL, NULL, 'DE', 2, 30), (1, DATE '2026-01-09', 'cus_b', NULL, NULL, NULL, 1, 5),"
        " (2, DATE '2026-01-03', 'cus_b', NULL, NULL, NULL, 1, 7)"
    )
    con.execute(
        "INSERT INTO customer_first VALUES (1, 'cus_b', DATE '2026-01-02', 'Email', 'Pro', 'US'),"
        " (1, 'cus_a', DATE '2026-01-05', NULL, NULL, 'DE'), (2, 'cus_b', DATE '2026-01-03', NULL, NULL, NULL)"
    )
    con.close()

    warehouse = Warehouse(f"duckdb:///{path}")
    warehouse.migrate()
    cur = warehouse.cursor()
    assert ("0002_customer_numbers",) in cur.execute("SELECT version FROM schema_migrations").fetchall()
    rows = cur.execute(
        "SELECT d.workspace_id, d.day, k.customer_key, d.payments, d.gross FROM customer_daily d "
        "JOIN customer_keys k USING (workspace_id, customer_no) ORDER BY 1, 2"
    ).fetchall()
    assert [(r[0], str(r[1]), r[2], r[3], float(r[4])) for r in rows] == [
        (1, "2026-01-02", "cus_b", 1, 10.0),
        (1, "2026-01-05", "cus_a", 2, 30.0),
        (1, "2026-01-09", "cus_b", 1, 5.0),
        (2, "2026-01-03", "cus_b", 1, 7.0),
    ]
    firsts = cur.execute(
        "SELECT f.workspace_id, k.customer_key, f.channel FROM customer_first f "
        "JOIN customer_keys k USING (workspace_id, customer_no) ORDER BY 1, 2"
    ).fetchall()
    assert firsts == [(1, "cus_a", None), (1, "cus_b", "Email"), (2, "cus_b", None)]
    assert cur.execute(
        "SELECT workspace_id, customer_key, customer_no FROM customer_keys ORDER BY 1, 3"
    ).fetchall() == [
        (1, "cus_a", 1),
        (1, "cus_b", 2),
        (2, "cus_b", 1),
    ]
    # 0004 fills the per-dimension month rollup from the (now numbered) customer days; 0013 keeps
    # its product rows, the channel and country ones being customer_monthly_dim_totals' (0012)
    month = "WHERE d.workspace_id = 1 AND d.month = DATE '2026-01-01'"
    dims = cur.execute(
        "SELECT d.dim, d.value, k.customer_key FROM customer_monthly_dim d "
        f"JOIN customer_keys k USING (workspace_id, customer_no) {month} UNION ALL "
        "SELECT d.dim, d.value, k.customer_key FROM customer_monthly_dim_totals d "
        f"JOIN customer_keys k USING (workspace_id, customer_no) {month}"
    ).fetchall()
    assert sorted(dims) == sorted(
        [
            ("channel", "Email", "cus_b"),
            ("channel", "(none)", "cus_b"),
            ("channel", "(none)", "cus_a"),
            ("product", "Pro", "cus_b"),
            ("product", "(none)", "cus_b"),
            ("product", "(none)", "cus_a"),
            ("country", "US", "cus_b"),
            ("country", "(none)", "cus_b"),
            ("country", "DE", "cus_a"),
        ]
    )
    # 0005 fills the weekly twin and 0013 counts its customers: Fri 2 Jan is in the week of Mon
    # 29 Dec, the 5th and 9th in the next (cus_a and cus_b both without a channel that week)
    weeks = cur.execute(
        "SELECT CAST(week AS VARCHAR), dim, value, customers FROM customer_weekly_dim_counts "
        "WHERE workspace_id = 1"
    ).fetchall()
    assert sorted(weeks) == [
        ("2025-12-29", "channel", "Email", 1),
        ("2025-12-29", "country", "US", 1),
        ("2025-12-29", "product", "Pro", 1),
        ("2026-01-05", "channel", "(none)", 2),
        ("2026-01-05", "country", "(none)", 1),
        ("2026-01-05", "country", "DE", 1),
        ("2026-01-05", "product", "(none)", 2),
    ]


def test_rows_are_written_in_date_order_whatever_the_file_order():
    """Date-ordered row groups are what lets rollup refreshes skip old data: ascending input is
    kept, newest-first input (Stripe's order) is reversed, anything else is sorted, nulls last."""
    import polars as pl

    def order(values):
        return ingest._date_ordered(pl.DataFrame({"d": values, "i": range(len(values))}), "d")["i"].to_list()

    assert order([1, 2, 2, 3]) == [0, 1, 2, 3]
    assert order([3, 2, 2, 1]) == [3, 2, 1, 0]
    assert order([2, 1, 3]) == [1, 0, 2]
    assert order([2, None, 1]) == [2, 0, 1]


def test_colliding_id_hashes_neither_drop_rows_nor_miss_repeats(services, workspace, monkeypatch):
    """The loader checks batches for repeated ids on 64-bit hashes: equal hashes are only a hint.

    Here every id hashes alike (as if all collided): distinct ids must all be stored, and a
    repeated id must still keep its last row, within a batch and across batches of one run.
    """
    import polars as pl

    monkeypatch.setattr(ingest, "_id_hashes", lambda ids: pl.Series(ids.name, [7] * ids.len(), pl.UInt64))
    monkeypatch.setattr(ingest, "INSERT_BATCH_ROWS", 4)
    rng = random.Random(11)
    base = datetime(2026, 2, 1)
    rows = _batch(rng, range(0, 6), base) + _batch(rng, range(3, 5), base + timedelta(days=45))
    frame = payments_frame(rows)
    chunks = [Chunk("payments", frame.slice(i, 4), rows_read=frame.slice(i, 4).height) for i in (0, 4)]
    result = ingest.ingest_chunks(services.warehouse, workspace, chunks, source="stripe", name="collide")
    # ch_4 twice in the second batch (one row dropped), ch_3 replaces the first batch's row
    assert (result.rows_read, result.inserted, result.updated) == (8, 6, 1)
    assert result.skipped == {SKIP_DUPLICATE: 1}
    stored = dict(
        services.warehouse.cursor()
        .execute("SELECT source_id, created FROM payments WHERE workspace_id = ?", [workspace.id])
        .fetchall()
    )
    assert sorted(stored) == [f"ch_{i}" for i in range(6)]
    assert all(stored[f"ch_{i}"] == rows[6 + i - 3]["created"] for i in (3, 4))  # the later rows won
    _assert_matches_full_rebuild(services, workspace)


def test_customer_monthly_counts_days_not_channel_rows(services, workspace):
    """A customer paying through two channels on one day has two customer_daily rows but one day."""
    day = datetime(2026, 4, 2, 10)
    rows = [
        {"id": "ch_a", "created": day, "amount": "10.00", "customer": "cus_1", "channel": "Email"},
        {"id": "ch_b", "created": day, "amount": "20.00", "customer": "cus_1", "channel": "Paid Search"},
        {"id": "ch_c", "created": day + timedelta(days=3), "amount": "5.00", "customer": "cus_1"},
    ]
    assert load(services, workspace, "payments", payments_frame(rows)).status == "ok"
    cur = services.warehouse.cursor()
    assert cur.execute(
        "SELECT days, payments, gross, last_day FROM customer_monthly WHERE workspace_id = ?", [workspace.id]
    ).fetchall() == [(2, 3, 35, datetime(2026, 4, 5).date())]
    _assert_matches_full_rebuild(services, workspace)
