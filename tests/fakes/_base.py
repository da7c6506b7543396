"""A tiny loopback HTTP server for faking vendor APIs in tests.

:class:`FakeServer` listens on 127.0.0.1 on an ephemeral port (ThreadingHTTPServer in a daemon
thread), records every request, dispatches to routes registered by the vendor subclasses and
can be told to misbehave for the next N requests (``fail_next``: a status such as 429 with a
``Retry-After``, or 503; ``stall_next``: answer only after a delay, for client time-outs).

Usage::

    with FakeStripe(api_key="sk_test_123") as api:
        api.add_charge(...)
        connector = StripeConnector({"secret_key": "sk_test_123"}, base_url=api.url)
        ...
        assert api.requests[0].param("limit") == "100"
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    """One request as the fake server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    match: re.Match | None = None

    def param(self, name: str) -> str | None:
        """First value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else None

    def params(self, name: str) -> list[str]:
        """Every value of a repeated query parameter (``expand[]``)."""
        return self.query.get(name, [])

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        """The body decoded as a urlencoded form."""
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    def basic_auth(self) -> tuple[str, str] | None:
        """(user, password) from a Basic Authorization header."""
        value = self.headers.get("authorization", "")
        if not value.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(value[6:]).decode().partition(":")
        except ValueError:
            return None
        return user, password

    def bearer(self) -> str | None:
        """The token of a Bearer Authorization header."""
        value = self.headers.get("authorization", "")
        return value[7:] if value.startswith("Bearer ") else None


@dataclass
class Reply:
    """What to answer: JSON ``body`` (or ``raw`` bytes), status, headers, and an optional delay."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    delay: float = 0.0


Handler = Callable[[Recorded], Reply]


@dataclass
class _Fault:
    reply: Reply | None  # None = handle normally after the delay
    delay: float
    match: str | None


class FakeServer:
    """Loopback HTTP server with routes, request recording and scripted faults."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._routes: list[tuple[str, re.Pattern, Handler]] = []
        self._faults: deque[_Fault] = deque()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeServer:
        """Bind 127.0.0.1:0 and serve in a daemon thread."""
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                fake._serve(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            # a short poll interval makes shutdown() return promptly (the default waits up to 0.5 s)
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=type(self).__name__,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # -- configuration ---------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Serve ``method`` requests whose path fully matches the regex ``pattern``."""
        self._routes.append((method.upper(), re.compile(pattern), handler))

    def fail_next(
        self,
        status: int,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        times: int = 1,
        match: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests (whose path contains ``match``) with this error."""
        for _ in range(times):
            self._faults.append(_Fault(Reply(status, body, dict(headers or {})), 0.0, match))

    def stall_next(self, seconds: float, *, times: int = 1, match: str | None = None) -> None:
        """Delay the next ``times`` answers by ``seconds`` (then answer normally): client time-outs."""
        for _ in range(times):
            self._faults.append(_Fault(None, seconds, match))

    def paths(self) -> list[str]:
        """Paths of the recorded requests, in order."""
        return [r.path for r in self.requests]

    # -- serving ---------------------------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        request = Recorded(
            method=handler.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
        )
        with self._lock:
            self.requests.append(request)
            fault = self._take_fault(request.path)
        reply: Reply | None = None
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            reply = fault.reply
        if reply is None:
            reply = self._dispatch(request)
        if reply.delay:
            time.sleep(reply.delay)
        payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
        try:
            handler.send_response(reply.status)
            headers = {"Content-Type": "application/json", **reply.headers}
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (time-out test): nothing to answer

    def _take_fault(self, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.match is None or fault.match in path:
                self._faults.remove(fault)
                return fault
        return None

    def _dispatch(self, request: Recorded) -> Reply:
        for method, pattern, handler in self._routes:
            if method == request.method and (m := pattern.fullmatch(request.path)):
                request.match = m
                return handler(request)
        return Reply(404, {"error": {"message": f"no route for {request.method} {request.path}"}})


def problem(status: int, message: str) -> Reply:
    """A generic ``{"error": {"message": ...}}`` reply."""
    return Reply(status, {"error": {"message": message}})
