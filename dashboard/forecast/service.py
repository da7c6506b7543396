"""Forecasts of a workspace's catalogue metrics: the entry point the CLI, pages and cards use.

The numbers come from the metric layer (:func:`dashboard.queries.metric_frame`), so a forecast
starts from exactly the values every page shows. Answers are cached through
:func:`dashboard.queries.cached_call`, keyed by workspace, data version (new data invalidates
them), metric, grain, filters, model, interval, horizon and the last day used; each computed
answer is recorded as a run in the warehouse (:mod:`.runs`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from dashboard.accounts import WorkspaceContext
from dashboard.filters import today_in
from dashboard.forecast import anomalies as anom
from dashboard.forecast import engine, runs
from dashboard.forecast.models import LABELS, MODELS, z_of
from dashboard.forecast.projection import Projection, goal_probability
from dashboard.forecast.series import GRAINS, ForecastError, Series, check_length, period_end, prepare
from dashboard.forecast.totals import period_total
from dashboard.models import Workspace
from dashboard.queries import cached_call, metric_frame
from dashboard.services import Services
from data.metrics import CATALOGUE, Metric, MetricError, get_metric, period_start

#: how far back the history of each grain reaches (more adds fitting time, not accuracy)
HISTORY_DAYS = {"day": 3 * 366, "week": 4 * 366, "month": 8 * 366}
#: the models a chart's "Forecast" toggle compares (Prophet's fits take seconds each)
QUICK_MODELS = ("ets", "theta", "snaive", "naive")
#: snapshot metrics that can be forecast although they are not sums (their value per period)
SNAPSHOTS = ("mrr", "arr")
#: in every forecast's cache key: bumped when the band means something new (2: calibrated on
#: the model's own errors; 3: the backtest's "coverage" is the calibrated band's), so no
#: forecast cached before is shown again
BAND_VERSION = 3


def forecastable_metrics() -> list[Metric]:
    """The catalogue metrics a forecast can be made of: sums, plus MRR and ARR."""
    return [m for m in CATALOGUE.values() if m.additive or m.name in SNAPSHOTS]


def metric_options() -> list[dict]:
    """The forecastable metrics as dropdown options (label and name)."""
    return [{"label": m.label, "value": m.name} for m in forecastable_metrics()]


def forecastable(name: str) -> Metric:
    """The metric called ``name`` if it can be forecast; else a ForecastError saying why."""
    try:
        metric = get_metric(name)
    except MetricError as exc:
        raise ForecastError(str(exc)) from None
    if not (metric.additive or metric.name in SNAPSHOTS):
        raise ForecastError(
            f"metric {name!r} is a {metric.unit} computed from other numbers, not a sum, so it is not "
            f"forecast directly; forecastable metrics: {', '.join(m.name for m in forecastable_metrics())}"
        )
    return metric


@dataclass(frozen=True)
class ForecastRequest:
    """What to forecast. ``where`` keeps rows whose dimension equals a value (``--by/--value``)."""

    metric: str
    grain: str = "day"
    horizon: int = 30
    model: str = engine.AUTO
    interval: float = 0.8
    train_until: date | None = None
    where: dict[str, str] = field(default_factory=dict)
    #: the models ``auto`` compares (all five by default; a chart toggle leaves Prophet out for speed)
    candidates: tuple[str, ...] = MODELS
    #: check each backtested model's calibrated band against the history (the backtest table's
    #: "in band"); a KPI card or a chart toggle shows no table and skips those fits
    check_bands: bool = True
    #: what ``auto`` judges the models on: each period (the forecast page) or the total of the
    #: days ahead (a KPI card's "On track for ...", engine.TOTALS)
    judge: str = engine.PERIODS

    def validate(self) -> Metric:
        """The metric, after checking every field (ForecastError naming the bad one)."""
        metric = forecastable(self.metric)
        if self.grain not in GRAINS:
            raise ForecastError(f"unknown grain {self.grain!r}; accepted: {', '.join(GRAINS)}")
        engine.check_request(self.model, self.horizon, self.interval)
        if self.judge not in (engine.PERIODS, engine.TOTALS):
            raise ForecastError(f"unknown judge {self.judge!r}; accepted: {engine.PERIODS}, {engine.TOTALS}")
        unknown = [c for c in self.candidates if c not in MODELS]
        if unknown or not self.candidates:
            raise ForecastError(f"unknown candidate models {unknown}; accepted: {', '.join(MODELS)}")
        for key in self.where:
            if key not in metric.dimensions:
                accepted = ", ".join(metric.dimensions) or "none"
                raise ForecastError(
                    f"metric {metric.name!r} cannot be filtered by {key!r}; accepted: {accepted}"
                )
        return metric

    def params(self) -> dict:
        """Everything the answer depends on besides workspace and data version (the cache key)."""
        return {
            "m": self.metric,
            "g": self.grain,
            "h": self.horizon,
            "model": self.model,
            "i": round(self.interval, 4),
            "t": self.train_until,
            "w": sorted(self.where.items()),
            "c": list(self.candidates),
            "b": BAND_VERSION,
            "cb": self.check_bands,
            "j": self.judge,
        }


def workspace_country(services: Services, ctx: WorkspaceContext) -> str | None:
    """The workspace's country (ISO alpha-2) for Prophet's holidays, if set."""
    with services.db.session() as session:
        workspace = session.get(Workspace, ctx.workspace.id)
        return workspace.country if workspace is not None else None


def load_series(services: Services, ctx: WorkspaceContext, request: ForecastRequest, today: date) -> Series:
    """The request's history from the metric layer, prepared for fitting (see :func:`.series.prepare`)."""
    if request.train_until is not None and request.train_until > today:
        raise ForecastError(
            f"--train-until {request.train_until.isoformat()} is after today ({today.isoformat()})"
        )
    # Today is not over: without --train-until, yesterday is the last whole day, and the
    # period holding today is unfinished (shown as "so far", never fitted).
    last_day = request.train_until or today - timedelta(days=1)
    end = request.train_until or today
    start = period_start(end - timedelta(days=HISTORY_DAYS[request.grain]), request.grain)
    try:
        frame = metric_frame(
            services, ctx, request.metric, start, end, grain=request.grain, where=request.where or None
        )
    except MetricError as exc:
        raise ForecastError(str(exc)) from None
    periods = [date.fromisoformat(str(p)[:10]) for p in frame["period"].to_list()]
    return prepare(periods, frame["value"].to_list(), request.grain, last_day=last_day)


