"""Pauses between the steps of a long write, so that people waiting for a page go first.

An import holds a core for as long as it runs; on a small machine serving many workspaces that
core is the one another workspace's page needed. The data layer knows where a write has a
natural break (between chunks, before the rollups, before the totals are checked) but not who
is waiting: the server installs the pause (``dashboard.ops.priority.pause_between_steps``),
which waits only on a background thread and only while page callbacks run. Without a server
(the CLI on its own, tests) :func:`pause` does nothing.
"""

from __future__ import annotations

from collections.abc import Callable

_pause: Callable[[], None] | None = None


def set_pause(pause_fn: Callable[[], None] | None) -> None:
    """Install the function :func:`pause` calls (None: pauses do nothing)."""
    global _pause
    _pause = pause_fn


def pause() -> None:
    """A break between two steps of a write: let waiting page requests run first, if any."""
    if _pause is not None:
        _pause()
