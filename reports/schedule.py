"""When a scheduled report is due: presets or cron, in the schedule's IANA time zone.

Occurrences are wall-clock times in the schedule's zone ("Monday 08:00 Europe/Berlin"),
converted to UTC per day, so the Monday report arrives at 08:00 local time on both sides of a
DST change. A local time that does not exist (02:30 on the night clocks jump forward) runs at
the same UTC offset it would have had before the jump — one hour later on the wall clock, like
cron; a time that happens twice (the night clocks go back) runs once, at its first instance.

Cron expressions have the five classic fields (minute hour day-of-month month day-of-week) with
``*``, lists, ranges, steps and names (``mon``, ``jan``); when both day fields are restricted a
day matches either, as in Vixie cron. Implemented here (a few dozen lines) rather than adding a
dependency: the rules above are ours to define and test, whatever a library does at DST edges.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PRESETS = ("daily", "weekly", "monthly", "first_business_day", "cron")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
#: how far back/forward occurrences are searched (a yearly cron needs up to a year)
SEARCH_DAYS = 400


class ScheduleError(ValueError):
    """A bad schedule (unknown preset, bad cron field, unknown time zone ...)."""


def check_timezone(name: str) -> ZoneInfo:
    """The zone called ``name``; ScheduleError for anything that is not an IANA name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"unknown time zone {name!r}; use an IANA name like Europe/Berlin") from None


@dataclass(frozen=True)
class Rule:
    """A schedule rule: a preset with its weekday/day/hour/minute, or a cron expression."""

    preset: str = "weekly"
    weekday: str = "mon"  # weekly
    day: int = 1  # monthly: day of month (29-31 fall on the month's last day when it is shorter)
    hour: int = 8
    minute: int = 0
    cron: str | None = None

    def validate(self) -> Rule:
        """Return self if valid; ScheduleError naming the bad field and the accepted values."""
        if self.preset not in PRESETS:
            raise ScheduleError(f"unknown preset {self.preset!r}; accepted: {', '.join(PRESETS)}")
        if self.preset == "cron":
            CronExpr.parse(self.cron or "")
            return self
        if self.weekday not in WEEKDAYS:
            raise ScheduleError(f"unknown weekday {self.weekday!r}; accepted: {', '.join(WEEKDAYS)}")
        if not 1 <= self.day <= 31:
            raise ScheduleError(f"day of month {self.day} is out of range 1-31")
        if not 0 <= self.hour <= 23:
            raise ScheduleError(f"hour {self.hour} is out of range 0-23")
        if not 0 <= self.minute <= 59:
            raise ScheduleError(f"minute {self.minute} is out of range 0-59")
        return self

    def to_json(self) -> str:
        """The rule as JSON (stored on the schedule)."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Rule:
        """A rule stored with :meth:`to_json`."""
        return cls(**json.loads(text)).validate()

    def describe(self) -> str:
        """Words for lists and emails: ``every Monday at 08:00``."""
        at = f"{self.hour:02d}:{self.minute:02d}"
        if self.preset == "daily":
            return f"every day at {at}"
        if self.preset == "weekly":
            name = date(2024, 1, 1 + WEEKDAYS.index(self.weekday)).strftime("%A")
            return f"every {name} at {at}"
        if self.preset == "monthly":
            return f"monthly on day {self.day} at {at}"
        if self.preset == "first_business_day":
            return f"on the first business day of the month at {at}"
        return f"cron {self.cron}"

    # -- matching -------------------------------------------------------------------------------
    def matches_day(self, day: date) -> bool:
        """True when the rule fires on this local calendar day."""
        if self.preset == "daily":
            return True
        if self.preset == "weekly":
            return day.weekday() == WEEKDAYS.index(self.weekday)
        if self.preset == "monthly":
            last = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
            return day.day == min(self.day, last.day)
        if self.preset == "first_business_day":
            first = day.replace(day=1)
            while first.weekday() >= 5:
                first += timedelta(days=1)
            return day == first
        return CronExpr.parse(self.cron or "").matches_day(day)

    def times(self) -> list[time]:
        """The local times of day the rule fires at, in order."""
        if self.preset == "cron":
            expr = CronExpr.parse(self.cron or "")
            return [time(h, m) for h in sorted(expr.hours) for m in sorted(expr.minutes)]
        return [time(self.hour, self.minute)]


def occurrence_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of local ``day`` ``at`` (DST gaps and folds handled as the module says)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)  # fold=0: first instance / pre-gap offset


def latest_occurrence(rule: Rule, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The latest occurrence at or before ``now`` (UTC), or None within the search window."""
    now = now.astimezone(UTC)
    local_day = now.astimezone(zone).date() + timedelta(days=1)  # a gap time may map past midnight
    times = rule.times()
    for back in range(SEARCH_DAYS):
        day = local_day - timedelta(days=back)
        if not rule.matches_day(day):
            continue
        due = [t for t in (occurrence_utc(day, at, zone) for at in reversed(times)) if t <= now]
        if due:
            return max(due)
    return None