def run_forecast(
    services: Services,
    ctx: WorkspaceContext,
    request: ForecastRequest,
    *,
    origin: str = "page",
    on_step: Callable[[int, int, str], None] | None = None,
    today: date | None = None,
) -> dict:
    """The forecast as a JSON-friendly dict, through the cache; every computation is recorded.

    Raises ForecastError for a bad request or too little history (the refusal is recorded too).
    """
    metric = request.validate()
    today = today or today_in(ctx.workspace.timezone)
    params = {**request.params(), "today": today if request.train_until is None else None}

    def compute(scoped) -> dict:
        started = time.perf_counter()
        series = load_series(services, ctx, request, today)
        record = {
            "origin": origin,
            "metric": request.metric,
            "grain": request.grain,
            "filters": request.where,
            "requested": request.model,
            "horizon": request.horizon,
            "interval": request.interval,
            "train_until": request.train_until,
            "series_length": len(series),
        }
        try:
            check_length(series, what=metric.label.lower())
            result = engine.forecast(
                series,
                horizon=request.horizon,
                model=request.model,
                interval=request.interval,
                country=workspace_country(services, ctx),
                on_step=on_step,
                candidates=request.candidates,
                non_negative=not metric.can_be_negative,
                check_bands=request.check_bands,
                judge=request.judge,
            )
        except ForecastError as exc:
            ms = (time.perf_counter() - started) * 1000
            runs.record_run(
                scoped,
                **record,
                model=None,
                duration_ms=ms,
                backtest=None,
                status="refused",
                message=str(exc),
            )
            raise
        duration_ms = (time.perf_counter() - started) * 1000
        rows = result.rows()
        run_id = runs.record_run(
            scoped,
            **record,
            model=result.model,
            duration_ms=duration_ms,
            backtest=result.backtest,
            status="ok",
            rows=rows,
        )
        return _payload(metric, ctx, request, result, series, rows, run_id, duration_ms)

    return cached_call(services, ctx.workspace, "forecast", params, compute)


