"""The peer to beat, side by side (issue 15): Apache Superset and Pulseboard on the same payments.

    make bench-peer                                  # makes Superset's venv, then runs this
    .venv/bin/python -m bench.peer --rows 10000000   # the same, once the venv exists
    .venv/bin/python -m bench.peer --data-dir /elsewhere/pages_10000000   # copy a built workspace

Two questions, asked in the same run of both products on the bench workspace of
``bench.pages`` (10 million payments by default):

1. *daily revenue by channel over a year* — Superset: one chart-data query, net revenue by
   day (its P1D time grain) and channel over the last 365 days. Pulseboard: the Revenue page's
   callbacks that show it for a year by day — the net revenue trend and the split by channel.
2. *revenue and distinct customers over seven months* — the seven whole months before this
   one. Superset: one chart-data query with two metrics. Pulseboard: the KPI rows that show
   them — the Revenue page's (net revenue) and the Customers page's (active customers) — each
   computing its whole row (MRR, ARR, subscription, deal KPIs and monthly sparklines as well).

Superset is asked through ``POST /api/v1/chart/data`` with a JWT: uncached with
``force: true``, cached by asking again (its file-system data cache answers; the answer says
``is_cached``). Pulseboard is asked through its real callbacks over HTTP with a logged-in
session (``/_dash-update-component``, the payloads a browser sends, see bench.pages), served by
waitress with ``pulseboard serve``'s thread count in this process so its query cache can be
emptied before each cold request; cached = the same requests again. A question's Pulseboard
time is the sum of its callbacks, one after another (a browser would send them together).

Both answers are compared before any time is reported: per day and per channel (question 1),
revenue and customers (question 2), to the cent. Superset's metrics use Pulseboard's own
definitions (``data.rollups``: successful sales minus refunds, customers by the same key).

Prints a table with the medians, ranges and ratios (PASS when Pulseboard is faster, cold and
cached) and merges the results into bench/out/results.json (``peer``), with the load average
around the run: other work on the machine inflates both products' times.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import sqlite3
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

from bench import OUT
from bench import pages as bench_pages
from bench import superset_peer as peer

#: what Superset answered on this machine before (issue 15), for the printout
REFERENCE_MS = {
    "daily_revenue_by_channel": {"uncached": "172-189", "cached": "38"},
    "revenue_and_customers": {"uncached": "143-150", "cached": "21"},
}
#: two answers agree when every number is within a cent (customer counts: exactly)
CENT = 0.01


# -- the two questions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """One question: its range, Superset's query and the Pulseboard callbacks that answer it."""

    key: str
    title: str
    start: date
    end: date
    grain: str
    #: (page, output id) of each Pulseboard callback whose answer shows the numbers
    callbacks: tuple[tuple[str, object], ...]
    query: dict = field(compare=False)


def _sql() -> dict[str, str]:
    """Superset's metrics and filters in Pulseboard's own definitions (data.rollups)."""
    from data.rollups import CUSTOMER_KEY, IS_REFUND, IS_SALE, SUCCESSFUL

    sale, refund = f"{SUCCESSFUL} AND {IS_SALE}", f"{SUCCESSFUL} AND {IS_REFUND}"
    return {
        "net_revenue": (
            f"COALESCE(SUM(CASE WHEN {sale} THEN amount_reporting END), 0)"
            f" - COALESCE(SUM(CASE WHEN {sale} THEN refunded_reporting END), 0)"
            f" - COALESCE(SUM(CASE WHEN {refund} THEN amount_reporting END), 0)"
        ),
        "customers": f"COUNT(DISTINCT CASE WHEN {sale} THEN {CUSTOMER_KEY} END)",
    }


def _metric(label: str, sql: str) -> dict:
    return {"expressionType": "SQL", "sqlExpression": sql, "label": label, "hasCustomLabel": True}


def _filters(workspace_id: int, start: date, end: date) -> list[dict]:
    # Superset's time range ends before its end: the day after the last day asked
    until = end + timedelta(days=1)
    return [
        {"col": "workspace_id", "op": "==", "val": workspace_id},
        {"col": "created_local", "op": "TEMPORAL_RANGE", "val": f"{start.isoformat()} : {until.isoformat()}"},
    ]


