"""The named kinds of background job and their work functions.

A work function is ``fn(job, services, context, payload)``: ``job`` takes its progress
(``step``), ``context`` is the :class:`~dashboard.accounts.WorkspaceContext` of the user who
started it, ``payload`` a JSON dict of ids, paths and parameters. The threads queue calls it with
the caller's context; a Celery worker rebuilds the context from the app DB first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

WorkFunction = Callable[[Any, Any, Any, dict], None]

_TASKS: dict[str, WorkFunction] = {}


class UnknownTask(LookupError):
    """No work function is registered under this kind."""


def task(kind: str) -> Callable[[WorkFunction], WorkFunction]:
    """Register the decorated function as the work of jobs of ``kind``."""

    def register(fn: WorkFunction) -> WorkFunction:
        if _TASKS.get(kind, fn) is not fn:
            raise ValueError(f"job kind {kind!r} is registered twice")
        _TASKS[kind] = fn
        return fn

    return register


def run_task(kind: str, job, services, context, payload: dict) -> None:
    """Run the work of ``kind`` for ``context``, writing numbers as its workspace's locale does.

    A job runs on a thread (or a Celery worker) of its own, outside the request that set the
    number locale: narratives and files it writes must still read like the workspace's pages.
    """
    from components.formatting import numbers_as

    with numbers_as(context.workspace.locale):
        get_task(kind)(job, services, context, payload)


def get_task(kind: str) -> WorkFunction:
    """The work function of ``kind`` (the built-in kinds are loaded on first use)."""
    if kind not in _TASKS:
        from dashboard.jobqueue import kinds  # noqa: F401 - registers the built-in kinds
    try:
        return _TASKS[kind]
    except KeyError:
        raise UnknownTask(f"unknown job kind {kind!r}; known: {', '.join(sorted(_TASKS))}") from None
