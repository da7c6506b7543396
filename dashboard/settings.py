"""Pulseboard's settings: environment variables ``PULSEBOARD_*`` (and a ``.env`` file).

Every field here is documented in docs/settings.md; a test keeps the two in step.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration. Tests build their own with a temporary ``data_dir``."""

    model_config = SettingsConfigDict(env_prefix="PULSEBOARD_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("./var"), description="Where the warehouse, app DB, cache and secrets live.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the app DB (users, workspaces). Default: SQLite in the data dir."
    )
    warehouse_url: str | None = Field(
        None, description="Warehouse location. Default: duckdb:///<data dir>/warehouse.duckdb."
    )
    warehouse_memory_limit: str | None = Field(
        None,
        description="Memory DuckDB may use (e.g. 4GB) before spilling to disk. Default: a quarter of the machine's RAM.",
    )
    secret_key: str | None = Field(
        None,
        description="Signs sessions and encrypts stored credentials. Generated into the data dir if unset.",
    )
    default_timezone: str = Field("UTC", description="Time zone given to new workspaces (IANA name).")
    default_currency: str = Field("USD", description="Reporting currency given to new workspaces (ISO 4217).")
    host: str = Field("127.0.0.1", description="Address `pulseboard serve` listens on.")
    port: int = Field(8050, description="Port `pulseboard serve` listens on.")
    cache_dir: Path | None = Field(None, description="Shared cache directory. Default: <data dir>/cache.")
    redis_url: str | None = Field(None, description="Use Redis for the cache instead of the filesystem.")
    cache_timeout: int = Field(3600, description="Seconds a cached query result is kept.")
    session_cookie_secure: bool = Field(
        False, description="Send the session cookie over HTTPS only (set true behind TLS)."
    )
    threads: int = Field(8, description="Worker threads of `pulseboard serve`.")

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/Berlin)") from exc
        return value

    @field_validator("default_currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise ValueError(f"currency must be a 3-letter ISO 4217 code, got {value!r}")
        return value.upper()

    # -- derived locations -------------------------------------------------------------------
    @cached_property
    def data_path(self) -> Path:
        """The data dir, resolved and created."""
        path = self.data_dir.expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def app_database_url(self) -> str:
        """The app DB URL, defaulting to SQLite in the data dir."""
        return self.database_url or f"sqlite:///{self.data_path / 'app.db'}"

    @property
    def warehouse_location(self) -> str:
        """The warehouse URL, defaulting to a DuckDB file in the data dir."""
        return self.warehouse_url or f"duckdb:///{self.data_path / 'warehouse.duckdb'}"

    @property
    def cache_path(self) -> Path:
        """The shared cache directory (flask-caching, background callbacks)."""
        path = (self.cache_dir or self.data_path / "cache").expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path

    @cached_property
    def effective_secret_key(self) -> str:
        """The configured secret key, or one generated once and kept in the data dir (mode 0600)."""
        if self.secret_key:
            return self.secret_key
        key_file = self.data_path / "secret_key"
        if not key_file.exists():
            key_file.touch(mode=0o600)
            key_file.write_text(secrets.token_urlsafe(48))
        return key_file.read_text().strip()
