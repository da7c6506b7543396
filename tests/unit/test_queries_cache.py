"""The query cache: versioned keys, the in-process memory layer, data_version invalidation."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from cachelib import FileSystemCache

from dashboard import queries
from dashboard.accounts import WorkspaceContext
from dashboard.models import Role
from dashboard.queries import LayeredCache, MemoryLRU, cache_for, cached_call, metric_frame
from tests.conftest import load, payments_frame

JAN1, JAN31 = date(2026, 1, 1), date(2026, 1, 31)


def _ctx(ref) -> WorkspaceContext:
    return WorkspaceContext(user_id=1, role=Role.OWNER, workspace=ref)


def _pay(id_: str, amount: str, day: str = "2026-01-10 12:00") -> dict:
    return {"id": id_, "created": day, "amount": amount, "customer": id_, "channel": "Email"}


def _net(services, ref) -> float:
    return metric_frame(services, _ctx(ref), "net_revenue", JAN1, JAN31)["value"][0]


def test_qc001_an_import_bumps_the_version_and_the_next_read_is_fresh(services, workspace):
    load(services, workspace, "payments", payments_frame([_pay("a", "100.00")]))
    scoped = services.warehouse.scoped(workspace)
    before = scoped.data_version()
    assert _net(services, workspace) == 100.0
    assert _net(services, workspace) == 100.0  # now cached (memory and shared)
    load(services, workspace, "payments", payments_frame([_pay("b", "50.00")]), name="second")
    assert scoped.data_version() == before + 1
    assert _net(services, workspace) == 150.0  # no manual clear: the key moved with the version


def test_qc002_no_workspace_reads_another_workspaces_entry(services, workspace, other_workspace):
    load(services, workspace, "payments", payments_frame([_pay("a", "100.00")]))
    load(services, other_workspace, "payments", payments_frame([{**_pay("g", "7.00"), "currency": "EUR"}]))
    # Same data version (1) in both: only the workspace id tells the entries apart.
    assert services.warehouse.scoped(workspace).data_version() == 1
    assert services.warehouse.scoped(other_workspace).data_version() == 1
    assert _net(services, workspace) == 100.0
    assert _net(services, other_workspace) == 7.0
    assert _net(services, workspace) == 100.0
    calls = []
    for ref in (workspace, other_workspace):
        cached_call(
            services,
            ref,
            "probe",
            {"same": "params"},
            lambda s: calls.append(s.workspace.id) or s.workspace.id,
        )
    assert calls == [workspace.id, other_workspace.id]


def test_qc003_warm_hits_come_from_memory_without_touching_the_warehouse(services, workspace, monkeypatch):
    load(services, workspace, "payments", payments_frame([_pay("a", "100.00")]))
    assert _net(services, workspace) == 100.0
    cache = cache_for(services)
    assert isinstance(cache, LayeredCache) and len(cache.memory) >= 1

    def boom(*args, **kwargs):
        raise AssertionError("a warm hit ran a query")

    monkeypatch.setattr(queries, "query_metrics", boom)
    monkeypatch.setattr(cache.shared, "get", boom)  # not even the file cache is read
    version_reads = []
    cursor = services.warehouse.cursor
    monkeypatch.setattr(services.warehouse, "cursor", lambda: version_reads.append(1) or cursor())
    assert _net(services, workspace) == 100.0
    assert version_reads == []  # the data version came from the process, not from DuckDB


def test_qc004_shared_layer_serves_other_processes_and_refills_memory(tmp_path):
    shared = FileSystemCache(str(tmp_path / "q"), threshold=100, default_timeout=60)
    first, second = LayeredCache(shared), LayeredCache(FileSystemCache(str(tmp_path / "q")))
    frame = pl.DataFrame({"value": [1.0, 2.0]})
    first.set("k", frame)
    assert first.flush()  # the shared copy is written behind the request
    assert len(second.memory) == 0
    assert second.get("k").equals(frame)  # written by "another process", read from disk
    assert second.memory.get("k") is not None
    second.delete("k")
    assert first.shared.get("k") is None
    first.clear()
    assert first.get("k") is None or first.memory.get("k") is None


def test_qc004b_large_answers_stay_in_memory_only(tmp_path, monkeypatch):
    """Pickling a large frame to the shared cache would cost more than it saves."""
    monkeypatch.setattr(queries, "SHARED_MAX_BYTES", 10_000)
    cache = LayeredCache(FileSystemCache(str(tmp_path / "q")))
    small, large = pl.DataFrame({"v": [1.0]}), pl.DataFrame({"v": [float(i) for i in range(5_000)]})
    cache.set("small", small)
    cache.set("large", large)
    assert cache.flush()
    assert cache.shared.get("small") is not None and cache.shared.get("large") is None
    assert cache.get("large").equals(large)  # from this process's memory


def test_qc004c_shared_writes_happen_behind_the_request_and_clear_drops_them(tmp_path, monkeypatch):
    import threading

    shared = FileSystemCache(str(tmp_path / "q"))
    cache = LayeredCache(shared)
    release = threading.Event()
    real_set, real_get = shared.set, shared.get

    def slow_set(key, value, timeout=None, **kwargs):
        release.wait(5)  # a slow disk
        return real_set(key, value, timeout=timeout, **kwargs)

    monkeypatch.setattr(shared, "set", slow_set)
    cache.set("a", {"x": 1})  # returns at once although the disk is stuck
    cache.set("b", {"x": 2})
    assert cache.get("a") == {"x": 1}  # served from memory meanwhile
    assert real_get("a") is None  # not on disk yet: the write waits behind the request
    release.set()
    assert cache.flush()
    assert shared.get("a") == {"x": 1} and shared.get("b") == {"x": 2}

    release.clear()
    cache.set("c", {"x": 3})
    cache.set("d", {"x": 4})
    threading.Timer(0.2, release.set).start()
    cache.clear()  # waits for the write in progress, drops the queued one, then empties both
    assert cache.flush()
    assert shared.get("c") is None and shared.get("d") is None and cache.get("d") is None


def test_qc005_dicts_are_handed_out_as_copies(tmp_path):
    cache = LayeredCache(FileSystemCache(str(tmp_path / "q")))
    cache.set("d", {"arpa": 1.0})
    got = cache.get("d")
    got["arpa"] = 999.0
    assert cache.get("d") == {"arpa": 1.0}


def test_qc006_memory_lru_is_bounded_by_bytes():
    frame = pl.DataFrame({"x": list(range(1000))})  # ~8 kB
    size = queries.approximate_size(frame)
    lru = MemoryLRU(max_bytes=size * 4 + 100)
    for i in range(10):
        lru.set(f"k{i}", frame)
    assert len(lru) == 4
    assert lru.get("k0") is None and lru.get("k9") is not None
    lru.get("k6")  # recently used survives the next eviction
    lru.set("k10", frame)
    assert lru.get("k6") is not None and lru.get("k7") is None
    huge = MemoryLRU(max_bytes=size)  # an entry over a quarter of the budget is not kept
    huge.set("big", frame)
    assert huge.get("big") is None


def test_qc007_data_version_is_reread_after_any_write_transaction(services, workspace):
    warehouse = services.warehouse
    scoped = warehouse.scoped(workspace)
    assert scoped.data_version() == 0
    with warehouse.transaction() as cur:
        cur.execute("INSERT INTO workspace_state VALUES (?, 5, now()::TIMESTAMP)", [workspace.id])
    assert scoped.data_version() == 5
    with pytest.raises(RuntimeError), warehouse.transaction() as cur:
        cur.execute("UPDATE workspace_state SET data_version = 6 WHERE workspace_id = ?", [workspace.id])
        assert scoped.data_version() == 5  # other readers keep the committed version...
        warehouse.forget_versions()
        assert scoped.data_version() == 6  # ...the writer's own uncommitted view, if read...
        raise RuntimeError("rolled back")
    assert scoped.data_version() == 5  # ...is forgotten with the rollback


def test_qc008_a_version_read_racing_a_commit_is_not_kept(services, workspace):
    warehouse = services.warehouse
    scoped = warehouse.scoped(workspace)
    real_cursor = warehouse.cursor

    class Racing:
        """The first version read sees the old row, then a write commits before it is stored."""

        def __init__(self):
            self.done = False

        def __call__(self):
            cur = real_cursor()
            if self.done:
                return cur
            self.done = True
            old = cur.execute("SELECT 0").fetchone()

            class Wrapped:
                def execute(self, *args, **kwargs):
                    return self

                def fetchone(self):
                    warehouse.forget_versions()  # a write transaction ended meanwhile
                    return old

            return Wrapped()

    warehouse.cursor = Racing()
    try:
        assert scoped.data_version() == 0
    finally:
        warehouse.cursor = real_cursor
    with warehouse.transaction() as cur:
        cur.execute("INSERT INTO workspace_state VALUES (?, 3, now()::TIMESTAMP)", [workspace.id])
    assert scoped.data_version() == 3


def test_qc009_concurrent_identical_calls_compute_once(services, workspace):
    """Panels that share a frame and load together run its query once (single flight)."""
    import threading
    import time

    calls, started = [], threading.Barrier(4, timeout=5)

    def slow(scoped):
        calls.append(scoped.workspace.id)
        time.sleep(0.3)
        return {"answer": 42}

    results = []

    def worker():
        started.wait()
        results.append(cached_call(services, workspace, "qc009", {"p": 1}, slow))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == [{"answer": 42}] * 4
    assert calls == [workspace.id]
    assert services.query_cache.inflight == {}


def test_qc010_a_failed_first_call_lets_the_waiters_compute(services, workspace):
    import threading
    import time

    first_running = threading.Event()

    def failing(scoped):
        first_running.set()
        time.sleep(0.2)
        raise RuntimeError("database went away")

    errors, answers = [], []

    def first():
        try:
            cached_call(services, workspace, "qc010", {}, failing)
        except RuntimeError as exc:
            errors.append(str(exc))

    leader = threading.Thread(target=first)
    leader.start()
    first_running.wait(5)
    answers.append(cached_call(services, workspace, "qc010", {}, lambda scoped: "recovered"))
    leader.join(5)
    assert errors == ["database went away"] and answers == ["recovered"]
    assert services.query_cache.inflight == {}


def test_qc011_layered_cache_over_the_local_redis(monkeypatch):
    """The same layers over a real Redis (PULSEBOARD_REDIS_URL deployments)."""
    import uuid

    import redis
    from cachelib import RedisCache

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"pulseboard-test-{uuid.uuid4().hex}:"
    monkeypatch.setattr(queries, "SHARED_MAX_BYTES", 10_000)
    try:
        first = LayeredCache(RedisCache(client, key_prefix=prefix, default_timeout=60))
        second = LayeredCache(RedisCache(client, key_prefix=prefix, default_timeout=60))
        small, large = pl.DataFrame({"v": [1.0]}), pl.DataFrame({"v": [float(i) for i in range(5_000)]})
        first.set("small", small)
        first.set("large", large)
        assert first.flush()
        assert second.get("small").equals(small)  # another process reads it from Redis
        assert second.get("large") is None and first.get("large").equals(large)
        second.delete("small")
        assert first.shared.get("small") is None
    finally:
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


def test_qc011_a_page_does_not_wait_on_a_background_query(services, workspace):
    """Priority inversion: background work runs niced and one query at a time; a page asking
    the same question computes it itself instead of waiting behind it."""
    import threading

    from dashboard.ops.priority import lower_this_thread

    background_running, release = threading.Event(), threading.Event()

    def slow(scoped):
        background_running.set()
        release.wait(30)
        return "from the background"

    def background():
        lower_this_thread()
        cached_call(services, workspace, "qc011", {}, slow)

    worker = threading.Thread(target=background)
    worker.start()
    try:
        assert background_running.wait(10)
        answer = cached_call(services, workspace, "qc011", {}, lambda scoped: "from the page")
        assert answer == "from the page" and not release.is_set()  # it did not wait
    finally:
        release.set()
        worker.join(10)
    assert services.query_cache.inflight == {}


def test_qc012_answers_cached_by_another_release_are_not_served(workspace, monkeypatch):
    # the file-system / Redis layers outlive the process: a new release must not read the
    # old one's rendered panels (a fixed formatting bug stayed on screen until new data came)
    key, release = queries.cache_key(workspace, 3, "view:cohorts", {"s": "2026-11-03"}), queries.CODE_VERSION
    assert queries._code_fingerprint() == release  # the same code: the same keys in every process
    monkeypatch.setattr(queries, "CODE_VERSION", "another-release")
    assert queries.cache_key(workspace, 3, "view:cohorts", {"s": "2026-11-03"}) != key


def test_qc020_small_frames_are_kept_in_buffers_of_their_own_size():
    """A frame from DuckDB holds whole-vector buffers; the cache keeps an exact copy instead."""
    import duckdb

    from dashboard.queries import compact_frames

    con = duckdb.connect()
    frame = con.execute("SELECT 42::BIGINT AS n, 1.5::DOUBLE AS x, 'a' AS s, DATE '2026-01-02' AS d").pl()
    nested = {"kpi": frame, "rows": [frame, (frame, 3)], "text": "kept"}
    out = compact_frames(nested)
    assert out["kpi"].equals(frame) and out["kpi"].schema == frame.schema
    assert out["rows"][0].equals(frame) and out["rows"][1][1] == 3 and out["text"] == "kept"
    assert out["kpi"] is not frame  # a copy...
    # ...whose buffers are new: writing through numpy's view of the copy leaves the original
    assert out["kpi"]["n"].to_numpy().ctypes.data != frame["n"].to_numpy().ctypes.data
    big = pl.DataFrame({"x": list(range(queries.COMPACT_ROWS))})
    assert compact_frames(big) is big  # large frames keep their buffers (little slack)
    empty = pl.DataFrame()
    assert compact_frames(empty) is empty


def test_qc021_shared_writes_waiting_are_bounded(tmp_path, monkeypatch):
    """A writer that falls behind drops the oldest shared copies, not the process's memory."""
    monkeypatch.setattr(queries, "PENDING_MAX", 5)
    cache = LayeredCache(FileSystemCache(str(tmp_path / "q")))
    with cache._writing:  # the writer is busy (as with a file cache pruning on every write)
        for i in range(12):
            cache.set(f"k{i}", {"v": i})
        with cache._pending_lock:
            waiting = [key for key, _value, _timeout in cache._pending]
    assert waiting == [f"k{i}" for i in range(7, 12)]
    assert cache.dropped_writes == 7
    assert all(cache.get(f"k{i}") == {"v": i} for i in range(12))  # memory has every answer
    assert cache.flush()


