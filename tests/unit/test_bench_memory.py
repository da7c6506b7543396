"""bench.peak_rss_mb / wait_with_peak: a child's peak memory is its own, not its parent's.

Linux carries ``ru_maxrss`` across exec, so a report render started by a benchmark that had
just written a 1.6 GB export reported 1.4 GB whatever it used; these read VmHWM instead."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench import peak_rss_mb, wait_with_peak

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

SMALL_CHILD = "import sys; from bench import peak_rss_mb; print(round(peak_rss_mb()))"


def test_a_small_child_of_a_large_parent_reports_its_own_peak():
    ballast = bytearray(400 * 2**20)  # the parent holds 400 MB (touched, so resident)
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    assert peak_rss_mb() >= 400
    done = subprocess.run([sys.executable, "-c", SMALL_CHILD], capture_output=True, text=True, check=True)
    assert int(done.stdout) < 200  # a bare interpreter; ru_maxrss would say >= 400 here
    del ballast


def test_wait_with_peak_sees_the_childs_high_water_mark():
    code = "import time; b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(0.5)"
    proc = subprocess.Popen([sys.executable, "-c", code])
    status, usage, peak = wait_with_peak(proc.pid, every=0.02)
    assert status == 0 and usage.ru_utime >= 0
    assert peak is not None and 300 <= peak < 600


def test_the_second_half_growth_is_split_into_the_parts_and_the_rest():
    from bench.load import _second_half_growth_by_part

    parts = [
        (5, {"rss": 500, "warehouse": 100, "answer_cache": 20}),
        (10, {"rss": 600, "warehouse": 150, "answer_cache": 40}),
        (15, {}),  # /metrics did not answer that time
        (20, {"rss": 640, "warehouse": 170, "answer_cache": 50}),
        (25, {"rss": 700, "warehouse": 200, "answer_cache": 60}),
    ]
    # from the middle sample (20 s) to the last: rss +60 = warehouse +30, cache +10, other +20
    assert _second_half_growth_by_part(parts) == {"rss": 60, "warehouse": 30, "answer_cache": 10, "other": 20}
    assert _second_half_growth_by_part(parts[:2]) == {}


def test_the_second_half_growth_is_the_trend_not_two_samples():
    from bench.load import _second_half_growth, _second_half_two_points

    # flat at 1,200 MB with +-50 MB swings from one sample to the next, ending on a high one
    flat = [(5 * i, 1200 + (50 if i % 2 else -50)) for i in range(40)]
    assert _second_half_two_points(flat) == 100
    assert abs(_second_half_growth(flat)) < 20  # the swing, spread over 20 samples
    # a steady climb of 2 MB a sample is all growth, whichever way it is read
    climbing = [(5 * i, 1000 + 2 * i) for i in range(40)]
    assert _second_half_growth(climbing) == _second_half_two_points(climbing) == 38
    assert _second_half_growth(flat[:3]) is None
