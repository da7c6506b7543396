"""Import one vendor file: detect its format, parse it and ingest it as one run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from data.connectors.base import Chunk, ParseOptions, UnrecognisedFile
from data.ingest import IngestResult, ingest_chunks
from data.warehouse import Warehouse, WorkspaceRef


def import_file(
    warehouse: Warehouse,
    workspace: WorkspaceRef,
    path: Path,
    *,
    source: str = "auto",
    mapping: dict | None = None,
    display_name: str | None = None,
) -> dict:
    """Import ``path`` into ``workspace``; returns the CLI/API result dict.

    Never raises for bad input: an unknown format, an unreadable file or a parser failure comes
    back as status ``refused``/``failed`` with the reason, and the warehouse is unchanged.
    """
    from data.connectors.registry import parse_file

    name = display_name or path.name
    options = ParseOptions(
        reporting_currency=workspace.currency, timezone=workspace.timezone, mapping=mapping
    )
    try:
        if not path.is_file():
            raise UnrecognisedFile(f"{path}: no such file")
        found, stream = parse_file(path, source, options)  # detection is eager, parsing lazy
    except (UnrecognisedFile, UnicodeError, OSError) as exc:
        found, stream = (None if source == "auto" else source), _refuse(path, exc)
    try:
        result = ingest_chunks(warehouse, workspace, stream, source=found or "unknown", name=name)
    except Exception as exc:  # recorded as a failed run; the warehouse was rolled back
        result = IngestResult(
            source=found or "unknown",
            name=name,
            status="failed",
            error=f"{path}: {type(exc).__name__}: {exc}",
        )
    return {
        "path": str(path),
        "source": found,
        "rows_read": result.rows_read,
        "inserted": result.inserted,
        "updated": result.updated,
        "quarantined": result.quarantined,
        "status": result.status,
        "error": result.error,
    }


def _refuse(path: Path, exc: Exception) -> Iterator[Chunk]:
    """A stream that refuses the file with a specific reason (recorded as a refused run)."""
    if isinstance(exc, UnrecognisedFile):
        raise exc
    raise UnrecognisedFile(f"{path}: cannot be read ({exc})")
    yield  # pragma: no cover - makes this a generator
