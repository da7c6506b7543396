"""API connections of a workspace: set up (owners only), test, sync; and the import history.

A :class:`~dashboard.models.Connection` row holds one connector's credentials, encrypted with
:mod:`dashboard.crypto`. Nothing here returns or logs a secret: listings give masked hints
(``sk_…1234``) and error messages pass through :func:`_redact`.

:func:`run_sync` is the one way a sync runs (web "Sync now", ``pulseboard sync``, schedulers):
it loads the credentials, reads the connector's cursor from the warehouse table ``sync_state``,
and ingests the fetched chunks with ``kind="sync"`` in ONE transaction that also saves the new
cursor, so rows and cursor commit together or not at all.

Sync statuses (``IngestResult.status``) follow file imports: ``ok``/``partial`` (some rows
quarantined) on success, ``refused`` when the vendor refused the credentials (nothing changed;
fix them and retry), ``failed`` for anything else (nothing changed; retrying may help).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from dashboard import audit
from dashboard.accounts import WorkspaceContext
from dashboard.auth import PermissionDenied
from dashboard.crypto import (
    CredentialsUnreadable,
    decrypt_credentials,
    encrypt_credentials,
    mask_value,
    masked,
)
from dashboard.csv_safe import safe_cell
from dashboard.models import Connection, Role
from dashboard.services import Services
from data import sync_state
from data.connectors.api import API_CONNECTORS, ApiConnector, AuthError, ConnectorError, SyncOptions
from data.connectors.base import Chunk, UnrecognisedFile
from data.ingest import IngestResult, ingest_chunks
from data.schema import empty_frame
from data.warehouse import WorkspaceRef

log = logging.getLogger("pulseboard.connections")

#: Key inside the encrypted payload that holds a base URL override (tests, proxies); not a credential.
BASE_URL_KEY = "__base_url"
_sync_locks: dict[tuple[int, str], threading.Lock] = {}
_sync_locks_guard = threading.Lock()


class ConnectionSetupError(ValueError):
    """A connection request that cannot be carried out (unknown connector, missing field ...)."""


class UnknownConnector(ConnectionSetupError):
    """No API connector has this name."""


class NotConfigured(ConnectionSetupError):
    """The workspace has no connection for this connector."""


class _CredentialsRefused(UnrecognisedFile):
    """The vendor refused the credentials: the sync is refused whole (ingest records a refused run)."""


@dataclass(frozen=True)
class ConnectionInfo:
    """A connection as the UI and CLI show it: never a secret, only masked hints."""

    source: str
    label: str
    status: str
    last_sync_at: datetime | None
    last_error: str | None
    hints: dict[str, str]
    updated_at: datetime | None

    def as_dict(self) -> dict:
        """JSON-friendly form."""
        return {
            "source": self.source,
            "label": self.label,
            "status": self.status,
            "last_sync_at": self.last_sync_at.isoformat() if self.last_sync_at else None,
            "last_error": self.last_error,
            "hints": dict(self.hints),
        }


def connector_class(source: str) -> type[ApiConnector]:
    """The API connector class for ``source``; UnknownConnector naming the accepted ones."""
    cls = API_CONNECTORS.get(source)
    if cls is None:
        raise UnknownConnector(f"unknown connector {source!r}; accepted: {', '.join(API_CONNECTORS)}")
    return cls


#: key in a connector's saved state holding :func:`account_fingerprint`
ACCOUNT_KEY = "_account"


def require_owner(ctx: WorkspaceContext) -> None:
    """PermissionDenied unless ``ctx`` is an owner of its workspace."""
    if not ctx.can(Role.OWNER):
        raise PermissionDenied(f"only owners may set up connectors; you are {ctx.role.value}")


# -- setup ------------------------------------------------------------------------------------
def save_connection(
    services: Services,
    ctx: WorkspaceContext,
    source: str,
    values: Mapping[str, str | None],
    *,
    base_url: str | None = None,
) -> ConnectionInfo:
    """Create or update the workspace's connection for ``source`` (owners only).

    Blank values keep what is stored (the form never shows saved secrets, so an empty password
    field means "unchanged"). Unknown field names are refused; required fields must end up set.
    """
    require_owner(ctx)
    cls = connector_class(source)
    known = {f.name: f for f in cls.CREDENTIAL_FIELDS}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConnectionSetupError(
            f"unknown field {unknown[0]!r} for {cls.LABEL}; accepted: {', '.join(known)}"
        )
    secret_key = services.settings.effective_secret_key
    with services.db.session() as db:
        row = _row(db, ctx.workspace.id, source)
        stored = _decrypt_or_empty(secret_key, row) if row is not None else {}
        merged = dict(stored)
        for name, value in values.items():
            text = "" if value is None else str(value).strip()
            if text:
                merged[name] = text
        if base_url is not None:
            if base_url.strip():
                merged[BASE_URL_KEY] = base_url.strip().rstrip("/")
            else:
                merged.pop(BASE_URL_KEY, None)
        missing = [f.label for f in cls.CREDENTIAL_FIELDS if f.required and not merged.get(f.name)]
        if missing:
            raise ConnectionSetupError(f"{cls.LABEL}: enter the {', '.join(missing)}")
        if row is None:
            row = Connection(
                workspace_id=ctx.workspace.id,
                source=source,
                status="new",
                created_by=ctx.user_id if ctx.user_id > 0 else None,
            )
            db.add(row)
        if merged != stored:
            row.status, row.last_error = "new", None
        row.credentials_encrypted = encrypt_credentials(secret_key, merged)
        row.updated_at = _now()
        db.flush()
        audit.record_for(db, ctx, "connection_changed", detail=f"{source} saved")
        log.info("connection %s saved for workspace %s", source, ctx.workspace.slug)
        return _info(row, merged)


def delete_connection(services: Services, ctx: WorkspaceContext, source: str) -> bool:
    """Remove the workspace's connection for ``source`` (owners only); False if there was none."""
    require_owner(ctx)
    connector_class(source)
    with services.db.session() as db:
        row = _row(db, ctx.workspace.id, source)
        if row is None:
            return False
        db.delete(row)
        audit.record_for(db, ctx, "connection_changed", detail=f"{source} removed")
    return True


