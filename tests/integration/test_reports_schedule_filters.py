"""Scheduled reports carry filters: `reports add|edit --filter`, list/history, and a run applies them."""

from __future__ import annotations

import email
import email.policy
import io
import json

import openpyxl
import pytest
from click.testing import CliRunner

from dashboard.cli import cli
from tests.conftest import load, payments_frame
from tests.integration.test_reports_delivery import backdate, use_smtp

ADD = [
    "reports", "add", "--workspace", "acme", "--name", "Email weekly", "--preset", "weekly",
    "--weekday", "mon", "--hour", "8", "--timezone", "Europe/Berlin", "--formats", "pdf,xlsx",
    "--to", "ann@acme.test", "--period", "last_week",
]  # fmt: skip


def run(services, *args):
    result = CliRunner().invoke(cli, list(args), obj=services, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def seeded(services, workspace):
    """Payments in the week of 23 Feb - 1 Mar 2026: 6 x 100 by Email, 4 x 250 by Paid search."""
    rows = [
        {"id": f"e{i}", "created": f"2026-02-{23 + i}T10:00:00", "amount": "100.00", "customer": f"c{i}",
         "channel": "Email"}
        for i in range(6)
    ]  # fmt: skip
    rows += [
        {"id": f"s{i}", "created": f"2026-02-{23 + i}T11:00:00", "amount": "250.00", "customer": f"d{i}",
         "channel": "Paid search"}
        for i in range(4)
    ]  # fmt: skip
    load(services, workspace, "payments", payments_frame(rows))
    return services


def test_reports200_add_with_filters_lists_them(services, workspace):
    code, out, err = run(services, *ADD, "--filter", "channel=Email", "--filter", "country = DE", "--json")
    assert code == 0, err
    assert json.loads(out)["filters"] == {"channel": "Email", "country": "DE"}
    code, out, _ = run(services, "reports", "list", "--workspace", "acme", "--json")
    (item,) = json.loads(out)["schedules"]
    assert item["filters"] == {"channel": "Email", "country": "DE"}
    assert item["period"] == "last_week" and item["formats"] == ["pdf", "xlsx"]  # existing keys stay
    code, out, _ = run(services, "reports", "list", "--workspace", "acme")
    assert "filters Channel = Email, Country = DE" in out


def test_reports201_unfiltered_schedule_lists_empty_filters(services, workspace):
    code, out, err = run(services, *ADD, "--json")
    assert code == 0, err
    assert json.loads(out)["filters"] == {}
    code, out, _ = run(services, "reports", "list", "--workspace", "acme")
    assert "filters" not in out


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("planet=Mars", "error: unknown filter 'planet'; accepted: "),
        ("channel", "error: --filter 'channel': use DIMENSION=VALUE, e.g. channel=Email"),
        ("channel=", "error: --filter 'channel=': use DIMENSION=VALUE, e.g. channel=Email"),
    ],
)
def test_reports202_bad_filter_is_refused_like_render(services, workspace, tmp_path, value, message):
    code, _, err = run(services, *ADD, "--filter", value)
    assert code == 2 and message in err
    code, out, _ = run(services, "reports", "list", "--workspace", "acme", "--json")
    assert json.loads(out)["schedules"] == []  # nothing saved
    # `report render` says the same
    out_file = str(tmp_path / "r.pdf")
    render = ["report", "render", "--workspace", "acme", "--format", "pdf", "--out", out_file]
    code, _, err = run(services, *render, "--filter", value)
    assert code == 2 and message in err