def questions(anchor: date, workspace_id: int) -> list[Question]:
    """The two questions for a workspace whose data ends on ``anchor``."""
    from components import ids

    sql = _sql()
    year_start = anchor - timedelta(days=364)
    this_month = anchor.replace(day=1)
    months_end = this_month - timedelta(days=1)
    seven_back = this_month.year * 12 + this_month.month - 1 - 7  # months since year 0
    months_start = date(seven_back // 12, seven_back % 12 + 1, 1)
    daily = {
        "columns": [
            {
                "timeGrain": "P1D",
                "columnType": "BASE_AXIS",
                "sqlExpression": "created_local",
                "label": "created_local",
                "expressionType": "SQL",
            },
            "channel",
        ],
        "metrics": [_metric("net_revenue", sql["net_revenue"])],
        "filters": _filters(workspace_id, year_start, anchor),
        "extras": {"time_grain_sqla": "P1D", "having": "", "where": ""},
        "series_columns": ["channel"],
        "orderby": [],
        "row_limit": 100000,
    }
    totals = {
        "columns": [],
        "metrics": [_metric("net_revenue", sql["net_revenue"]), _metric("customers", sql["customers"])],
        "filters": _filters(workspace_id, months_start, months_end),
        "extras": {"having": "", "where": ""},
        "orderby": [],
        "row_limit": 10,
    }
    return [
        Question(
            "daily_revenue_by_channel",
            "daily revenue by channel over a year",
            year_start,
            anchor,
            "day",
            (("revenue", ids.panel("revenue", "trend")), ("revenue", ids.panel("revenue", "by_channel"))),
            daily,
        ),
        Question(
            "revenue_and_customers",
            "revenue and distinct customers over seven months",
            months_start,
            months_end,
            "month",
            (("revenue", ids.REVENUE["kpis"]), ("customers", ids.CUSTOMERS["kpis"])),
            totals,
        ),
    ]


def query_context(question: Question, dataset_id: int, *, force: bool) -> dict:
    """The chart-data request of ``question`` (``force``: skip Superset's cache)."""
    return {
        "datasource": {"id": dataset_id, "type": "table"},
        "force": force,
        "queries": [question.query],
        "result_format": "json",
        "result_type": "full",
    }


# -- reading the answers -------------------------------------------------------------------------


def plotly_values(value) -> list:
    """A Plotly JSON array as a list: plain, or typed ({"dtype", "bdata"}: base64 of the buffer)."""
    if isinstance(value, dict) and "bdata" in value:
        import numpy as np

        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).tolist()
    return list(value or [])


def _props(node) -> Iterator[dict]:
    """Every component's props in a Dash JSON answer (nested children included)."""
    if isinstance(node, list):
        for item in node:
            yield from _props(item)
    elif isinstance(node, dict):
        if "props" in node and "type" in node and isinstance(node["props"], dict):
            yield node["props"]
        for value in node.values():
            yield from _props(value)


def figure_traces(answer: dict) -> list[dict]:
    """The traces of the (one) figure in a callback's answer."""
    figures = [p["figure"] for p in _props(answer) if isinstance(p.get("figure"), dict)]
    if len(figures) != 1:
        raise ValueError(f"expected one figure in the answer, found {len(figures)}")
    return figures[0].get("data") or []


def trend_points(answer: dict) -> dict[str, float]:
    """Day -> value of a trend figure (its finished line and the "to date" segment, merged)."""
    points: dict[str, float] = {}
    for trace in figure_traces(answer):
        for x, y in zip(plotly_values(trace.get("x")), plotly_values(trace.get("y")), strict=True):
            if y is not None:
                points[str(x)[:10]] = float(y)
    return points


def bar_points(answer: dict) -> dict[str, float]:
    """Category -> value of a horizontal bar figure (categories from its customdata)."""
    (trace,) = figure_traces(answer)
    cats = plotly_values(trace.get("customdata"))
    return {str(c): float(v) for c, v in zip(cats, plotly_values(trace.get("x")), strict=True)}