def list_connections(services: Services, workspace_id: int) -> list[ConnectionInfo]:
    """The workspace's configured connections, in connector order, with masked hints only."""
    secret_key = services.settings.effective_secret_key
    with services.db.session() as db:
        rows = {
            r.source: r for r in db.scalars(select(Connection).where(Connection.workspace_id == workspace_id))
        }
        return [_info(rows[s], _decrypt_or_empty(secret_key, rows[s])) for s in API_CONNECTORS if s in rows]


def get_connection(services: Services, workspace_id: int, source: str) -> ConnectionInfo | None:
    """One configured connection (masked), or None."""
    return next((c for c in list_connections(services, workspace_id) if c.source == source), None)


def stored_credentials(services: Services, workspace_id: int, source: str) -> dict[str, str]:
    """The decrypted credentials of a workspace's connection, ``{}`` if none.

    Server side only: never send them to the browser or a log.
    """
    with services.db.session() as db:
        row = _row(db, workspace_id, source)
        return _decrypt_or_empty(services.settings.effective_secret_key, row) if row is not None else {}


def test_connection(
    services: Services,
    ctx: WorkspaceContext,
    source: str,
    *,
    values: Mapping[str, str | None] | None = None,
    base_url: str | None = None,
    client: httpx.Client | None = None,
) -> tuple[bool, str]:
    """Try the stored credentials (with any non-blank ``values`` on top); (ok, message). Owners only.

    When nothing is overridden the connection's status is updated with the outcome.
    """
    require_owner(ctx)
    cls = connector_class(source)
    overrides = {k: str(v).strip() for k, v in (values or {}).items() if v is not None and str(v).strip()}
    with services.db.session() as db:
        row = _row(db, ctx.workspace.id, source)
        try:
            stored = (
                decrypt_credentials(services.settings.effective_secret_key, row.credentials_encrypted)
                if row is not None
                else {}
            )
        except CredentialsUnreadable as exc:
            stored, unreadable = {}, str(exc)
        else:
            unreadable = None
    credentials = {**stored, **overrides}
    if not credentials and unreadable:
        return False, unreadable
    url = base_url or credentials.pop(BASE_URL_KEY, None)
    credentials.pop(BASE_URL_KEY, None)
    try:
        with cls(credentials, base_url=url, client=client) as connector:
            ok, message = True, connector.test_connection()
    except ConnectorError as exc:
        ok, message = False, str(exc)
    except Exception as exc:  # a bug or an odd answer: say so, never with a secret in it
        log.warning("test of %s connection failed: %s", source, type(exc).__name__)
        ok, message = False, f"{cls.LABEL}: the test failed ({type(exc).__name__})"
    message = _redact(message, credentials, cls)
    if not overrides and row is not None:
        _set_status(services, ctx.workspace.id, source, "ok" if ok else "error", None if ok else message)
    return ok, message


