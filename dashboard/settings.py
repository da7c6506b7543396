"""Pulseboard's settings: environment variables ``PULSEBOARD_*`` (and a ``.env`` file).

Every field here is documented in docs/settings.md; a test keeps the two in step.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Shortest /metrics token accepted: a short one could be guessed by a scraper-shaped client.
MIN_METRICS_TOKEN = 16


class Settings(BaseSettings):
    """Runtime configuration. Tests build their own with a temporary ``data_dir``."""

    model_config = SettingsConfigDict(env_prefix="PULSEBOARD_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("./var"), description="Where the warehouse, app DB, cache and secrets live.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the app DB (users, workspaces). Default: SQLite in the data dir."
    )
    warehouse_url: str | None = Field(
        None,
        description=(
            "Warehouse location: duckdb:///path/file.duckdb or postgresql://user@host:5432/database. "
            "Default: duckdb:///<data dir>/warehouse.duckdb."
        ),
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
    answer_cache_mb: int = Field(
        128,
        ge=0,
        description=(
            "Memory each process keeps recent answers in, in front of the shared cache (0: none; "
            "every answer is then read from the shared cache)."
        ),
    )
    session_cookie_secure: bool = Field(
        False, description="Send the session cookie over HTTPS only (set true behind TLS)."
    )
    threads: int = Field(8, description="Worker threads of `pulseboard serve`.")
    allocator: Literal["jemalloc", "system"] = Field(
        "jemalloc",
        description=(
            "Memory allocator of `pulseboard serve` and `pulseboard worker`: jemalloc (Debian's "
            "libjemalloc2, when installed; it keeps a long-running server's memory flat) or system "
            "(the C library's)."
        ),
    )
    smtp_url: str | None = Field(
        None,
        description=(
            "Mail server for scheduled reports: smtp://host:25, smtp+starttls://user:password@host:587 or "
            "smtps://user:password@host:465 (optional ?cafile=/path/ca.pem&timeout=30)."
        ),
    )
    mail_from: str = Field("pulseboard@localhost", description="Sender address of report emails.")
    public_url: str | None = Field(
        None, description="The dashboard's address as recipients reach it (the link in report emails)."
    )
    scheduler: bool = Field(
        True, description="Run the report scheduler in the `pulseboard serve` process (false: workers only)."
    )
    report_retention_days: int = Field(
        90, description="Days the files of sent reports are kept for download and resending."
    )
    plotly_bundle: Literal["slim", "full"] = Field(
        "slim",
        description=(
            "plotly.js the browser loads: slim (only the trace types Pulseboard draws, vendor/plotly/) "
            "or full (the plotly package's bundle)."
        ),
    )
    max_request_mb: int = Field(
        350,
        ge=1,
        description="Largest request body in MB (uploads arrive base64-encoded: 256 MB of files need ~342 MB).",
    )
    login_limit_account: str = Field(
        "5 per 15 minutes", description="Failed log-ins one account may have before it is locked out."
    )
    login_limit_ip: str = Field(
        "30 per 15 minutes", description="Failed log-ins one client address may have before it is locked out."
    )
    api_rate_limit: str = Field("120 per minute", description="Requests one API token may make.")
    session_idle_minutes: int = Field(
        120, ge=0, description="Log a browser session out after this long without a request (0: never)."
    )
    session_max_hours: int = Field(
        24 * 14, ge=1, description="Log every session out this long after its log-in, remember-me included."
    )

    # -- operations (docs/deploy.md, "Operations") ----------------------------------------------
    metrics_token: str | None = Field(
        None,
        description="Bearer token that /metrics asks for (at least 16 characters); unset: /metrics is off (404).",
    )
    log_format: str = Field(
        "text", description="Log line format: text (readable) or json (one object per line)."
    )
    log_level: str = Field("INFO", description="Lowest level logged by Pulseboard's own loggers.")
    shutdown_grace: float = Field(
        30.0, ge=0, description="Seconds `pulseboard serve` waits for running jobs after SIGTERM/SIGINT."
    )

    # -- background jobs (dashboard/jobqueue; docs/deploy.md) ----------------------------------
    job_queue: str = Field(
        "threads",
        description="Where imports, syncs, insights and forecasts run: threads (of the web process) or celery.",
    )
    job_lease_seconds: float = Field(
        60.0,
        ge=5,
        description="A Celery job whose worker sent no heartbeat for this long is marked failed.",
    )
    worker_concurrency: int = Field(
        2, ge=1, description="Jobs one `pulseboard worker` runs at once (Celery)."
    )

    @field_validator("metrics_token")
    @classmethod
    def _long_token(cls, value: str | None) -> str | None:
        if value is not None and len(value) < MIN_METRICS_TOKEN:
            raise ValueError(
                f"the metrics token must be at least {MIN_METRICS_TOKEN} characters (it is {len(value)})"
            )
        return value

    @field_validator("job_queue")
    @classmethod
    def _known_job_queue(cls, value: str) -> str:
        if value.lower() not in ("threads", "celery"):
            raise ValueError(f"unknown job queue {value!r}; accepted: threads, celery")
        return value.lower()

    @field_validator("log_format")
    @classmethod
    def _known_log_format(cls, value: str) -> str:
        if value.lower() not in ("text", "json"):
            raise ValueError(f"unknown log format {value!r}; accepted: text, json")
        return value.lower()

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        levels = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        if value.upper() not in levels:
            raise ValueError(f"unknown log level {value!r}; accepted: {', '.join(levels)}")
        return value.upper()

    @field_validator("login_limit_account", "login_limit_ip", "api_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(f"not a rate limit {value!r} (write e.g. '5 per 15 minutes')") from exc
        return value

    # -- AI insights (dashboard/insights; docs/insights.md) -----------------------------------
    ai_provider: str = Field("offline", description="Default insight narrator: offline, openai or anthropic.")
    openai_api_key: str | None = Field(None, description="OpenAI key used when a workspace stored none.")
    openai_model: str = Field("gpt-4o-mini", description="Model asked through the OpenAI API.")
    openai_base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint (a local model server); default OpenAI's."
    )
    anthropic_api_key: str | None = Field(
        None, description="Anthropic key used when a workspace stored none."
    )
    anthropic_model: str = Field("claude-haiku-4-5", description="Model asked through the Anthropic API.")
    anthropic_base_url: str | None = Field(None, description="Anthropic API endpoint; default Anthropic's.")
    ai_timeout: float = Field(
        20.0, description="Seconds an AI provider may take before the offline text is used."
    )
    ai_prices: dict[str, list[float]] = Field(
        default_factory=lambda: {
            "gpt-4o-mini": [0.15, 0.60],
            "gpt-4o": [2.50, 10.00],
            "claude-haiku-4-5": [1.00, 5.00],
            "claude-sonnet-4-5": [3.00, 15.00],
        },
        description="Model -> [USD per million input tokens, per million output tokens] for cost estimates.",
    )

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/Berlin)") from exc
        return value

    @field_validator("ai_provider")
    @classmethod
    def _known_provider(cls, value: str) -> str:
        if value not in ("offline", "openai", "anthropic"):
            raise ValueError(f"unknown AI provider {value!r}; accepted: offline, openai, anthropic")
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
        if not path.exists():
            # Only the service account may read a business's revenue data.
            path.mkdir(parents=True, mode=0o700)
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