def kpi_value(answer: dict, metric: str) -> float:
    """The exact value of a KPI card (its ``data-value``) in a KPI row's answer."""
    from components import ids

    wanted = f"{ids.kpi_card(metric)}-value"
    for props in _props(answer):
        if props.get("id") == wanted:
            raw = props.get("data-value")
            if raw in (None, ""):
                raise ValueError(f"the {metric} card has no value")
            return float(raw)
    raise ValueError(f"no {metric} card in the answer")


def _day(value) -> str:
    """A Superset time value (epoch milliseconds or an ISO string) as YYYY-MM-DD."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc).date().isoformat()
    return str(value)[:10]


def superset_daily(result: dict) -> tuple[dict[str, float], dict[str, float]]:
    """Superset's (day, channel) rows summed per day and per channel."""
    per_day: dict[str, float] = {}
    per_channel: dict[str, float] = {}
    for row in result["data"]:
        value = float(row["net_revenue"] or 0)
        day, channel = _day(row["created_local"]), str(row["channel"])
        per_day[day] = per_day.get(day, 0.0) + value
        per_channel[channel] = per_channel.get(channel, 0.0) + value
    return per_day, per_channel


def differences(ours: dict[str, float], theirs: dict[str, float], what: str, tol: float = CENT) -> list[str]:
    """Where two keyed answers disagree by more than ``tol`` (a key missing on one side counts)."""
    out = []
    for key in sorted(set(ours) | set(theirs)):
        a, b = ours.get(key, 0.0), theirs.get(key, 0.0)
        if abs(a - b) > tol:
            out.append(f"{what} {key}: Pulseboard {a:,.2f} vs Superset {b:,.2f}")
    return out


def compare(question: Question, ours: list[dict], theirs: dict) -> dict:
    """Both products' numbers for ``question`` and whether they agree (to the cent)."""
    if question.key == "daily_revenue_by_channel":
        days, channels = trend_points(ours[0]), bar_points(ours[1])
        s_days, s_channels = superset_daily(theirs)
        problems = differences(days, s_days, "day") + differences(channels, s_channels, "channel")
        numbers = {
            "pulseboard": {"revenue": round(sum(days.values()), 2), "days": len(days),
                           "channels": {k: round(v, 2) for k, v in sorted(channels.items())}},
            "superset": {"revenue": round(sum(s_days.values()), 2), "days": len(s_days),
                         "channels": {k: round(v, 2) for k, v in sorted(s_channels.items())}},
        }  # fmt: skip
    else:
        revenue, customers = kpi_value(ours[0], "net_revenue"), kpi_value(ours[1], "active_customers")
        row = theirs["data"][0]
        s_revenue, s_customers = float(row["net_revenue"] or 0), float(row["customers"] or 0)
        problems = differences({"revenue": revenue}, {"revenue": s_revenue}, "total") + differences(
            {"customers": customers}, {"customers": s_customers}, "total", tol=0.0
        )
        numbers = {
            "pulseboard": {"revenue": round(revenue, 2), "customers": int(customers)},
            "superset": {"revenue": round(s_revenue, 2), "customers": int(s_customers)},
        }
    return {"agree": not problems, "differences": problems[:20], **numbers}


# -- Pulseboard, served in this process ----------------------------------------------------------


class Pulseboard:
    """``pulseboard serve``'s app and waitress threads, in this process (so its cache can be emptied)."""

    def __init__(self, data_dir: Path, port: int):
        from waitress.server import create_server

        from app import create_app
        from dashboard.cli import warm_up
        from dashboard.services import EXTENSION_KEY
        from dashboard.settings import Settings

        settings = Settings(data_dir=data_dir)
        self.app = create_app(settings)
        self.services = self.app.server.extensions[EXTENSION_KEY]
        self.services.warehouse  # noqa: B018 - open (and migrate) it now, as serve does
        warm_up(self.services)
        self.wsgi = create_server(
            self.app.server, host="127.0.0.1", port=port, threads=settings.threads, ident="pulseboard"
        )
        self.base = f"http://127.0.0.1:{port}"
        self._stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="peer-waitress", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        """waitress's loop, one poll at a time until :meth:`stop`: its own ``run`` loops until the
        sockets are closed under it, and closing them while it sat in ``select`` raised "Bad file
        descriptor" in this thread at every run's end."""
        from waitress import wasyncore

        while not self._stopping.is_set():
            wasyncore.loop(timeout=0.2, map=self.wsgi._map, count=1)

    def clear_cache(self) -> None:
        """Empty the query cache (memory and shared layers): the next request is cold."""
        from dashboard.queries import cache_for

        cache_for(self.services).clear()

    def stop(self) -> None:
        """Stop serving and close the warehouse."""
        from waitress import wasyncore

        self._stopping.set()
        self.thread.join(timeout=10)
        self.wsgi.task_dispatcher.shutdown()
        wasyncore.close_all(self.wsgi._map)
        self.services.close()


