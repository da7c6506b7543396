"""The common shape of every API connector (re-exported by :mod:`data.connectors.api`)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import httpx

from data.connectors.base import Chunk

from .http import AuthError, Classifier, HttpClient, RetryPolicy, mask

#: How far back a first sync reaches when SyncOptions.start is not given.
DEFAULT_HISTORY_DAYS = 730


@dataclass(frozen=True)
class CredentialField:
    """One input of a connector's "Data sources" form."""

    name: str
    label: str
    secret: bool = True
    help: str = ""
    required: bool = True


@dataclass(frozen=True)
class SyncOptions:
    """What a sync needs to know about the workspace and the range to fetch.

    ``start`` bounds the first sync (default: two years back), ``end`` the last day (default:
    today in ``timezone``). ``lookback_days``: ads and GA4 revise recent days, so incremental
    syncs re-fetch from (last synced date - lookback_days). ``page_size`` overrides each
    connector's page size (capped at the vendor's maximum).
    """

    reporting_currency: str = "USD"
    timezone: str = "UTC"
    start: dt.date | None = None
    end: dt.date | None = None
    lookback_days: int = 3
    page_size: int | None = None

    def today(self) -> dt.date:
        """Today in the workspace's time zone."""
        return dt.datetime.now(ZoneInfo(self.timezone)).date()

    def end_date(self) -> dt.date:
        """Last day to fetch."""
        return self.end or self.today()

    def first_start(self) -> dt.date:
        """First day to fetch on a first sync."""
        return self.start or (self.end_date() - dt.timedelta(days=DEFAULT_HISTORY_DAYS))

    def page(self, default: int, maximum: int) -> int:
        """The page size to request: ``page_size`` if set, capped at the vendor's maximum."""
        return max(1, min(self.page_size or default, maximum))


class Credentials(Mapping[str, str]):
    """The credentials a connector was given; its repr masks every secret field."""

    def __init__(self, values: Mapping[str, str], fields: tuple[CredentialField, ...]):
        self._values = {k: str(v).strip() for k, v in values.items() if v is not None and str(v).strip()}
        self._secret = {f.name for f in fields if f.secret}

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def secrets(self) -> list[str]:
        """The secret values, for redaction."""
        return [v for k, v in self._values.items() if k in self._secret]

    def __repr__(self) -> str:
        shown = {k: (mask(v) if k in self._secret else v) for k, v in self._values.items()}
        return f"Credentials({shown!r})"

    __str__ = __repr__


class ApiConnector:
    """Base class of the API connectors: credentials, HTTP plumbing, state and the sync contract.

    Subclasses set the class attributes and implement :meth:`test_connection` and :meth:`sync`.
    ``sync(state, options)`` yields canonical :class:`Chunk` objects; once the iterator is
    exhausted, ``new_state`` holds the cursor to pass to the next sync. If the sync stops early
    (error, or the caller stops iterating) ``new_state`` is still the old state, so the next sync
    repeats the work rather than skipping data.
    """

    SOURCE: ClassVar[str]
    LABEL: ClassVar[str]
    CREDENTIAL_FIELDS: ClassVar[tuple[CredentialField, ...]]
    DEFAULT_BASE_URL: ClassVar[str]
    #: ("what was rejected", "which field to fix") for the AuthError message
    AUTH_HINT: ClassVar[tuple[str, str]] = ("credentials", "credentials")
    #: tables this connector fills, in the order it yields them
    TABLES: ClassVar[tuple[str, ...]] = ()
    #: credential fields that name the vendor account; when they change, the saved cursor
    #: belongs to another account and the next sync starts over (empty: every field)
    ACCOUNT_FIELDS: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        credentials: Mapping[str, str],
        *,
        base_url: str | None = None,
        client: httpx.Client | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        retry: RetryPolicy | None = None,
    ):
        self.credentials = Credentials(credentials, self.CREDENTIAL_FIELDS)
        missing = [f.label for f in self.CREDENTIAL_FIELDS if f.required and f.name not in self.credentials]
        if missing:
            raise AuthError(f"{self.LABEL}: {', '.join(missing)} missing: enter it in Data sources.")
        self.base_url_overridden = base_url is not None
        self.base_url = (base_url or self.default_base_url()).rstrip("/")
        self.http = HttpClient(
            self.LABEL,
            client=client,
            secrets=self.credentials.secrets(),
            auth_hint=self.AUTH_HINT,
            retry=retry,
            sleep=sleep,
            classify=self.classify_response(),
        )
        self.new_state: dict = {}

    def default_base_url(self) -> str:
        """The production base URL (Mailchimp derives it from the key)."""
        return self.DEFAULT_BASE_URL

    def classify_response(self) -> Classifier | None:
        """Hook for vendors whose HTTP status does not say "auth" or "retry" on its own."""
        return None

    def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate a request; added per request, never stored on the client."""
        raise NotImplementedError

    def url(self, path: str) -> str:
        """Absolute URL for an API path."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def test_connection(self) -> str:
        """One cheap authenticated call; a human message on success, AuthError/ConnectorError otherwise."""
        raise NotImplementedError

    def sync(self, state: Mapping[str, Any], options: SyncOptions) -> Iterator[Chunk]:
        """Yield canonical chunks fetched since ``state``; set ``new_state`` when exhausted."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the HTTP client if this connector created it."""
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} base_url={self.base_url!r} credentials={self.credentials!r}>"


def date_window(
    state: Mapping[str, Any], options: SyncOptions, key: str = "last_date"
) -> tuple[dt.date, dt.date]:
    """(start, end) for date-ranged reports.

    A first sync starts at ``options.first_start()``; later ones at the last synced date minus
    ``lookback_days``, because ad platforms and GA4 revise recent days.
    """
    end = options.end_date()
    last = state.get(key)
    if last:
        start = dt.date.fromisoformat(last) - dt.timedelta(days=options.lookback_days)
        if options.start and options.start > start:
            start = options.start
    else:
        start = options.first_start()
    return min(start, end), end


def split_range(start: dt.date, end: dt.date, days: int) -> Iterator[tuple[dt.date, dt.date]]:
    """Consecutive inclusive windows of at most ``days`` days covering start..end."""
    cursor = start
    while cursor <= end:
        stop = min(end, cursor + dt.timedelta(days=days - 1))
        yield cursor, stop
        cursor = stop + dt.timedelta(days=1)