# -- sync -------------------------------------------------------------------------------------
def run_sync(
    services: Services,
    workspace: WorkspaceRef,
    source: str,
    *,
    base_url: str | None = None,
    client: httpx.Client | None = None,
    sleep: Callable[[float], object] | None = None,
    options: SyncOptions | None = None,
    progress: Callable[[int], object] | None = None,
) -> IngestResult:
    """Sync one configured connector into ``workspace``: rows and cursor commit atomically.

    Raises UnknownConnector / NotConfigured for a bad request; every vendor-side failure comes
    back as a result (``refused`` for rejected credentials, ``failed`` otherwise) with the run
    recorded and the warehouse unchanged. ``progress(rows_read_so_far)`` is called per chunk.
    The caller checks permissions (this also serves the CLI and schedulers).
    """
    cls = connector_class(source)
    with services.db.session() as db:
        row = _row(db, workspace.id, source)
        if row is None:
            raise NotConfigured(
                f"{cls.LABEL} is not configured for workspace {workspace.slug}: set it up on Data sources "
                f"or with `pulseboard connections add {source} --workspace {workspace.slug} --set ...`"
            )
        token = row.credentials_encrypted
    lock = _lock_for(workspace.id, source)
    name = f"{cls.LABEL} API"
    if not lock.acquire(blocking=False):
        return IngestResult(
            source=source,
            name=name,
            status="failed",
            error=f"a sync of {cls.LABEL} is already running for this workspace",
        )
    try:
        result = _sync_locked(
            services,
            workspace,
            cls,
            token,
            name,
            base_url=base_url,
            client=client,
            sleep=sleep,
            options=options,
            progress=progress,
        )
    finally:
        lock.release()
    ok = result.status in ("ok", "partial")
    _set_status(services, workspace.id, source, "ok" if ok else "error", result.error, synced=ok)
    return result


def _sync_locked(services, workspace, cls, token, name, *, base_url, client, sleep, options, progress):
    source = cls.SOURCE
    warehouse = services.warehouse
    credentials: dict[str, str] = {}
    connector: ApiConnector | None = None
    refusal: str | None = None
    try:
        credentials = decrypt_credentials(services.settings.effective_secret_key, token)
        url = base_url or credentials.pop(BASE_URL_KEY, None)
        credentials.pop(BASE_URL_KEY, None)
        extra = {"sleep": sleep} if sleep is not None else {}
        connector = cls(credentials, base_url=url, client=client, **extra)
    except (CredentialsUnreadable, AuthError) as exc:
        refusal = _redact(str(exc), credentials, cls)
    account = account_fingerprint(
        services.settings.effective_secret_key, cls, credentials, url if connector else None
    )
    state = sync_state.read_state(warehouse, workspace.id, source) if connector is not None else {}
    if state.get(ACCOUNT_KEY, account) != account:
        # The connector now points at another account: its cursor would skip that account's history.
        log.info("%s for workspace %s: account changed, syncing from the start", source, workspace.slug)
        state = {}
    state.pop(ACCOUNT_KEY, None)
    options = options or SyncOptions(reporting_currency=workspace.currency, timezone=workspace.timezone)

    def save_cursor(cur) -> None:
        sync_state.write_state(cur, workspace.id, source, {**connector.new_state, ACCOUNT_KEY: account})

    stream = _stream(connector, state, options, progress, refusal, credentials, cls)
    try:
        return ingest_chunks(
            warehouse, workspace, stream, source=source, name=name, kind="sync", after_load=save_cursor
        )
    except Exception as exc:  # recorded as a failed run by ingest_chunks; nothing was written
        message = str(exc) if isinstance(exc, ConnectorError) else f"{type(exc).__name__}: {exc}"
        log.warning("sync of %s for workspace %s failed: %s", source, workspace.slug, type(exc).__name__)
        return IngestResult(
            source=source, name=name, status="failed", error=_redact(message, credentials, cls)
        )
    finally:
        if connector is not None:
            connector.close()


