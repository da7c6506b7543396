"""`pulseboard serve` in a real process: SIGTERM lets the running job finish, then it exits 0.

The job is a test stand-in started in the server process before it serves (a wrapper script
calls the real CLI): it holds until the test releases it, so the test can check, without
timing anything, that the server still answers while it drains and exits only after the job.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from dash.testing.wait import until

from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
WRAPPER = """
import sys, time
from pathlib import Path
from dashboard import jobs
from dashboard.cli import main

marks = Path(sys.argv[1])

def work(job):
    (marks / "started").touch()
    while not (marks / "release").exists():
        time.sleep(0.05)
    (marks / "finished").touch()

jobs.REGISTRY.start(work, workspace_id=1, user_id=1, kind="upload", label="slow.csv")
sys.argv = ["pulseboard", "serve", "--port", sys.argv[2]]
main()
"""


#: seconds any one wait may take: a loaded 2-core machine needs a minute to import the app
WAIT = 240


def _get(url: str):
    try:
        return httpx.get(url, timeout=5)
    except httpx.HTTPError:
        return None


@pytest.mark.timeout(3 * WAIT)
def test_srv001_sigterm_finishes_the_running_job_then_exits_0(tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSEBOARD_")}
    env.update(
        PYTHONPATH=str(ROOT),
        PULSEBOARD_DATA_DIR=str(tmp_path / "var"),
        PULSEBOARD_LOG_FORMAT="json",
        PULSEBOARD_SHUTDOWN_GRACE="300",
    )
    # Files, not pipes: a full pipe would block the server's logging while nobody reads it.
    stdout, stderr = tmp_path / "stdout", tmp_path / "stderr"
    with stdout.open("w") as out_file, stderr.open("w") as err_file:
        process = subprocess.Popen(
            [sys.executable, "-c", WRAPPER, str(marks), str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out_file,
            stderr=err_file,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        until(
            lambda: (r := _get(f"{base}/healthz")) is not None and r.status_code == 200, WAIT, msg="no server"
        )
        until(lambda: (marks / "started").exists(), WAIT, msg="the job did not start")
        process.send_signal(signal.SIGTERM)
        # Draining: still answering, but not ready (a load balancer stops sending visitors).
        draining = until(
            lambda: (r := _get(f"{base}/readyz")) is not None and r.status_code == 503 and r,
            WAIT,
            msg="readyz never said 503",
        )
        assert draining.json()["failing"] == ["shutdown"]
        assert process.poll() is None and not (marks / "finished").exists()  # the job holds it open
        (marks / "release").touch()
        process.wait(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    out, err = stdout.read_text(), stderr.read_text()
    assert process.returncode == 0, err[-2000:]
    assert (marks / "finished").exists()
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    messages = [line["message"] for line in lines if line["logger"] == "pulseboard.shutdown"]
    assert messages[0] == "SIGTERM received: shutting down"
    assert "waiting up to 300s for 1 running job(s): upload 'slow.csv'" in messages
    assert "all 1 job(s) finished" in messages and messages[-1] == "stopped"
    readyz = [
        line for line in lines if line["logger"] == "pulseboard.access" and line.get("path") == "/readyz"
    ]
    assert readyz == []  # probes log at DEBUG: the INFO log is not flooded by them
    assert "Pulseboard is serving on" in out
