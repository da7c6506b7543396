"""Benchmarks (`make bench`; not tests). Prints a table and writes bench/out/results.json.

    make bench                          # 1,000,000 Stripe payment rows
    make bench BENCH_ARGS="--rows 10000000"

1. Stripe payments CSV import end to end (detect, parse, validate, upsert, rollups) in rows/s,
   beside DuckDB's own read_csv of the same file, each in a fresh process so peak memory
   (max RSS) is its own.
2. Metric queries on the imported workspace: cold (first call) and warm (cached) per call.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).parent / "out"
#: rows in the "next days" export imported after the big file (the everyday case)
DAILY_ROWS = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument(
        "--page-rows", type=int, default=0, help="also run bench/pages.py at this many payments"
    )
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    csv = OUT / f"stripe_payments_{args.rows}.csv"
    if not csv.exists():
        from bench.stripe_data import write_stripe_payments

        t = time.perf_counter()
        write_stripe_payments(csv, rows=args.rows, customers=args.customers)
        print(f"generated {csv.name} ({csv.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f}s")
    results = {"rows": args.rows, "file_mb": round(csv.stat().st_size / 1e6, 1)}
    daily = OUT / f"stripe_payments_daily_{args.rows}.csv"
    if not daily.exists():
        from bench.stripe_data import write_stripe_payments

        # the next days' export: new payment ids, dated after the big file
        write_stripe_payments(
            daily,
            rows=DAILY_ROWS,
            customers=args.customers,
            seed=2,
            first_id=args.rows,
            start="2026-01-01",
            days=3,
        )
    results["duckdb_read_csv"] = _in_child("duckdb", csv)
    results["duckdb_read_csv_to_file"] = _in_child("duckdb_file", csv)
    results["pulseboard_import"] = _in_child("import", csv, daily)
    results["queries"] = results["pulseboard_import"].pop("queries")
    results["incremental"] = results["pulseboard_import"].pop("incremental")
    print(f"{'':<24} {'seconds':>8} {'rows/s':>12}  {'peak RSS':>9}")
    for key in ("duckdb_read_csv", "duckdb_read_csv_to_file", "pulseboard_import"):
        r = results[key]
        r["rows_per_s"] = round(args.rows / r["seconds"])
        print(
            f"{key:<24} {r['seconds']:>7.2f}s {r['rows_per_s']:>12,}  {r['peak_rss_mb']:>6.0f} MB"
            f"   (CPU {r['cpu_seconds']:.2f}s)"
        )
    r = results["pulseboard_import"]
    target = "PASS" if r["rows_per_s"] >= 1_000_000 else "MISS"
    print(
        f"import target >= 1,000,000 rows/s: {target}; checkpoint after the import "
        f"{r['checkpoint_seconds']:.2f}s; file {r['file_mb']:.0f} MB"
    )
    for label, inc in results["incremental"].items():
        print(
            f"then {label:<44} {inc['seconds']:>6.2f}s  ({inc['inserted']:,} inserted, {inc['updated']:,} updated)"
        )
    for name, q in results["queries"].items():
        print(f"query {name:<34} cold {q['cold_ms']:>7.1f} ms   warm {q['warm_ms']:>6.2f} ms")
    if args.page_rows:  # page speed at scale (issue 4): see bench/pages.py
        from bench import pages

        results["pages"] = pages.run(args.page_rows)
    (OUT / "results.json").write_text(json.dumps(results, indent=2))


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
            print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": _peak_mb()}))
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
        assert result["status"] in ("ok", "partial"), result
        peak = _peak_mb()
        # DuckDB may rewrite freshly inserted row groups at its next checkpoint: reported apart,
        # so the import's own number is not flattered by work it leaves behind.
        t = time.perf_counter()
        warehouse.cursor().execute("CHECKPOINT")
        checkpoint = time.perf_counter() - t
        file_mb = Path(f"{tmp}/bench.duckdb").stat().st_size / 1e6
        incremental = {}
        for label in (
            f"daily file: {DAILY_ROWS:,} new rows",
            f"same daily file again: {DAILY_ROWS:,} replaced",
        ):
            t = time.perf_counter()
            again = import_file(warehouse, workspace, daily)
            incremental[label] = {
                "seconds": time.perf_counter() - t,
                "inserted": again["inserted"],
                "updated": again["updated"],
            }
        queries = _time_queries(warehouse.scoped(workspace), date(2025, 1, 1), date(2025, 12, 31))
        print(
            json.dumps(
                {
                    "seconds": seconds,
                    "cpu_seconds": cpu,
                    "peak_rss_mb": peak,
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
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], *map(Path, sys.argv[3:]))
    else:
        main()