def sync_result(source: str, result: IngestResult) -> dict:
    """What one sync did, as ``pulseboard sync --json`` and the Data sources page show it.

    The counts add up like an import's (rows_read = inserted + updated + quarantined + skipped,
    with the skipped rows per reason), and ``reconciliation`` holds the same block as a file
    import's: the totals of the records the API returned against what the warehouse holds for
    this run, ``{"<total>": {"file": x, "imported": y, "ok": bool}}`` ("file" names the input
    side, here the API's records). A difference marks the run ``partial`` with the reason.
    """
    return {
        "connector": source,
        "kind": "sync",
        "status": result.status,
        "rows_read": result.rows_read,
        "inserted": result.inserted,
        "updated": result.updated,
        "quarantined": result.quarantined,
        "skipped": result.skipped_total,
        "skipped_reasons": dict(result.skipped),
        "error": result.error,
        "reconciliation": result.reconciliation,
    }


def account_fingerprint(
    secret_key: str, cls: type[ApiConnector], credentials: Mapping[str, str], base_url: str | None
) -> str:
    """A keyed hash of the fields that name the vendor account (and the API address).

    Stored beside the cursor, it tells a sync that the connection was re-pointed at another
    account; keyed with the app's secret so the stored value reveals nothing about the keys.
    """
    names = cls.ACCOUNT_FIELDS or tuple(f.name for f in cls.CREDENTIAL_FIELDS)
    identity = json.dumps({"fields": {n: credentials.get(n) for n in names}, "url": base_url}, sort_keys=True)
    return hmac.new(secret_key.encode(), identity.encode(), hashlib.sha256).hexdigest()[:24]


def _stream(connector, state, options, progress, refusal, credentials, cls) -> Iterator[Chunk]:
    """The connector's chunks, counting rows; rejected credentials refuse the whole run."""
    if refusal is not None:
        raise _CredentialsRefused(refusal)
    rows = 0
    tables: set[str] = set()
    try:
        for chunk in connector.sync(state, options):
            rows += chunk.rows_read or chunk.frame.height
            tables.add(chunk.table)
            if progress is not None:
                progress(rows)
            yield chunk
    except AuthError as exc:
        raise _CredentialsRefused(_redact(str(exc), credentials, cls)) from None
    # A sync with nothing new still reconciles its tables ("rows payments: 0 = 0"), so every
    # sync result carries the same reconciliation block whatever the API returned.
    for table in cls.TABLES:
        if table not in tables:
            yield Chunk(table=table, frame=empty_frame(table))


# -- history ----------------------------------------------------------------------------------
RUN_COLUMNS = (
    "id",
    "kind",
    "source",
    "name",
    "started_at",
    "duration_ms",
    "rows_read",
    "inserted",
    "updated",
    "quarantined",
    "status",
    "error",
    "skipped",  # rows read but not imported, with their reasons (JSON): see data.ingest.IngestResult
    "skipped_reasons",
    "reconciliation",  # the file's totals against the warehouse's (JSON): see data.reconcile
)
QUARANTINE_COLUMNS = (
    "run_id",
    "source",
    "file_name",
    "row_number",
    "column_name",
    "reason",
    "raw",
    "created_at",
)


