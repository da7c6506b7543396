"""`pulseboard insights` on a real warehouse: the issue's JSON shape, ranking, records, keys, feedback."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from dashboard.cli import cli
from dashboard.insights.events import FeedbackError, events_frame, feedback_frame, save_feedback, votes_of
from dashboard.insights.keys import provider_config
from dashboard.models import Connection
from tests.conftest import load, payments_frame

END = date(2026, 3, 31)
START = END - timedelta(days=27)
KEYS = {"id", "type", "metric", "dimensions", "period_from", "period_to", "value", "baseline", "change_pct",
        "severity", "headline", "text", "action", "evidence"}  # fmt: skip


@pytest.fixture
def seeded(services, workspace):
    """240 days of orders on two channels; "Ads" loses most of its orders in the last 28 days."""
    rng = np.random.default_rng(4)
    rows = []
    for offset in range(240):
        day = END - timedelta(days=offset)
        for channel, per_day in (("Ads", 6), ("Organic", 5)):
            n = rng.poisson(per_day * (0.25 if channel == "Ads" and day >= START else 1.0))
            for k in range(n):
                rows.append({"id": f"{day}-{channel}-{k}", "created": datetime.combine(day, datetime.min.time()) + timedelta(hours=10),
                             "amount": f"{rng.normal(80, 10):.2f}", "customer": f"c{rng.integers(0, 400)}", "channel": channel})  # fmt: skip
    load(services, workspace, "payments", payments_frame(rows))
    return services


def run(services, *args, input=None):
    result = CliRunner().invoke(cli, list(args), obj=services, catch_exceptions=False, input=input)
    return result.exit_code, result.stdout, result.stderr


def test_inscli001_json_shape_ranked_and_recorded(seeded, workspace):
    code, out, err = run(
        seeded, "insights", "--workspace", "acme", "--from", str(START), "--to", str(END), "--json"
    )
    assert code == 0, err
    payload = json.loads(out)
    assert payload["provider"] == "offline"
    items = payload["insights"]
    assert items and all(set(i) == KEYS for i in items)
    assert [i["severity"] for i in items] == sorted((i["severity"] for i in items), reverse=True)
    top = items[0]
    assert (top["metric"], top["dimensions"]) == ("net_revenue", {"channel": "Ads"})
    assert top["type"] in ("top_contributors", "trend_change", "period_change")
    assert top["period_from"] <= str(END) and top["period_to"] >= str(START)  # whole weeks, for a trend
    assert top["change_pct"] < -50 and top["value"] < top["baseline"]
    assert top["headline"] and top["text"] and top["action"]
    events = events_frame(seeded.warehouse.scoped(workspace), date.today() - timedelta(days=1), date.today())
    assert events["provider"].to_list() == ["offline"] and events["outcome"].to_list() == ["ok"]


def test_inscli002_text_output_and_limit(seeded):
    code, out, _ = run(
        seeded, "insights", "--workspace", "acme", "--from", str(START), "--to", str(END), "--limit", "1"
    )
    assert code == 0 and out.startswith("1. ") and "\n2. " not in out and "Next: " in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "2026-03-31", "--to", "2026-03-01"], "reversed"),
        (["--from", "yesterday", "--to", "2026-03-01"], "is not a date"),
        (
            ["--from", "2026-03-01", "--to", "2026-03-31", "--provider", "gpt"],
            "Invalid value for '--provider'",
        ),
        (["--from", "2026-03-01", "--to", "2026-03-31", "--limit", "0"], "Invalid value for '--limit'"),
    ],
)
def test_inscli003_bad_input_exits_2(seeded, args, message):
    code, _, err = run(seeded, "insights", "--workspace", "acme", *args)
    assert code == 2 and message in err


def test_inscli004_unknown_workspace(seeded):
    code, _, err = run(seeded, "insights", "--workspace", "nope", "--from", str(START), "--to", str(END))
    assert code == 2 and "unknown workspace 'nope'" in err


def test_inscli005_keys_are_stored_encrypted(services, workspace):
    code, out, err = run(services, "insights-key", "openai", "--workspace", "acme", "--model", "local-llama",
                         "--base-url", "http://127.0.0.1:11434/v1", input="sk-live-abcdef123456\n")  # fmt: skip
    assert code == 0, err
    assert "sk-live" not in out
    with services.db.session() as db:
        row = db.scalar(select(Connection).where(Connection.source == "ai:openai"))
        assert "sk-live" not in row.credentials_encrypted
    config = provider_config(services, workspace.id, "openai")
    assert (config.api_key, config.model, config.base_url) == (
        "sk-live-abcdef123456",
        "local-llama",
        "http://127.0.0.1:11434/v1",
    )
    code, _, err = run(
        services, "insights-key", "openai", "--workspace", "acme", "--base-url", "ftp://x", input="k\n"
    )
    assert code == 2 and "http://" in err


def test_inscli006_feedback_one_vote_per_user(services, workspace):
    wh = services.warehouse
    save_feedback(wh, workspace, 7, "ins_0123456789ab", 1, insight_type="period_change", metric="net_revenue")
    save_feedback(wh, workspace, 7, "ins_0123456789ab", -1)  # changed their mind
    save_feedback(wh, workspace, 8, "ins_0123456789ab", 1)
    scoped = wh.scoped(workspace)
    assert votes_of(scoped, 7, ["ins_0123456789ab"]) == {"ins_0123456789ab": -1}
    assert sorted(
        feedback_frame(scoped, date.today() - timedelta(days=1), date.today())["vote"].to_list()
    ) == [-1, 1]
    with pytest.raises(FeedbackError):
        save_feedback(wh, workspace, 7, "ins_0123456789ab", 5)
    with pytest.raises(FeedbackError):
        save_feedback(wh, workspace, 7, "'; DROP TABLE x; --", 1)


def test_inscli007_feedback_and_events_are_per_workspace(services, workspace, other_workspace):
    save_feedback(services.warehouse, workspace, 7, "ins_0123456789ab", 1)
    other = services.warehouse.scoped(other_workspace)
    assert votes_of(other, 7, ["ins_0123456789ab"]) == {}
    assert feedback_frame(other, date.today() - timedelta(days=1), date.today()).height == 0


def test_inscli008_a_key_accounts_drop_is_named_in_the_json(services, workspace):
    """A steady key account stops paying: the top insight names it, by name, never by its vendor id."""
    rng = np.random.default_rng(5)
    rows = []
    for offset in range(240):
        day = END - timedelta(days=offset)
        at = datetime.combine(day, datetime.min.time()) + timedelta(hours=10)
        for k in range(rng.poisson(8)):
            rows.append({"id": f"{day}-{k}", "created": at, "amount": f"{rng.normal(80, 10):.2f}",
                         "customer": f"cus_{rng.integers(0, 10**6)}", "channel": "Organic"})  # fmt: skip
        if day.weekday() < 5 and day < START:
            rows.append({"id": f"{day}-key", "created": at, "amount": f"{rng.normal(500, 25):.2f}",
                         "customer": "cus_KEY123", "channel": "Organic"})  # fmt: skip
    load(services, workspace, "payments", payments_frame(rows))
    customers = [
        {
            "source": "stripe",
            "source_id": "cus_KEY123",
            "name": "Northwind Traders",
            "email": "ap@northwind.test",
        }
    ]
    load(services, workspace, "customers", pl.DataFrame(customers))
    code, out, err = run(
        services, "insights", "--workspace", "acme", "--from", str(START), "--to", str(END), "--json"
    )
    assert code == 0, err
    items = json.loads(out)["insights"]
    assert all(set(i) == KEYS for i in items)
    top = items[0]
    assert (top["type"], top["metric"], top["dimensions"]) == (
        "top_contributors",
        "net_revenue",
        {"customer": "Northwind Traders"},
    )
    assert top["value"] == 0 and top["baseline"] > 8000 and top["evidence"]["share_of_change"] > 0.8
    assert "Northwind Traders" in top["headline"] and "Northwind Traders" in top["action"]
    assert "cus_" not in out  # the small buyers have no name on file either: never their ids
