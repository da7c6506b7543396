"""End-to-end helpers for connector tests: import a fixture with `pulseboard ingest --json`, read metrics back."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from dashboard.cli import cli
from data.metrics import query_metric
from tests.unit.connectors._helpers import FIXTURES


def ingest_json(services, tmp_path: Path, fixture: str, slug: str = "acme") -> dict:
    """Run ``pulseboard ingest FILE --workspace SLUG --json`` on a copy of a fixture; the file's result dict.

    The copy is named ``export.csv`` so only the content can tell the source.
    """
    path = tmp_path / "export.csv"
    shutil.copy(FIXTURES / fixture, path)
    result = CliRunner().invoke(
        cli, ["ingest", str(path), "--workspace", slug, "--json"], obj=services, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    [file_result] = json.loads(result.stdout)["files"]
    return file_result


def add_fx_rate(services, workspace, currency: str, rate: float, day: str = "2020-01-01") -> None:
    """Give the workspace an exchange rate (``currency`` -> its reporting currency) valid from ``day``."""
    services.warehouse.cursor().execute(
        "INSERT INTO fx_rates VALUES (?, CAST(? AS DATE), ?, ?, ?)",
        [workspace.id, day, currency, workspace.currency, rate],
    )


def metric(services, workspace, name: str, start: date, end: date) -> float:
    """One metric's total over an inclusive range, as a float (0.0 when empty)."""
    frame = query_metric(services.warehouse.scoped(workspace), name, start, end)
    value = frame["value"][0] if frame.height else None
    return float(value or 0.0)
