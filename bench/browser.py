"""Pages as the browser sees them (issue 15): navigation to a settled page in headless Chromium.

    .venv/bin/python -m bench.browser --rows 1000000

Serves the bench workspace of ``bench.pages`` with ``pulseboard serve`` (see bench/load.py),
logs in through the real form in Debian's Chromium at 1440x900 and opens every analytics page
twice: first visit and revisit. The first visit is of the page as a visitor lands on it
after new data (the default range, with what an import's background warm-up computed), and
again at a range nobody opened yet, whose queries are all cold. For each it reports the time from
navigation start to a settled page — every callback answered and rendered: no loading
indicator, and no new callback request and no new long task for ``QUIET_MS`` — and the p95 of
the page's callback requests as the browser timed them (Resource Timing of
``/_dash-update-component``). "Rendered" counts the browser's drawing: a page whose answers
all came with its layout is not settled until Plotly and AG Grid have drawn them, which they do
in long tasks (> 50 ms of main thread) after the last request; the end of the last long task
counts. Chart and grid panels are filled as they near the viewport (assets/lazy_panels.js), so
a page load settles what is on screen; ``below_fold_ms`` is the rest: after the first visit,
scrolling to the end of the page until every panel is filled and drawn.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import time

from bench import pages as bench_pages
from bench.load import start_server

#: issue 15's targets
TARGET_COLD_MS = 1500
TARGET_REVISIT_MS = 500
TARGET_CALLBACK_P95_MS = 120
#: a page is settled once no callback request started for this long
QUIET_MS = 400

#: Injected before any page script: records every Dash callback request (its output, start and
#: end in ms since navigation start), which Resource Timing cannot tell apart.
RECORD_JS = """
window.__pbCalls = [];
const pbFetch = window.fetch;
window.fetch = function (input, init) {
  const url = typeof input === 'string' ? input : input.url;
  if (!url.includes('/_dash-update-component')) return pbFetch.apply(this, arguments);
  let output = '';
  try { output = JSON.parse(init.body).output; } catch (e) {}
  const call = {output: output, start: performance.now(), end: null};
  window.__pbCalls.push(call);
  const done = () => { call.end = performance.now(); };
  return pbFetch.apply(this, arguments).then(r => { done(); return r; }, e => { done(); throw e; });
};
window.__pbLongEnds = [];
try {
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) window.__pbLongEnds.push(e.startTime + e.duration);
  }).observe({type: 'longtask', buffered: true});
} catch (e) {}
"""
#: (loading indicator shown or the page not drawn yet, the page's callbacks so far, ms since
#: navigation start). A page whose layout holds everything makes no callback request: until
#: Dash has drawn its content (``_pages_content``, the page router's container) and every panel
#: on screen (assets/lazy_panels.js) it is busy. Polls of
#: background work (the Insights panel's job, which shows its own progress bar) are left out:
#: they go on until the work ends, and the page is usable meanwhile. So is the loading state
#: Dash gives a poll's outputs (``data-dash-is-loading``) while the poll is in flight: it counts
#: only while another callback is.
PROBE_JS = """
const calls = (window.__pbCalls || []).filter(c => !c.output.includes('poll'));
const waiting = calls.some(c => c.end === null);
const busy = waiting
    || document.querySelector('.placeholder-glow, .ag-overlay-loading-center, .ag-loading') !== null
    || document.querySelector('#_pages_content > *') === null
    || Array.from(document.querySelectorAll('.pb-panel-body[data-pb-fill]:empty')).some(el => {
        const r = el.getBoundingClientRect();  // a panel on screen still waiting for its content
        return r.bottom > 0 && r.top < window.innerHeight;
    });
