"""GDPR export and erasure of one customer on a big workspace (not a test; prints JSON).

    .venv/bin/python -m bench.privacy --rows 1000000

Uses bench/pages.py's workspace (built once under bench/out/), copied to a temporary dir so the
erasure leaves the cached one as it was. Measures finding the customer's rows (which scans
every text column of every workspace table for mentions), writing the ZIP, and the erasure
(one transaction with the rollup rebuild over the customer's days).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path


def run(rows: int, customer: int) -> dict:
    """Time find, export and erase of customer ``customer`` in a copy of the bench workspace."""
    from bench import pages
    from dashboard.accounts import get_workspace, to_ref
    from dashboard.privacy import archive
    from dashboard.services import Services
    from dashboard.settings import Settings
    from data import privacy

    built = pages.build(rows, max(1000, rows // 50))
    with tempfile.TemporaryDirectory(prefix="pb-bench-privacy-") as tmp:
        data_dir = Path(tmp) / "data"
        shutil.copytree(built.data_dir, data_dir)
        services = Services(Settings(data_dir=data_dir))
        with services.db.session() as db:
            ws = to_ref(get_workspace(db, "bench"))
        email = f"cus_{customer}@example.com"
        t = time.perf_counter()
        found = privacy.find(services.warehouse, ws, email)
        find_s = time.perf_counter() - t
        t = time.perf_counter()
        content = archive(found, ws.slug)
        export_s = time.perf_counter() - t
        t = time.perf_counter()
        erased = privacy.erase(services.warehouse, ws, email)
        erase_s = time.perf_counter() - t
        services.close()
    return {
        "rows": rows,
        "customer_rows": found.counts(),
        "find_seconds": round(find_s, 2),
        "export_seconds": round(export_s, 2),
        "zip_bytes": len(content),
        "erase_seconds": round(erase_s, 2),
        "erased_rows": erased.rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customer", type=int, default=1, help="customer number (low numbers pay most)")
    args = parser.parse_args()
    print(json.dumps(run(args.rows, args.customer), indent=2))


if __name__ == "__main__":
    main()
