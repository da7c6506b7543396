"""GDPR export and erasure of one customer (data.privacy, dashboard.privacy)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from sqlalchemy import select

from dashboard import privacy as service
from dashboard.accounts import WorkspaceContext
from dashboard.auth import PermissionDenied
from dashboard.metric_json import metric_payload
from dashboard.models import AuditEvent, Role
from data import privacy
from data.metrics import CATALOGUE, MetricError
from tests.conftest import load

JANE = " Jane.Doe@Example.com "
JANE_HASH = privacy.email_hash(JANE)
#: every value that identifies Jane: none may survive an erasure, anywhere
JANE_TRACES = ("jane.doe@example.com", "Jane Doe", "cus_jane01", "cus_jane02", JANE_HASH)
#: what identifies Bob (another customer): all of it must stay
BOB_TRACES = ("bob@example.com", "Bob Stone", "cus_bob001")


def _ts(days_ago: int) -> datetime:
    return datetime.combine(date.today() - timedelta(days=days_ago), datetime.min.time()) + timedelta(
        hours=12
    )


def _payment(source, sid, days_ago, amount, customer, *, hashed=None, name=None, description=None, **kw):
    return {
        "source": source,
        "source_id": sid,
        "created": _ts(days_ago),
        "kind": kw.get("kind", "charge"),
        "status": "succeeded",
        "amount": Decimal(amount),
        "amount_refunded": Decimal(kw.get("refunded", "0")),
        "fee": Decimal("1.00"),
        "currency": "USD",
        "customer_id": customer,
        "customer_email_hash": hashed,
        "customer_name": name,
        "product": kw.get("product", "Pro"),
        "channel": kw.get("channel", "Email"),
        "country": "DE",
        "description": description,
    }


def _fill(services, ws, *, other: bool = False) -> None:
    """Jane (a Stripe customer who also bought on Shopify) and Bob, in workspace ``ws``."""
    customers = pl.DataFrame(
        [
            {
                "source": "stripe",
                "source_id": "cus_jane01",
                "email_hash": JANE_HASH,
                "email": JANE,
                "name": "Jane Doe",
                "country": "DE",
                "first_seen": _ts(200),
            },
            {
                "source": "stripe",
                "source_id": "cus_bob001",
                "email_hash": privacy.email_hash("bob@example.com"),
                "email": "bob@example.com",
                "name": "Bob Stone",
                "country": "FR",
                "first_seen": _ts(190),
            },
        ]
    )
    load(services, ws, "customers", customers, name="customers.csv")
    stripe = pl.DataFrame(
        [
            _payment("stripe", "ch_1", 40, "120.00", "cus_jane01"),
            _payment(
                "stripe", "ch_2", 10, "80.00", "cus_jane01", refunded="20.00", description="Thanks Jane Doe"
            ),
            # the same person under a second Stripe id, linked only by the email hash
            _payment("stripe", "ch_3", 5, "15.00", "cus_jane02", hashed=JANE_HASH),
            _payment("stripe", "ch_4", 12, "300.00", "cus_bob001", name="Bob Stone"),
            _payment("stripe", "ch_5", 3, "50.00", "cus_bob001", description="invoice 7, Bob Stone"),
        ]
    )
    load(services, ws, "payments", stripe, name="stripe.csv")
    shopify = pl.DataFrame(
        [
            _payment(
                "shopify",
                "#1001",
                20,
                "42.50",
                JANE_HASH,
                hashed=JANE_HASH,
                name="Jane Doe",
                channel="Organic",
            )
        ]
    )
    load(services, ws, "payments", shopify, name="shopify.csv")
    subs = pl.DataFrame(
        [
            {
                "source": "stripe",
                "source_id": "sub_j",
                "customer_id": "cus_jane01",
                "plan": "Pro",
                "status": "active",
                "interval": "month",
                "interval_count": 1,
                "quantity": 1,
                "amount": Decimal("30.00"),
                "currency": "USD",
                "mrr": Decimal("30.00"),
                "start_at": _ts(100),
            },
            {
                "source": "stripe",
                "source_id": "sub_b",
                "customer_id": "cus_bob001",
                "plan": "Team",
                "status": "active",
                "interval": "year",
                "interval_count": 1,
                "quantity": 2,
                "amount": Decimal("240.00"),
                "currency": "USD",
                "mrr": Decimal("20.00"),
                "start_at": _ts(150),
            },
        ]
    )
    load(services, ws, "subscriptions", subs, name="subs.csv")
    deals = pl.DataFrame(
        [
            {
                "source": "hubspot",
                "source_id": "d1",
                "name": "Jane Doe - annual",
                "stage": "won",
                "amount": Decimal("900.00"),
                "currency": "USD",
                "created_at": _ts(60),
                "closed_at": _ts(30),
                "won": True,
            },
            {
                "source": "hubspot",
                "source_id": "d2",
                "name": "Bob Stone renewal",
                "stage": "open",
                "amount": Decimal("500.00"),
                "currency": "USD",
                "created_at": _ts(20),
            },
        ]
    )
    load(services, ws, "deals", deals, name="deals.csv")
    # a rejected row of an import still holds her address in its raw text
    with services.warehouse.transaction() as cur:
        cur.execute(
            "INSERT INTO quarantine VALUES (?, 0, 'stripe', 'bad.csv', 4, 'Amount', 'not a number', ?, now())",
            [ws.id, json.dumps({"Email": "JANE.DOE@example.com", "Amount": "x"})],
        )


@pytest.fixture
def filled(services, workspace, other_workspace):
    _fill(services, workspace)
    _fill(services, other_workspace, other=True)
    return workspace, other_workspace


def _owner(ws) -> WorkspaceContext:
    return WorkspaceContext(user_id=0, role=Role.OWNER, workspace=ws)


def _text_dump(services, workspace_id: int) -> str:
    """Every text cell of every warehouse table of one workspace, joined (for trace scans).

    Read from DuckDB's catalogue, not data.privacy's own list of columns: rollups and code
    columns that the erasure does not scan are checked too.
    """
    cur = services.warehouse.cursor()
    columns = cur.execute(
        """SELECT table_name, column_name FROM duckdb_columns()
           WHERE NOT internal AND data_type = 'VARCHAR' AND table_name IN (
               SELECT table_name FROM duckdb_columns() WHERE column_name = 'workspace_id')
           ORDER BY table_name, column_index"""
    ).fetchall()
    assert len(columns) > 40
    cells = []
    for table, column in columns:
        rows = cur.execute(
            f'SELECT "{column}" FROM "{table}" WHERE workspace_id = ? AND "{column}" IS NOT NULL ORDER BY ALL',
            [workspace_id],
        ).fetchall()
        cells += [r[0] for r in rows]
    return "\n".join(cells)


def _snapshot(services) -> dict:
    """Every row of every warehouse table (to prove nothing changed)."""
    cur = services.warehouse.cursor()
    tables = [
        r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()
    ]
    return {t: sorted(map(repr, cur.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}


def _metrics(services, ws) -> dict:
    """Every catalogue metric's answer for the workspace: totals, by month, by each dimension."""
    scoped = services.warehouse.scoped(ws)
    start, end = date.today() - timedelta(days=365), date.today()
    out = {}
    for name, metric in CATALOGUE.items():
        for grain, by in [("total", None), ("month", None), *[("total", d) for d in metric.dimensions]]:
            try:
                payload = metric_payload(scoped, name, start, end, grain=grain, by=by, compare=None)
                out[(name, grain, by)] = payload["rows"]
            except MetricError as exc:
                out[(name, grain, by)] = f"error: {exc}"
    return out


