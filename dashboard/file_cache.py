"""The query cache's shared layer on disk: cachelib's file cache, bounded in batches.

cachelib's ``FileSystemCache`` bounds its size by a count of files that it keeps in a file of its
own: every ``set`` read that count twice and wrote it back (a temporary file, an fsync-free
rename), beside the answer's own file. Profiled at 10M payments, the write-behind thread spent
about half of its time there, and a cold Revenue first screen took 132-200 ms with the
shared writes against 98-129 ms without them: on two cores the writer competes with the
request that made the answers. Here the count is not kept per write; on a process's first
write and every :data:`PRUNE_EVERY` writes after it, the folder is listed once and the oldest
files beyond ``max_files`` go, the way cachelib's pruning chose them (expired first; all answers
share one timeout, so the oldest are the expired ones).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from cachelib import FileSystemCache

logger = logging.getLogger(__name__)

#: the folder is listed (and pruned when over its bound) once per this many writes
PRUNE_EVERY = 500
#: a prune removes files down to this share of ``max_files``, so the next one is not due at once
PRUNE_TO = 0.9


class BoundedFileCache(FileSystemCache):
    """A ``FileSystemCache`` of at most about ``max_files`` answers, without a per-write file count.

    Between two prunes the folder can exceed ``max_files`` by up to :data:`PRUNE_EVERY` files.
    Reads, deletes and writes are cachelib's own; only the bookkeeping differs.
    """

    def __init__(
        self, path: str, *, max_files: int, default_timeout: int = 300, prune_every: int = PRUNE_EVERY
    ):
        # threshold=0 turns cachelib's count file and its pruning on every set off
        super().__init__(path, threshold=0, default_timeout=default_timeout)
        self.max_files = max_files
        self.prune_every = prune_every
        self._writes = 0
        self._lock = threading.Lock()

    def set(self, key: str, value: Any, timeout: Any = None, mgmt_element: bool = False) -> bool:
        """Write the answer; on the first write and every ``prune_every`` writes after it, prune the folder.

        The first write prunes too: a server restarted before its 500th write would otherwise
        never prune, and the folder would grow with every restart.
        """
        written = super().set(key, value, timeout=timeout, mgmt_element=mgmt_element)
        with self._lock:
            self._writes += 1
            due = self._writes % self.prune_every == 1 % self.prune_every
        if due:
            self.prune()
        return written

    def prune(self) -> int:
        """Remove the oldest files (by modification time) beyond ``max_files``; how many went."""
        try:
            with os.scandir(self._path) as found:
                files = [
                    (entry.stat().st_mtime, entry.path)
                    for entry in found
                    # a file another process is still writing ends with the suffix until renamed
                    if entry.is_file() and not entry.name.endswith(self._fs_transaction_suffix)
                ]
        except OSError:  # the folder went away: cachelib makes it again on the next write
            logger.warning("could not list the cache folder %s", self._path, exc_info=True)
            return 0
        if len(files) <= self.max_files:
            return 0
        files.sort()
        removed = 0
        for _mtime, path in files[: len(files) - int(self.max_files * PRUNE_TO)]:
            try:
                os.remove(path)
                removed += 1
            except FileNotFoundError:  # another process pruned it first
                pass
            except OSError:
                logger.warning("could not remove the cache file %s", path, exc_info=True)
        return removed
