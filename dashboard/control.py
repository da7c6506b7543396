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
import sys
import threading
import traceback
from pathlib import Path

import click
import httpx
from flask import Blueprint, Flask, abort, current_app, jsonify, request

from dashboard.ops.priority import lower_this_thread
from dashboard.services import current_services

bp = Blueprint("control", __name__)
CONTROL_FILE = "control.json"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
# Output capture swaps sys.stdout for the whole process: one delegated command at a time.
_capture_lock = threading.Lock()


#: Delegated commands that import data: like uploads (dashboard.jobs.YIELDING_KINDS) they run on
#: a thread of lowered priority that pauses between its steps while page callbacks run.
IMPORT_COMMANDS = frozenset({"ingest", "sync", "demo"})

#: Where the server keeps the command group it runs for delegating CLI processes.
COMMANDS_KEY = "pulseboard_commands"


def install(server: Flask) -> None:
    """Register the control endpoint."""
    server.register_blueprint(bp)


def accept_commands(server: Flask, commands: click.Group) -> None:
    """Let ``server`` run ``commands`` for local CLI processes that find the warehouse locked.

    The CLI hands its command group to the server it starts (``pulseboard serve``), so nothing
    the server imports depends on the CLI: the CLI is the outermost layer.
    """
    server.extensions[COMMANDS_KEY] = commands


def publish(data_dir: Path, url: str) -> dict:
    """Write the running server's URL and a fresh token for local CLI processes."""
    info = {"url": url, "token": secrets.token_urlsafe(32), "pid": os.getpid()}
    path = data_dir / CONTROL_FILE
    # Several servers share one data dir in a multi-node deployment (docs/deploy.md). Removing
    # the old file and then creating it exclusively let two servers starting together collide:
    # the second create failed and that server died at start. A file of this process's own
    # (still created exclusively, mode 0600 from the start) renamed over the old one is atomic:
    # the last server to start is the one local CLI commands reach.
    fresh = path.with_name(f".{CONTROL_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(info, handle)
        os.replace(fresh, path)
    except BaseException:
        fresh.unlink(missing_ok=True)
        raise
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


def delegate(
    data_dir: Path, argv: list[str], originals: dict[str, str] | None = None
) -> tuple[int, str, str] | None:
    """Run ``argv`` in the running server; (exit code, stdout, stderr), or None if no server answers.

    ``originals`` maps the absolute paths put into ``argv`` back to what the user typed, so the
    output names files as a run without a server would.
    """
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
    out, err = body.get("stdout", ""), body.get("stderr", "")
    for absolute, typed in sorted((originals or {}).items(), key=lambda kv: -len(kv[0])):
        if absolute != typed:
            out, err = out.replace(absolute, typed), err.replace(absolute, typed)
    return int(body["exit_code"]), out, err


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
    cli = current_app.extensions.get(COMMANDS_KEY)
    if cli is None:  # a server not started by `pulseboard serve` runs no commands
        abort(404)

    code, stdout, stderr = run_in_process(cli, argv, services)
    return jsonify(exit_code=code, stdout=stdout, stderr=stderr)


def run_in_process(command: click.Command, argv: list[str], services) -> tuple[int, str, str]:
    """Run ``command`` exactly as ``pulseboard`` would in a terminal: (exit code, stdout, stderr).

    Click's standalone mode is what a terminal run uses: it shows a ClickException (``error:
    ...``), turns ``ctx.exit(2)`` into the exit code and ends with ``sys.exit``. (The
    non-standalone mode *returns* ``ctx.exit``'s code instead of raising it, which is how a
    delegated ``ingest missing.csv`` used to exit 0.) An unexpected exception prints its traceback
    and exits 1, as Python does.
    """
    out, err = io.StringIO(), io.StringIO()
    code = 0

    def run() -> None:
        nonlocal code
        if argv and argv[0] in IMPORT_COMMANDS:
            lower_this_thread()  # a fresh thread: the request thread's priority stays as it was
        try:
            command.main(argv, prog_name="pulseboard", standalone_mode=True, obj=services)
        except SystemExit as exc:
            code = _exit_code(exc.code)
        except Exception:  # noqa: BLE001 - the terminal run would print this traceback and exit 1
            traceback.print_exc(file=err)
            code = 1

    with _capture_lock, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        if argv and argv[0] in IMPORT_COMMANDS:
            worker = threading.Thread(target=run, name="pulseboard-cli-import", daemon=True)
            worker.start()
            worker.join()
        else:
            run()
    return code, out.getvalue(), err.getvalue()


def _exit_code(code: object) -> int:
    """``sys.exit``'s argument as a process exit code (None is 0; a message is printed, exit 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1