# -- finding -----------------------------------------------------------------------------------


def test_find_follows_ids_and_hashes_and_mentions(services, filled):
    ws, _ = filled
    found = privacy.find(services.warehouse, ws, "JANE.doe@example.com  ")
    counts = found.counts()
    assert found.subject.keys >= {"cus_jane01", "cus_jane02", JANE_HASH}
    assert counts["customers"] == 1
    assert counts["payments"] == 4  # ch_1, ch_2, ch_3 and the Shopify order
    assert counts["subscriptions"] == 1
    assert counts["deals"] == 1 and counts["quarantine"] == 1
    assert counts["customer_keys"] == 3  # cus_jane01, cus_jane02, the Shopify hash key
    assert "customer_daily" in found.derived
    assert found.rows_to_change() == 1 + 4 + 1 + 1 + 1 + 3 + counts.get("ingest_runs", 0)


@pytest.mark.parametrize("bad", ["", "   ", "jane", "a@b", "x@y.z\n@", None, 42, "a" * 400 + "@x.com"])
def test_bad_email_is_refused_with_a_message(services, workspace, bad):
    with pytest.raises(privacy.PrivacyError, match="not an email address"):
        privacy.find(services.warehouse, workspace, bad)


def test_unknown_customer_finds_nothing_and_erases_nothing(services, filled):
    ws, _ = filled
    before = _snapshot(services)
    assert privacy.find(services.warehouse, ws, "nobody@example.com").tables == {}
    assert privacy.erase(services.warehouse, ws, "nobody@example.com").rows == 0
    assert _snapshot(services) == before