def _payload(metric, ctx, request, result, series, rows, run_id, duration_ms) -> dict:
    last_fitted = period_end(series.periods[-1], request.grain)
    found = anom.find_anomalies(series.periods, series.values, request.grain)
    return {
        "metric": metric.name,
        "label": metric.label,
        "unit": metric.unit,
        "currency": ctx.workspace.currency,
        "model": result.model,
        "model_label": LABELS[result.model],
        "requested": request.model,
        "grain": request.grain,
        "train_until": (request.train_until or last_fitted).isoformat(),
        "interval": request.interval,
        "filters": dict(request.where),
        "backtest": result.backtest,
        "tested_horizon": result.tested_horizon,
        "origins": result.origins,
        "skipped": {LABELS[k]: v for k, v in result.skipped.items()},
        "reason": result.reason,
        "accuracy": result.accuracy,
        "rows": rows,
        # how many days (from the first) of the band come from the model's own past errors;
        # ``band_rough``: not all of them (too little history to check the rest)
        "band_steps": result.band_steps,
        "band_rough": result.band_rough,
        "history": [
            {"period": p.isoformat(), "value": round(float(v), 2)}
            for p, v in zip(series.periods, series.values, strict=True)
        ],
        "partial": (
            {"period": series.partial[0].isoformat(), "value": round(series.partial[1], 2)}
            if series.partial
            else None
        ),
        "anomalies": [
            {
                "date": a.period.isoformat(),
                "expected": metric.floor(a.expected),
                "actual": a.actual,
                "score": a.score,
            }
            for a in found
        ],
        "run_id": run_id,
        "duration_ms": round(duration_ms, 1),
    }


def cli_payload(payload: dict) -> dict:
    """The ``pulseboard forecast --json`` document, exactly the shape issue 11 fixes."""
    return {
        "metric": payload["metric"],
        "model": payload["model"],
        "grain": payload["grain"],
        "train_until": payload["train_until"],
        "interval": payload["interval"],
        "backtest": {k: {"smape": v["smape"], "mase": v["mase"]} for k, v in payload["backtest"].items()},
        "rows": [{k: r[k] for k in ("period", "yhat", "lower", "upper")} for r in payload["rows"]],
    }


# -- anomalies as data -----------------------------------------------------------------------------


