"""``pulseboard forecast``: the JSON shape issue 11 fixes, bad input, run records, the cache."""

from __future__ import annotations

import json
import math
import re
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from dashboard.cli import cli
from dashboard.forecast import runs
from tests.conftest import load, payments_frame

START = date(2026, 1, 1)
DAYS = 120  # 2026-01-01 .. 2026-04-30


def _payments(days=DAYS, start=START, prefix="p"):
    rows = []
    for i in range(days):
        day = start + timedelta(days=i)
        amount = 100 + 40 * math.sin(2 * math.pi * i / 7) + (i % 5)
        rows.append(
            {
                "id": f"{prefix}{i}",
                "created": f"{day.isoformat()} 12:00",
                "amount": f"{amount:.2f}",
                "customer": f"c{i % 9}",
                "channel": "Email" if i % 2 else "Direct",
            }
        )
    return payments_frame(rows)


@pytest.fixture
def seeded(services, workspace):
    load(services, workspace, "payments", _payments())
    return services


def run(services, *args):
    result = CliRunner().invoke(cli, list(args), obj=services, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


BASE = ("forecast", "gross_revenue", "--workspace", "acme", "--train-until", "2026-04-30")


def test_fcli001_json_has_exactly_the_issue_shape(seeded):
    code, out, err = run(seeded, *BASE, "--horizon", "7", "--model", "theta", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert list(doc) == ["metric", "model", "grain", "train_until", "interval", "backtest", "rows"]
    assert doc["metric"] == "gross_revenue" and doc["model"] == "theta" and doc["grain"] == "day"
    assert doc["train_until"] == "2026-04-30" and doc["interval"] == 0.8
    assert set(doc["backtest"]) == {"theta", "snaive", "naive"}
    for score in doc["backtest"].values():
        assert list(score) == ["smape", "mase"] and score["smape"] >= 0
    assert [r["period"] for r in doc["rows"]] == [f"2026-05-0{d}" for d in range(1, 8)]
    for row in doc["rows"]:
        assert list(row) == ["period", "yhat", "lower", "upper"]
        assert row["lower"] <= row["yhat"] <= row["upper"]
        assert 40 < row["yhat"] < 160  # the series lives between ~60 and ~145


def test_fcli002_by_value_interval_and_week_grain(seeded):
    code, out, err = run(
        seeded, *BASE, "--horizon", "2", "--grain", "week", "--model", "naive", "--interval", "0.95",
        "--by", "channel", "--value", "Email", "--json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["interval"] == 0.95 and doc["grain"] == "week"
    # 2026-04-30 is a Thursday: that week is unfinished, so the forecast starts with it
    assert [r["period"] for r in doc["rows"]] == ["2026-04-27", "2026-05-04"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--horizon", "x"), "error: --horizon 'x' is not a whole number"),
        (("--horizon", "0"), "error: horizon must be a whole number of periods from 1 to 1000"),
        (("--horizon", "3", "--model", "arima"), "error: unknown model 'arima'"),
        (("--horizon", "3", "--grain", "year"), "error: unknown grain 'year'"),
        (("--horizon", "3", "--interval", "2"), "error: interval must be a coverage between 0.5 and 0.99"),
        (("--horizon", "3", "--interval", "high"), "error: --interval 'high' is not a number"),
        (("--horizon", "3", "--by", "channel"), "error: --by and --value go together"),
        (
            ("--horizon", "3", "--by", "plan", "--value", "x"),
            "error: metric 'gross_revenue' cannot be filtered by 'plan'",
        ),
        (
            ("--horizon", "3", "--train-until", "2026-13-01"),
            "error: --train-until '2026-13-01' is not a date",
        ),
        (
            ("--horizon", "3", "--grain", "month"),
            "error: not enough history to forecast gross revenue by month",
        ),
    ],
)
def test_fcli003_bad_input_is_one_line_and_exit_2(seeded, args, message):
    code, out, err = run(
        seeded, "forecast", "gross_revenue", "--workspace", "acme", "--train-until", "2026-04-30", *args
    )
    assert code == 2 and out == ""
    assert err.startswith(message) and err.count("\n") == 1


def test_fcli004_ratio_metrics_and_unknown_workspaces_are_refused(seeded):
    code, _, err = run(seeded, "forecast", "ctr", "--workspace", "acme", "--horizon", "3")
    assert code == 2 and "is a ratio computed from other numbers" in err and "spend" in err
    code, _, err = run(seeded, "forecast", "spend", "--workspace", "nope", "--horizon", "3")
    assert code == 2 and "unknown workspace 'nope'" in err


def test_fcli005_runs_are_recorded_cached_and_invalidated_by_new_data(seeded, workspace):
    args = (*BASE, "--horizon", "3", "--model", "naive", "--json")
    assert run(seeded, *args)[0] == 0
    assert run(seeded, *args)[0] == 0  # same data, same request: the cache answers
    scoped = seeded.warehouse.scoped(workspace)
    recorded = runs.recent_runs(scoped)
    assert recorded.height == 1
    row = recorded.row(0, named=True)
    assert (row["origin"], row["metric"], row["model"], row["status"]) == (
        "cli",
        "gross_revenue",
        "naive",
        "ok",
    )
    assert row["series_length"] == DAYS and row["duration_ms"] > 0 and row["backtest_smape"] is not None
    assert runs.run_rows(scoped, row["id"]).height == 3
    load(
        seeded, workspace, "payments", _payments(days=1, start=date(2026, 4, 30), prefix="late"), name="late"
    )
    assert run(seeded, *args)[0] == 0  # new data: a new run
    assert runs.recent_runs(scoped).height == 2


def test_fcli006_refusals_are_recorded_and_other_workspaces_see_no_runs(seeded, workspace, other_workspace):
    run(seeded, *BASE, "--horizon", "3", "--grain", "month")
    scoped = seeded.warehouse.scoped(workspace)
    assert runs.recent_runs(scoped)["status"].to_list() == ["refused"]
    assert runs.recent_runs(seeded.warehouse.scoped(other_workspace)).height == 0
    run_id = runs.recent_runs(scoped)["id"][0]
    assert runs.run_rows(seeded.warehouse.scoped(other_workspace), run_id).height == 0


def test_fcli007_text_output_says_model_accuracy_and_rows(seeded):
    code, out, _ = run(seeded, *BASE, "--horizon", "2", "--model", "snaive")
    assert code == 0
    assert "Model: Seasonal naive. Chosen by you." in out
    assert "Tested on your own history" in out and "2026-05-02" in out


def test_fcli009_text_backtest_says_the_share_inside_the_band_shown(seeded):
    """Each backtest line ends with the share of actual days inside the calibrated band, and the
    heading says what that share is; the JSON keeps exactly its shape (fcli001)."""
    code, out, _ = run(seeded, *BASE, "--horizon", "7", "--model", "snaive", "--interval", "0.9")
    assert code == 0
    assert "in 90% band: share of actual periods inside it" in out
    lines = [line for line in out.splitlines() if "sMAPE" in line and "MASE" in line][1:]
    assert len(lines) == 2  # snaive and naive
    for line in lines:
        assert re.search(r"in 90% band (\d+%|rough \(too little history to check it\))$", line), line


def test_fcli008_the_cli_starts_without_scipy():
    """scipy (~0.8 s of every command's start) is loaded by `forecast` itself, not by the CLI."""
    import subprocess
    import sys

    from dashboard.forecast.choices import CHOICES
    from dashboard.forecast.engine import CHOICES as ENGINE_CHOICES

    assert CHOICES == ENGINE_CHOICES
    probe = (
        "import sys, dashboard.cli; print(sorted(m for m in ('scipy', 'scipy.stats') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    help_text = CliRunner().invoke(cli, ["forecast", "--help"]).output
    assert "auto, prophet, ets, theta, snaive, naive" in help_text
