"""Load run (issue 15): concurrent clients replaying every page's page-load callbacks on loopback.

    .venv/bin/python -m bench.load --rows 1000000 --clients 8 --seconds 60

Starts ``pulseboard serve`` (waitress, as an operator runs it) in its own process on the bench
workspace of ``bench.pages`` (built once, kept under bench/out/), logs ``--clients`` clients in
over real HTTP, and has each replay the callbacks a browser fires when each analytics page loads,
in random order, for ``--seconds``. A third of the requests use a range no other request used
(uncached: a new custom range), the rest repeat (the cache's everyday case).

Reports requests, errors, requests per second (and per minute against issue 15's 10,000), p50
and p95 latency, and the server's RSS: peak, after warm-up and at the end (memory must stay flat
after warm-up). Timings on a shared machine are only as good as its idleness: the load average
is recorded beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import requests

from bench import pages as bench_pages

#: issue 15's targets
TARGET_PER_MINUTE = 10_000
TARGET_P95_MS = 120
TARGET_RSS_MB = 1_500
#: share of requests for a range nobody asked before (a cold query)
COLD_SHARE = 1 / 3
#: share of requests sent to the REST API (``GET /api/v1/metrics/<name>`` with a personal token)
#: beside the callbacks: the brief asks for API answers under 100 ms at p95 under this load
API_SHARE = 0.1
TARGET_API_P95_MS = 100
#: what the API clients ask for: the overview's KPIs (components.overview.OVERVIEW_KPIS)
API_METRICS = ("net_revenue", "mrr", "new_customers", "spend", "roas", "sessions")
#: how often the server's RSS is sampled during the run
RSS_SAMPLE_SECONDS = 5.0


class HttpClient:
    """A logged-in ``requests`` session with the small Flask-test-client surface bench.pages uses."""

    def __init__(self, base: str, email: str, password: str):
        self.base = base
        self.session = requests.Session()
        page = self.session.get(f"{base}/login", timeout=30).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        answer = self.session.post(
            f"{base}/login",
            data={"email": email, "password": password, "csrf_token": token},
            allow_redirects=False,
            timeout=30,
        )
        if answer.status_code not in (302, 303):
            raise RuntimeError(f"log-in failed: HTTP {answer.status_code}")

    def get(self, path: str) -> _Answer:
        return _Answer(self.session.get(self.base + path, timeout=60))

    def post(self, path: str, json: dict) -> _Answer:  # noqa: A002 - Flask's test client's name
        return _Answer(self.session.post(self.base + path, json=json, timeout=60))


class _Answer:
    def __init__(self, response: requests.Response):
        self.response = response
        self.status_code = response.status_code

    def get_json(self):
        return self.response.json()

    def get_data(self, as_text: bool = False):
        return self.response.text if as_text else self.response.content


class _CallbackMap:
    """What ``bench.pages.page_load_requests`` reads of the app: the keys of its callbacks."""

    def __init__(self, client: HttpClient):
        self.callback_map = {dep["output"]: dep for dep in client.get("/_dash-dependencies").get_json()}


#: the bench server's /metrics token (a loopback server that lives for one run)
METRICS_TOKEN = "bench-metrics-token-not-a-secret"


def memory_parts(base: str) -> dict[str, int]:
    """The server's ``pulseboard_memory_bytes`` parts in MB (empty when /metrics does not answer)."""
    try:
        text = requests.get(
            base + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
        ).text
    except requests.RequestException:
        return {}
    found = re.findall(r'^pulseboard_memory_bytes\{part="([a-z_]+)"\} (\S+)$', text, re.M)
    return {part: round(float(value) / 2**20) for part, value in found}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of ``pid`` (VmHWM: its peak) in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(data_dir: Path) -> tuple[subprocess.Popen, str]:
    """``pulseboard serve`` on a free loopback port for ``data_dir``; (process, base URL)."""
    port = _free_port()
    # The API's per-token limit (120 a minute by default) would answer most of the load's API
    # requests with 429: the bench's one token stands for many scripts, so it is raised as an
    # operator serving many of them would (PULSEBOARD_API_RATE_LIMIT).
    env = {
        **os.environ,
        "PULSEBOARD_DATA_DIR": str(data_dir),
        "PULSEBOARD_API_RATE_LIMIT": "1000000 per minute",
        # /metrics for the memory breakdown the load run samples (memory_parts)
        "PULSEBOARD_METRICS_TOKEN": METRICS_TOKEN,
    }
    # The server's log goes to a file, not a pipe: nobody reads a pipe during the run, and once
    # its 64 KB buffer was full (a few hundred access-log lines) every request blocked on
    # logging: the load runs showed every client stalled for 60 s and timing out.
    log_path = data_dir / "bench-server.log"
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {log_path.read_text()[-2000:]}")
        try:
            if requests.get(base + "/login", timeout=2).status_code == 200:
                return proc, base
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the server did not answer within 180 s")


