"""What a report contains: its sections, period, comparison, filters and formats.

A :class:`ReportSpec` is plain data (JSON round-trips through :meth:`to_json`), validated once by
:meth:`ReportSpec.validate`; the CLI, the Reports page and schedules all build one and hand it to
:func:`reports.assemble.assemble`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date

from data.metrics import CATALOGUE
from reports.periods import PERIODS, PeriodError, check_compare, resolve_period


@dataclass(frozen=True)
class Section:
    """One section: its KPI metrics, the metrics its trend chart draws, and its split."""

    key: str
    title: str
    metrics: tuple[str, ...]
    trend: tuple[str, ...] = ()
    #: (metric, dimension) tables: the metric split by a dimension, biggest first
    splits: tuple[tuple[str, str], ...] = ()


#: Every section a report can hold, in report order.
SECTIONS: dict[str, Section] = {
    s.key: s
    for s in (
        Section(
            "kpis",
            "KPI summary",
            ("net_revenue", "mrr", "new_customers", "spend", "roas", "sessions", "open_rate"),
        ),
        Section(
            "revenue",
            "Revenue",
            ("gross_revenue", "refunds", "net_revenue", "fees", "mrr", "arr", "active_customers"),
            trend=("net_revenue", "gross_revenue"),
            splits=(("net_revenue", "channel"), ("net_revenue", "product"), ("net_revenue", "country")),
        ),
        Section(
            "campaigns",
            "Campaigns",
            (
                "spend",
                "impressions",
                "clicks",
                "ctr",
                "cpc",
                "conversions",
                "cpa",
                "conversion_value",
                "roas",
            ),
            trend=("spend", "conversion_value"),
            splits=(("spend", "campaign"), ("conversion_value", "platform")),
        ),
        Section(
            "email",
            "Email",
            (
                "emails_delivered",
                "open_rate",
                "click_rate",
                "ctor",
                "unsubscribe_rate",
                "bounce_rate",
                "spam_report_rate",
            ),
            trend=("emails_delivered",),
            splits=(("emails_delivered", "campaign"),),
        ),
        Section(
            "web",
            "Web",
            ("sessions", "users", "new_users", "key_events", "web_conversion_rate"),
            trend=("sessions",),
            splits=(("sessions", "channel"), ("sessions", "source")),
        ),
        Section(
            "customers",
            "Customers",
            ("active_customers", "new_customers", "deals_won", "win_rate", "average_deal_size"),
            trend=("new_customers",),
            splits=(("new_customers", "channel"), ("deals_won", "owner")),
        ),
        # Built by reports.briefing from dashboard.insights (offline narration) and
        # dashboard.forecast (quick models); without data the section says so in words.
        Section("insights", "Insights briefing", ()),
        Section("forecast", "Forecast", ()),
    )
}
DEFAULT_SECTIONS = ("kpis", "revenue", "campaigns", "email", "web", "customers")
FORMATS = ("pdf", "xlsx", "csv")


class ReportError(ValueError):
    """A bad report request; the message names the bad value and the accepted ones."""


@dataclass(frozen=True)
class ReportSpec:
    """A report request: which sections, which period and comparison, which filters."""

    sections: tuple[str, ...] = DEFAULT_SECTIONS
    period: str = "last_month"  # a name from reports.periods.PERIODS; "custom" uses start/end
    start: date | None = None
    end: date | None = None
    compare: str = "previous_period"
    #: dimension -> value (e.g. {"channel": "Email"}), applied to every metric that has it
    filters: dict[str, str] = field(default_factory=dict)
    title: str = "Performance report"

    def validate(self) -> ReportSpec:
        """Return self if every field is acceptable; ReportError naming the first bad one."""
        unknown = [s for s in self.sections if s not in SECTIONS]
        if unknown or not self.sections:
            raise ReportError(
                f"unknown section {unknown[0]!r}; accepted: {', '.join(SECTIONS)}"
                if unknown
                else f"choose at least one section: {', '.join(SECTIONS)}"
            )
        if self.period not in PERIODS:
            raise ReportError(f"unknown period {self.period!r}; accepted: {', '.join(PERIODS)}")
        if self.period == "custom":
            if self.start is None or self.end is None:
                raise ReportError("a custom period needs both a start and an end date")
            if self.start > self.end:
                raise ReportError(f"the range is reversed: {self.start} is after {self.end}")
        try:
            check_compare(self.compare)
        except PeriodError as exc:
            raise ReportError(str(exc)) from None
        dimensions = {d for m in CATALOGUE.values() for d in m.dimensions}
        for key, value in self.filters.items():
            if key not in dimensions:
                raise ReportError(f"unknown filter {key!r}; accepted: {', '.join(sorted(dimensions))}")
            if not isinstance(value, str) or not value:
                raise ReportError(f"filter {key!r} needs a value")
        return self

    def dates(self, today: date) -> tuple[date, date]:
        """The inclusive range the report covers when made on ``today``."""
        if self.period == "custom":
            assert self.start is not None and self.end is not None
            return self.start, self.end
        return resolve_period(self.period, today)

    def to_json(self) -> str:
        """The spec as JSON (stored on report definitions and runs)."""
        data = asdict(self)
        data["sections"] = list(self.sections)
        data["start"] = self.start.isoformat() if self.start else None
        data["end"] = self.end.isoformat() if self.end else None
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ReportSpec:
        """Rebuild a spec stored with :meth:`to_json` (validated)."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ReportError(f"stored report spec is not JSON: {exc}") from None
        return cls(
            sections=tuple(data.get("sections") or DEFAULT_SECTIONS),
            period=data.get("period", "last_month"),
            start=date.fromisoformat(data["start"]) if data.get("start") else None,
            end=date.fromisoformat(data["end"]) if data.get("end") else None,
            compare=data.get("compare") or "none",
            filters=dict(data.get("filters") or {}),
            title=data.get("title") or "Performance report",
        ).validate()


def parse_sections(text: str | None) -> tuple[str, ...]:
    """``a,b,c`` -> a tuple of section keys (validated); the defaults for None or empty."""
    if not text:
        return DEFAULT_SECTIONS
    keys = tuple(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    for key in keys:
        if key not in SECTIONS:
            raise ReportError(f"unknown section {key!r}; accepted: {', '.join(SECTIONS)}")
    return keys


def parse_formats(text: str) -> tuple[str, ...]:
    """``pdf,xlsx`` -> ("pdf", "xlsx"); ReportError for an unknown or empty list."""
    keys = tuple(dict.fromkeys(k.strip().lower() for k in text.split(",") if k.strip()))
    if not keys:
        raise ReportError(f"choose at least one format: {', '.join(FORMATS)}")
    for key in keys:
        if key not in FORMATS:
            raise ReportError(f"unknown format {key!r}; accepted: {', '.join(FORMATS)}")
    return keys


#: The definitions every workspace starts with (the Reports page offers them).
DEFAULT_DEFINITIONS = {
    "Weekly performance": ReportSpec(period="last_week", title="Weekly performance"),
    "Monthly revenue": ReportSpec(
        sections=("kpis", "revenue", "customers"), period="last_month", title="Monthly revenue"
    ),
}
