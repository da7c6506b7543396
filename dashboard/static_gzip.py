"""Gzip for the app's static files (Dash's scripts, /assets), compressed once per file.

A page load fetches ~4 MB of JavaScript and CSS (Dash's renderer and components, AG Grid,
plotly.js, Bootstrap). ``pulseboard serve`` answers them as they are on disk unless a proxy in
front compresses them; on a phone's connection that is most of a first visit. Static files
shrink to a quarter or less with gzip and never change while the process runs, so each is
compressed once and kept in memory (bounded). Callback answers are left alone: they are small,
each is new, and compressing them would cost CPU on every request of a busy server.
"""

from __future__ import annotations

import gzip
import threading
import zlib
from collections import OrderedDict

from flask import Flask, Response, request

#: media types worth compressing (fonts and images are compressed already)
COMPRESSIBLE = frozenset(
    {"application/javascript", "text/javascript", "text/css", "image/svg+xml", "application/json"}
)
#: smaller answers gain little from compression
MIN_BYTES = 1024
#: memory kept for compressed files (the app's static files total ~8 MB before compression)
CACHE_BYTES = 32 * 1024 * 1024


class _Compressed:
    """Compressed bodies by (path, query, length, CRC-32 of the body), least recently used out first."""

    def __init__(self, max_bytes: int = CACHE_BYTES):
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get_or_make(self, key: tuple, body: bytes) -> bytes:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        packed = gzip.compress(body, compresslevel=6, mtime=0)  # mtime 0: the same bytes each time
        with self._lock:
            if key not in self._items:
                self._items[key] = packed
                self._bytes += len(packed)
                while self._bytes > self.max_bytes and self._items:
                    _, dropped = self._items.popitem(last=False)
                    self._bytes -= len(dropped)
        return packed


def accepts_gzip(header: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header takes gzip (``gzip;q=0`` refuses it).

    A header the client garbled (``gzip;q=abc``) counts as a refusal: the file goes as it is,
    never a server error.
    """
    for part in (header or "").split(","):
        name, *params = (piece.strip().lower() for piece in part.split(";"))
        if name not in ("gzip", "*"):
            continue
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    return float(value) > 0
                except ValueError:
                    return False
        return True
    return False


def install(server: Flask, prefixes: tuple[str, ...]) -> None:
    """Gzip ``server``'s 200 answers under ``prefixes`` for clients that accept it."""
    compressed = _Compressed()

    @server.after_request
    def _gzip(response: Response) -> Response:
        if (
            request.method != "GET"
            or response.status_code != 200
            or not request.path.startswith(prefixes)
            or response.mimetype not in COMPRESSIBLE
            or "Content-Encoding" in response.headers
            or not accepts_gzip(request.headers.get("Accept-Encoding"))
        ):
            return response
        response.vary.add("Accept-Encoding")  # a cache must keep both forms apart
        # The ETag stays as it is: Dash and the slim plotly.js route answer If-None-Match with
        # 304 by comparing it, and the two forms of a file change together.
        response.direct_passthrough = False  # a file answer: read it (static files are small)
        body = response.get_data()
        if len(body) < MIN_BYTES:
            return response
        key = (request.path, request.query_string, len(body), zlib.crc32(body))
        response.set_data(compressed.get_or_make(key, body))
        response.headers["Content-Encoding"] = "gzip"
        return response
