"""Benchmarks (`make bench`): bench/run.py runs them all; each module also runs on its own."""

import os
from pathlib import Path

#: where the benchmarks keep what they build (generated exports, workspaces, Superset's venv)
#: and write results.json; PULSEBOARD_BENCH_OUT moves it (the tests use a directory of their own)
OUT = Path(os.environ.get("PULSEBOARD_BENCH_OUT") or Path(__file__).parent / "out")
