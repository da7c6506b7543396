"""Backtest of the KPI cards' month-end projections: does the 80% range hold the month's total?

    python -m bench.projections --workspace demo [--months 12] [--days 3,10,20] [--modes calibrated,level]
    python -m bench.projections --synthetic [--months 12] [--days 3,10,20] [--modes ...]
    python -m bench.projections --workspace demo --cost [--months 2] [--days 5,15,25]

For each of the last ``--months`` whole months and each metric, the month is projected as a
card would have projected it on days 3, 10 and 20 (history up to the day before, exactly the
service's :func:`~dashboard.forecast.service.period_projection` with ``today`` set back), and
the range is compared with the month's real total. Per metric and mode it prints the share of
ranges that held the total, the median width of the range over the total, how many ranges had
a negative low end for a metric that never goes below zero, how many were "rough" (too little
history to calibrate) and the mean seconds per projection.

``--workspace`` reads the workspace from ``PULSEBOARD_DATA_DIR`` (use your own copy: the
projections are cached in its query cache). ``--synthetic`` needs no warehouse: it builds
daily series with a known noise level, weekly season and growth (see :func:`synthetic_series`)
and projects them with the same code (:func:`dashboard.forecast.service.project_series`).
``--cost`` times cold projections instead (nothing cached: each mode on its own days, the
modes interleaved so that a busy machine slows them alike): wall and CPU seconds of one card's
projection, per metric and mode. Results go to ``bench/out/projections-<name>.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
import warnings
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from bench import OUT

METRICS = ("net_revenue", "new_customers", "refunds", "sessions")
MODES = ("calibrated", "level", "independent")


@dataclass
class Tally:
    """The outcomes of one metric's projections in one mode."""

    held: list[bool] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    negative_lows: int = 0
    rough: int = 0
    seconds: list[float] = field(default_factory=list)

    def add(self, projection, actual: float, seconds: float, non_negative: bool) -> None:
        """Count one projection against the period's real ``actual`` total."""
        self.held.append(projection.lower <= actual <= projection.upper)
        self.widths.append((projection.upper - projection.lower) / abs(actual) if actual else float("inf"))
        self.negative_lows += int(non_negative and projection.lower < 0)
        self.rough += int(getattr(projection, "rough", False))
        self.seconds.append(seconds)

    def row(self) -> dict:
        """The table row: coverage, median relative width, counts, mean seconds."""
        return {
            "n": len(self.held),
            "coverage": round(float(np.mean(self.held)), 3) if self.held else None,
            "median_width": round(float(np.median(self.widths)), 3) if self.widths else None,
            "negative_lows": self.negative_lows,
            "rough": self.rough,
            "seconds": round(float(np.mean(self.seconds)), 3) if self.seconds else None,
        }


def month_starts(before: date, months: int) -> list[date]:
    """The first days of the ``months`` whole months before the month holding ``before``, oldest first."""
    out, current = [], before.replace(day=1)
    for _ in range(months):
        current = (current - timedelta(days=1)).replace(day=1)
        out.append(current)
    return out[::-1]


def month_end(first: date) -> date:
    """The last day of the month starting on ``first``."""
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def workspace_backtest(slug: str, metrics, months: int, days, modes) -> dict:
    """The table for a stored workspace (``PULSEBOARD_DATA_DIR``), metric -> mode -> row."""
    from dashboard.forecast.service import period_projection
    from dashboard.queries import metric_frame
    from data.metrics import get_metric

    services, ctx, today = _open(slug)
    table: dict = {}
    for name in metrics:
        non_negative = not get_metric(name).can_be_negative
        tallies = {mode: Tally() for mode in modes}
        for first in month_starts(today, months):
            last = month_end(first)
            actual = float(metric_frame(services, ctx, name, first, last)["value"][0] or 0.0)
            for day in days:
                for mode in modes:
                    started = time.perf_counter()
                    p = period_projection(
                        services, ctx, name, first, last, today=first.replace(day=day), errors=mode
                    )
                    tallies[mode].add(p, actual, time.perf_counter() - started, non_negative)
        table[name] = {mode: t.row() for mode, t in tallies.items()}
        print_rows(name, table[name])
    return table


def workspace_cost(slug: str, metrics, months: int, days, modes) -> dict:
    """Seconds (wall and CPU) of one cold projection per metric and mode: metric -> mode -> row."""
    from dashboard.forecast.service import period_projection

    services, ctx, today = _open(slug)
    table: dict = {}
    for name in metrics:
        spent: dict = {mode: {"wall": [], "cpu": []} for mode in modes}
        for first in month_starts(today, months):
            last = month_end(first)
            for day in days:
                for offset, mode in enumerate(modes):  # a day of its own: no cached forecast
                    wall, cpu = time.perf_counter(), time.thread_time()
                    period_projection(
                        services, ctx, name, first, last, today=first.replace(day=day + offset), errors=mode
                    )
                    spent[mode]["wall"].append(time.perf_counter() - wall)
                    spent[mode]["cpu"].append(time.thread_time() - cpu)
        table[name] = {
            mode: {k: round(float(np.median(v)), 2) for k, v in spent[mode].items()} for mode in modes
        }
        for mode, row in table[name].items():
            print(
                f"{name:<14} {mode:<12} median wall {row['wall']:.2f} s  cpu {row['cpu']:.2f} s", flush=True
            )
    return table


