"""The metric layer's structure: its caches live in a service, and the imports only go down."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from data.metrics import MetricService, query_metric, service_of
from data.metrics import compile as C
from tests.unit.test_metrics import JAN1, JAN31, scoped  # noqa: F401 (the fixture)

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    """Every module a source file imports, at any depth (lazy imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_mlay001_a_warehouse_keeps_its_own_metric_service(scoped, monkeypatch):  # noqa: F811
    compiled = []
    real = C.compile_template
    monkeypatch.setattr(C, "compile_template", lambda *a: compiled.append(a[2]) or real(*a))
    monkeypatch.setattr("data.metrics.execute.compile_template", C.compile_template)
    fresh = MetricService()
    monkeypatch.setattr(scoped.warehouse, "metric_service", fresh)
    assert service_of(scoped) is fresh
    first = query_metric(scoped, "gross_revenue", JAN1, JAN31, grain="week")
    assert compiled == ["week"] and ("gross_revenue", "week", None, ()) in fresh.templates.sql
    assert query_metric(scoped, "gross_revenue", JAN1, JAN31, grain="week").equals(first)
    assert compiled == ["week"]  # the service's template served the second answer
    other = MetricService()
    monkeypatch.setattr(scoped.warehouse, "metric_service", other)
    assert query_metric(scoped, "gross_revenue", JAN1, JAN31, grain="week").equals(first)
    assert compiled == ["week", "week"]  # a fresh service shares nothing with the first


def test_mlay002_services_hand_their_metric_service_to_the_warehouse(services):
    assert services.warehouse.metric_service is services.metrics
    assert services.metrics.templates.path == services.settings.cache_path / "metric_sql.jsonl"


@pytest.mark.parametrize("path", sorted((ROOT / "data" / "metrics").glob("*.py")), ids=lambda p: p.name)
def test_mlay003_the_metric_layer_imports_nothing_above_it(path):
    above = {m for m in _imports(path) if m.startswith(("data.analytics", "dashboard", "callbacks", "dash"))}
    assert above == set()


def _is_cli_layer(path: Path) -> bool:
    """The CLI itself: dashboard/cli.py, __main__.py and the command modules it registers."""
    name = path.name
    return name in ("cli.py", "__main__.py") or name.startswith("cli_") or name.endswith("_cli.py")


def test_mlay004_nothing_imports_the_cli():
    importers = [
        str(path.relative_to(ROOT))
        for folder in ("dashboard", "data", "callbacks", "components", "pages", "reports")
        for path in (ROOT / folder).rglob("*.py")
        if not _is_cli_layer(path) and "dashboard.cli" in _imports(path)
    ]
    importers += [name for name in ("app.py",) if "dashboard.cli" in _imports(ROOT / name)]
    assert importers == []