def page_loads(
    client: HttpClient, anchor, days: int, router_ms: list | None = None
) -> list[tuple[str, dict]]:
    """(page, payload) of every page-load request of every analytics page for one range.

    The page router's request comes first for each page (an in-app link makes it; on a range
    nobody opened it computes the first screen). Finding the callbacks renders each page once:
    ``router_ms`` gets those renders' times, which a timed page load must count.
    """
    app = _CallbackMap(client)
    query = {
        "range": "custom",
        "from": (anchor - timedelta(days=days - 1)).isoformat(),
        "to": anchor.isoformat(),
        "compare": "previous_period",
        "grain": "day" if days <= 90 else "week",
    }
    out = []
    for page, path in bench_pages.PAGE_PATHS.items():
        asked = bench_pages.page_load_requests(
            client, app, path, "?" + urlencode(query), with_router=True, router_ms=router_ms
        )
        out += [(page, payload) for _output, payload in asked]
    return out


def api_token(data_dir: Path) -> str:
    """A personal API token for the bench owner, made as a user makes one (``pulseboard tokens create``)."""
    env = {**os.environ, "PULSEBOARD_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "dashboard", "tokens", "create", bench_pages.OWNER, "--workspace", "bench",
         "--name", "bench.load", "--json"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)["token"]


def api_path(anchor, days: int, metric: str) -> str:
    """``/api/v1/metrics/<metric>`` over the ``days`` days to ``anchor``, by week, against the period before."""
    query = {
        "from": (anchor - timedelta(days=days - 1)).isoformat(),
        "to": anchor.isoformat(),
        "grain": "week",
        "compare": "previous_period",
    }
    return f"/api/v1/metrics/{metric}?{urlencode(query)}"


def _quantile(values: list[float], q: int) -> float:
    """The q-th percentile of ``values`` (nan with fewer than two)."""
    return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 2 else float("nan")