def callback_payloads(client, question: Question) -> list[dict]:
    """The browser's payload of each callback of ``question`` (its pages loaded for its range)."""
    from bench.load import _CallbackMap

    app = _CallbackMap(client)
    query = {"range": "custom", "from": question.start.isoformat(), "to": question.end.isoformat(),
             "compare": "none", "grain": question.grain}  # fmt: skip
    payloads = []
    for page, output_id in question.callbacks:
        # every panel: since the layout computes a page's first screen, these panels may come
        # with the page instead of from their callbacks; the callbacks still answer when asked
        requests = bench_pages.page_load_requests(
            client, app, bench_pages.PAGE_PATHS[page], "?" + urlencode(query), every_panel=True
        )
        found = [
            p for out, p in requests if [cid for cid, _ in bench_pages._split_outputs(out)] == [output_id]
        ]
        if len(found) != 1:
            raise RuntimeError(f"{page}: no page-load callback for {output_id}")
        payloads.append(found[0])
    return payloads


def _post(client, payload: dict) -> tuple[float, dict]:
    started = time.perf_counter()
    answer = client.session.post(client.base + "/_dash-update-component", json=payload, timeout=120)
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code != 200:
        raise RuntimeError(f"{payload['output']}: HTTP {answer.status_code} {answer.text[:300]}")
    return elapsed, answer.json()


# -- the run -------------------------------------------------------------------------------------


def prepare_workspace(rows: int, customers: int, data_dir: Path | None) -> tuple[Path, dict]:
    """The Pulseboard data dir to serve and its bench-meta.

    Without ``data_dir`` the workspace of ``bench.pages`` (built once). With one, a built
    workspace elsewhere (another checkout's) is copied to bench/out/peer/ and that copy is
    served: the original is only read (its app DB through SQLite's backup API).
    """
    if data_dir is None:
        bw = bench_pages.build(rows, customers)
        return bw.data_dir, json.loads((bw.data_dir / "bench-meta.json").read_text())
    meta_path = data_dir / "bench-meta.json"
    if not meta_path.exists():
        raise SystemExit(f"{data_dir} is not a built bench workspace (no bench-meta.json yet)")
    meta = json.loads(meta_path.read_text())
    target = OUT / "peer" / data_dir.resolve().name
    if target.resolve() == data_dir.resolve():
        return target, meta
    copied = target / "bench-meta.json"
    if copied.exists() and json.loads(copied.read_text()) == meta:
        return target, meta
    shutil.rmtree(target, ignore_errors=True)  # our own earlier copy, never the source
    target.mkdir(parents=True)
    started = time.perf_counter()
    for name in ("warehouse.duckdb", "warehouse.duckdb.wal", "secret_key"):
        if (data_dir / name).exists():
            shutil.copy2(data_dir / name, target / name)
    source_db = sqlite3.connect(f"file:{data_dir / 'app.db'}?mode=ro", uri=True)
    with sqlite3.connect(target / "app.db") as copy_db:
        source_db.backup(copy_db)
    source_db.close()
    for private in ("secret_key", "app.db"):  # password hashes and the signing key: owner only
        (target / private).chmod(0o600)
    copied.write_text(json.dumps(meta))  # last: marks the copy complete
    print(f"copied {data_dir} -> {target} in {time.perf_counter() - started:.1f}s")
    return target, meta


def _timezone(data_dir: Path, workspace_id: int) -> str:
    with sqlite3.connect(f"file:{data_dir / 'app.db'}?mode=ro", uri=True) as db:
        found = db.execute("SELECT timezone FROM workspaces WHERE id = ?", (workspace_id,)).fetchone()
    if found is None:
        raise SystemExit(f"no workspace {workspace_id} in {data_dir / 'app.db'}")
    return found[0]