def test_qc022_the_allocator_is_tuned_on_glibc():
    import platform

    from dashboard.ops.memory import limit_heap_fragmentation

    tuned = limit_heap_fragmentation()
    assert tuned is (platform.libc_ver()[0] == "glibc")


_FREED_IN_THE_MIDDLE = """
import sys
from dashboard.ops.memory import limit_heap_fragmentation, resident_bytes, trim_heaps
limit_heap_fragmentation()
blocks = [bytes(2000) for _ in range(100_000)]  # ~200 MB of heap blocks (glibc, not pymalloc)
pin = bytes(2000)  # a live block after them: the heap's top is not free, so no top trim
del blocks
before = resident_bytes()
assert trim_heaps()
print(before - resident_bytes())
"""


def test_qc024_the_heap_trimmer_returns_freed_pages_and_stops_when_told(monkeypatch):
    """malloc_trim gives back pages freed in the middle of a heap; the thread trims until stopped."""
    import platform
    import subprocess
    import sys
    import threading

    from dashboard.ops import memory

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("malloc_trim is glibc's")
    freed = subprocess.run(
        [sys.executable, "-c", _FREED_IN_THE_MIDDLE], capture_output=True, text=True, check=True
    )
    assert int(freed.stdout) > 100 * 2**20, freed.stdout  # most of the ~200 MB went back

    calls = threading.Semaphore(0)
    monkeypatch.setattr(memory, "trim_heaps", lambda: calls.release() or True)
    stop = threading.Event()
    thread = memory.start_heap_trimmer(stop, every=0.01)
    assert calls.acquire(timeout=10) and calls.acquire(timeout=10)  # it trims again and again
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_qc023_the_answer_cache_setting_sizes_the_memory_layer(tmp_path):
    """PULSEBOARD_ANSWER_CACHE_MB: each process's memory layer; 0 keeps answers in the shared cache only."""
    from dashboard.settings import Settings

    sized = queries.QueryCache(Settings(data_dir=tmp_path / "a", answer_cache_mb=64))
    assert sized.cache.memory.max_bytes == 64 * 1024 * 1024
    assert queries.QueryCache(Settings(data_dir=tmp_path / "b")).cache.memory.max_bytes == 128 * 1024 * 1024
    none = queries.QueryCache(Settings(data_dir=tmp_path / "c", answer_cache_mb=0)).cache
    frame = pl.DataFrame({"value": [1.0, 2.0]})
    none.set("k", frame)
    assert none.memory.get("k") is None and len(none.memory) == 0
    assert none.flush() and none.get("k").equals(frame)  # served by the shared cache
    with pytest.raises(ValueError):
        Settings(data_dir=tmp_path / "d", answer_cache_mb=-1)