def run(
    rows: int,
    *,
    clients: int = 8,
    seconds: float = 60.0,
    customers: int = 200_000,
    cold_share: float = COLD_SHARE,
    api_share: float = API_SHARE,
) -> dict:
    """Build (or reuse) the bench workspace, serve it, load it; the ``load`` results.

    ``cold_share``: the share of page loads over a range nobody asked before (0: every request
    is one the cache has seen, the throughput of the app itself). ``api_share``: the share of
    requests that go to the REST API instead (over the same ranges as the page loads).
    """
    bw = bench_pages.build(rows, customers)
    proc, base = start_server(bw.data_dir)
    try:
        token = api_token(bw.data_dir)
        api_headers = {"Authorization": f"Bearer {token}"}
        warm_client = HttpClient(base, bench_pages.OWNER, bench_pages.PASSWORD)
        warm_client.get("/")  # the first page request registers Dash's page router
        steady = page_loads(warm_client, bw.anchor, 90)
        # cold requests: the same callbacks over ranges no request asked before (one per use)
        cold_ranges = iter(range(91, 91 + 100_000))
        # warm-up: every steady request once (fills the cache, as the first visitors do)
        for _page, payload in steady:
            warm_client.post("/_dash-update-component", json=payload)
        for metric in API_METRICS:
            warm_client.session.get(base + api_path(bw.anchor, 90, metric), headers=api_headers, timeout=60)
        rss_after_warmup = _rss_mb(proc.pid)
        parts_after_warmup = memory_parts(base)
        load_before = os.getloadavg()[0]
        latencies: list[float] = []
        api_latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + seconds

        def worker(n: int) -> None:
            rng = random.Random(n)
            client = HttpClient(base, bench_pages.OWNER, bench_pages.PASSWORD)
            mine: list[float] = []
            mine_api: list[float] = []
            while time.monotonic() < stop_at:
                days = 90
                if rng.random() < cold_share:
                    with lock:
                        days = next(cold_ranges)
                    # Finding a new range's callbacks renders each page: those renders are this
                    # page load's router requests (they compute the first screen), timed here;
                    # the batch replays the rest of its requests.
                    renders: list[float] = []
                    try:
                        batch = page_loads(client, bw.anchor, days, router_ms=renders)
                    except (RuntimeError, requests.RequestException) as exc:  # a failed render
                        with lock:
                            errors.append(type(exc).__name__)
                        continue
                    finally:
                        mine += renders
                    batch = [(page, p) for page, p in batch if "_pages_content" not in p["output"]]
                else:
                    batch = list(steady)
                    rng.shuffle(batch)
                for _page, payload in batch:
                    if time.monotonic() >= stop_at:
                        break
                    api = rng.random() < api_share
                    t = time.perf_counter()
                    try:
                        if api:  # an API client's request in place of this callback
                            answer = client.session.get(
                                base + api_path(bw.anchor, days, rng.choice(API_METRICS)),
                                headers=api_headers,
                                timeout=60,
                            )
                            ok = answer.status_code == 200
                        else:
                            answer = client.post("/_dash-update-component", json=payload)
                            ok = answer.status_code in (200, 204)
                        what = f"HTTP {answer.status_code}"
                    except requests.RequestException as exc:
                        ok, what = False, type(exc).__name__
                    (mine_api if api else mine).append((time.perf_counter() - t) * 1000)
                    if not ok:
                        with lock:
                            errors.append(what)
            with lock:
                latencies.extend(mine)
                api_latencies.extend(mine_api)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
        started = time.monotonic()
        # the server's RSS every RSS_SAMPLE_SECONDS: "flat" is judged on the curve, not two points
        rss_timeline: list[tuple[float, float]] = []
        # what the memory is, at each sample (dashboard.ops.memory.memory_breakdown, in MB)
        parts_timeline: list[tuple[float, dict[str, int]]] = []
        sampler_stop = threading.Event()

        def sample_rss() -> None:
            while not sampler_stop.wait(RSS_SAMPLE_SECONDS):
                at = round(time.monotonic() - started)
                rss_timeline.append((at, round(_rss_mb(proc.pid))))
                parts_timeline.append((at, memory_parts(base)))

        sampler = threading.Thread(target=sample_rss, daemon=True)
        sampler.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        sampler_stop.set()
        sampler.join()
        rss_end, rss_peak = _rss_mb(proc.pid), _rss_mb(proc.pid, "VmHWM")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    every = latencies + api_latencies
    rps = len(every) / elapsed if elapsed else 0.0
    result = {
        "rows": rows,
        "clients": clients,
        "cold_share": round(cold_share, 3),
        "api_share": round(api_share, 3),
        "duration_s": round(elapsed, 1),
        # every request, callbacks and API alike
        "requests": len(every),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:10],
        "rps": round(rps, 1),
        "per_minute": round(rps * 60),
        "p50_ms": round(_quantile(every, 50), 1),
        "p95_ms": round(_quantile(every, 95), 1),
        "callbacks": {"requests": len(latencies), "p95_ms": round(_quantile(latencies, 95), 1)},
        "api": {"requests": len(api_latencies), "p95_ms": round(_quantile(api_latencies, 95), 1)},
        "rss_mb": {
            "after_warmup": round(rss_after_warmup),
            "end": round(rss_end),
            "peak": round(rss_peak),
            # [seconds since the load began, MB]
            "timeline": rss_timeline,
            # the trend line through the second half's samples, and its last minus its first
            "growth_second_half": _second_half_growth(rss_timeline),
            "growth_second_half_two_points": _second_half_two_points(rss_timeline),
            # the parts at the sample of highest RSS, and at the end
            "parts_after_warmup": parts_after_warmup,
            "parts_at_peak": _parts_at_peak(rss_timeline, parts_timeline),
            "parts_at_end": parts_timeline[-1][1] if parts_timeline else {},
            # where the second half's growth is: each part's MB at the end minus at the half
            "growth_second_half_by_part": _second_half_growth_by_part(parts_timeline),
            "parts_timeline": parts_timeline,
        },
        "load_average": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "targets": {
            "per_minute": TARGET_PER_MINUTE,
            "p95_ms": TARGET_P95_MS,
            "rss_mb": TARGET_RSS_MB,
            "api_p95_ms": TARGET_API_P95_MS,
        },
    }
    _print(result)
    return result


