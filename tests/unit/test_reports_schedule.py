"""Schedule rules: presets, cron, IANA time zones and DST boundaries."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from reports.schedule import CronExpr, Rule, ScheduleError, latest_occurrence, next_occurrence

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_weekly_monday_0800_berlin_is_0800_local_on_both_sides_of_dst():
    rule = Rule("weekly", "mon", hour=8)
    # 2026-03-29: Berlin moves from CET (+1) to CEST (+2)
    assert latest_occurrence(rule, BERLIN, utc("2026-03-23T12:00")) == utc("2026-03-23T07:00")
    assert latest_occurrence(rule, BERLIN, utc("2026-03-30T06:30")) == utc("2026-03-30T06:00")
    assert next_occurrence(rule, BERLIN, utc("2026-03-23T07:00")) == utc("2026-03-30T06:00")
    # 2026-10-25: back to CET
    assert next_occurrence(rule, BERLIN, utc("2026-10-20T00:00")) == utc("2026-10-26T07:00")


def test_a_time_skipped_by_dst_runs_once_an_hour_later_on_the_wall_clock():
    rule = Rule("daily", hour=2, minute=30)
    # 2026-03-08 02:30 does not exist in New York: it runs at 03:30 EDT = 07:30 UTC
    assert next_occurrence(rule, NEW_YORK, utc("2026-03-08T05:00")) == utc("2026-03-08T07:30")
    assert next_occurrence(rule, NEW_YORK, utc("2026-03-08T07:30")) == utc("2026-03-09T06:30")


def test_a_time_that_happens_twice_runs_once():
    rule = Rule("daily", hour=1, minute=30)
    # 2026-11-01 01:30 happens twice in New York (EDT, then EST): only the first counts
    first = next_occurrence(rule, NEW_YORK, utc("2026-11-01T04:00"))
    assert first == utc("2026-11-01T05:30")
    assert next_occurrence(rule, NEW_YORK, first) == utc("2026-11-02T06:30")


def test_monthly_day_31_falls_on_the_last_day_of_short_months():
    rule = Rule("monthly", day=31, hour=9)
    assert next_occurrence(rule, ZoneInfo("UTC"), utc("2026-02-01T00:00")) == utc("2026-02-28T09:00")
    assert next_occurrence(rule, ZoneInfo("UTC"), utc("2026-02-28T09:00")) == utc("2026-03-31T09:00")


def test_first_business_day_skips_the_weekend():
    rule = Rule("first_business_day", hour=7)
    # 2026-08-01 is a Saturday: the first business day is Monday 3 August
    assert next_occurrence(rule, ZoneInfo("UTC"), utc("2026-07-31T00:00")) == utc("2026-08-03T07:00")


def test_cron_expressions():
    rule = Rule("cron", cron="15 8 * * mon-fri")
    assert next_occurrence(rule, BERLIN, utc("2026-11-06T08:00")) == utc("2026-11-09T07:15")  # Fri -> Mon
    every_6h = Rule("cron", cron="0 */6 * * *")
    assert latest_occurrence(every_6h, ZoneInfo("UTC"), utc("2026-11-06T13:59")) == utc("2026-11-06T12:00")
    # both day fields restricted: either matches (Vixie cron)
    either = CronExpr.parse("0 0 1 * sun")
    assert either.matches_day(datetime(2026, 11, 1).date())  # the 1st (a Sunday too)
    assert either.matches_day(datetime(2026, 11, 8).date())  # a Sunday
    assert not either.matches_day(datetime(2026, 11, 9).date())
    assert CronExpr.parse("0 0 * * 7").weekdays == frozenset({0})


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("0 8 * *", "needs 5 fields"),
        ("61 8 * * *", "minute value 61 is out of range 0-59"),
        ("0 8 * * funday", "day-of-week value 'funday' is not valid"),
        ("0 10-8 * * *", "hour range '10-8' is reversed"),
        ("*/0 * * * *", "step must be at least 1"),
    ],
)
def test_bad_cron_is_refused_with_a_reason(expr, message):
    with pytest.raises(ScheduleError, match=message):
        Rule("cron", cron=expr).validate()


def test_rule_validation_and_json():
    with pytest.raises(ScheduleError, match="unknown weekday 'monday'"):
        Rule("weekly", "monday").validate()
    with pytest.raises(ScheduleError, match="hour 24 is out of range"):
        Rule("daily", hour=24).validate()
    rule = Rule("weekly", "fri", hour=17, minute=30)
    assert Rule.from_json(rule.to_json()) == rule
    assert rule.describe() == "every Friday at 17:30"