def test_qc024_the_writer_ends_when_idle_and_the_next_answer_starts_another(tmp_path, monkeypatch):
    """A cache nobody writes to keeps no thread (a test process made one cache per app)."""
    monkeypatch.setattr(queries, "WRITER_IDLE_SECONDS", 0.2)
    cache = LayeredCache(FileSystemCache(str(tmp_path / "q")))
    cache.set("a", {"x": 1})
    first = cache._writer
    assert first is not None and cache.flush()
    first.join(5)
    assert not first.is_alive() and cache._writer is None
    cache.set("b", {"x": 2})  # a new writer takes it
    assert cache.flush() and cache.shared.get("b") == {"x": 2}
    assert cache._writer is not first
    second = cache._writer
    assert cache.close()
    second.join(5)
    assert not second.is_alive()


def test_qc025_close_writes_what_is_queued_then_ends_the_writer(tmp_path, monkeypatch):
    import threading

    shared = FileSystemCache(str(tmp_path / "q"))
    cache = LayeredCache(shared)
    release = threading.Event()
    real_set = shared.set

    def slow_set(key, value, timeout=None, **kwargs):
        release.wait(5)
        return real_set(key, value, timeout=timeout, **kwargs)

    monkeypatch.setattr(shared, "set", slow_set)
    cache.set("a", {"x": 1})
    cache.set("b", {"x": 2})
    writer = cache._writer
    threading.Timer(0.2, release.set).start()
    assert cache.close()  # waits for both shared writes
    assert shared.get("a") == {"x": 1} and shared.get("b") == {"x": 2}
    writer.join(5)
    assert not writer.is_alive()
    cache.set("c", {"x": 3})  # after close: this process's memory only, no new thread
    assert cache.get("c") == {"x": 3} and shared.get("c") is None and not cache._pending
    assert cache._writer is None or not cache._writer.is_alive()