def _trend_growth(points: list[tuple[float, float]]) -> float:
    """How much a least-squares line through ``points`` (seconds, MB) rises from the first to the last.

    One sample of RSS swings by 50-100 MB from the next under load (answers and DuckDB
    results being built and freed), so the difference of two samples says more about the
    moment each was taken than about the run; the line through all of them does not.
    """
    xs, ys = [x for x, _ in points], [y for _, y in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if not spread:
        return 0.0
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    return slope * (xs[-1] - xs[0])


def _second_half_growth_by_part(parts: list[tuple[float, dict[str, int]]]) -> dict[str, int]:
    """MB each memory part grew over the run's second half (its trend line), and ``other``: RSS beyond the parts.

    ``other`` is the interpreter, Python objects, library allocators (Arrow, polars) and the
    heaps' free space; the parts are DuckDB's buffer pool and the answer cache, both bounded.
    """
    sampled = [(at, p) for at, p in parts if p.get("rss") is not None]
    if len(sampled) < 4:
        return {}
    half = sampled[len(sampled) // 2 :]
    keys = [k for k in half[-1][1] if all(k in p for _at, p in half)]

    def other(p: dict[str, int]) -> int:
        return p["rss"] - sum(v for k, v in p.items() if k != "rss")

    growth = {k: round(_trend_growth([(at, p[k]) for at, p in half])) for k in keys}
    growth["other"] = round(_trend_growth([(at, other(p)) for at, p in half]))
    return growth


def _parts_at_peak(rss: list[tuple[float, float]], parts: list[tuple[float, dict]]) -> dict[str, int]:
    """The memory parts sampled with the highest RSS sample."""
    if not rss or not parts:
        return {}
    peak = max(range(len(rss)), key=lambda i: rss[i][1])
    return parts[min(peak, len(parts) - 1)][1]


def _second_half_growth(timeline: list[tuple[float, float]]) -> float | None:
    """MB the RSS grew over the run's second half by its trend line (flat memory: close to 0); None if too short."""
    if len(timeline) < 4:
        return None
    return round(_trend_growth(timeline[len(timeline) // 2 :]))


def _second_half_two_points(timeline: list[tuple[float, float]]) -> float | None:
    """The last sample minus the first of the second half (what earlier runs reported as the growth)."""
    if len(timeline) < 4:
        return None
    half = timeline[len(timeline) // 2 :]
    return round(half[-1][1] - half[0][1])


def _print(r: dict) -> None:
    def mark(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    print(
        f"load: {r['clients']} clients, {r['duration_s']} s, {r['cold_share']:.0%} of page loads over a new range, "
        f"{r['api_share']:.0%} of requests to the API, {r['requests']:,} requests, {r['errors']} errors"
    )
    print(
        f"  {r['per_minute']:,} requests/minute (target >= {TARGET_PER_MINUTE:,}: "
        f"{mark(r['per_minute'] >= TARGET_PER_MINUTE and not r['errors'])})"
    )
    print(
        f"  p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms (target <= {TARGET_P95_MS}: {mark(r['p95_ms'] <= TARGET_P95_MS)})"
    )
    api = r["api"]
    print(
        f"  callbacks p95 {r['callbacks']['p95_ms']} ms; API {api['requests']:,} requests, p95 {api['p95_ms']} ms "
        f"(target < {TARGET_API_P95_MS}: {mark(api['p95_ms'] < TARGET_API_P95_MS)})"
    )
    rss = r["rss_mb"]
    print(
        f"  server RSS after warm-up {rss['after_warmup']} MB, at the end {rss['end']} MB, peak {rss['peak']} MB "
        f"(target <= {TARGET_RSS_MB}: {mark(rss['peak'] <= TARGET_RSS_MB)})"
    )
    if rss.get("timeline"):
        print(
            f"  RSS growth over the second half: {rss['growth_second_half']} MB by its trend line "
            f"({rss.get('growth_second_half_two_points')} MB last sample minus first); timeline (s, MB): {rss['timeline']}"
        )
    if rss.get("parts_at_peak"):
        print(
            f"  memory by part (MB) after warm-up: {rss['parts_after_warmup']}; at the highest sample: "
            f"{rss['parts_at_peak']}; at the end: {rss['parts_at_end']}; grown over the second half: "
            f"{rss.get('growth_second_half_by_part')}"
        )
    if max(r["load_average"].values()) > (os.cpu_count() or 1):
        print(f"  warning: the machine was busy (load average {r['load_average']}); timings are inflated")


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.load``: run and merge the result into bench/out/results.json ("load")."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--cold-share", type=float, default=COLD_SHARE,
        help="share of page loads over a range nobody asked before (default 1/3; 0 = all cached)",
    )  # fmt: skip
    parser.add_argument(
        "--api-share", type=float, default=API_SHARE,
        help="share of requests sent to /api/v1/metrics/<name> instead of a callback (default 0.1)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    for flag, value in (("--cold-share", args.cold_share), ("--api-share", args.api_share)):
        if not 0 <= value <= 1:
            parser.error(f"{flag} is a share between 0 and 1")
    result = run(
        args.rows,
        clients=args.clients,
        seconds=args.seconds,
        customers=args.customers,
        cold_share=args.cold_share,
        api_share=args.api_share,
    )
    bench_pages.write_results(result, "load")


if __name__ == "__main__":
    main()