# -- export ------------------------------------------------------------------------------------


def test_export_holds_her_rows_of_every_table_and_nothing_else(services, filled):
    ws, other = filled
    export = service.export_customer(services, _owner(ws), JANE)
    zf = zipfile.ZipFile(io.BytesIO(export.content))
    manifest = json.loads(zf.read("manifest.json"))
    assert manifest["email"] == "jane.doe@example.com" and manifest["workspace"] == "acme"
    files = {n: zf.read(n).decode("utf-8-sig") for n in zf.namelist() if n.endswith(".csv")}
    assert set(manifest["tables"]) == {n.removesuffix(".csv") for n in files}
    for table in (
        "customers",
        "payments",
        "subscriptions",
        "deals",
        "quarantine",
        "customer_keys",
        "customer_daily",
    ):
        assert f"{table}.csv" in files, table
    payments = pl.read_csv(io.BytesIO(files["payments.csv"].encode()))
    assert sorted(payments["source_id"].to_list()) == ["#1001", "ch_1", "ch_2", "ch_3"]
    assert set(payments["workspace_id"].to_list()) == {ws.id}
    everything = "\n".join(files.values())
    for trace in BOB_TRACES:
        assert trace not in everything
    assert f"\n{other.id}," not in everything  # no row of the other workspace
    for name, meta in manifest["tables"].items():
        assert meta["rows"] == pl.read_csv(io.BytesIO(files[f"{name}.csv"].encode())).height, name


