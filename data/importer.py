"""Import one vendor file: detect its format, parse it and ingest it as one run."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
    progress: Callable[[float, int], object] | None = None,
) -> dict:
    """Import ``path`` into ``workspace``; returns the CLI/API result dict.

    ``progress(fraction, rows_read)`` is called as the file is read; the fraction (0..1) is an
    estimate from the file's size and the length of its first lines.

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
    if display_name:
        stream = _named(stream, path, display_name)
    try:
        on_rows = None
        if progress is not None:
            expected = estimate_rows(path)
            on_rows = lambda rows: progress(min(0.99, rows / expected) if expected else 0.0, rows)  # noqa: E731
        result = ingest_chunks(
            warehouse, workspace, stream, source=found or "unknown", name=name, progress=on_rows
        )
    except Exception as exc:  # recorded as a failed run; the warehouse was rolled back
        result = IngestResult(
            source=found or "unknown",
            name=name,
            status="failed",
            error=f"{display_name or path}: {type(exc).__name__}: {exc}",
        )
    return {
        "path": str(path),
        "source": found,
        "rows_read": result.rows_read,
        "inserted": result.inserted,
        "updated": result.updated,
        "quarantined": result.quarantined,
        "skipped": result.skipped_total,
        "skipped_reasons": dict(result.skipped),
        "status": result.status,
        "error": result.error,
        "reconciliation": result.reconciliation,
    }


def estimate_rows(path: Path, sample_bytes: int = 256 * 1024) -> int:
    """Roughly how many rows ``path`` holds: its size over the mean line length of its start.

    Only drives progress bars; 0 when it cannot tell (an XLSX, an unreadable file).
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(sample_bytes)
    except OSError:
        return 0
    if path.suffix.lower() in (".xlsx", ".xlsm") or not head:
        return 0
    lines = head.count(b"\n") or 1
    return max(1, round(size / (len(head) / lines)) - 1)


def _named(stream: Iterator[Chunk], path: Path, name: str) -> Iterator[Chunk]:
    """``stream`` with refusals naming the file as the user knows it, not by its stored path."""
    try:
        yield from stream
    except UnrecognisedFile as exc:
        raise UnrecognisedFile(str(exc).replace(str(path), name).replace(path.name, name)) from None


def _refuse(path: Path, exc: Exception) -> Iterator[Chunk]:
    """A stream that refuses the file with a specific reason (recorded as a refused run)."""
    if isinstance(exc, UnrecognisedFile):
        raise exc
    raise UnrecognisedFile(f"{path}: cannot be read ({exc})")
    yield  # pragma: no cover - makes this a generator