def metric_anomalies(
    services: Services,
    ctx: WorkspaceContext,
    metric: str,
    start: date,
    end: date,
    *,
    grain: str = "day",
    by: str | None = None,
    where: dict[str, str] | None = None,
    threshold: float = anom.THRESHOLD,
) -> list[dict]:
    """Anomalous periods of a metric in [start, end]: rows ``date, metric, dimension, expected, actual, score``.

    ``dimension`` is ``None`` for the whole metric, or ``"<dim>=<value>"`` for each value of
    ``by``; ``score`` is the distance from the expected value in robust standard deviations
    (negative: a dip). The unfinished current period is left out. Sorted by date, then by the
    size of the score. Raises ForecastError for a bad metric, grain or dimension.
    """
    floor = forecastable(metric).floor  # "expected about −$120" is no expectation for refunds
    if grain not in GRAINS:
        raise ForecastError(f"unknown grain {grain!r}; accepted: {', '.join(GRAINS)}")
    today = today_in(ctx.workspace.timezone)
    last_day = min(end, today - timedelta(days=1))
    if start > last_day:
        return []
    try:
        frame = metric_frame(services, ctx, metric, start, last_day, grain=grain, by=by, where=where or None)
    except MetricError as exc:
        raise ForecastError(str(exc)) from None
    groups = frame.partition_by(by, as_dict=True) if by else {(None,): frame}
    out: list[dict] = []
    for key, part in groups.items():
        value = key[0] if isinstance(key, tuple) else key
        periods = [date.fromisoformat(str(p)[:10]) for p in part["period"].to_list()]
        series = prepare(periods, part["value"].to_list(), grain, last_day=last_day)
        for a in anom.find_anomalies(series.periods, series.values, grain, threshold=threshold):
            out.append(
                {
                    "date": a.period.isoformat(),
                    "metric": metric,
                    "dimension": None if by is None else f"{by}={value}",
                    "expected": floor(a.expected),
                    "actual": a.actual,
                    "score": a.score,
                }
            )
    return sorted(out, key=lambda r: (r["date"], -abs(r["score"])))


# -- period-end projection and goals ---------------------------------------------------------------


def period_projection(
    services: Services,
    ctx: WorkspaceContext,
    metric: str,
    period_start_day: date,
    period_end_day: date,
    *,
    interval: float = 0.8,
    where: dict[str, str] | None = None,
    today: date | None = None,
    correlated: bool = True,
    errors: str | None = None,
) -> Projection | None:
    """Where a summed metric's unfinished period will land (so far + forecast of the days left).

    A snapshot metric (MRR, ARR) is projected to its value on the period's last day instead
    (:func:`snapshot_projection`).

    ``errors`` (or, left out, ``correlated``) says how the days' bands add up (see
    :func:`.projection.project_total`), or ``"calibrated"``: the range the projection's own
    errors on earlier periods give (:mod:`.calibration`), what the KPI cards show.

    None when the period is not under way (not started, or over) or the metric is neither a
    sum nor a snapshot;
    a ForecastError when the history is too short for a daily forecast.

    Today is not over, so it is never taken at face value: its forecast counts, or what it
    already holds when that is more (a big sale this morning). The days before it are whole
    and count as they are (``so_far``); the model is fitted up to yesterday, so a half-filled
    today can never read as a drop.
    """
    m = forecastable(metric)
    today = today or today_in(ctx.workspace.timezone)
    if not period_start_day <= today <= period_end_day:
        return None
    if m.snapshot and m.name in SNAPSHOTS:
        return snapshot_projection(
            services,
            ctx,
            metric,
            period_start_day,
            period_end_day,
            interval=interval,
            where=where,
            today=today,
        )
    if not m.additive:
        return None
    where = where or None
    so_far = 0.0
    if period_start_day < today:
        before = metric_frame(services, ctx, metric, period_start_day, today - timedelta(days=1), where=where)
        so_far = float(before["value"][0] or 0.0)
    today_actual = float(metric_frame(services, ctx, metric, today, today, where=where)["value"][0] or 0.0)
    payload = _card_forecast(services, ctx, metric, today, period_end_day, interval, where)
    history = [date.fromisoformat(h["period"]) for h in payload["history"]]
    return period_total(
        so_far,
        today_actual,
        payload["rows"],
        (history, [h["value"] for h in payload["history"]], payload["model"]),
        period_start_day,
        period_end_day,
        today=today,
        interval=interval,
        errors=errors or ("full" if correlated else "independent"),
        non_negative=not m.can_be_negative,
    )