def next_occurrence(rule: Rule, zone: ZoneInfo, after: datetime) -> datetime | None:
    """The first occurrence strictly after ``after`` (UTC), or None within the search window."""
    after = after.astimezone(UTC)
    local_day = after.astimezone(zone).date() - timedelta(days=1)
    times = rule.times()
    for ahead in range(SEARCH_DAYS):
        day = local_day + timedelta(days=ahead)
        if not rule.matches_day(day):
            continue
        later = [t for t in (occurrence_utc(day, at, zone) for at in times) if t > after]
        if later:
            return min(later)
    return None


@dataclass(frozen=True)
class CronExpr:
    """A parsed five-field cron expression."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday ... 6 = Saturday (7 is read as Sunday too)
    days_restricted: bool
    weekdays_restricted: bool

    @classmethod
    def parse(cls, text: str) -> CronExpr:
        """Parse ``m h dom mon dow``; ScheduleError naming the bad field."""
        fields = text.split()
        if len(fields) != 5:
            raise ScheduleError(
                f"cron expression {text!r} needs 5 fields (minute hour day-of-month month day-of-week)"
            )
        minute, hour, dom, month, dow = fields
        weekdays = _field(dow, "day-of-week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat"))
        if 7 in weekdays:
            weekdays = (weekdays - {7}) | {0}
        return cls(
            _field(minute, "minute", 0, 59),
            _field(hour, "hour", 0, 23),
            _field(dom, "day-of-month", 1, 31),
            _field(month, "month", 1, 12, MONTHS, offset=1),
            frozenset(weekdays),
            dom != "*",
            dow != "*",
        )

    def matches_day(self, day: date) -> bool:
        """True when the day fields and the month allow ``day``."""
        if day.month not in self.months:
            return False
        dom_ok = day.day in self.days
        dow_ok = (day.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return dom_ok or dow_ok
        return dom_ok and dow_ok


def _field(
    text: str, name: str, low: int, high: int, names: tuple[str, ...] = (), offset: int = 0
) -> frozenset[int]:
    values: set[int] = set()
    for part in text.lower().split(","):
        base, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
        except ValueError:
            raise ScheduleError(f"cron {name} step {step_text!r} is not a number") from None
        if step < 1:
            raise ScheduleError(f"cron {name} step must be at least 1")
        if base == "*":
            first, last = low, high
        else:
            start_text, dash, end_text = base.partition("-")
            first = _value(start_text, name, low, high, names, offset)
            last = (
                _value(end_text, name, low, high, names, offset) if dash else (high if step_text else first)
            )
            if first > last:
                raise ScheduleError(f"cron {name} range {base!r} is reversed")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _value(text: str, name: str, low: int, high: int, names: tuple[str, ...], offset: int) -> int:
    if text in names:
        return names.index(text) + offset
    try:
        value = int(text)
    except ValueError:
        accepted = f"{low}-{high}" + (f" or {', '.join(names)}" if names else "")
        raise ScheduleError(f"cron {name} value {text!r} is not valid; accepted: {accepted}") from None
    if not low <= value <= high:
        raise ScheduleError(f"cron {name} value {value} is out of range {low}-{high}")
    return value
