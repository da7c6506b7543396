"""Goals: an owner sets a target per metric and calendar period; KPI cards show progress and pace.

Setting or deleting a goal needs the owner role (checked here, not only in the UI). Progress
reads the same catalogue metric every page shows (``dashboard.queries.metric_frame``).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select

from dashboard.accounts import WorkspaceContext
from dashboard.auth import PermissionDenied
from dashboard.models import Goal, Role
from dashboard.queries import metric_frame
from dashboard.services import Services
from data.metrics import get_metric

PERIODS = ("month", "quarter", "year")


@dataclass(frozen=True)
class GoalProgress:
    """A goal and how the current period is doing against it."""

    metric: str
    period: str
    period_start: date
    period_end: date
    target: float
    actual: float | None
    progress: float | None  # actual / target
    expected: float  # where an additive metric should be by today at an even pace
    on_pace: bool | None


def period_bounds(period: str, day: date) -> tuple[date, date]:
    """The calendar month, quarter or year containing ``day``."""
    if period == "month":
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    if period == "quarter":
        first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        last_month = first.month + 2
        return first, date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    if period == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    raise ValueError(f"unknown goal period {period!r}; accepted: {', '.join(PERIODS)}")


def set_goal(
    services: Services, ctx: WorkspaceContext, metric: str, period: str, day: date, target: float
) -> Goal:
    """Create or replace the goal of ``metric`` for the period containing ``day`` (owners only)."""
    if not ctx.can(Role.OWNER):
        raise PermissionDenied(f"setting goals needs the owner role; you are {ctx.role.value}")
    get_metric(metric)  # unknown metric -> MetricError
    start, _ = period_bounds(period, day)
    if not isinstance(target, int | float) or target != target or target < 0:
        raise ValueError("the target must be a non-negative number")
    with services.db.session() as db:
        goal = db.scalar(
            select(Goal).where(
                Goal.workspace_id == ctx.workspace.id,
                Goal.metric == metric,
                Goal.period == period,
                Goal.period_start == start,
            )
        )
        if goal is None:
            goal = Goal(
                workspace_id=ctx.workspace.id,
                metric=metric,
                period=period,
                period_start=start,
                created_by=ctx.user_id,
            )
            db.add(goal)
        goal.target = float(target)
        db.commit()
        db.refresh(goal)
        db.expunge(goal)
        return goal


def delete_goal(services: Services, ctx: WorkspaceContext, metric: str, period: str, day: date) -> bool:
    """Remove a goal (owners only); True if one existed."""
    if not ctx.can(Role.OWNER):
        raise PermissionDenied(f"deleting goals needs the owner role; you are {ctx.role.value}")
    start, _ = period_bounds(period, day)
    with services.db.session() as db:
        goal = db.scalar(
            select(Goal).where(
                Goal.workspace_id == ctx.workspace.id,
                Goal.metric == metric,
                Goal.period == period,
                Goal.period_start == start,
            )
        )
        if goal is None:
            return False
        db.delete(goal)
        db.commit()
        return True


def goals_for(services: Services, ctx: WorkspaceContext, day: date) -> dict[str, Goal]:
    """The workspace's goals whose period contains ``day``, by metric (monthly preferred)."""
    out: dict[str, Goal] = {}
    with services.db.session() as db:
        for period in reversed(PERIODS):  # month last, so it wins
            start, _ = period_bounds(period, day)
            for goal in db.scalars(
                select(Goal).where(
                    Goal.workspace_id == ctx.workspace.id, Goal.period == period, Goal.period_start == start
                )
            ):
                db.expunge(goal)
                out[goal.metric] = goal
    return out


def progress(services: Services, ctx: WorkspaceContext, goal: Goal, today: date) -> GoalProgress:
    """Actual to date vs the target; pace = the share of the period elapsed (additive metrics)."""
    start, end = period_bounds(goal.period, goal.period_start)
    metric = get_metric(goal.metric)
    upto = min(max(today, start), end)
    actual = metric_frame(services, ctx, goal.metric, start, upto)["value"][0]
    elapsed = ((upto - start).days + 1) / ((end - start).days + 1)
    expected = goal.target * elapsed if metric.additive else goal.target
    on_pace = None if actual is None else (actual >= expected if metric.up_is_good else actual <= expected)
    ratio = None if actual is None or not goal.target else actual / goal.target
    return GoalProgress(goal.metric, goal.period, start, end, goal.target, actual, ratio, expected, on_pace)


def goal_candidates(services: Services, ctx: WorkspaceContext, day: date) -> list[Goal]:
    """Every goal of the workspace whose month, quarter or year contains ``day`` (all periods).

    Unlike :func:`goals_for` (one goal per metric, monthly preferred) this keeps each period's
    goal, so a caller can pick the one whose period holds a whole selected date range.
    """
    # one query for the three periods: every KPI request of every page asks this
    periods = or_(*(and_(Goal.period == p, Goal.period_start == period_bounds(p, day)[0]) for p in PERIODS))
    with services.db.session() as db:
        goals = list(db.scalars(select(Goal).where(Goal.workspace_id == ctx.workspace.id, periods)))
        for goal in goals:
            db.expunge(goal)
    order = {p: i for i, p in enumerate(PERIODS)}
    return sorted(goals, key=lambda g: (order[g.period], g.id))