def test_reports203_edit_replaces_and_clears_filters(services, workspace):
    code, out, _ = run(services, *ADD, "--filter", "channel=Email", "--json")
    schedule = str(json.loads(out)["id"])
    edit = ["reports", "edit", schedule, "--workspace", "acme", "--json"]
    code, out, err = run(services, *edit, "--filter", "country=DE")
    assert code == 0, err
    info = json.loads(out)
    assert info["filters"] == {"country": "DE"}
    assert info["period"] == "last_week" and info["recipients"] == ["ann@acme.test"]  # others stay
    code, _, err = run(services, *edit, "--filter", "planet=Mars")
    assert code == 2 and "unknown filter 'planet'" in err
    code, _, err = run(services, *edit, "--filter", "channel=Email", "--clear-filters")
    assert code == 2 and "either --filter or --clear-filters" in err
    code, out, _ = run(services, "reports", "list", "--workspace", "acme", "--json")
    assert json.loads(out)["schedules"][0]["filters"] == {"country": "DE"}  # refused edits kept it
    code, out, err = run(services, *edit, "--clear-filters")
    assert code == 0, err
    assert json.loads(out)["filters"] == {}


def test_reports204_a_scheduled_run_applies_its_filters(seeded, inbox):
    use_smtp(seeded, inbox.url)
    code, out, err = run(seeded, *ADD, "--filter", "channel=Email", "--json")
    assert code == 0, err
    backdate(seeded, json.loads(out)["id"], "2026-01-01T00:00:00+00:00")
    # Monday 2 March 2026, 08:00 in Berlin: the week 23 Feb - 1 Mar is due
    code, out, err = run(seeded, "reports", "run-due", "--now", "2026-03-02T07:00:00Z", "--json")
    assert code == 0, err
    assert [r["status"] for r in json.loads(out)["runs"]] == ["sent"]
    (msg,) = inbox.messages
    # the same number `pulseboard metric` gives for the Email channel in that week
    code, out, err = run(
        seeded, "metric", "net_revenue", "--workspace", "acme", "--from", "2026-02-23", "--to", "2026-03-01",
        "--by", "channel", "--json",
    )  # fmt: skip
    assert code == 0, err
    by_channel = {r["channel"]: r["value"] for r in json.loads(out)["rows"]}
    assert by_channel == {"Email": 600.0, "Paid search": 1000.0}
    xlsx = next(p for p in msg.iter_attachments() if p.get_filename().endswith(".xlsx"))
    summary = openpyxl.load_workbook(io.BytesIO(xlsx.get_content()))["Summary"]
    values = {r[0]: r[1] for r in summary.iter_rows(values_only=True) if r[0]}
    assert values["Net revenue"] == pytest.approx(by_channel["Email"])
    assert values["Filters"] == "Channel = Email"
    # the email says which rows it counts, in both bodies
    text = msg.get_body(("plain",)).get_content()
    assert "Filters: Channel = Email" in text
    assert "Filters: Channel = Email" in msg.get_body(("html",)).get_content()
    # the history keeps the filters the run was made with
    code, out, _ = run(seeded, "reports", "history", "--workspace", "acme", "--json")
    (entry,) = json.loads(out)["runs"]
    assert entry["filters"] == {"channel": "Email"}
    code, out, _ = run(seeded, "reports", "history", "--workspace", "acme")
    assert "filters Channel = Email" in out


def test_reports205_unfiltered_email_has_no_filters_line(seeded, inbox):
    use_smtp(seeded, inbox.url)
    code, out, _ = run(seeded, *ADD, "--json")
    backdate(seeded, json.loads(out)["id"], "2026-01-01T00:00:00+00:00")
    code, out, err = run(seeded, "reports", "run-due", "--now", "2026-03-02T07:00:00Z", "--json")
    assert code == 0, err
    (msg,) = inbox.messages
    assert "Filters" not in msg.get_body(("plain",)).get_content()
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    xlsx = next(p for p in parsed.iter_attachments() if p.get_filename().endswith(".xlsx"))
    summary = openpyxl.load_workbook(io.BytesIO(xlsx.get_content()))["Summary"]
    values = {r[0]: r[1] for r in summary.iter_rows(values_only=True) if r[0]}
    assert values["Net revenue"] == pytest.approx(1600.0)