def _summary(times: list[float]) -> dict:
    return {"median_ms": round(statistics.median(times), 1), "min_ms": round(min(times), 1),
            "max_ms": round(max(times), 1), "runs": [round(t, 1) for t in times]}  # fmt: skip


def measure(question: Question, superset, dataset_id: int, board: Pulseboard, client, repeats: int) -> dict:
    """Uncached/cold then cached times of both products, interleaved so both see the same load."""
    payloads = callback_payloads(client, question)

    def pulseboard_once(cold: bool) -> tuple[float, list[float], list[dict]]:
        if cold:
            board.clear_cache()
        answers = [_post(client, p) for p in payloads]
        return sum(t for t, _ in answers), [t for t, _ in answers], [a for _, a in answers]

    def superset_once(force: bool) -> tuple[float, dict]:
        elapsed, result = superset.chart_data(query_context(question, dataset_id, force=force))
        if force == bool(result.get("is_cached")):
            raise RuntimeError(f"Superset answered with is_cached={result.get('is_cached')} (force={force})")
        return elapsed, result

    # one untimed round each: the first request of a query shape compiles it on both sides
    superset_once(True)
    pulseboard_once(True)
    load_before = os.getloadavg()[0]
    times: dict[str, list[float]] = {"superset_uncached": [], "superset_cached": [],
                                     "pulseboard_cold": [], "pulseboard_cached": []}  # fmt: skip
    parts: dict[str, list[list[float]]] = {"cold": [], "cached": []}
    for _ in range(repeats):  # the numbers compared are the last freshly computed answers
        elapsed, theirs = superset_once(True)
        times["superset_uncached"].append(elapsed)
        total, each, ours = pulseboard_once(True)
        times["pulseboard_cold"].append(total)
        parts["cold"].append(each)
    for _ in range(repeats):
        times["superset_cached"].append(superset_once(False)[0])
        total, each, _answers = pulseboard_once(False)
        times["pulseboard_cached"].append(total)
        parts["cached"].append(each)
    load_after = os.getloadavg()[0]
    numbers = compare(question, ours, theirs)
    result = {key: _summary(values) for key, values in times.items()}
    callbacks = [bench_pages._short(p["output"]) for p in payloads]
    result["pulseboard_callbacks"] = {
        name: {kind: round(statistics.median(run[i] for run in parts[kind]), 1) for kind in parts}
        for i, name in enumerate(callbacks)
    }
    uncached = result["superset_uncached"]["median_ms"] / result["pulseboard_cold"]["median_ms"]
    cached = result["superset_cached"]["median_ms"] / result["pulseboard_cached"]["median_ms"]
    return {
        "question": question.title,
        "range": [question.start.isoformat(), question.end.isoformat()],
        "reference_superset_ms": REFERENCE_MS[question.key],
        **result,
        # how many times faster Pulseboard answered (> 1: Pulseboard is faster)
        "speedup": {"uncached": round(uncached, 2), "cached": round(cached, 2)},
        "status": {
            "uncached": "PASS" if uncached > 1 else "MISS",
            "cached": "PASS" if cached > 1 else "MISS",
        },
        "numbers": numbers,
        "load_average": {"before": round(load_before, 2), "after": round(load_after, 2)},
    }