def _open(slug: str):
    """Services, an owner's context for the workspace ``slug``, and its today."""
    from dashboard.accounts import WorkspaceContext, get_workspace, to_ref
    from dashboard.filters import today_in
    from dashboard.models import Role
    from dashboard.services import Services
    from dashboard.settings import Settings

    services = Services(Settings())
    with services.db.session() as session:
        workspace = to_ref(get_workspace(session, slug))
    ctx = WorkspaceContext(user_id=0, role=Role.OWNER, workspace=workspace)
    return services, ctx, today_in(workspace.timezone)


def synthetic_series(seed: int, days: int, kind: str) -> np.ndarray:
    """A daily series with a known distribution (never negative).

    - ``steady``: level 1000 growing 0.05% a day, a weekly season of ±30% and independent
      normal noise of 10% of the level;
    - ``counts``: Poisson counts around 12 a day with a weekly season (new customers);
    - ``spiky``: mostly zero, a refund of ~50 on 30% of days and a rare big one (refunds).
    """
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    week = np.array([1.0, 1.2, 1.3, 1.2, 1.1, 0.6, 0.6])[t % 7]
    if kind == "steady":
        level = 1000 * (1 + 0.0005 * t) * week
        return np.maximum(level + rng.normal(0, 0.1 * 1000, days), 0.0)
    if kind == "counts":
        return rng.poisson(12 * week).astype(float)
    small = (rng.random(days) < 0.3) * rng.gamma(2.0, 25.0, days)
    big = (rng.random(days) < 0.02) * rng.gamma(2.0, 500.0, days)
    return np.round(small + big, 2)


def synthetic_backtest(months: int, days, modes, seeds: int = 3, history_days: int = 730) -> dict:
    """The table for synthetic series (no warehouse): kind -> mode -> row.

    What :func:`dashboard.forecast.service.project_series` does, with the day's forecast made
    once and shared by the modes (only the range differs between them).
    """
    from dashboard.forecast import engine
    from dashboard.forecast.series import Series
    from dashboard.forecast.service import QUICK_MODELS
    from dashboard.forecast.totals import period_total

    start = date(2024, 1, 1)
    periods = [start + timedelta(days=i) for i in range(history_days)]
    table: dict = {}
    for kind in ("steady", "counts", "spiky"):
        tallies = {mode: Tally() for mode in modes}
        for seed in range(seeds):
            y = synthetic_series(seed, history_days, kind)
            for first in month_starts(periods[-1], months):
                last = month_end(first)
                actual = float(sum(v for p, v in zip(periods, y, strict=True) if first <= p <= last))
                for day in days:
                    today = first.replace(day=day)
                    cut = periods.index(today)
                    started = time.perf_counter()
                    result = engine.forecast(
                        Series(periods[:cut], y[:cut], "day"),
                        horizon=(last - today).days + 1,
                        candidates=QUICK_MODELS,
                        non_negative=True,
                    )
                    shared = time.perf_counter() - started
                    so_far = float(y[periods.index(first) : cut].sum())
                    for mode in modes:
                        started = time.perf_counter()
                        p = period_total(
                            so_far,
                            0.0,
                            result.rows(),
                            (periods[:cut], y[:cut], result.model),
                            first,
                            last,
                            today=today,
                            interval=0.8,
                            errors=mode,
                            non_negative=True,
                        )
                        tallies[mode].add(p, actual, shared + time.perf_counter() - started, True)
        table[kind] = {mode: t.row() for mode, t in tallies.items()}
        print_rows(kind, table[kind])
    return table


def print_rows(name: str, rows: dict) -> None:
    """One line per mode: coverage, median width / total, negative lows, rough, seconds."""
    for mode, row in rows.items():
        print(
            f"{name:<14} {mode:<12} n={row['n']:<3} held {100 * row['coverage']:5.1f}%  "
            f"width/total {row['median_width']:6.2f}  negative lows {row['negative_lows']}  "
            f"rough {row['rough']}  {row['seconds']:.2f} s",
            flush=True,
        )


def main() -> None:
    """Parse the arguments, run the backtest, write ``bench/out/projections.json``."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--workspace", help="slug of a workspace in PULSEBOARD_DATA_DIR")
    source.add_argument("--synthetic", action="store_true", help="synthetic series with a known distribution")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--days", default="3,10,20", help="days of the month the projection is made on")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of {', '.join(MODES)}")
    parser.add_argument("--metrics", default=",".join(METRICS))
    parser.add_argument("--seeds", type=int, default=3, help="synthetic series per kind")
    parser.add_argument("--cost", action="store_true", help="time cold projections instead (a workspace)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    warnings.simplefilter("ignore")
    days = [int(d) for d in args.days.split(",")]
    modes = args.modes.split(",")
    if args.cost and args.workspace:
        table = workspace_cost(args.workspace, args.metrics.split(","), args.months, days, modes)
        args.workspace += "-cost"
    elif args.synthetic:
        table = synthetic_backtest(args.months, days, modes, seeds=args.seeds)
    else:
        table = workspace_backtest(args.workspace, args.metrics.split(","), args.months, days, modes)
    OUT.mkdir(exist_ok=True)
    name = "synthetic" if args.synthetic else args.workspace
    (OUT / f"projections-{name}.json").write_text(json.dumps(table, indent=2))


if __name__ == "__main__":
    main()
