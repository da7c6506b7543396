"""The query cache's folder on disk (dashboard.file_cache): bounded in batches, no per-write count."""

from __future__ import annotations

import os
import shutil

from dashboard.file_cache import PRUNE_TO, BoundedFileCache


def _answer_files(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if not name.endswith(".__wz_cache"))


def test_fc001_answers_are_shared_through_the_folder_without_a_count_file(tmp_path):
    folder = str(tmp_path / "q")
    writer = BoundedFileCache(folder, max_files=100, default_timeout=60)
    for i in range(5):
        assert writer.set(f"k{i}", {"value": i})
    reader = BoundedFileCache(folder, max_files=100, default_timeout=60)  # another process
    assert [reader.get(f"k{i}") for i in range(5)] == [{"value": i} for i in range(5)]
    # five answers and nothing else: cachelib's count file is neither read nor written
    assert len(_answer_files(folder)) == 5


def test_fc002_every_batch_of_writes_prunes_the_oldest_beyond_the_bound(tmp_path):
    folder = tmp_path / "q"
    cache = BoundedFileCache(str(folder), max_files=10, default_timeout=60, prune_every=5)

    def write(i: int) -> None:
        cache.set(f"k{i}", i)
        # a distinct age per answer, oldest first (writes within one second share an mtime)
        os.utime(cache._get_filename(f"k{i}"), (1_000_000 + i, 1_000_000 + i))

    for i in range(10):
        write(i)  # pruned at the 1st and 6th writes, both within 10 files: nothing to do
    write(10)  # the 11th write prunes: 11 files, down to 90% of 10, the newest kept
    assert len(_answer_files(folder)) == int(10 * PRUNE_TO)
    for i in range(11, 15):
        write(i)  # not due again before the 16th write
    assert len(_answer_files(folder)) == int(10 * PRUNE_TO) + 4
    kept = [i for i in range(15) if cache.get(f"k{i}") is not None]
    assert kept == list(range(11 - int(10 * PRUNE_TO), 15))


def test_fc004_a_restarted_server_prunes_on_its_first_write(tmp_path):
    folder = str(tmp_path / "q")
    before = BoundedFileCache(folder, max_files=1_000, default_timeout=60)
    for i in range(14):
        before.set(f"k{i}", i)
    # restarted with a smaller bound (or after many short lives): its first write prunes
    after = BoundedFileCache(folder, max_files=10, default_timeout=60)
    after.set("new", 1)
    assert len(_answer_files(folder)) == int(10 * PRUNE_TO)


def test_fc003_prune_leaves_files_being_written_and_survives_a_missing_folder(tmp_path):
    folder = tmp_path / "q"
    cache = BoundedFileCache(str(folder), max_files=2, default_timeout=60)
    for key in "abc":
        cache.set(key, key)
    writing = folder / ("partial" + cache._fs_transaction_suffix)  # another process mid-write
    writing.write_bytes(b"x")
    os.utime(writing, (1, 1))  # the oldest of all: age alone would pick it
    assert cache.prune() == 2  # three answers, down to 90% of two
    assert writing.exists() and len(_answer_files(folder)) == 1
    shutil.rmtree(folder)
    assert cache.prune() == 0