return [busy, calls, performance.now(), window.__pbLongEnds || []];
"""


def _driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--no-first-run"):  # fmt: skip
        opts.add_argument(flag)
    opts.binary_location = os.environ.get("DASH_TEST_CHROMEPATH") or "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.set_window_size(1440, 900)
    driver.set_page_load_timeout(120)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_JS})
    return driver


def _login(driver, base: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base + "/login")
    driver.find_element(By.NAME, "email").send_keys(bench_pages.OWNER)
    driver.find_element(By.NAME, "password").send_keys(bench_pages.PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    deadline = time.monotonic() + 60
    while "/login" in driver.current_url and time.monotonic() < deadline:
        time.sleep(0.1)


def settle(driver, url: str, timeout: float = 120.0) -> dict:
    """Open ``url``; ms from navigation start to settled, and the callbacks' durations."""
    driver.get(url)
    try:
        settled = _settled(driver, time.monotonic() + timeout)
    except TimeoutError:
        raise TimeoutError(f"{url} did not settle within {timeout:.0f} s") from None
    calls = driver.execute_script(PROBE_JS)[1]
    return {
        "settled_ms": round(settled, 1),
        "callbacks": [c["end"] - c["start"] for c in calls],
        # which callback took how long, from when: where a slow page's time went
        "calls": [
            {"output": c["output"], "start_ms": round(c["start"], 1), "ms": round(c["end"] - c["start"], 1)}
            for c in calls
        ],
    }


#: panels still waiting for the viewport (assets/lazy_panels.js) and the page's height
UNFILLED_JS = """
return [document.querySelectorAll('.pb-panel-body[data-pb-fill]:empty').length,
        document.documentElement.scrollHeight];
"""


def scroll_through(driver, timeout: float = 120.0) -> float:
    """Scroll a settled page to its end, a screen at a time as a reader does; ms until every
    panel below the fold is filled and drawn (the same "settled" as :func:`settle`).

    Charts and grids below the fold are asked for only when they near the viewport, so the
    settled time of a page load covers what is on screen; this is the rest of the page.
    """
    start = driver.execute_script("return performance.now()")
    deadline = time.monotonic() + timeout
    y = 0
    while time.monotonic() < deadline:
        unfilled, height = driver.execute_script(UNFILLED_JS)
        if not unfilled:
            break
        y = min(y + driver.execute_script("return window.innerHeight"), height)
        driver.execute_script("window.scrollTo(0, arguments[0])", y)
        time.sleep(0.05)
    else:
        raise TimeoutError("panels below the fold did not fill")
    return round(max(_settled(driver, deadline) - start, 0.0), 1)  # 0: nothing was below the fold


def _settled(driver, deadline: float) -> float:
    """Wait, as :func:`settle` does, for the page in ``driver`` to be quiet; when it settled (ms)."""
    last_seen, quiet_since, idle_since = None, None, None
    while time.monotonic() < deadline:
        busy, calls, now, long_ends = driver.execute_script(PROBE_JS)
        seen = (len(calls), len(long_ends))
        if busy:
            idle_since = None
        elif idle_since is None:
            idle_since = now  # the loading state cleared (within one poll)
        if busy or seen != last_seen:
            last_seen, quiet_since = seen, None if busy else now
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= QUIET_MS:
            # settled: the last answer, the last drawing or the loading state clearing, whichever
            # came later (within one poll of ~50 ms)
            return max([c["end"] for c in calls] + list(long_ends) + [idle_since])
        time.sleep(0.05)
    raise TimeoutError("the page did not settle")


def warm_like_an_import(data_dir, workspace_id: int) -> float:
    """Leave in the query cache what an import's background warm-up leaves; its seconds.

    An import or sync ends by computing every page's default view and the KPI cards'
    projections in the background (``callbacks.page_warmup``, ``callbacks.kpi_projections``):
    the state a visitor after new data finds. Run here, in this process, with the same code
    and so the same cache keys, before the server opens the warehouse.
    """
    from app import create_app
    from callbacks import kpi_projections, page_warmup
    from dashboard.accounts import WorkspaceContext, to_ref
    from dashboard.forecast import cards as fc
    from dashboard.models import Role, Workspace
    from dashboard.services import EXTENSION_KEY
    from dashboard.settings import Settings

    app = create_app(Settings(data_dir=data_dir))
    services = app.server.extensions[EXTENSION_KEY]
    try:
        with services.db.session() as db:
            ref = to_ref(db.get(Workspace, workspace_id))
        started = time.perf_counter()
        page_warmup.warm_pages(services, ref)
        kpi_projections.warm(services, WorkspaceContext(user_id=0, role=Role.OWNER, workspace=ref))
        deadline = time.monotonic() + 600
        while fc.RUNNER.pending() and time.monotonic() < deadline:
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        services.query_cache.cache.flush(60)
    finally:
        services.close()
    return round(seconds, 2)