def project_series(
    periods: list[date],
    values,
    period_start_day: date,
    period_end_day: date,
    *,
    today: date,
    today_actual: float = 0.0,
    interval: float = 0.8,
    errors: str = "calibrated",
    non_negative: bool = True,
    model: str = engine.AUTO,
    judge: str = engine.TOTALS,
) -> Projection:
    """:func:`period_projection` of a daily history held in memory (no warehouse, no cache).

    ``periods``/``values`` are consecutive whole days ending the day before ``today``; the days
    of the period before today are ``so_far``. The forecast is the card's (``auto`` over the
    quick models), so a benchmark measures exactly what the cards show; a test may name a
    cheaper ``model``.
    """
    y = np.asarray(values, dtype=float)
    so_far = float(sum(v for p, v in zip(periods, y, strict=True) if period_start_day <= p < today))
    result = engine.forecast(
        Series(list(periods), y, "day"),
        horizon=(period_end_day - today).days + 1,
        model=model,
        interval=interval,
        candidates=QUICK_MODELS,
        non_negative=non_negative,
        check_bands=False,  # as the cards: no backtest table to fill
        judge=judge,  # as the cards (TOTALS): the period's total is what is projected
    )
    return period_total(
        so_far,
        today_actual,
        result.rows(),
        (list(periods), y, result.model),
        period_start_day,
        period_end_day,
        today=today,
        interval=interval,
        errors=errors,
        non_negative=non_negative,
    )


def _card_forecast(
    services, ctx, metric: str, today: date, period_end_day: date, interval: float, where
) -> dict:
    """The daily forecast from today to the period's last day that a KPI card's projection reads."""
    request = ForecastRequest(
        metric=metric,
        grain="day",
        horizon=(period_end_day - today).days + 1,
        model=engine.AUTO,
        interval=interval,
        where=dict(where or {}),
        candidates=QUICK_MODELS,  # a KPI card cannot wait for Prophet's fits
        check_bands=False,  # nor for the backtest table's band checks it does not show
        judge=engine.TOTALS,  # the card adds the days up: a model judged day by day missed totals
    )
    return run_forecast(services, ctx, request, origin="card", today=today)


def snapshot_projection(
    services: Services,
    ctx: WorkspaceContext,
    metric: str,
    period_start_day: date,
    period_end_day: date,
    *,
    interval: float = 0.8,
    where: dict[str, str] | None = None,
    today: date | None = None,
) -> Projection | None:
    """Where a snapshot metric (MRR, ARR) will stand on the period's last day.

    A snapshot's goal is its value at the period's end, not a sum: the projection is the daily
    forecast of that last day (``expected``, its band ``lower``..``upper``), and ``so_far`` is
    the last whole day's value. The same Projection as a sum's, so goal chances read it alike.
    None when the period is not under way.
    """
    today = today or today_in(ctx.workspace.timezone)
    if not period_start_day <= today <= period_end_day:
        return None
    payload = _card_forecast(services, ctx, metric, today, period_end_day, interval, where)
    last = next((r for r in payload["rows"] if r["period"] == period_end_day.isoformat()), None)
    if last is None or not payload["history"]:
        return None
    expected, low, high = float(last["yhat"]), float(last["lower"]), float(last["upper"])
    z = z_of(interval)
    sigma = max(high - expected, expected - low, 0.0) / z if z > 0 else 0.0
    current = float(payload["history"][-1]["value"])
    # the last day's band is the model's own when the history could not check that far ahead
    rough = payload.get("band_steps", 0) < len(payload["rows"])
    return Projection(period_start_day, period_end_day, current, expected, low, high, interval, sigma, rough)


def goal_chance(projection: Projection, target: float, metric: str) -> float:
    """The probability (0..1) that the projected period reaches the goal's target."""
    return goal_probability(projection, target, up_is_good=get_metric(metric).up_is_good)


__all__ = [
    "MODELS",
    "ForecastError",
    "ForecastRequest",
    "cli_payload",
    "forecastable_metrics",
    "metric_options",
    "goal_chance",
    "metric_anomalies",
    "period_projection",
    "project_series",
    "run_forecast",
]
