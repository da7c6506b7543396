"""callbacks.first_screen: a layout's first screen, from the cache or computed within a budget."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from callbacks.first_screen import first_screen
from dashboard.queries import CacheMiss, peek_only, peeking


class _Services:
    """Just what first_screen asks of the services: background_work()."""

    def __init__(self, alive: bool = True):
        self.alive = alive
        self.entered = 0

    @contextmanager
    def background_work(self):
        self.entered += 1
        yield self.alive


def _cached_or_computed(value, computed: list):
    """A task that answers from the "cache" when peeked at, else computes (and records it)."""

    def task():
        if peeking():
            raise CacheMiss("x")
        computed.append(value)
        return value

    return task


def test_fsc001_cached_answers_come_without_a_thread():
    services = _Services()
    out = first_screen(services, {"a": lambda: 1, "b": lambda: "two"})
    assert out == {"a": 1, "b": "two"} and services.entered == 0


def test_fsc002_uncached_answers_are_computed_side_by_side_within_the_budget():
    services, computed = _Services(), []
    out = first_screen(
        services, {"a": _cached_or_computed(1, computed), "b": _cached_or_computed(2, computed)}, budget=30
    )
    assert out == {"a": 1, "b": 2} and sorted(computed) == [1, 2] and services.entered == 2


def test_fsc003_expected_errors_are_answers_and_others_are_left_out():
    class Unanswerable(Exception):
        pass

    def unanswerable():
        raise Unanswerable("no such metric here")

    def broken():
        with peek_only():
            pass
        raise RuntimeError("bug")

    out = first_screen(
        _Services(),
        {"kpis": unanswerable, "trend": broken, "ok": lambda: 3},
        expected=(Unanswerable,),
        budget=30,
    )
    assert isinstance(out["kpis"], Unanswerable) and "trend" not in out and out["ok"] == 3


def test_fsc004_a_slow_answer_is_left_to_its_callback_and_still_computed():
    release, finished = threading.Event(), threading.Event()

    def slow():
        if peeking():
            raise CacheMiss("x")
        release.wait(30)
        finished.set()
        return "late"

    out = first_screen(_Services(), {"slow": slow, "fast": lambda: 1}, budget=0.05)
    assert out == {"fast": 1}
    release.set()
    assert finished.wait(30)  # the computation went on after the layout left


def test_fsc005_nothing_is_computed_once_the_services_are_closing():
    computed = []
    out = first_screen(_Services(alive=False), {"a": _cached_or_computed(1, computed)}, budget=1)
    assert out == {} and computed == []


def test_fsc006_computations_in_flight_are_bounded(monkeypatch):
    """The work outlives its request: past the bound, answers are left to the panels' callbacks."""
    from callbacks import first_screen as module

    monkeypatch.setattr(module, "_running", threading.BoundedSemaphore(2))
    release = threading.Event()

    def stuck():
        if peeking():
            raise CacheMiss("x")
        release.wait(30)
        return 1

    assert first_screen(_Services(), {"a": stuck, "b": stuck, "c": stuck}, budget=0.05) == {}
    computed = []
    # both slots are taken: nothing more is started, the layout does not wait
    assert first_screen(_Services(), {"d": _cached_or_computed(4, computed)}, budget=5) == {}
    assert computed == []
    release.set()
    for thread in threading.enumerate():
        if thread.name.startswith("pb-first-screen-"):
            thread.join(30)
    assert first_screen(_Services(), {"d": _cached_or_computed(4, computed)}, budget=30) == {"d": 4}