def _visit(driver, url: str) -> dict:
    """First visit and revisit of ``url``, with the scroll to the page's end in between."""
    first = settle(driver, url)
    below_fold = scroll_through(driver)
    again = settle(driver, url)
    durations = first["callbacks"]
    p95 = statistics.quantiles(durations, n=20)[18] if len(durations) >= 2 else max(durations, default=0)
    return {
        "settled_ms": first["settled_ms"],
        "revisit_ms": again["settled_ms"],
        "below_fold_ms": below_fold,
        "callbacks": len(durations),
        "callback_p95_ms": round(p95, 1),
        "calls": first["calls"],
    }


def run(rows: int, *, customers: int = 200_000) -> dict:
    """Every analytics page, first visit and revisit; the ``browser`` results.

    Each page is opened as a visitor lands on it (no query string: the default range) after new
    data, that is after the import's warm-up; then at a range nobody opened yet (the last 90
    days), whose queries are all cold: ``uncomputed_range``.
    """
    bw = bench_pages.build(rows, customers)
    # The query cache lives on disk and outlives the server: an earlier run's answers would make
    # every first visit a revisit. Emptied, then filled as an import's warm-up fills it.
    shutil.rmtree(bw.data_dir / "cache" / "queries", ignore_errors=True)
    warm_seconds = warm_like_an_import(bw.data_dir, bw.workspace_id)
    proc, base = start_server(bw.data_dir)
    driver = _driver()
    pages: dict[str, dict] = {}
    try:
        _login(driver, base)
        for path in bench_pages.PAGE_PATHS.values():
            pages[path] = _visit(driver, base + path)
        for path in bench_pages.PAGE_PATHS.values():
            cold = _visit(driver, base + path + "?range=last_90_days&grain=day&compare=previous_period")
            pages[path]["uncomputed_range"] = cold
    finally:
        driver.quit()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    result = {
        "rows": rows,
        "overview_ms": pages["/"]["settled_ms"],
        "pages": pages,
        "import_warm_up_s": warm_seconds,
        "load_average": round(os.getloadavg()[0], 2),
        "targets_ms": {
            "cold": TARGET_COLD_MS,
            "revisit": TARGET_REVISIT_MS,
            "callback_p95": TARGET_CALLBACK_P95_MS,
        },
    }
    _print(result)
    return result


def _print(r: dict) -> None:
    def mark(value: float, target: float) -> str:
        return "PASS" if value <= target else "MISS"

    def line(label: str, p: dict) -> str:
        return (
            f"{label:<22} {p['settled_ms']:>8.0f} {mark(p['settled_ms'], TARGET_COLD_MS)} "
            f"{p['revisit_ms']:>6.0f} {mark(p['revisit_ms'], TARGET_REVISIT_MS)} {p['callbacks']:>10} "
            f"{p['callback_p95_ms']:>6.0f} {mark(p['callback_p95_ms'], TARGET_CALLBACK_P95_MS)}"
            f" {p['below_fold_ms']:>14.0f}"
        )

    print(
        f"{'page':<22} {'settled ms':>11} {'revisit ms':>11} {'callbacks':>10} {'cb p95 ms':>10}"
        f" {'below fold ms':>14}"
    )
    for path, p in r["pages"].items():
        print(line(path, p))
    for path, p in r["pages"].items():
        print(line(f"{path} (90 days, cold)", p["uncomputed_range"]))
    print(
        f"the default view after an import's warm-up ({r['import_warm_up_s']:.1f} s in the background);"
        " (90 days, cold): a range nobody opened yet, every query computed on the visit"
    )
    print("below fold: after the first visit settled, scrolling to the end until every panel is drawn")
    if r["load_average"] > (os.cpu_count() or 1):
        print(f"warning: the machine was busy (load average {r['load_average']}); timings are inflated")


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.browser``: run and merge the result into bench/out/results.json ("browser")."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=200_000)
    args = parser.parse_args(argv)
    result = run(args.rows, customers=args.customers)
    bench_pages.write_results(result, "browser")


if __name__ == "__main__":
    main()
