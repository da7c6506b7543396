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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    csv = OUT / f"stripe_payments_{args.rows}.csv"
    if not csv.exists():
        from bench.stripe_data import write_stripe_payments

        t = time.perf_counter()
        write_stripe_payments(csv, rows=args.rows, customers=args.customers)
        print(f"generated {csv.name} ({csv.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f}s")
    results = {"rows": args.rows, "file_mb": round(csv.stat().st_size / 1e6, 1)}
    results["duckdb_read_csv"] = _in_child("duckdb", csv)
    results["pulseboard_import"] = _in_child("import", csv)
    results["queries"] = results["pulseboard_import"].pop("queries")
    for key in ("duckdb_read_csv", "pulseboard_import"):
        r = results[key]
        r["rows_per_s"] = round(args.rows / r["seconds"])
        print(f"{key:<20} {r['seconds']:>7.2f}s  {r['rows_per_s']:>12,} rows/s  peak RSS {r['peak_rss_mb']:>6.0f} MB")
    for name, q in results["queries"].items():
        print(f"query {name:<34} cold {q['cold_ms']:>7.1f} ms   warm {q['warm_ms']:>6.2f} ms")
    (OUT / "results.json").write_text(json.dumps(results, indent=2))


def _in_child(kind: str, csv: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "bench.run", "--child", kind, str(csv)], capture_output=True,
                          text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child(kind: str, csv: Path) -> None:
    """Run one measurement in this (fresh) process and print its JSON result."""
    if kind == "duckdb":
        import duckdb

        con = duckdb.connect()
        t = time.perf_counter()
        con.execute(f"CREATE TABLE p AS SELECT * FROM read_csv('{csv}', header=true)")
        seconds = time.perf_counter() - t
        print(json.dumps({"seconds": seconds, "peak_rss_mb": _peak_mb()}))
        return
    from datetime import date

    from data.importer import import_file
    from data.warehouse import Warehouse, WorkspaceRef

    with tempfile.TemporaryDirectory() as tmp:
        warehouse = Warehouse(f"duckdb:///{tmp}/bench.duckdb")
        workspace = WorkspaceRef(1, "bench", "USD", "UTC")
        t = time.perf_counter()
        result = import_file(warehouse, workspace, csv)
        seconds = time.perf_counter() - t
        assert result["status"] in ("ok", "partial"), result
        peak = _peak_mb()
        queries = _time_queries(warehouse.scoped(workspace), date(2025, 1, 1), date(2025, 12, 31))
        print(json.dumps({"seconds": seconds, "peak_rss_mb": peak, "inserted": result["inserted"],
                          "quarantined": result["quarantined"], "queries": queries}))


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


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]))
    else:
        main()
