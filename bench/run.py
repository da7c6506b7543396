"""Benchmarks (`make bench`; not tests). Prints every target beside its measured value.

    make bench                                   # everything at 10,000,000 payments (~30 min once built)
    python -m bench.run --rows 1000000 --json    # everything at 1M; the summary as JSON on stdout
    python -m bench.run --skip browser,load,memory,forecast   # leave sections out
    python -m bench.run --only import --scale 0  # the import section alone

``--rows N`` (default 10 million) is the size of every section: the Stripe export the import
section reads, and the benchmark workspace (N payments plus proportional customers,
subscriptions, ads, email, web and CRM rows, bench/pages.py; built once and kept under
bench/out/) that the page, browser, load, report and Superset sections measure. A section's own
size flag (``--page-rows``, ``--browser-rows``, ...) overrides it; 0 skips that section.

Sections, each printing its own table, in this order:

1. ``import``: the Stripe payments CSV import end to end (detect, parse, validate, upsert,
   rollups) in rows/s, beside DuckDB's own read_csv of the same file, each in a fresh process so
   peak memory (max RSS) is its own. Issue 10's targets are ratios measured in the same run: the
   import takes at most 2x DuckDB's read_csv of the file into a database file, and a file
   ``--scale`` times larger takes at most 1.1 x scale times as long (the N-row file against one
   of N / scale rows). Each timing has its CPU seconds and the load average beside it (the
   machine is shared: wall time inflates under load, CPU time much less); then the metric
   queries on the imported workspace, cold and warm.
2. ``pages`` (bench/pages.py): every page query and every page-load callback over HTTP, cold
   and warm.
3. ``reports`` (bench/reports.py): the PDF, Excel and CSV renders.
4. ``browser`` (bench/browser.py): every page in headless Chromium, first visit and revisit.
5. ``load`` (bench/load.py): concurrent clients replaying the pages' page-load callbacks (and
   the REST API) against ``pulseboard serve`` for ``--load-seconds``; requests/minute, p95.
6. ``memory``: a second load run of ``--memory-seconds`` (10 minutes by default) in which a third
   of the page loads ask a range nobody asked before, so new answers keep arriving: the server's
   peak RSS and whether it stays flat after warm-up.
7. ``peer`` (bench/peer.py): Apache Superset side by side on the same payments, when its
   virtualenv exists (``make bench-peer`` makes it) or ``--peer-rows`` asks for it.
8. ``tenants`` (bench/tenants.py), opt in with ``--tenants N``: N workspaces of 10,000 payments
   in one warehouse.
9. ``forecast`` (bench/forecast.py): Prophet's overhead, ``auto`` with its backtest, 20 metrics,
   accuracy on M3 monthly (``--forecast-m3 N`` series; 0 = all 1428, -1 = skip), and ``auto``
   on all 1428 at the official origin against Theta's published sMAPE (``--no-m3-published``
   leaves it out).
10. ``insights`` (bench/insights_eval.py): recall and precision on planted events.

Then the table of every target (bench/targets.py) with its measured value and PASS, MISS or
"not run"; everything goes to bench/out/results.json. With ``--json`` the tables go to stderr
and stdout carries only the summary: ``{"rows", "callbacks": [{"page", "callback", "p50_ms",
"p95_ms", "cold_ms"}], "browser": {"overview_ms", "pages": {path: {"settled_ms",
"callback_p95_ms"}}}, "load": {"clients", "duration_s", "requests", "errors", "rps", "p95_ms"},
"ingest": {"rows_per_s", "duckdb_read_csv_file_rows_per_s"}, "rss_mb"}`` plus ``memory``,
``peer``, ``tenants``, ``forecast``, ``insights``, ``reports`` and ``targets`` (null for a
section that did not run).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import OUT, peak_rss_mb

#: rows in the "next days" export imported after the big file (the everyday case)
DAILY_ROWS = 10_000
#: every section, in the order they run
SECTIONS = (
    "import",
    "pages",
    "reports",
    "browser",
    "load",
    "memory",
    "peer",
    "tenants",
    "forecast",
    "insights",
)
SUPERSET_READY = OUT / "superset-venv" / ".installed"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rows", type=int, default=10_000_000, help="payments of every section (default 10,000,000)"
    )
    parser.add_argument(
        "--customers", type=int, default=None, help="customers in the import's file (default rows / 20)"
    )
    parser.add_argument(
        "--scale", type=int, default=10,
        help="the import section also imports a file this many times smaller, for the linear-cost "
        "ratio (0 or 1: only the --rows file)",
    )  # fmt: skip
    for section in ("page", "report", "browser"):
        parser.add_argument(
            f"--{section}-rows", type=int, default=None,
            help=f"payments of the {section} section's workspace (default --rows; 0 skips it)",
        )  # fmt: skip
    parser.add_argument(
        "--load-seconds", type=float, default=60.0,
        help="length of the load run, cached page loads (default 60; 0 skips it)",
    )  # fmt: skip
    parser.add_argument(
        "--memory-seconds", type=float, default=600.0,
        help="length of the memory run, a third of page loads over new ranges (default 600; 0 skips it)",
    )  # fmt: skip
    parser.add_argument("--load-rows", type=int, default=None, help="payments of the load runs' workspace")
    parser.add_argument(
        "--load-clients", type=int, default=6, help="concurrent clients of the load runs (default 6)"
    )
    parser.add_argument(
        "--peer-rows", type=int, default=None,
        help="payments of the Superset comparison (default --rows when Superset's venv exists; 0 skips it)",
    )  # fmt: skip
    parser.add_argument(
        "--tenants", type=int, default=0,
        help="also run bench/tenants.py: this many workspaces of 10,000 payments in one warehouse",
    )  # fmt: skip
    parser.add_argument(
        "--forecast-m3", type=int, default=100,
        help="M3 monthly series in bench/forecast.py (0 = all, -1 = skip the accuracy part)",
    )  # fmt: skip
    parser.add_argument(
        "--no-m3-published", action="store_true",
        help="leave out the M3 run on all 1428 series at the official origin (~13 min), the only "
        "fair test against Theta's published sMAPE",
    )  # fmt: skip
    parser.add_argument(
        "--no-forecast", action="store_true", help="skip bench/forecast.py (= --skip forecast)"
    )
    parser.add_argument(
        "--skip", default="", help=f"comma-separated sections to leave out: {','.join(SECTIONS)}"
    )
    parser.add_argument("--only", default="", help="comma-separated sections to run, and no other")
    parser.add_argument(
        "--json", action="store_true", help="tables to stderr; stdout carries only the JSON summary"
    )
    return parser


def chosen_sections(args) -> dict[str, int]:
    """Section name -> its size, for those to run: payments (the tenants section: its number of
    workspaces; forecast and insights have no size and get 1)."""
    skip = {s for s in args.skip.split(",") if s}
    only = {s for s in args.only.split(",") if s}
    unknown = (skip | only) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown section(s): {', '.join(sorted(unknown))}; sections: {', '.join(SECTIONS)}")
    if args.no_forecast:
        skip.add("forecast")

    def size(value: int | None) -> int:
        return args.rows if value is None else value

    peer = args.peer_rows
    if peer is None:  # Superset is optional: measured when `make bench-peer` made its venv
        peer = args.rows if SUPERSET_READY.exists() else 0
    sizes = {
        "import": args.rows,
        "pages": size(args.page_rows),
        "reports": size(args.report_rows),
        "browser": size(args.browser_rows),
        "load": size(args.load_rows) if args.load_seconds > 0 else 0,
        "memory": size(args.load_rows) if args.memory_seconds > 0 else 0,
        "peer": peer,
        "tenants": args.tenants,
        "forecast": 1,
        "insights": 1,
    }
    return {
        name: rows
        for name, rows in sizes.items()
        if rows > 0 and name not in skip and (not only or name in only)
    }


def main(argv: list[str] | None = None) -> None:
    """Run the chosen sections, print every target, write bench/out/results.json."""
    args = _parser().parse_args(argv)
    sections = chosen_sections(args)
    summary_fd = _tables_to_stderr() if args.json else None
    OUT.mkdir(exist_ok=True)
    results: dict = {"rows": args.rows, "sections": list(sections), "failed": {}}
    for name, rows in sections.items():
        print(f"\n== {name} ==", flush=True)
        try:
            found = run_section(name, rows, args)
        except Exception as exc:  # noqa: BLE001 - one broken section must not lose an hour's others
            traceback.print_exc()
            results["failed"][name] = f"{type(exc).__name__}: {str(exc)[:300]}"
            continue
        results.update(found)
    finish(results, summary_fd)


def run_section(name: str, rows: int, args) -> dict:
    """One section's results, under the keys ``results.json`` keeps them."""
    if name == "import":
        return import_section(args)
    if name == "pages":
        # In a process of its own: its app holds the warehouse file (DuckDB lets one process open
        # it), and the Insights and projections its page loads start end with it.
        return {"pages": _section_in_child("pages", ["--rows", rows, "--customers", _customers(rows)])}
    if name == "reports":
        from bench import reports

        return {"reports": reports.run(rows, _customers(rows))}
    if name == "browser":
        from bench import browser

        return {"browser": browser.run(rows, customers=_customers(rows))}
    if name in ("load", "memory"):
        from bench import load

        seconds, cold_share = (
            (args.load_seconds, 0.0) if name == "load" else (args.memory_seconds, load.COLD_SHARE)
        )
        key = "load" if name == "load" else "load_memory"
        return {key: load.run(rows, clients=args.load_clients, seconds=seconds, customers=_customers(rows),
                              cold_share=cold_share)}  # fmt: skip
    if name == "peer":
        from bench import peer

        return {"peer": peer.run(rows, customers=_customers(rows))}
    if name == "tenants":
        from bench import tenants

        return {"tenants": tenants.run(rows, 10_000)}
    if name == "forecast":
        from bench import forecast

        return {"forecast": forecast.run(m3=args.forecast_m3, m3_published=not args.no_m3_published)}
    if name == "insights":
        from bench import insights_eval

        return {"insights": insights_eval.run()}
    raise ValueError(f"unknown section {name}")