def list_runs(services: Services, workspace: WorkspaceRef, limit: int = 50) -> list[dict]:
    """The workspace's imports and syncs, newest first."""
    scoped = services.warehouse.scoped(workspace)
    runs = scoped.table("ingest_runs")
    expr = runs.select(*RUN_COLUMNS).order_by([runs.started_at.desc(), runs.id.desc()]).limit(limit)
    return scoped.execute(expr).to_dicts()


def quarantine_rows(services: Services, workspace: WorkspaceRef, limit: int | None = 200) -> list[dict]:
    """The workspace's rejected rows with their reasons, newest run first, in file order."""
    scoped = services.warehouse.scoped(workspace)
    table = scoped.table("quarantine")
    expr = table.select(*QUARANTINE_COLUMNS).order_by([table.run_id.desc(), table.row_number.asc()])
    if limit is not None:
        expr = expr.limit(limit)
    return scoped.execute(expr).to_dicts()


def quarantine_count(services: Services, workspace: WorkspaceRef) -> int:
    """How many rejected rows the workspace has."""
    scoped = services.warehouse.scoped(workspace)
    return int(scoped.execute(scoped.table("quarantine").count().name("n").as_table())["n"][0])


def quarantine_csv(services: Services, workspace: WorkspaceRef) -> str:
    """Every rejected row of the workspace as CSV: where, why, then the row's own values."""
    import csv
    import io
    import json

    rows = quarantine_rows(services, workspace, limit=None)
    raw_rows: list[dict] = []
    raw_keys: dict[str, None] = {}
    for row in rows:
        try:
            raw = json.loads(row.get("raw") or "{}")
        except ValueError:
            raw = {}
        raw = raw if isinstance(raw, dict) else {}
        raw_rows.append(raw)
        raw_keys.update(dict.fromkeys(raw))
    fixed = ["file", "row", "column", "reason", "source", "run_id"]
    extra = [k for k in raw_keys if k not in fixed]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fixed + extra)
    for row, raw in zip(rows, raw_rows, strict=True):
        writer.writerow(
            [
                safe_cell(row["file_name"]),
                row["row_number"],
                safe_cell(row["column_name"]),
                safe_cell(row["reason"]),
                row["source"],
                row["run_id"],
            ]
            + [safe_cell(raw.get(k)) for k in extra]
        )
    return out.getvalue()


# -- internals --------------------------------------------------------------------------------
def _row(db, workspace_id: int, source: str) -> Connection | None:
    return db.scalar(
        select(Connection).where(Connection.workspace_id == workspace_id, Connection.source == source)
    )


def _decrypt_or_empty(secret_key: str, row: Connection) -> dict[str, str]:
    try:
        return decrypt_credentials(secret_key, row.credentials_encrypted)
    except CredentialsUnreadable:
        return {}


def _info(row: Connection, credentials: Mapping[str, str]) -> ConnectionInfo:
    cls = API_CONNECTORS[row.source]
    return ConnectionInfo(
        source=row.source,
        label=cls.LABEL,
        status=row.status,
        last_sync_at=row.last_sync_at,
        last_error=row.last_error,
        hints=masked(credentials, cls.CREDENTIAL_FIELDS),
        updated_at=row.updated_at,
    )


def _set_status(services, workspace_id: int, source: str, status: str, error: str | None, *, synced=False):
    with services.db.session() as db:
        row = _row(db, workspace_id, source)
        if row is None:
            return
        row.status, row.last_error = status, error
        if synced:
            row.last_sync_at = _now()


def _redact(message: str, credentials: Mapping[str, str], cls: type[ApiConnector]) -> str:
    """``message`` with every secret credential value replaced by its masked form."""
    secret_names = {f.name for f in cls.CREDENTIAL_FIELDS if f.secret}
    for name, value in credentials.items():
        if name in secret_names and value and len(value) >= 4:
            message = message.replace(value, mask_value(value))
    return message


def _lock_for(workspace_id: int, source: str) -> threading.Lock:
    with _sync_locks_guard:
        return _sync_locks.setdefault((workspace_id, source), threading.Lock())


def _now() -> datetime:
    return datetime.now(UTC)


test_connection.__test__ = False  # a service, not a pytest test (tests import this module)
