"""bench.tenants' building blocks at tiny scale (issue 15, many tenants in one warehouse).

Three tenants with the same generated business go into one warehouse one after another (each
in two imports, so their rows interleave); the middle one's pages must answer exactly as the same
data alone in a fresh warehouse (a query that forgot ``workspace_id`` would add the other two
tenants' identical rows), and every scan of a workspace table its page loads run must filter on
``workspace_id`` inside the scan (DuckDB ``EXPLAIN ANALYZE``), so it reads no other tenant's rows
beyond the row groups they share. No timings are asserted.
"""

from __future__ import annotations

import os

import duckdb
import pytest

from bench import tenants as bench_tenants
from dashboard import jobs

PAGES = ("overview", "revenue", "campaigns", "customers")


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    """No PULSEBOARD_ setting and no .env from the repo leak into the apps built here.

    A layout holds the first screen's answers computed within a time budget: on a busy machine
    one came in time for the shared warehouse and not for the fresh one, and the two layouts
    differed for a reason that is not the data. Here the budget is ample: the test compares
    answers, never timing.
    """
    from callbacks import first_screen

    for key in list(os.environ):
        if key.startswith("PULSEBOARD_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(first_screen, "BUDGET_SECONDS", 60.0)
    return tmp_path


def _answers_and_audit(data_dir, slug, anchor):
    app, services, login = bench_tenants.open_app(data_dir, slug)
    try:
        with bench_tenants.recorded_queries() as queries:
            answers = bench_tenants.callback_answers(app, anchor, PAGES, login)
        return answers, bench_tenants.audit_scans(services.warehouse, queries)
    finally:
        jobs.REGISTRY.wait_idle(60)  # the insights the page loads started read the warehouse
        services.close()


def _comparable(answer):
    """A callback's answer without the id of the background job it started (new each time), and
    a layout without its Insights card: a layout opened while its range's generation runs follows
    that job (its id, its progress), which depends on timing, not on the data."""
    if isinstance(answer, dict) and isinstance(answer.get("response"), dict):
        response = {k: v for k, v in answer["response"].items() if not k.endswith("-insights-job")}
        return _without_insights_card({**answer, "response": response})
    return answer


def _without_insights_card(node):
    if isinstance(node, list):
        return [_without_insights_card(child) for child in node]
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and "pb-insights" in str(props.get("className", "")).split():
            return "the Insights card"
        return {key: _without_insights_card(value) for key, value in node.items()}
    return node


def test_bten001_a_tenant_in_a_shared_warehouse_answers_as_alone_and_scans_only_its_rows(clean_env):
    shared = bench_tenants.build(3, 200, data_dir=clean_env / "shared", quiet=True)
    slug = bench_tenants.slug_of(2)
    alone_dir = bench_tenants.build_alone(shared, slug, clean_env / "alone")
    cur_counts = {}
    for label, data_dir in (("shared", shared.data_dir), ("alone", alone_dir)):
        with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
            cur_counts[label] = con.execute(
                "SELECT count(DISTINCT workspace_id), count(*) FROM payments"
            ).fetchone()
    # the shared file holds three tenants' payments, the fresh one the tenant's alone
    assert cur_counts["shared"] == (3, 3 * cur_counts["alone"][1])

    in_shared, shared_audit = _answers_and_audit(shared.data_dir, slug, shared.anchor)
    in_alone, _ = _answers_and_audit(alone_dir, slug, shared.anchor)

    assert len(in_shared) > 40  # every page's page-load callbacks in four states
    assert in_shared.keys() == in_alone.keys()
    differing = [key for key in in_shared if _comparable(in_shared[key]) != _comparable(in_alone[key])]
    assert differing == []
    assert shared_audit["scans"] > 0 and shared_audit["queries"] > 0
    assert shared_audit["unfiltered"] == []