def _section_in_child(module: str, argv: list) -> dict:
    """Run ``python -m bench.<module> argv`` (its tables on our stdout) and return its section."""
    subprocess.run([sys.executable, "-m", f"bench.{module}", *map(str, argv)], check=True)
    return json.loads((OUT / "results.json").read_text())[module]


def _customers(rows: int) -> int:
    """Customers of the bench workspace of ``rows`` payments (200,000 at 10M, as bench.pages)."""
    return min(200_000, max(1_000, rows // 50))


def finish(results: dict, summary_fd: int | None) -> None:
    """Print the targets, write results.json, and with ``--json`` the summary on the real stdout."""
    from bench import targets

    table = targets.every_target(results)
    targets.print_targets(table)
    results["targets"] = [vars(t) for t in table]
    (OUT / "results.json").write_text(json.dumps(_finite(results), indent=2))
    print(f"results: {OUT / 'results.json'}")
    sys.stdout.flush()
    if summary_fd is not None:
        os.write(summary_fd, (json.dumps(_finite(targets.summary(results))) + "\n").encode())
        os.close(summary_fd)
    if "browser" in results:
        # the import's warm-up started insights and projections here: end them, then exit 0
        from bench import pages

        pages.stop_background_work()


def _tables_to_stderr() -> int:
    """Point file descriptor 1 at stderr (for this process and every child); the real stdout's fd."""
    sys.stdout.flush()
    real = os.dup(1)
    os.dup2(2, 1)
    return real


def _finite(value):
    """``value`` with NaN and infinities as null: the summary is strict JSON (jq, browsers)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def import_section(args) -> dict:
    """Issue 10's import bench: the N-row Stripe file (and one ``--scale`` times smaller)."""
    rows = args.rows
    customers = args.customers or max(1_000, rows // 20)
    base_rows = rows // args.scale if args.scale > 1 else rows
    base_customers = max(100, customers // args.scale) if args.scale > 1 else customers
    csv = _stripe_file(base_rows, base_customers)
    results = {"import_rows": base_rows, "file_mb": round(csv.stat().st_size / 1e6, 1)}
    daily = OUT / f"stripe_payments_daily_{base_rows}.csv"
    if not daily.exists():
        from bench.stripe_data import write_stripe_payments

        # the next days' export: new payment ids, dated after the big file
        write_stripe_payments(
            daily,
            rows=DAILY_ROWS,
            customers=base_customers,
            seed=2,
            first_id=base_rows,
            start="2026-01-01",
            days=3,
        )
    results["duckdb_read_csv"] = _in_child("duckdb", csv)
    results["duckdb_read_csv_to_file"] = _in_child("duckdb_file", csv)
    results["pulseboard_import"] = _in_child("import", csv, daily)
    results["queries"] = results["pulseboard_import"].pop("queries")
    results["incremental"] = results["pulseboard_import"].pop("incremental")
    print(f"{base_rows:,} Stripe payment rows ({results['file_mb']:.0f} MB):")
    print(f"{'':<24} {'seconds':>8} {'rows/s':>12}  {'peak RSS':>9}  {'load avg':>8}")
    for key in ("duckdb_read_csv", "duckdb_read_csv_to_file", "pulseboard_import"):
        r = results[key]
        r["rows_per_s"] = round(base_rows / r["seconds"])
        print(
            f"{key:<24} {r['seconds']:>7.2f}s {r['rows_per_s']:>12,}  {r['peak_rss_mb']:>6.0f} MB"
            f"  {r['load_avg']:>8.1f}   (CPU {r['cpu_seconds']:.2f}s)"
        )
    r = results["pulseboard_import"]
    ratio = r["seconds"] / results["duckdb_read_csv_to_file"]["seconds"]
    results["import_vs_read_csv_ratio"] = round(ratio, 2)
    # CPU seconds too: on a shared machine wall time mostly measures the neighbours
    results["import_vs_read_csv_cpu_ratio"] = round(
        r["cpu_seconds"] / results["duckdb_read_csv_to_file"]["cpu_seconds"], 2
    )
    print(
        f"import / DuckDB read_csv into a file: {ratio:.2f}x (target <= {IMPORT_RATIO_TARGET:g}x: "
        f"{'PASS' if ratio <= IMPORT_RATIO_TARGET else 'MISS'}); checkpoint after the import "
        f"{r['checkpoint_seconds']:.2f}s; file {r['file_mb']:.0f} MB; "
        f"CPU-time ratio {results['import_vs_read_csv_cpu_ratio']:.2f}x"
    )
    if args.scale > 1:
        results["scale"] = _scale(rows, customers, args.scale, base_rows, r["seconds"], r["cpu_seconds"])
    results["ingest"] = _ingest_summary(results)
    for label, inc in results["incremental"].items():
        print(
            f"then {label:<44} {inc['seconds']:>6.2f}s  ({inc['inserted']:,} inserted, {inc['updated']:,} updated)"
        )
    for name, q in results["queries"].items():
        print(f"query {name:<34} cold {q['cold_ms']:>7.1f} ms   warm {q['warm_ms']:>6.2f} ms")
    return results


#: issue 10's targets, as ratios measured in one run
IMPORT_RATIO_TARGET = 2.0
SCALE_SLACK = 1.1  # 10x the rows in at most 11x the time


def _stripe_file(rows: int, customers: int) -> Path:
    """The benchmark's Stripe payments export of ``rows`` rows (generated once, then reused)."""
    csv = OUT / f"stripe_payments_{rows}.csv"
    if not csv.exists():
        from bench.stripe_data import write_stripe_payments

        t = time.perf_counter()
        write_stripe_payments(csv, rows=rows, customers=customers)
        print(f"generated {csv.name} ({csv.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f}s")
    return csv


def _scale(
    rows: int, customers: int, scale: int, base_rows: int, base_seconds: float, base_cpu: float
) -> dict:
    """Import the ``rows`` file (``scale`` times the base) into a fresh workspace; its time over the base run's.

    DuckDB's read_csv of the same file into a database file is timed too: the ``ingest`` summary's
    rows/s are the larger file's.
    """
    big = _stripe_file(rows, customers)
    floor = _in_child("duckdb_file", big)
    run = _in_child("import", big)
    ratio = run["seconds"] / base_seconds
    cpu_ratio = run["cpu_seconds"] / base_cpu
    target = scale * SCALE_SLACK
    print(
        f"{rows:,} rows: {run['seconds']:.2f}s = {ratio:.2f}x the {base_rows:,}-row import "
        f"(target <= {target:g}x: {'PASS' if ratio <= target else 'MISS'}); CPU {run['cpu_seconds']:.2f}s "
        f"= {cpu_ratio:.2f}x; peak {run['peak_rss_mb']:.0f} MB; load average {run['load_avg']:.1f}; "
        f"DuckDB's read_csv into a file {floor['seconds']:.2f}s"
    )
    return {
        "rows": rows,
        "seconds": run["seconds"],
        "cpu_seconds": run["cpu_seconds"],
        "load_avg": run["load_avg"],
        "rows_per_s": round(rows / run["seconds"]),
        "duckdb_read_csv_file_seconds": floor["seconds"],
        "duckdb_read_csv_file_rows_per_s": round(rows / floor["seconds"]),
        "ratio": round(ratio, 2),
        "cpu_ratio": round(cpu_ratio, 2),
        "target": target,
        # issue 10's first ratio again, on this file
        "import_vs_read_csv_ratio": round(run["seconds"] / floor["seconds"], 2),
    }


def _ingest_summary(results: dict) -> dict:
    """Issue 15's ``ingest`` section, with issue 10's two ratios and their targets beside it."""
    ours, floor = results["pulseboard_import"], results["duckdb_read_csv_to_file"]
    summary = {
        "rows_per_s": ours["rows_per_s"],
        "duckdb_read_csv_file_rows_per_s": floor["rows_per_s"],
        "ratio": results["import_vs_read_csv_ratio"],
        "cpu_ratio": results["import_vs_read_csv_cpu_ratio"],
        "ratio_target": IMPORT_RATIO_TARGET,
        "load_avg": ours["load_avg"],
    }
    if "scale" in results:
        scale = results["scale"]
        summary.update(
            # the larger file's: issue 15's ``ingest`` is measured at --rows
            rows_per_s=scale["rows_per_s"],
            duckdb_read_csv_file_rows_per_s=scale["duckdb_read_csv_file_rows_per_s"],
            base_rows=results["import_rows"],
            base_rows_per_s=ours["rows_per_s"],
            ratio_at_rows=scale["import_vs_read_csv_ratio"],
            scale_rows=scale["rows"],
            scale_ratio=scale["ratio"],
            scale_cpu_ratio=scale["cpu_ratio"],
            scale_target=scale["target"],
        )
    return summary


def _in_child(kind: str, *paths: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--child", kind, *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child(kind: str, csv: Path, daily: Path | None = None) -> None:
    """Run one measurement in this (fresh) process and print its JSON result."""
    if kind in ("duckdb", "duckdb_file"):
        import duckdb

        with tempfile.TemporaryDirectory() as tmp:
            # in memory (the reference), and into a database file like the warehouse
            con = duckdb.connect() if kind == "duckdb" else duckdb.connect(f"{tmp}/ref.duckdb")
            t, cpu = time.perf_counter(), _cpu()
            con.execute(f"CREATE TABLE p AS SELECT * FROM read_csv('{csv}', header=true)")
            if kind == "duckdb_file":
                con.execute("CHECKPOINT")
            seconds, cpu = time.perf_counter() - t, _cpu() - cpu
            print(
                json.dumps(
                    {
                        "seconds": seconds,
                        "cpu_seconds": cpu,
                        "peak_rss_mb": _peak_mb(),
                        "load_avg": os.getloadavg()[0],
                    }
                )
            )
        return
    from datetime import date

    from data.importer import import_file
    from data.warehouse import Warehouse, WorkspaceRef

    with tempfile.TemporaryDirectory() as tmp:
        warehouse = Warehouse(f"duckdb:///{tmp}/bench.duckdb")
        workspace = WorkspaceRef(1, "bench", "USD", "UTC")
        t, cpu = time.perf_counter(), _cpu()
        result = import_file(warehouse, workspace, csv)
        seconds, cpu = time.perf_counter() - t, _cpu() - cpu
        load_avg = os.getloadavg()[0]  # the last minute's: how busy the machine was meanwhile
        assert result["status"] in ("ok", "partial"), result
        peak = _peak_mb()
        # DuckDB may rewrite freshly inserted row groups at its next checkpoint: reported apart,
        # so the import's own number is not flattered by work it leaves behind.
        t = time.perf_counter()
        warehouse.cursor().execute("CHECKPOINT")
        checkpoint = time.perf_counter() - t
        file_mb = Path(f"{tmp}/bench.duckdb").stat().st_size / 1e6
        incremental, queries = {}, {}
        for label in (
            (
                f"daily file: {DAILY_ROWS:,} new rows",
                f"same daily file again: {DAILY_ROWS:,} replaced",
            )
            if daily is not None
            else ()
        ):  # the scale run times the big import alone
            t = time.perf_counter()
            again = import_file(warehouse, workspace, daily)
            incremental[label] = {
                "seconds": time.perf_counter() - t,
                "inserted": again["inserted"],
                "updated": again["updated"],
            }
        if daily is not None:
            queries = _time_queries(warehouse.scoped(workspace), date(2025, 1, 1), date(2025, 12, 31))
        print(
            json.dumps(
                {
                    "seconds": seconds,
                    "cpu_seconds": cpu,
                    "peak_rss_mb": peak,
                    "load_avg": load_avg,
                    "checkpoint_seconds": checkpoint,
                    "file_mb": file_mb,
                    "inserted": result["inserted"],
                    "quarantined": result["quarantined"],
                    "queries": queries,
                    "incremental": incremental,
                }
            )
        )


def _time_queries(scoped, start, end) -> dict:
    from cachelib import SimpleCache

    from data.metrics import query_metric

    cache = SimpleCache(threshold=1000)  # stands in for the app's cache: measures hit cost
    cases = {
        "net_revenue total + previous_period": dict(name="net_revenue", compare="previous_period"),
        "gross_revenue by day": dict(name="gross_revenue", grain="day"),
        "gross_revenue by month x channel": dict(name="gross_revenue", grain="month", by="channel"),
        "active_customers by month": dict(name="active_customers", grain="month"),
        "new_customers total": dict(name="new_customers"),
    }
    out = {}
    for label, kwargs in cases.items():
        name = kwargs.pop("name")
        t = time.perf_counter()
        frame = query_metric(scoped, name, start, end, **kwargs)
        cold = (time.perf_counter() - t) * 1000
        cache.set(label, frame)
        t = time.perf_counter()
        for _ in range(100):
            cache.get(label)
        warm = (time.perf_counter() - t) * 10
        out[label] = {"cold_ms": round(cold, 1), "warm_ms": round(warm, 3)}
    return out


def _cpu() -> float:
    """CPU seconds of this process (user + system): steadier than wall time on a busy machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_mb() -> float:
    """This process's own peak RSS (bench.peak_rss_mb: ru_maxrss carries the parent's across exec)."""
    return peak_rss_mb() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], *map(Path, sys.argv[3:]))
    else:
        main(sys.argv[1:])