def run(rows: int = 10_000_000, *, customers: int = 200_000, data_dir: Path | None = None, repeats: int = 5,
        superset_port: int = 8088, pulseboard_port: int = 8070) -> dict:  # fmt: skip
    """Set both products up on the same payments, ask both questions, print the table."""
    from bench.load import HttpClient

    workspace_dir, meta = prepare_workspace(rows, customers, data_dir)
    workspace_id = meta["workspace_id"]
    anchor = date.fromisoformat(meta["anchor"])
    tz = _timezone(workspace_dir, workspace_id)
    state = peer.set_up()
    duckdb_file = peer.copy_payments(workspace_dir / "warehouse.duckdb", tz, meta)
    load_start = os.getloadavg()
    server = peer.start(superset_port)
    board = None
    try:
        superset = peer.SupersetClient(server.base, peer.ADMIN, state["admin_password"])
        dataset_id = superset.ensure_dataset(superset.ensure_database(duckdb_file))
        board = Pulseboard(workspace_dir, pulseboard_port)
        client = HttpClient(board.base, bench_pages.OWNER, bench_pages.PASSWORD)
        client.get("/")  # the first page request registers Dash's page router
        results = [
            measure(q, superset, dataset_id, board, client, repeats) for q in questions(anchor, workspace_id)
        ]
    finally:
        if board is not None:
            board.stop()
        server.stop()
    load = {"start": [round(x, 2) for x in load_start], "end": [round(x, 2) for x in os.getloadavg()],
            "cores": os.cpu_count()}  # fmt: skip
    out = {
        "rows": meta.get("rows", rows),
        "anchor": anchor.isoformat(),
        "timezone": tz,
        "repeats": repeats,
        "superset_version": peer.version(),
        "load_average": load,
        "questions": {q["question"]: q for q in results},
        "pass": all(q["status"][k] == "PASS" for q in results for k in ("uncached", "cached")),
        "agree": all(q["numbers"]["agree"] for q in results),
    }
    _print(out)
    return out


def _print(out: dict) -> None:
    load = out["load_average"]
    print(f"\nSuperset {out['superset_version']} and Pulseboard on {out['rows']:,} payments: median of "
          f"{out['repeats']} requests (min-max), load average {load['start'][0]} -> {load['end'][0]} "
          f"on {load['cores']} cores")  # fmt: skip
    head = f"{'question':<50} {'':<9} {'Superset ms':>20} {'Pulseboard ms':>20} {'x faster':>9}  status"
    print(head + "\n" + "-" * len(head))
    for title, q in out["questions"].items():
        before = q["reference_superset_ms"]
        labels = {
            "uncached": title,
            "cached": f"  (Superset before: {before['uncached']} / {before['cached']} ms)",
        }
        for kind, s_key, p_key in (("uncached", "superset_uncached", "pulseboard_cold"),
                                   ("cached", "superset_cached", "pulseboard_cached")):  # fmt: skip
            cells = [
                f"{x['median_ms']:.1f} ({x['min_ms']:.0f}-{x['max_ms']:.0f})" for x in (q[s_key], q[p_key])
            ]
            print(f"{labels[kind]:<50} {kind:<9} {cells[0]:>20} {cells[1]:>20} "
                  f"{q['speedup'][kind]:>8.2f}x  {q['status'][kind]}")  # fmt: skip
        parts = ", ".join(
            f"{name} {v['cold']:.0f}/{v['cached']:.1f}" for name, v in q["pulseboard_callbacks"].items()
        )
        print(f"    Pulseboard's callbacks, cold/cached ms: {parts}; load {q['load_average']}")
        n = q["numbers"]
        print(f"    Pulseboard answered {json.dumps(n['pulseboard'])}")
        print(f"    Superset answered   {json.dumps(n['superset'])}")
        print(
            f"    {'the same numbers, to the cent' if n['agree'] else 'DISAGREE: ' + '; '.join(n['differences'])}"
        )
    verdict = "PASS" if out["pass"] else "MISS"
    print(f"\nPulseboard faster than Superset on both questions, cold and cached: {verdict}")


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.peer``: measure both products and merge the results into results.json."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000, help="payments of the bench workspace")
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="a built bench.pages workspace to copy (default: build bench/out/pages_<rows>)")  # fmt: skip
    parser.add_argument(
        "--repeats", type=int, default=5, help="timed requests per product, question and kind"
    )
    parser.add_argument("--superset-port", type=int, default=8088)
    parser.add_argument("--pulseboard-port", type=int, default=8070)
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    try:
        result = run(args.rows, customers=args.customers, data_dir=args.data_dir, repeats=args.repeats,
                     superset_port=args.superset_port, pulseboard_port=args.pulseboard_port)  # fmt: skip
    except peer.SupersetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bench_pages.write_results(result, "peer")
    if args.json:
        print(json.dumps(result, indent=2))
    if not result["agree"]:
        print(
            "error: the two products answered different numbers; the timings compare nothing", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