def test_export_escapes_formulas(services, workspace):
    load(
        services,
        workspace,
        "customers",
        pl.DataFrame(
            [
                {
                    "source": "stripe",
                    "source_id": "cus_evil1",
                    "email": "evil@example.com",
                    "email_hash": privacy.email_hash("evil@example.com"),
                    "name": '=HYPERLINK("http://x")',
                }
            ]
        ),
    )
    export = service.export_customer(services, _owner(workspace), "evil@example.com")
    text = zipfile.ZipFile(io.BytesIO(export.content)).read("customers.csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


# -- erasure -----------------------------------------------------------------------------------


def test_erase_leaves_no_trace_keeps_metrics_and_others(services, filled):
    ws, other = filled
    metrics_before = _metrics(services, ws)
    other_before = _text_dump(services, other.id)
    assert any(t.lower() in _text_dump(services, ws.id).lower() for t in JANE_TRACES)

    result = service.erase_customer(services, _owner(ws), JANE)

    assert result.rows >= 11 and result.rollups_rebuilt
    dump = _text_dump(services, ws.id).lower()
    for trace in JANE_TRACES:
        assert trace.lower() not in dump, trace
    for trace in BOB_TRACES:
        assert trace.lower() in dump, trace
    assert "erased-" in dump
    assert _text_dump(services, other.id) == other_before  # the other workspace's Jane is untouched
    assert _metrics(services, ws) == metrics_before
    # still one customer across her ids: ids map to stable pseudonyms, and her subscription joins
    cur = services.warehouse.cursor()
    ids = cur.execute(
        "SELECT DISTINCT customer_id FROM payments WHERE workspace_id = ? AND source_id IN ('ch_1', 'ch_2')",
        [ws.id],
    ).fetchall()
    sub = cur.execute(
        "SELECT customer_id FROM subscriptions WHERE workspace_id = ? AND source_id = 'sub_j'", [ws.id]
    ).fetchone()
    assert len(ids) == 1 and ids[0][0].startswith("erased-") and sub[0] == ids[0][0]
    assert cur.execute("SELECT count(*) FROM payments WHERE workspace_id = ?", [ws.id]).fetchone()[0] == 6


def test_erase_is_idempotent(services, filled):
    ws, _ = filled
    privacy.erase(services.warehouse, ws, JANE)
    after_first = _snapshot(services)
    assert privacy.erase(services.warehouse, ws, JANE).rows == 0
    assert privacy.find(services.warehouse, ws, JANE).tables == {}
    assert _snapshot(services) == after_first


def test_erase_bumps_the_data_version(services, filled):
    ws, _ = filled
    before = services.warehouse.data_version(ws.id)
    privacy.erase(services.warehouse, ws, JANE)
    assert services.warehouse.data_version(ws.id) == before + 1


def test_erase_rolls_back_on_failure(services, filled, monkeypatch):
    ws, _ = filled
    before = _snapshot(services)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(privacy.rollups, "refresh", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        service.erase_customer(services, _owner(ws), JANE)
    assert _snapshot(services) == before
    with services.db.session() as db:
        event = db.scalars(select(AuditEvent).where(AuditEvent.action == "customer_erased")).one()
    assert event.outcome == "failed" and "rolled back" in event.detail


def test_erase_and_export_are_audited_without_the_address(services, filled):
    ws, _ = filled
    service.export_customer(services, _owner(ws), JANE)
    service.erase_customer(services, _owner(ws), JANE)
    with services.db.session() as db:
        events = db.scalars(
            select(AuditEvent).where(AuditEvent.action.like("customer_%")).order_by(AuditEvent.id)
        ).all()
        rows = [(e.action, e.outcome, e.actor, e.workspace_id, e.detail) for e in events]
    assert [r[:4] for r in rows] == [
        ("customer_exported", "ok", "(command line)", ws.id),
        ("customer_erased", "ok", "(command line)", ws.id),
    ]
    ref = service.subject_ref(JANE)
    assert all(ref in r[4] and "jane" not in r[4].lower() for r in rows)


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ANALYST, Role.MANAGER])
def test_only_owners_may_export_or_erase(services, filled, role):
    ws, _ = filled
    before = _snapshot(services)
    ctx = WorkspaceContext(user_id=0, role=role, workspace=ws)
    with pytest.raises(PermissionDenied):
        service.export_customer(services, ctx, JANE)
    with pytest.raises(PermissionDenied):
        service.erase_customer(services, ctx, JANE)
    with pytest.raises(PermissionDenied):
        service.preview(services, ctx, JANE)
    assert _snapshot(services) == before
    with services.db.session() as db:
        outcomes = db.scalars(
            select(AuditEvent.outcome).where(
                AuditEvent.action.like("customer_%"), AuditEvent.workspace_id == ws.id
            )
        ).all()
    assert outcomes == ["denied", "denied"]
