"""Settings: every field is documented, defaults live in the data dir, bad values are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from dashboard.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_set001_every_setting_is_documented():
    text = DOCS.read_text()
    for name in Settings.model_fields:
        assert f"`PULSEBOARD_{name.upper()}`" in text, (
            f"PULSEBOARD_{name.upper()} missing from docs/settings.md"
        )


def test_set002_defaults_live_in_the_data_dir(settings):
    assert settings.app_database_url == f"sqlite:///{settings.data_path / 'app.db'}"
    assert settings.warehouse_location == f"duckdb:///{settings.data_path / 'warehouse.duckdb'}"
    key = settings.effective_secret_key
    assert len(key) > 40
    assert (settings.data_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert Settings(data_dir=settings.data_dir).effective_secret_key == key  # stable across restarts


def test_set003_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("PULSEBOARD_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("PULSEBOARD_DEFAULT_CURRENCY", "eur")
    settings = Settings()
    assert settings.data_path == (tmp_path / "elsewhere").resolve()
    assert settings.default_currency == "EUR"


@pytest.mark.parametrize(
    ("field", "value"), [("default_timezone", "Mars/Olympus"), ("default_currency", "EURO")]
)
def test_set004_bad_values_are_refused(field, value, tmp_path):
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, **{field: value})


def test_set005_every_metric_is_documented():
    from data.metrics import CATALOGUE

    text = (DOCS.parent / "metrics.md").read_text()
    missing = [name for name in CATALOGUE if f"## `{name}`" not in text]
    assert not missing, f"run `.venv/bin/python docs/gen_metrics.py`; undocumented: {missing}"


def test_set006_warehouse_memory_limit_reaches_duckdb(tmp_path, monkeypatch):
    """DuckDB must not take 80% of RAM: the setting (or a quarter of RAM) caps it."""
    from dashboard.services import Services
    from data.warehouse import default_memory_limit

    monkeypatch.setenv("PULSEBOARD_WAREHOUSE_MEMORY_LIMIT", "700MB")
    services = Services(Settings(data_dir=tmp_path / "a"))
    limit = services.warehouse.cursor().execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert limit.startswith("667") or limit.startswith("700"), limit  # DuckDB shows MiB
    services.close()
    assert default_memory_limit().endswith("MB") and int(default_memory_limit()[:-2]) >= 512
