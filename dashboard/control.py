"""Let the CLI work while the server runs, without DuckDB lock errors.

DuckDB allows one read-write process per file. When ``pulseboard serve`` holds the warehouse
and a user runs ``pulseboard ingest``/``metric``/``demo`` in a terminal, the CLI finds the file
locked and hands the command to the running server instead: it POSTs the arguments to
``/internal/cli`` on loopback with a token only local users who can read the data dir have
(``<data dir>/control.json``, mode 0600). The server runs the very same Click command
in-process, on its own warehouse connection, and sends back the output and exit code.
"""

from __future__ import annotations

import contextlib
import hmac
import io
import json
import os
import secrets
import threading
from pathlib import Path

import click
import httpx
from flask import Blueprint, Flask, abort, jsonify, request

from dashboard.services import current_services

bp = Blueprint("control", __name__)
CONTROL_FILE = "control.json"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
# Output capture swaps sys.stdout for the whole process: one delegated command at a time.
_capture_lock = threading.Lock()


def install(server: Flask) -> None:
    """Register the control endpoint."""
    server.register_blueprint(bp)


def publish(data_dir: Path, url: str) -> dict:
    """Write the running server's URL and a fresh token for local CLI processes."""
    info = {"url": url, "token": secrets.token_urlsafe(32), "pid": os.getpid()}
    path = data_dir / CONTROL_FILE
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(info, handle)
    return info


def withdraw(data_dir: Path) -> None:
    """Remove the control file when the server stops."""
    path = data_dir / CONTROL_FILE
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()


def read_control(data_dir: Path) -> dict | None:
    """The running server's control info, if it published one."""
    try:
        return json.loads((data_dir / CONTROL_FILE).read_text())
    except (OSError, ValueError):
        return None


def delegate(data_dir: Path, argv: list[str]) -> tuple[int, str, str] | None:
    """Run ``argv`` in the running server; (exit code, stdout, stderr), or None if no server answers."""
    info = read_control(data_dir)
    if not info:
        return None
    try:
        response = httpx.post(
            info["url"].rstrip("/") + "/internal/cli",
            json={"argv": argv},
            headers={"X-Pulseboard-Control": info["token"]},
            timeout=httpx.Timeout(10.0, read=3600.0),
        )
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    body = response.json()
    return int(body["exit_code"]), body.get("stdout", ""), body.get("stderr", "")


@bp.post("/internal/cli")
def run_cli():
    """Run a CLI command for a local process that could not open the warehouse itself."""
    services = current_services()
    info = read_control(services.settings.data_path)
    given = request.headers.get("X-Pulseboard-Control", "")
    if request.remote_addr not in LOOPBACK or not info or not hmac.compare_digest(info["token"], given):
        abort(403)
    payload = request.get_json(silent=True) or {}
    argv = [str(a) for a in payload.get("argv", [])]
    from dashboard.cli import cli  # the CLI imports this module; import at call time

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with _capture_lock, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli.main(argv, prog_name="pulseboard", standalone_mode=False, obj=services)
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.ClickException as exc:
            exc.show(file=err)
            code = exc.exit_code
        except click.Abort:
            code = 1
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return jsonify(exit_code=code, stdout=out.getvalue(), stderr=err.getvalue())
