"""File-system hygiene on start: private data files and no leftovers from a crash.

The data dir holds a business's revenue and customer data, so its files are readable by the
service account only (0600; the directory is created 0700 by :class:`Settings`). Uploads are
decoded into ``<data dir>/uploads/upload-*`` and deleted when their import ends; a crash or
``kill -9`` mid-import leaves them behind, so they are swept when the server starts.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from dashboard.settings import Settings

log = logging.getLogger(__name__)

#: An upload folder untouched this long belongs to no running import (imports of the largest
#: accepted files take minutes); younger ones may be another worker's import in flight.
STALE_UPLOAD_SECONDS = 6 * 3600
PRIVATE_FILE = 0o600


def prepare_data_dir(settings: Settings) -> None:
    """Pre-create the SQLite app DB private, tighten existing data files, sweep stale uploads."""
    db_file = sqlite_file(settings.app_database_url)
    if db_file is not None and not db_file.exists():
        db_file.parent.mkdir(parents=True, exist_ok=True)
        db_file.touch(mode=PRIVATE_FILE)  # SQLite keeps the mode; its -wal/-shm files copy it
    for path in data_files(settings):
        make_private(path)
    sweep_uploads(settings.data_path / "uploads")


def data_files(settings: Settings) -> list[Path]:
    """The app DB and warehouse files (with their journals) that exist in the data dir."""
    found: list[Path] = []
    for main in (sqlite_file(settings.app_database_url), duckdb_file(settings.warehouse_location)):
        if main is None:
            continue
        for suffix in ("", "-wal", "-shm", ".wal"):
            candidate = main.with_name(main.name + suffix)
            if candidate.exists():
                found.append(candidate)
    return found


def make_private(path: Path) -> None:
    """Make a file 0600 if this process owns it (someone else's file is left alone, with a warning)."""
    try:
        if path.stat().st_uid == os.getuid():
            path.chmod(PRIVATE_FILE)
        elif path.stat().st_mode & 0o077:
            log.warning("%s is readable by other users and not ours to chmod", path)
    except OSError as exc:
        log.warning("could not make %s private: %s", path, exc)


def sweep_uploads(root: Path, *, now: float | None = None) -> int:
    """Delete upload folders older than STALE_UPLOAD_SECONDS; the number deleted."""
    if not root.is_dir():
        return 0
    now = time.time() if now is None else now
    removed = 0
    for folder in root.glob("upload-*"):
        try:
            if folder.is_dir() and now - folder.stat().st_mtime > STALE_UPLOAD_SECONDS:
                shutil.rmtree(folder)
                removed += 1
        except OSError as exc:
            log.warning("could not remove the interrupted upload %s: %s", folder, exc)
    if removed:
        log.info("removed %d interrupted upload(s) from %s", removed, root)
    return removed


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases or in-memory SQLite)."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    return Path(database) if database and database != ":memory:" else None


def duckdb_file(location: str) -> Path | None:
    """The file of a ``duckdb:///path`` warehouse location (None otherwise)."""
    prefix = "duckdb:///"
    if not location.startswith(prefix):
        return None
    path = location[len(prefix) :]
    return Path(path) if path and path != ":memory:" else None
