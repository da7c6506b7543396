"""A command handed to the running server prints the same and exits the same as without a server.

Each command runs twice as a real ``pulseboard`` process: once while nothing holds the warehouse
(the process opens it itself) and once while a server holds it (the process delegates to the
server's ``/internal/cli``). Output and exit code must be identical.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from dashboard.cli import cli
from tests.conftest import load, payments_frame

STRIPE = (
    "id,Created date (UTC),Amount,Amount Refunded,Currency,Status,Fee,Customer ID\n"
    "ch_1,2026-03-01 10:00:00,100.00,0.00,usd,Paid,3.20,cus_1\n"
    "ch_2,2026-03-02 11:00:00,50.00,0.00,zzz,Paid,1.75,cus_2\n"
)
PERIOD = ["--workspace", "acme", "--from", "2026-01-01", "--to", "2026-03-31"]

#: (name, argv, expected exit code): every command that needs the warehouse, good and bad input
COMMANDS = [
    ("metric-json", ["metric", "gross_revenue", *PERIOD, "--json"], 0),
    ("metric-text-split", ["metric", "gross_revenue", *PERIOD, "--by", "channel"], 0),
    ("metric-unknown", ["metric", "nope", *PERIOD], 2),
    (
        "metric-bad-date",
        ["metric", "spend", "--workspace", "acme", "--from", "01/02/2026", "--to", "2026-01-31"],
        2,
    ),
    ("ingest-missing", ["ingest", "missing.csv", "--workspace", "acme"], 2),
    ("ingest-refused", ["ingest", "notes.txt", "--workspace", "acme"], 2),
    ("ingest-ok", ["ingest", "stripe.csv", "--workspace", "acme"], 0),
    ("ingest-ok-json", ["ingest", "stripe.csv", "--workspace", "acme", "--json"], 0),
    ("ingest-bad-source", ["ingest", "stripe.csv", "--workspace", "acme", "--source", "nope"], 2),
    ("ingest-unknown-workspace", ["ingest", "stripe.csv", "--workspace", "nope"], 2),
    ("runs-empty", ["runs", "--workspace", "globex"], 0),
    ("runs-unknown-workspace", ["runs", "--workspace", "nope", "--json"], 2),
    ("sync-none-configured", ["sync", "--workspace", "acme"], 0),
    ("sync-not-configured", ["sync", "stripe", "--workspace", "acme"], 2),
    ("sync-unknown", ["sync", "nope", "--workspace", "acme"], 2),
    ("demo-if-empty", ["demo", "--workspace", "acme", "--if-empty", "--json"], 0),
    (
        "privacy-export",
        ["privacy", "export", "--workspace", "acme", "--email", "a@b.test", "--out", "a.zip"],
        0,
    ),
    (
        "privacy-erase-nothing-held",
        ["privacy", "erase", "--workspace", "acme", "--email", "x@y.test", "--json"],
        0,
    ),
    ("privacy-bad-email", ["privacy", "erase", "--workspace", "acme", "--email", "nope", "--yes"], 2),
]


#: Runs each command of argv[1] (a JSON list of argv lists) as `pulseboard` would in a terminal, in ONE
#: process (starting a process per command costs seconds on a busy machine), and prints their
#: (exit code, stdout, stderr) as JSON. sys.argv is set per command: delegation forwards it.
DRIVER = """
import contextlib, io, json, sys
from dashboard.cli import cli
out = []
for argv in json.loads(sys.argv[1]):
    sys.argv = ["pulseboard", *argv]
    stdout, stderr = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            cli.main(argv, prog_name="pulseboard")
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out.append([code, stdout.getvalue(), stderr.getvalue()])
sys.__stdout__.write(json.dumps(out))
"""
ROOT = Path(__file__).resolve().parents[2]


def _in_another_process(commands: list[list[str]], settings, cwd) -> list[tuple[int, str, str]]:
    """Run the commands in a separate process (so it finds the warehouse held by this one)."""
    env = {**os.environ, "PULSEBOARD_DATA_DIR": str(settings.data_path), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(commands)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
    )
    assert proc.returncode == 0, proc.stderr
    return [tuple(r) for r in json.loads(proc.stdout)]


def _here(services, argv: list[str]) -> tuple[int, str, str]:
    """Run a command in this process, which holds the warehouse: no server involved."""
    result = CliRunner().invoke(cli, argv, obj=services)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def files(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    (work / "stripe.csv").write_text(STRIPE)
    (work / "notes.txt").write_text("shopping list\neggs\nmilk\n")
    monkeypatch.chdir(work)  # paths are given relative, as a user types them
    return work


def test_del001_every_delegated_command_prints_and_exits_as_without_a_server(
    services, workspace, other_workspace, settings, files
):
    from waitress.server import create_server as create_wsgi_server

    from app import create_app
    from dashboard import control

    load(
        services,
        workspace,
        "payments",
        payments_frame([{"id": "p1", "created": "2026-01-02 10:00", "amount": "100.00"}]),
    )
    # Warm-up: the first import of stripe.csv inserts, every later one updates (same output both ways).
    assert _here(services, ["ingest", "stripe.csv", "--workspace", "acme"])[0] == 0
    direct = {name: _here(services, argv) for name, argv, _ in COMMANDS}

    app = create_app(settings)
    app.server.extensions["pulseboard"] = services  # the server holds the DuckDB file: the CLI must delegate
    control.accept_commands(app.server, cli)  # as `pulseboard serve` does
    wsgi = create_wsgi_server(app.server, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=wsgi.run, daemon=True)
    thread.start()
    control.publish(settings.data_path, f"http://127.0.0.1:{wsgi.effective_port}")
    try:
        outcomes = _in_another_process([argv for _, argv, _ in COMMANDS], settings, files)
    finally:
        wsgi.close()
        control.withdraw(settings.data_path)
    delegated = {name: outcome for (name, _, _), outcome in zip(COMMANDS, outcomes, strict=True)}

    for name, _, code in COMMANDS:
        assert direct[name][0] == code, (name, direct[name])
        assert delegated[name] == direct[name], name
    # the delegated runs really went through the server (a warehouse it cannot open would say so)
    assert "is open in another process" not in "".join(err for _, _, err in delegated.values())


def test_del002_a_failing_command_in_the_server_exits_nonzero():
    """Click's non-standalone mode returned ctx.exit's code instead of raising: delegated ingest exited 0."""
    import click

    from dashboard.control import run_in_process

    @click.command()
    @click.pass_context
    def failing(ctx):
        click.echo("partly done")
        ctx.exit(2)

    @click.command()
    def crashing():
        raise RuntimeError("boom")

    assert run_in_process(failing, [], None) == (2, "partly done\n", "")
    code, out, err = run_in_process(crashing, [], None)
    assert (code, out) == (1, "") and "RuntimeError: boom" in err
