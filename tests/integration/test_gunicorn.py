"""deploy/gunicorn.conf.py run for real: gunicorn serves app:server, answers the probes, stops on SIGTERM."""

from __future__ import annotations

import importlib.util
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
#: seconds any one wait may take: a loaded 2-core machine needs a minute to import the app
WAIT = 240


def _status(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.HTTPError:
        return None


@pytest.mark.timeout(3 * WAIT)
def test_gunicorn_serves_the_app_with_the_committed_config(tmp_path):
    if importlib.util.find_spec("gunicorn") is None:
        pytest.skip("gunicorn is not installed (requirements.txt pins it)")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULSEBOARD_", "GUNICORN_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        PULSEBOARD_DATA_DIR=str(tmp_path / "var"),
        PULSEBOARD_HOST="127.0.0.1",
        PULSEBOARD_PORT=str(port),
        PULSEBOARD_SHUTDOWN_GRACE="10",
    )
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "app:server"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            until(lambda: process.poll() is not None or _status(f"{base}/healthz") == 200, WAIT)
            assert process.poll() is None
        except Exception as exc:
            raise AssertionError(f"gunicorn never answered /healthz:\n{log.read_text()}") from exc
        assert _status(f"{base}/readyz") == 200, log.read_text()
        assert _status(f"{base}/") in (302, 401)  # pages still need a log-in
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=WAIT) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
