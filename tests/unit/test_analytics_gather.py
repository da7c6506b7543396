"""callbacks._analytics.gather: concurrent independent calls, in order, failures surfaced."""

from __future__ import annotations

import threading
import time

import pytest

from callbacks import _analytics as an
from dashboard.queries import CacheMiss, peeking


def uncached(fn):
    """A call whose answer is not in the cache: a peek raises CacheMiss, a real call runs ``fn``."""

    def call():
        if peeking():
            raise CacheMiss("not cached")
        return fn()

    return call


def test_gat001_results_in_call_order_and_run_concurrently():
    started = threading.Barrier(3, timeout=5)  # all three must be running at once to pass

    def call(i):
        def run():
            started.wait()
            time.sleep(0.01 * (3 - i))  # finish in reverse order
            return i

        return uncached(run)

    assert an.gather(call(0), call(1), call(2)) == [0, 1, 2]


def test_gat002_an_exception_surfaces_as_if_run_in_turn():
    def boom():
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        an.gather(lambda: 1, boom)


def test_gat003_nested_gather_runs_inline_on_a_pool_thread():
    inner = uncached(lambda: an.gather(lambda: threading.current_thread().name, lambda: 2))
    names = an.gather(inner, uncached(lambda: 3))
    assert names[0][0].startswith("pb-kpi") and names[1:] == [3]


def test_gat004_no_thread_outlives_the_call():
    """Idle pool threads between requests could be stopped from outside and lose work."""
    before = {t.ident for t in threading.enumerate()}
    assert an.gather(uncached(lambda: 1), uncached(lambda: 2), uncached(lambda: 3)) == [1, 2, 3]
    left = [t for t in threading.enumerate() if t.ident not in before and t.name.startswith("pb-kpi")]
    assert left == []


def test_gat005_background_work_runs_its_calls_in_turn_on_its_own_thread():
    """Fanned out, background work's pool threads would escape its lowered priority and its yields."""
    from dashboard.ops import priority

    out = {}

    def run():
        priority.lower_this_thread()
        out["names"] = an.gather(
            lambda: threading.current_thread().name, lambda: threading.current_thread().name
        )

    thread = threading.Thread(target=run, name="pb-test-background")
    thread.start()
    thread.join(30)
    assert out["names"] == ["pb-test-background", "pb-test-background"]


def test_gat006_cached_answers_are_read_in_turn_and_only_misses_fan_out():
    """A warm row starts no thread: starting and joining them cost more than its cached answers."""
    here = threading.current_thread().name
    names = an.gather(
        lambda: threading.current_thread().name,  # cached: answers in the peek
        uncached(lambda: threading.current_thread().name),
        uncached(lambda: threading.current_thread().name),
    )
    assert names[0] == here and all(n.startswith("pb-kpi") for n in names[1:])
    assert an.gather(lambda: 1, uncached(lambda: 2)) == [1, 2]  # one miss: computed here, no pool


def test_gat007_a_peeking_caller_gets_the_miss_without_a_thread(monkeypatch):
    """A layout peeking at the cache: a miss is its answer, so nothing fans out to compute it."""
    from dashboard.queries import peek_only

    def no_pool(*args, **kwargs):
        raise AssertionError("a pool was started for answers that cannot be computed")

    monkeypatch.setattr(an, "ThreadPoolExecutor", no_pool)
    with pytest.raises(CacheMiss), peek_only():
        an.gather(lambda: 1, uncached(lambda: 2), uncached(lambda: 3))
