"""A real SMTP server on loopback for the tests that send mail (aiosmtpd).

:class:`Inbox` keeps what it receives and can refuse the next N messages; the ``inbox`` fixture
(tests/conftest.py) runs one on a free port and gives it a ``url`` for ``PULSEBOARD_SMTP_URL``.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller


class Inbox:
    """An aiosmtpd handler that keeps messages and can refuse the next N of them."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse_next = 0
        self.lock = threading.Lock()
        self.url = ""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        with self.lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return "451 4.3.0 try again later"
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_inbox() -> Iterator[Inbox]:
    """An :class:`Inbox` served on loopback while the block runs (its ``url`` set)."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.url = f"smtp://127.0.0.1:{controller.port}"
    try:
        yield handler
    finally:
        controller.stop()
