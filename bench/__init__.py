"""Benchmarks (`make bench`): bench/run.py runs them all; each module also runs on its own."""

import os
from pathlib import Path

#: where the benchmarks keep what they build (generated exports, workspaces, Superset's venv)
#: and write results.json; PULSEBOARD_BENCH_OUT moves it (the tests use a directory of their own)
OUT = Path(os.environ.get("PULSEBOARD_BENCH_OUT") or Path(__file__).parent / "out")


def peak_rss_mb(pid: int | str = "self") -> float | None:
    """Peak resident memory of a process in MB (VmHWM, from /proc), or None where /proc has none.

    Not ``getrusage``'s ``ru_maxrss``: Linux carries a process's peak across exec, so a child
    started from a parent of 1.4 GB reports at least 1.4 GB whatever it used itself (seen: every
    report render "1,469 MB" after the bench had written the 10M-row export). VmHWM belongs to
    the memory of the program now running.
    """
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def wait_with_peak(pid: int, every: float = 0.05) -> tuple[int, object, float | None]:
    """Wait for child ``pid``: (wait status, its rusage, its peak RSS in MB from VmHWM).

    The peak is read while it runs, every ``every`` s (VmHWM only grows, so the last reading is
    the peak up to then; a rise in its final ``every`` s could be missed). The rusage's CPU
    times are the child's own; its ``ru_maxrss`` is not (see :func:`peak_rss_mb`).
    """
    import time

    peak = None
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage, peak
        now = peak_rss_mb(pid)
        if now is not None:
            peak = max(peak or 0.0, now)
        time.sleep(every)
