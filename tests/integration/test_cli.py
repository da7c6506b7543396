"""The pulseboard CLI: --json shapes, bad input (exit 2, one line, nothing written), lock delegation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import date

import pytest
from click.testing import CliRunner

from dashboard.cli import cli
from data.metrics import query_metric
from tests.conftest import load, payments_frame


@pytest.fixture
def seeded(services, workspace):
    load(
        services,
        workspace,
        "payments",
        payments_frame(
            [
                {
                    "id": "p1",
                    "created": "2026-01-02 10:00",
                    "amount": "100.00",
                    "customer": "a",
                    "channel": "Email",
                },
                {
                    "id": "p2",
                    "created": "2026-01-03 10:00",
                    "amount": "50.00",
                    "refunded": "10.00",
                    "customer": "b",
                    "channel": "Direct",
                },
                {
                    "id": "p3",
                    "created": "2025-12-30 10:00",
                    "amount": "40.00",
                    "customer": "b",
                    "channel": "Direct",
                },
            ]
        ),
    )
    return services


def run(services, *args):
    result = CliRunner().invoke(cli, list(args), obj=services, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_cli001_metric_json_shape(seeded, workspace):
    code, out, _ = run(
        seeded,
        "metric",
        "net_revenue",
        "--workspace",
        "acme",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-03",
        "--grain",
        "day",
        "--compare",
        "previous_period",
        "--json",
    )
    assert code == 0
    payload = json.loads(out)
    assert payload == {
        "metric": "net_revenue",
        "label": "Net revenue",
        "unit": "currency",
        "currency": "USD",
        "from": "2026-01-01",
        "to": "2026-01-03",
        "grain": "day",
        "rows": [
            {"period": "2026-01-01", "value": 0.0, "compare_value": 0.0},
            # the previous period is 29-31 Dec: p3 on the 30th lines up with 2 January
            {"period": "2026-01-02", "value": 100.0, "compare_value": 40.0},
            {"period": "2026-01-03", "value": 40.0, "compare_value": 0.0},
        ],
    }


def test_cli002_metric_total_and_split_match_the_query_api(seeded, workspace):
    code, out, _ = run(
        seeded,
        "metric",
        "gross_revenue",
        "--workspace",
        "acme",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-31",
        "--by",
        "channel",
        "--json",
    )
    assert code == 0
    rows = json.loads(out)["rows"]
    assert {r["channel"]: r["value"] for r in rows} == {"Direct": 50.0, "Email": 100.0}
    assert all(r["period"] is None for r in rows)
    expected = query_metric(
        seeded.warehouse.scoped(workspace), "gross_revenue", date(2026, 1, 1), date(2026, 1, 31)
    )["value"][0]
    assert sum(r["value"] for r in rows) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["metric", "revenue"], "error: unknown metric 'revenue'; known metrics: "),
        (
            ["metric", "mrr", "--by", "channel"],
            "error: metric 'mrr' cannot be split by 'channel'; accepted dimensions: plan",
        ),
        (
            ["metric", "spend", "--grain", "hour"],
            "error: unknown grain 'hour'; accepted: total, day, week, month",
        ),
        (["metric", "spend", "--compare", "yesterday"], "error: unknown comparison 'yesterday'"),
        (
            ["metric", "spend", "--from", "2026-02-01"],
            "error: the date range is reversed: from 2026-02-01 is after to",
        ),
        (
            ["metric", "spend", "--from", "02/01/2026"],
            "error: --from '02/01/2026' is not a date; use YYYY-MM-DD",
        ),
        (
            ["metric", "spend", "--workspace", "nope"],
            "error: unknown workspace 'nope'; existing workspaces: acme",
        ),
    ],
)
def test_cli003_bad_input_one_line_exit_2_nothing_written(seeded, workspace, args, message):
    defaults = {"--workspace": "acme", "--from": "2026-01-01", "--to": "2026-01-31"}
    for flag, value in defaults.items():
        if flag not in args:
            args = [*args, flag, value]
    before = seeded.warehouse.cursor().execute("SELECT count(*) FROM ingest_runs").fetchone()[0]
    code, out, err = run(seeded, *args)
    assert code == 2
    assert out == ""
    assert err.startswith(message)
    assert err.count("\n") == 1
    assert seeded.warehouse.cursor().execute("SELECT count(*) FROM ingest_runs").fetchone()[0] == before


def test_cli004_users_create_takes_password_from_env(services, monkeypatch):
    monkeypatch.setenv("PULSEBOARD_PASSWORD", "a long enough password")
    code, out, _ = run(
        services, "users", "create", "New@Example.com", "--workspace", "newco", "--role", "analyst", "--json"
    )
    assert code == 0
    assert json.loads(out) == {"email": "new@example.com", "workspace": "newco", "role": "analyst"}
    code, _, err = run(services, "users", "create", "x@example.com", "--workspace", "newco", "--role", "boss")
    assert code == 2 and "invalid choice" in err.lower() or "boss" in err


def test_cli005_metrics_lists_the_catalogue(services):
    code, out, _ = run(services, "metrics", "--json")
    assert code == 0
    items = {m["name"]: m for m in json.loads(out)}
    assert {"gross_revenue", "roas", "open_rate"} <= set(items)
    # which metrics may go below zero is part of the definition scripts read
    assert items["net_revenue"]["can_be_negative"] is True
    assert items["gross_revenue"]["can_be_negative"] is False


def test_cli006_commands_work_while_the_server_holds_the_warehouse(seeded, workspace, settings, tmp_path):
    """The server owns the DuckDB file; a CLI process delegates instead of failing on the lock."""
    from waitress.server import create_server as create_wsgi_server

    from app import create_app
    from dashboard import control

    app = create_app(settings)
    app.server.extensions["pulseboard"] = seeded  # the server process's warehouse handle
    control.accept_commands(app.server, cli)  # as `pulseboard serve` does
    wsgi = create_wsgi_server(app.server, host="127.0.0.1", port=0, threads=2)
    port = wsgi.effective_port
    thread = threading.Thread(target=wsgi.run, daemon=True)
    thread.start()
    control.publish(settings.data_path, f"http://127.0.0.1:{port}")
    env = {**os.environ, "PULSEBOARD_DATA_DIR": str(settings.data_path)}
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "dashboard",
                "metric",
                "gross_revenue",
                "--workspace",
                "acme",
                "--from",
                "2026-01-01",
                "--to",
                "2026-01-31",
                "--json",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["rows"][0]["value"] == 150.0
        bad = subprocess.run(
            [
                sys.executable,
                "-m",
                "dashboard",
                "metric",
                "nope",
                "--workspace",
                "acme",
                "--from",
                "2026-01-01",
                "--to",
                "2026-01-31",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
        assert bad.returncode == 2 and bad.stderr.startswith("error: unknown metric 'nope'")
    finally:
        wsgi.close()
        control.withdraw(settings.data_path)


def test_cli007_locked_warehouse_without_server_gives_clear_error(seeded, settings, tmp_path):
    env = {**os.environ, "PULSEBOARD_DATA_DIR": str(settings.data_path)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard",
            "metric",
            "spend",
            "--workspace",
            "acme",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-02",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "is open in another process" in proc.stderr


def test_cli008_fresh_data_dir_gives_a_clear_error_not_a_traceback(settings, monkeypatch):
    monkeypatch.setenv("PULSEBOARD_DATA_DIR", str(settings.data_dir / "brand-new"))
    result = CliRunner().invoke(
        cli, ["metric", "spend", "--workspace", "demo", "--from", "2026-01-01", "--to", "2026-01-31"]
    )
    assert result.exit_code == 2
    assert result.stderr == "error: unknown workspace 'demo'; existing workspaces: none yet\n"


def test_cli009_derived_metric_answers_with_the_same_json_shape(seeded, workspace):
    code, out, _ = run(
        seeded,
        "metric",
        "returning_customers",
        "--workspace",
        "acme",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-31",
        "--json",
    )
    assert code == 0
    assert json.loads(out) == {
        "metric": "returning_customers",
        "label": "Returning customers",
        "unit": "count",
        "currency": "USD",
        "from": "2026-01-01",
        "to": "2026-01-31",
        "grain": "total",
        "rows": [{"period": None, "value": 1.0, "compare_value": None}],  # b paid in December too
    }


def test_cli010_sql_prints_runnable_statements_that_give_the_answer(seeded, workspace):
    args = ["--workspace", "acme", "--from", "2026-01-01", "--to", "2026-01-31"]
    code, out, _ = run(seeded, "metric", "net_revenue", *args, "--sql")
    assert code == 0
    assert out.startswith("-- net_revenue: Net revenue (currency), 2026-01-01 .. 2026-01-31, grain total\n")
    assert "-- formula: gross_revenue - refunds\n" in out.splitlines(keepends=True)
    statements = [s.strip() for s in out.split("-- statement ")[1:]]
    assert len(statements) == 1
    sql = statements[0].split("\n", 1)[1]  # after "1 of 1"
    assert "$" not in sql  # every parameter is filled in: it runs as printed
    parts = seeded.warehouse.cursor().execute(sql).pl().row(0, named=True)
    assert parts["gross"] - parts["refunds"] == 140.0  # 100 + 50 - 10, the number the metric answers


def test_cli011_text_output_uses_the_unit_format(seeded, workspace):
    args = ["--workspace", "acme", "--from", "2026-01-01", "--to", "2026-01-31"]
    _, count, _ = run(seeded, "metric", "payments_count", *args)
    assert count.splitlines()[1].split() == ["total", "2"]  # a count has no decimals
    _, money, _ = run(seeded, "metric", "net_revenue", *args)
    assert money.splitlines()[1].split() == ["total", "140.00"]


@pytest.mark.parametrize(
    ("name", "extra", "message"),
    [
        ("nrr", ["--by", "plan"], "error: metric 'nrr' cannot be split by a dimension"),
        ("nrr", ["--sql", "--grain", "hour"], "error: unknown grain 'hour'"),
    ],
)
def test_cli012_derived_and_sql_bad_input(seeded, workspace, name, extra, message):
    code, out, err = run(
        seeded, "metric", name, "--workspace", "acme", "--from", "2026-01-01", "--to", "2026-01-31", *extra
    )
    assert (code, out) == (2, "")
    assert err.startswith(message)


def test_cli013_python_m_dashboard_cli_runs_like_the_pulseboard_command(tmp_path):
    # run as __main__, the module used to meet itself half-imported through cli_reports
    env = {**os.environ, "PULSEBOARD_DATA_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "metrics", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "nrr" in {m["name"] for m in json.loads(proc.stdout)}
