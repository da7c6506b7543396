"""`pulseboard serve` runs under jemalloc where it is installed, in the same process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from dash.testing.wait import until

from dashboard.ops.memory import jemalloc_path
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
WAIT = 240


def _serve(tmp_path: Path, **settings: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSEBOARD_") and k != "LD_PRELOAD"}
    env.update(PYTHONPATH=str(ROOT), PULSEBOARD_DATA_DIR=str(tmp_path / "var"), **settings)
    with (tmp_path / "stderr").open("w") as err_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "serve", "--port", str(port)],
            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=err_file,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            return httpx.get(base + "/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    until(up, WAIT, msg="no server")
    return process, base


def _maps(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.timeout(3 * WAIT)
@pytest.mark.parametrize("allocator", ["jemalloc", "system"])
def test_alc005_serve_runs_under_the_chosen_allocator(tmp_path, allocator):
    if allocator == "jemalloc" and jemalloc_path() is None:
        pytest.skip("libjemalloc2 is not installed (make system-deps installs it)")
    process, _base = _serve(tmp_path, PULSEBOARD_ALLOCATOR=allocator)
    try:
        # the process the caller started is the server: re-run in place, same pid
        assert ("libjemalloc" in _maps(process.pid)) is (allocator == "jemalloc")
    finally:
        process.terminate()
        process.wait(timeout=WAIT)
    assert process.returncode == 0
    log = (tmp_path / "stderr").read_text()
    said = "memory allocator: jemalloc" if allocator == "jemalloc" else "memory allocator: the C library's"
    assert said in log, log[-2000:]


@pytest.mark.timeout(3 * WAIT)
def test_alc006_a_long_running_worker_runs_under_jemalloc(tmp_path):
    if jemalloc_path() is None:
        pytest.skip("libjemalloc2 is not installed (make system-deps installs it)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSEBOARD_") and k != "LD_PRELOAD"}
    env.update(PYTHONPATH=str(ROOT), PULSEBOARD_DATA_DIR=str(tmp_path / "var"))
    with (tmp_path / "stdout").open("w") as out_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "worker", "--interval", "3600"],
            cwd=tmp_path, env=env, stdout=out_file, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        until(lambda: "checking due reports" in (tmp_path / "stdout").read_text(), WAIT, msg="no worker")
        assert "libjemalloc" in _maps(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=WAIT)
