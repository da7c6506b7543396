"""Mixpanel event export: Unix times to workspace days, users per day and source, automatic events not key events."""

from __future__ import annotations

from datetime import date

from data.connectors import registry
from tests.unit.connectors._helpers import FIXTURES, parse
from tests.unit.connectors._ingest import ingest_json, metric

FILE = "mixpanel/events_export.csv"


def test_mp001_detected_by_content():
    assert registry.detect(FIXTURES / FILE) == "mixpanel"


def _rows(p) -> list[tuple]:
    frame = p.frame().sort("date", "source_name", nulls_last=True)
    return [
        (r["date"], r["source_name"], r["medium"], r["channel"], r["users"], r["key_events"])
        for r in frame.to_dicts()
    ]


def test_mp002_daily_users_and_key_events_utc():
    assert _rows(parse(FILE)) == [
        (date(2024, 3, 1), "google", "cpc", "Paid Search", 1, 1.0),
        (date(2024, 3, 1), None, None, "Direct", 1, 1.0),
        (date(2024, 3, 2), "newsletter", "email", "Email", 1, 1.0),  # the duplicate $insert_id counts once
    ]


def test_mp003_days_follow_the_workspace_zone():
    rows = _rows(parse(FILE, timezone="America/Chicago"))
    # 22:30 and 23:10 UTC on Mar 1 are still Mar 1 in Chicago; 09:00 UTC is 03:00 local
    assert [(r[0], r[1]) for r in rows] == [
        (date(2024, 3, 1), "google"),
        (date(2024, 3, 1), None),
        (date(2024, 3, 2), "newsletter"),
    ]
    rows = _rows(parse(FILE, timezone="Europe/Berlin"))
    assert (date(2024, 3, 2), None, None, "Direct", 1, 1.0) in rows  # 23:10 UTC is Mar 2 in Berlin


def test_mp004_unreadable_time_quarantined():
    p = parse(FILE)
    [err] = p.errors
    assert (err.row_number, err.column, err.raw["time"]) == (8, "time", "yesterday")
    assert p.rows_read() == 7


def test_mp005_end_to_end(services, workspace, tmp_path):
    result = ingest_json(services, tmp_path, FILE)
    assert (result["source"], result["inserted"], result["quarantined"]) == ("mixpanel", 3, 1)
    march = (date(2024, 3, 1), date(2024, 3, 31))
    assert metric(services, workspace, "key_events", *march) == 3
    assert metric(services, workspace, "users", *march) == 3
