"""Page-speed benchmark: the analytics pages and the overview at millions of payment rows.

    make bench BENCH_ARGS="--page-rows 10000000"       # build (once) and measure at 10M rows
    .venv/bin/python -m bench.pages --rows 1000000     # the same, on its own

1. Builds a large, realistic workspace straight in DuckDB SQL (``generate_series``; no CSV
   round trip): ~3 years of payments with growth, ~200k customers, channels, products,
   countries, failed/refunded charges, PayPal refund lines, five currencies with reporting
   amounts; ~100k subscription rows (upgrades, churn, reactivation), ad_daily, web_daily, deals
   and email campaigns. Then ``data.rollups.refresh`` and a data_version bump, exactly as an
   ingest would. The data dir (warehouse + app DB with an owner) is kept under bench/out/, so
   re-runs skip generation.
2. Measures, cold (empty query cache) and warm (cache hot), every query the overview, revenue,
   campaigns and customers pages run — each KPI row as the row asks it (metrics by family),
   each other ``query_metric`` and each ``data.analytics`` call — for the last 90 days and the
   last year, grains day/week/month, with and without a page filter.
3. Measures the real callbacks end to end over HTTP: a logged-in Flask test client renders each
   page through Dash's router, then POSTs to ``/_dash-update-component`` every callback that a
   browser fires on page load, with the payload a browser sends (ids and values taken from the
   rendered layout and ``/_dash-dependencies``), cold then warm; in four states: 90 days by
   day, 90 days by week with a page filter, a year by month, a year by week with a page filter
   against the previous year.

Prints a table (PASS/MISS against 120 ms cold / 25 ms warm, issue 4) and returns the results
for bench/out/results.json (``pages`` section).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bench import OUT

COLD_MS, WARM_MS = 120.0, 25.0
#: bump when the generated data changes, so a cached warehouse from an older generator is rebuilt
GENERATOR_VERSION = 2
OWNER, PASSWORD = "bench@pulseboard.local", "pulseboard-bench"
TIMEZONE = "America/New_York"

# -- the generated business ----------------------------------------------------------------------

CHANNELS = [  # GA4 default channel groups, repeated to weight them
    *["Organic Search"] * 6, *["Paid Search"] * 5, *["Paid Social"] * 4, *["Email"] * 4,
    *["Direct"] * 5, *["Referral"] * 2, *["Organic Social"] * 2, "Affiliates",
]  # fmt: skip
PRODUCTS = {  # product -> price in USD, weights by repetition below
    "Starter plan": 29, "Pro plan": 79, "Business plan": 199, "Enterprise plan": 499,
    "Template pack": 19, "Icon set": 12, "Course: Analytics 101": 149, "Course: Growth": 249,
    "Workshop seat": 390, "Consulting hour": 180, "Annual report kit": 59, "Gift card": 50,
}  # fmt: skip
PRODUCT_WEIGHTS = [14, 10, 5, 1, 8, 9, 3, 2, 1, 2, 4, 3]
COUNTRIES = {  # country -> (weight, currency)
    "US": (30, "USD"), "GB": (9, "GBP"), "DE": (8, "EUR"), "FR": (6, "EUR"), "CA": (6, "CAD"),
    "AU": (5, "AUD"), "NL": (4, "EUR"), "ES": (3, "EUR"), "IT": (3, "EUR"), "SE": (2, "EUR"),
    "IE": (2, "EUR"), "BE": (2, "EUR"), "AT": (2, "EUR"), "CH": (2, "USD"), "DK": (1, "EUR"),
    "NO": (1, "USD"), "FI": (1, "EUR"), "PL": (2, "EUR"), "PT": (1, "EUR"), "BR": (3, "USD"),
    "MX": (2, "USD"), "IN": (3, "USD"), "JP": (2, "USD"), "SG": (1, "USD"), "NZ": (1, "AUD"),
}  # fmt: skip
USD_PER = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CAD": 0.74, "AUD": 0.66}
PLANS = {"Starter": 29, "Pro": 79, "Business": 199, "Enterprise": 499}
GOOGLE_CAMPAIGNS = 25
META_CAMPAIGNS = 20


def _weighted(values: list[str], weights: list[int]) -> list[str]:
    return [v for v, w in zip(values, weights, strict=True) for _ in range(w)]


def _sql_list(values) -> str:
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"


def _pick(values: list, h: str) -> str:
    """SQL: an element of ``values`` chosen by the hash expression ``h`` (uniform over the list)."""
    return f"list_element({_sql_list(values)}, CAST(1 + ({h}) % {len(values)} AS INTEGER))"


def _u(*parts: str) -> str:
    """SQL: a deterministic uniform number in [0, 1) from hashing ``parts``."""
    return f"((hash({', '.join(parts)}) % 1000003) / 1000003.0)"


@dataclass
class BenchWorkspace:
    """A built bench data dir: settings to open it, the workspace, and the last day of data."""

    data_dir: Path
    workspace_id: int
    anchor: date
    rows: int
    build_seconds: float | None


def build(rows: int, customers: int, *, rebuild: bool = False) -> BenchWorkspace:
    """The data dir for ``rows`` payments (built once; kept under bench/out/ for re-runs)."""
    data_dir = OUT / f"pages_{rows}"
    meta_path = data_dir / "bench-meta.json"
    if meta_path.exists() and not rebuild:
        meta = json.loads(meta_path.read_text())
        if meta.get("generator") == GENERATOR_VERSION and meta.get("customers") == customers:
            return BenchWorkspace(
                data_dir, meta["workspace_id"], date.fromisoformat(meta["anchor"]), rows, None
            )
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    from dashboard.accounts import create_user, ensure_workspace, to_ref
    from dashboard.filters import today_in
    from dashboard.services import Services
    from dashboard.settings import Settings

    started = time.perf_counter()
    services = Services(Settings(data_dir=data_dir))
    services.db.upgrade()
    with services.db.session() as db:
        ws = ensure_workspace(db, "bench", name="Bench Co", currency="USD", timezone=TIMEZONE)
        create_user(db, OWNER, PASSWORD, workspace=ws, role="owner")
        ref = to_ref(ws)
    anchor = today_in(TIMEZONE)
    generate(services.warehouse, ref, anchor, rows=rows, customers=customers)
    services.close()
    seconds = time.perf_counter() - started
    meta = {"generator": GENERATOR_VERSION, "customers": customers, "workspace_id": ref.id,
            "anchor": anchor.isoformat(), "rows": rows, "build_seconds": round(seconds, 1)}  # fmt: skip
    meta_path.write_text(json.dumps(meta, indent=2))
    return BenchWorkspace(data_dir, ref.id, anchor, rows, seconds)


def generate(
    warehouse,
    workspace,
    anchor: date,
    *,
    rows: int,
    customers: int,
    subscriptions: int = 70_000,
    deals: int = 30_000,
) -> dict[str, float]:
    """Fill every canonical table for ``workspace`` in SQL, then roll up as an ingest would.

    ``subscriptions`` first subscriptions (plus 3/7 as many second ones) and ``deals`` deals: the
    defaults suit millions of payments; a small workspace (bench/tenants.py) asks for fewer.
    """
    from data import rollups
    from data.ingest import bump_data_version

    years = 3
    first = date(anchor.year - years, anchor.month, min(anchor.day, 28))
    span_s = (anchor - first).days * 86400 + 86399
    ws, C = workspace.id, customers
    t0 = f"TIMESTAMP '{first.isoformat()} 05:00:00'"  # local midnight in New York is 05:00 UTC
    country_list = _weighted(list(COUNTRIES), [w for w, _ in COUNTRIES.values()])
    currency_of = (
        "map_from_entries([" + ", ".join(f"('{c}', '{cur}')" for c, (_, cur) in COUNTRIES.items()) + "])"
    )
    rate_of = "map_from_entries([" + ", ".join(f"('{c}', {r})" for c, r in USD_PER.items()) + "])"
    product_list = _weighted(list(PRODUCTS), PRODUCT_WEIGHTS)
    price_of = "map_from_entries([" + ", ".join(f"('{p}', {v})" for p, v in PRODUCTS.items()) + "])"
    timings: dict[str, float] = {}
    with warehouse.transaction() as cur:
        t = time.perf_counter()
        # Customer c exists from (c / C) of the way through the history (customers grow linearly).
        cur.execute(f"""
            CREATE TEMP TABLE bench_customers AS
            SELECT c, 'cus_' || c AS id,
                   {_pick(CHANNELS, "hash(c, 'ch')")} AS channel,
                   {_pick(country_list, "hash(c, 'co')")} AS country,
                   {t0} + to_seconds(CAST(c / {C}.0 * {span_s} AS BIGINT)) AS signup
            FROM range({C}) r(c)
        """)  # fmt: skip
        cur.execute(f"""
            INSERT INTO customers
            SELECT {ws}, 'stripe', id, now()::TIMESTAMP, md5(id || '@example.com'), id || '@example.com',
                   'Customer ' || c, country, signup, channel
            FROM bench_customers
        """)  # fmt: skip
        # Payments: time grows (sqrt: the business is growing); each payment picks a customer that
        # already existed then, skewed to older (loyal) customers.
        cur.execute(f"""
            CREATE TEMP TABLE bench_pay AS
            SELECT i, sqrt({_u("i", "'t'")}) AS f, {_u("i", "'c'")} AS uc, {_u("i", "'s'")} AS us,
                   {_u("i", "'a'")} AS ua, {_pick(product_list, "hash(i, 'p')")} AS product
            FROM range({rows}) r(i)
        """)  # fmt: skip
        cur.execute(f"""
            INSERT INTO payments
            SELECT {ws}, CASE WHEN kind = 'charge' THEN 'stripe' ELSE 'paypal' END, 'py_' || i,
                   now()::TIMESTAMP, created, kind, status, amount, refunded, fee, amount - fee,
                   currency, amount * rate, refunded * rate, fee * rate, customer_id, NULL,
                   'Customer ' || cust, product, channel, campaign, country, product
            FROM (
                SELECT i, p.product, bc.channel, bc.country, bc.c AS cust, bc.id AS customer_id,
                       {t0} + to_seconds(CAST(p.f * {span_s} AS BIGINT)) AS created,
                       -- refund lines as PayPal's activity download has them; no payout lines:
                       -- no payments export (Stripe's, PayPal's) carries them as payments, and
                       -- reconciliation would count them in the file's gross, not the warehouse's
                       CASE WHEN p.us < 0.003 THEN 'refund' ELSE 'charge' END AS kind,
                       CASE WHEN p.us >= 0.004 AND p.us < 0.044 THEN 'failed'
                            WHEN p.us >= 0.044 AND p.us < 0.068 THEN 'refunded'
                            ELSE 'succeeded' END AS status,
                       {currency_of}[bc.country] AS currency,
                       {rate_of}[{currency_of}[bc.country]] AS rate,
                       CAST(round({price_of}[p.product] * (0.8 + 0.4 * p.ua)
                            / {rate_of}[{currency_of}[bc.country]], 2) AS DECIMAL(18,2)) AS amount,
                       CASE WHEN p.us >= 0.044 AND p.us < 0.068
                            THEN CAST(CASE WHEN p.ua < 0.7 THEN amount ELSE round(amount / 2, 2) END
                                      AS DECIMAL(18,2))
                            ELSE CAST(0 AS DECIMAL(18,2)) END AS refunded,
                       CAST(round(amount * 0.029 + 0.30, 2) AS DECIMAL(18,2)) AS fee,
                       CASE WHEN bc.channel IN ('Paid Search', 'Paid Social')
                            THEN bc.channel || ' campaign ' || (hash(bc.c, 'cp') % 20) END AS campaign
                FROM bench_pay p
                JOIN bench_customers bc
                  ON bc.c = CAST(floor(least(p.f, 0.999999) * {C} * pow(p.uc, 0.6)) AS BIGINT)
            )
        """)  # fmt: skip
        timings["payments"] = time.perf_counter() - t
        t = time.perf_counter()
        _generate_subscriptions(cur, ws, t0, span_s, C, subscriptions)
        _generate_marketing(cur, ws, first, anchor, deals)
        timings["other_tables"] = time.perf_counter() - t
        cur.execute("DROP TABLE bench_pay")
        cur.execute("DROP TABLE bench_customers")
        t = time.perf_counter()
        from data.schema import TABLES

        rollups.refresh(cur, workspace, set(TABLES))
        bump_data_version(cur, workspace)
        timings["rollups"] = time.perf_counter() - t
    t = time.perf_counter()
    warehouse.cursor().execute("CHECKPOINT")
    timings["checkpoint"] = time.perf_counter() - t
    return timings


def _generate_subscriptions(cur, ws: int, t0: str, span_s: int, C: int, n: int = 70_000) -> None:
    """~100k subscription rows (``n`` = 70k): 70k first subscriptions (45% end), 30k second ones
    (upgrades/downgrades that replace the first, add-ons that overlap it, reactivations)."""
    plans = _sql_list(PLANS)
    price = "map_from_entries([" + ", ".join(f"('{p}', {v})" for p, v in PLANS.items()) + "])"
    cur.execute(f"""
        CREATE TEMP TABLE bench_subs AS
        WITH base AS (
            SELECT s, CAST(s * {C} / {n} AS BIGINT) AS c, {_u("s", "'st'")} AS u1, {_u("s", "'en'")} AS u2,
                   list_element({plans}, CAST(1 + hash(s, 'pl') % 4 AS INTEGER)) AS plan,
                   CASE WHEN {_u("s", "'iv'")} < 0.8 THEN 'month' ELSE 'year' END AS iv
            FROM range({n}) r(s)
        )
        SELECT s, 'cus_' || c AS customer, plan, iv,
               {t0} + to_seconds(CAST((c / {C}.0 + u1 * (1 - c / {C}.0) * 0.3) * {span_s} AS BIGINT)) AS start_at,
               CASE WHEN u2 < 0.45 THEN to_seconds(CAST((30 + u2 / 0.45 * 700) * 86400 AS BIGINT)) END AS length
        FROM base
    """)  # fmt: skip
    cur.execute(f"""
        INSERT INTO subscriptions
        SELECT {ws}, 'stripe', 'sub_' || s, now()::TIMESTAMP, customer, NULL, plan,
               CASE WHEN end_at IS NULL THEN 'active' ELSE 'canceled' END, iv, 1, 1,
               CAST(CASE WHEN iv = 'year' THEN {price}[plan] * 10 ELSE {price}[plan] END AS DECIMAL(18,2)),
               'USD',
               CAST(CASE WHEN iv = 'year' THEN round({price}[plan] * 10 / 12, 2) ELSE {price}[plan] END
                    AS DECIMAL(18,2)) AS mrr,
               CAST(CASE WHEN iv = 'year' THEN round({price}[plan] * 10 / 12, 2) ELSE {price}[plan] END
                    AS DECIMAL(18,2)),
               start_at, end_at, NULL
        FROM (SELECT *, CASE WHEN length IS NOT NULL AND start_at + length < now()::TIMESTAMP
                             THEN start_at + length END AS end_at FROM bench_subs)
    """)  # fmt: skip
    # Second subscriptions of 30k of those customers: starts 60-460 days after the first one.
    cur.execute(f"""
        INSERT INTO subscriptions
        SELECT {ws}, 'stripe', 'sub_b' || s, now()::TIMESTAMP, customer, NULL, plan2,
               CASE WHEN end2 IS NULL THEN 'active' ELSE 'canceled' END, 'month', 1, 1,
               CAST({price}[plan2] AS DECIMAL(18,2)), 'USD', CAST({price}[plan2] AS DECIMAL(18,2)),
               CAST({price}[plan2] AS DECIMAL(18,2)), start2, end2, NULL
        FROM (
            SELECT s, customer, list_element({plans}, CAST(1 + hash(s, 'p2') % 4 AS INTEGER)) AS plan2,
                   start_at + to_seconds(CAST((60 + {_u("s", "'s2'")} * 400) * 86400 AS BIGINT)) AS start2,
                   CASE WHEN {_u("s", "'e2'")} < 0.3 AND start_at + to_seconds(CAST((200 + {_u("s", "'e2'")} * 900) * 86400 AS BIGINT)) < now()::TIMESTAMP
                        THEN start_at + to_seconds(CAST((200 + {_u("s", "'e2'")} * 900) * 86400 AS BIGINT))
                        END AS end2
            FROM bench_subs WHERE s % 7 < 3
        )
        WHERE start2 < now()::TIMESTAMP
    """)  # fmt: skip
    cur.execute("DROP TABLE bench_subs")


def _generate_marketing(cur, ws: int, first: date, anchor: date, deals: int = 30_000) -> None:
    """ad_daily (45 campaigns x day), web_daily (day x 30 source/medium), deals, email campaigns."""
    days = (anchor - first).days + 1
    d0 = f"DATE '{first.isoformat()}'"
    cur.execute(f"""
        INSERT INTO ad_daily
        SELECT {ws}, platform, platform || ':' || k || ':' || d, now()::TIMESTAMP, {d0} + CAST(d AS INTEGER),
               platform, platform || '-' || k, campaign, CAST(spend AS DECIMAL(18,2)), 'USD',
               CAST(spend AS DECIMAL(18,2)), impressions, clicks, conversions,
               CAST(value AS DECIMAL(18,2)), CAST(value AS DECIMAL(18,2))
        FROM (
            SELECT d, k, platform, campaign,
                   round(20 + 300 * {_u("d", "k", "'sp'")} * (0.5 + d / {days}.0), 2) AS spend,
                   CAST(2000 + 40000 * {_u("d", "k", "'im'")} AS BIGINT) AS impressions,
                   CAST(40 + 900 * {_u("d", "k", "'cl'")} AS BIGINT) AS clicks,
                   round(12 * {_u("d", "k", "'cv'")}, 1) AS conversions,
                   round(900 * {_u("d", "k", "'va'")} * (0.5 + d / {days}.0), 2) AS value
            FROM range({days}) r(d),
                 (SELECT k, CASE WHEN k < {GOOGLE_CAMPAIGNS} THEN 'google_ads' ELSE 'meta_ads' END AS platform,
                         CASE WHEN k < {GOOGLE_CAMPAIGNS} THEN 'Paid Search campaign ' || k
                              ELSE 'Paid Social campaign ' || (k - {GOOGLE_CAMPAIGNS}) END AS campaign
                  FROM range({GOOGLE_CAMPAIGNS + META_CAMPAIGNS}) c(k))
            -- each campaign runs for a window of the history
            WHERE d % 365 BETWEEN (hash(k, 'w') % 120) AND 180 + (hash(k, 'w') % 185)
        )
    """)  # fmt: skip
    sources = [
        ("Organic Search", "google", "organic"), ("Organic Search", "bing", "organic"),
        ("Paid Search", "google", "cpc"), ("Paid Social", "facebook", "paid_social"),
        ("Paid Social", "instagram", "paid_social"), ("Email", "newsletter", "email"),
        ("Direct", "(direct)", "(none)"), ("Referral", "partner.example", "referral"),
        ("Organic Social", "linkedin", "social"), ("Affiliates", "affiliate", "affiliate"),
    ]  # fmt: skip
    values = ", ".join(f"({i}, '{c}', '{s}', '{m}')" for i, (c, s, m) in enumerate(sources))
    cur.execute(f"""
        INSERT INTO web_daily
        SELECT {ws}, 'ga4', 'ga4:' || d || ':' || k, now()::TIMESTAMP, {d0} + CAST(d AS INTEGER), ch, src, med,
               sessions, CAST(sessions * 0.8 AS BIGINT), CAST(sessions * 0.35 AS BIGINT),
               round(sessions * 0.03 * {_u("d", "k", "'ke'")}, 0), CAST(0 AS DECIMAL(18,2)), 'USD',
               CAST(0 AS DECIMAL(18,2))
        FROM range({days}) r(d), (VALUES {values}) v(k, ch, src, med),
             LATERAL (SELECT CAST((200 + 3000 * {_u("d", "k", "'se'")}) * (0.5 + d / {days}.0) AS BIGINT)
                      AS sessions)
    """)  # fmt: skip
    cur.execute(f"""
        INSERT INTO deals
        SELECT {ws}, 'hubspot', 'deal_' || i, now()::TIMESTAMP, 'Deal ' || i,
               CASE WHEN closed THEN (CASE WHEN won THEN 'closedwon' ELSE 'closedlost' END)
                    ELSE list_element(['appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled',
                                       'decisionmakerboughtin', 'contractsent'],
                                      CAST(1 + hash(i, 'st') % 5 AS INTEGER)) END,
               'default', 'owner' || (hash(i, 'ow') % 8),
               CAST(amount AS DECIMAL(18,2)), 'USD', CAST(amount AS DECIMAL(18,2)), created,
               CASE WHEN closed THEN created + to_seconds(CAST((5 + 80 * {_u("i", "'cy'")}) * 86400 AS BIGINT)) END,
               CASE WHEN closed THEN won END
        FROM (
            SELECT i, {d0}::TIMESTAMP + to_seconds(CAST(sqrt({_u("i", "'cr'")}) * {days} * 86400 AS BIGINT)) AS created,
                   round(500 + 20000 * pow({_u("i", "'am'")}, 2), 2) AS amount,
                   {_u("i", "'cl'")} < 0.75 AS closed0,
                   {_u("i", "'wo'")} < 0.2 + 0.3 * {_u("i", "'am'")} AS won
            FROM range({deals}) r(i)
        ), LATERAL (SELECT closed0 AND created < now()::TIMESTAMP - INTERVAL 90 DAY AS closed)
    """)  # fmt: skip
    cur.execute(f"""
        INSERT INTO email_campaigns
        SELECT {ws}, 'mailchimp', 'mc_' || i, now()::TIMESTAMP, {d0}::TIMESTAMP + to_seconds(CAST(i * 2.33 * 86400 AS BIGINT)),
               'Newsletter #' || i, 'News ' || i, CASE WHEN i % 3 = 0 THEN 'Customers' ELSE 'Newsletter' END,
               recipients, delivered, CAST(uo * 1.6 AS BIGINT), uo, CAST(uc * 1.4 AS BIGINT), uc,
               CAST(delivered * 0.002 AS BIGINT), recipients - delivered, NULL, 'USD', NULL,
               CAST(delivered * 0.0002 AS BIGINT)  -- complaints (spam reports)
        FROM (
            SELECT i, CAST(20000 + i * 40 AS BIGINT) AS recipients,
                   CAST((20000 + i * 40) * 0.985 AS BIGINT) AS delivered,
                   CAST((20000 + i * 40) * (0.25 + 0.15 * {_u("i", "'op'")}) AS BIGINT) AS uo,
                   CAST((20000 + i * 40) * (0.02 + 0.03 * {_u("i", "'ck'")}) AS BIGINT) AS uc
            FROM range(CAST({days} / 2.33 AS BIGINT)) r(i)
        )
    """)  # fmt: skip


# -- what the pages query -----------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One filter state a page can be in."""

    range: str  # "90d" | "1y"
    start: date
    end: date
    grain: str
    compare: str | None
    filtered: bool

    @property
    def label(self) -> str:
        """Short text for the table."""
        return f"{self.range} {self.grain}{' +filter' if self.filtered else ''}"


def scenarios(anchor: date, *, full: bool = True) -> list[Scenario]:
    """Last 90 days and last year (ending at the last day of data), each grain, +/- a page filter."""
    ranges = {"90d": anchor - timedelta(days=89), "1y": anchor - timedelta(days=364)}
    grains = ("day", "week", "month") if full else ("day",)
    return [
        Scenario(name, start, anchor, grain, "previous_period", filtered)
        for name, start in ranges.items()
        for grain in grains
        for filtered in (False, True)
    ]


#: the page filter each page is measured with (a value the generated data has)
PAGE_FILTERS = {
    "overview": {},
    "revenue": {"channel": "Paid Search"},
    "campaigns": {"platform": "google_ads"},
    "customers": {"channel": "Paid Search"},
}


def page_queries(page: str, scope, sc: Scenario) -> list[tuple[str, tuple, Callable[[], object]]]:
    """(label, dedupe key, call through the app's query cache) for every query ``page`` runs.

    Mirrors callbacks/<page>.py (and callbacks/_analytics.py): the metric calls go through
    ``an.metric`` (-> ``dashboard.queries.metric_frame``) and the analytics calls through
    ``an.cached``, exactly as the callbacks call them.
    """
    from callbacks import _analytics as an
    from components.overview import OVERVIEW_KPIS
    from data import analytics as A
    from data.metrics import comparison_range

    s, e, g, c = sc.start, sc.end, sc.grain, sc.compare
    filters = PAGE_FILTERS[page] if sc.filtered else {}
    out: list[tuple[str, tuple, Callable[[], object]]] = []

    def metric(name, *, grain="total", by=None, compare=None, flt=None):
        flt = filters if flt is None else flt
        label = f"metric {name}" + (f" by {by}" if by else "") + (f" {grain}" if grain != "total" else "")
        label += " +cmp" if compare else ""
        key = ("metric", name, grain, by, compare, json.dumps(an.where_for(name, flt), sort_keys=True))
        out.append((label, key, lambda: an.metric(scope, name, s, e, filters=flt, grain=grain, by=by,
                                                  compare=compare)))  # fmt: skip

    def kpis(names, flt=None):
        """A KPI row's metrics, asked as the row asks them (by family, see an.kpi_calls)."""
        flt = filters if flt is None else flt
        key = ("kpis", tuple(names), json.dumps(flt, sort_keys=True), g)
        out.append((f"KPI cards ({len(names)} metrics)", key, lambda: an.metric_kpis(scope, names, flt)))

    def cached(label, name, params, fn):
        key = (name, json.dumps(params, sort_keys=True, default=str))
        out.append((label, key, lambda: an.cached(scope, name, params, fn)))

    if page == "overview":
        kpis(OVERVIEW_KPIS, flt={})
        metric("net_revenue", grain=g, compare=c, flt={})
        return out
    if page in ("revenue", "customers", "campaigns"):
        cached("row_counts", "row_counts", {}, lambda w: w.row_counts())
    if page == "revenue":
        plan = filters.get("product")
        kpis(("mrr", "net_revenue", "gross_revenue", "refunds", "arr"))
        metric("net_revenue", grain=g, compare=c)
        cached("subscription_kpis", "sub_kpis", {"s": s, "e": e, "p": plan},
               lambda w: A.subscription_kpis(w, s, e, plan=plan))  # fmt: skip
        ps, pe = comparison_range(s, e, c)
        cached("subscription_kpis (comparison)", "sub_kpis", {"s": ps, "e": pe, "p": plan},
               lambda w: A.subscription_kpis(w, ps, pe, plan=plan))  # fmt: skip
        mg = {"day": "week", "week": "week", "month": "month"}[g]
        cached(f"mrr_movements {mg}", "movements", {"s": s, "e": e, "g": mg, "p": plan},
               lambda w: A.mrr_movements(w, s, e, mg, plan=plan))  # fmt: skip
        for dim in ("channel", "product", "country"):
            rest = {k: v for k, v in filters.items() if k != dim} or None
            cached(f"revenue_by {dim}", "revenue_by", {"s": s, "e": e, "d": dim, "w": filters},
                   lambda w, dim=dim, rest=rest: A.revenue_by(w, s, e, dim, where=rest))  # fmt: skip
        cached("cohort_retention", "cohorts", {"s": s, "e": e, "w": filters},
               lambda w: A.cohort_retention(w, s, e, where=filters))  # fmt: skip
        cached("top_customers", "top", {"s": s, "e": e, "w": filters},
               lambda w: A.top_customers(w, s, e, where=filters))  # fmt: skip
    if page in ("revenue", "customers"):
        keys = ("channel", "product", "country")
        out.append(("filter options (payments_daily 5y)", ("revenue_options", e.year),
                    lambda: an.payment_options(scope, keys)))  # fmt: skip
    if page == "campaigns":
        kpis(("spend", "impressions", "clicks", "ctr", "cpc", "cpm", "conversions", "cpa",
              "conversion_value", "roas"))  # fmt: skip
        for by in ("platform", "campaign"):
            kept = {k: v for k, v in filters.items() if k != by}
            metric("spend", by=by, flt=kept)
            metric("roas", by=by, flt=kept)
        cached("campaign_table", "campaign_table", {"s": s, "e": e, "w": filters},
               lambda w: A.campaign_table(w, s, e, where=filters or None))  # fmt: skip
        cached("email_table", "email_table", {"s": s, "e": e}, lambda w: A.email_table(w, s, e))
        metric("sessions", by="channel")
        wbm = {name: an.where_for(name, filters) for name, _ in A.FUNNEL_STAGES}
        cached(
            "funnel", "funnel", {"s": s, "e": e, "w": wbm}, lambda w: A.funnel(w, s, e, where_by_metric=wbm)
        )

        def cac(w):  # as the Campaigns page asks: payback from the catalogue's revenue per customer
            return A.cac_by_channel(w, s, e)

        cached("cac_by_channel", "cac", {"s": s, "e": e}, cac)

        from callbacks.campaigns import options as campaign_options

        out.append(("filter options (ad_daily, email, payments 5y)", ("campaign_options", e.year),
                    lambda: campaign_options(scope)))  # fmt: skip
    if page == "customers":
        cached(f"customer_counts {g}", "customer_counts", {"s": s, "e": e, "g": g, "w": filters},
               lambda w: A.customer_counts(w, s, e, grain=g, where=filters or None))  # fmt: skip
        cached("customer_counts total", "customer_counts", {"s": s, "e": e, "g": "total", "w": filters},
               lambda w: A.customer_counts(w, s, e, where=filters or None))  # fmt: skip
        # deals carry none of the page's filters (an.where_for leaves them out)
        from callbacks import customers as cus

        kpis(cus.KPI_METRICS)

        out.append(("rfm scores (segment panels)", ("rfm_scores",), lambda: cus.rfm_segments(scope, filters)))
        out.append(("rfm segment drill 'At risk' (cold: scores too)", ("rfm_drill",),
                    lambda: cus.rfm_customers(scope, filters, "At risk")))  # fmt: skip
        geo = {k: v for k, v in filters.items() if k != "country"}
        metric("active_customers", by="country", flt=geo)
        cached("deals_by_stage", "deals_by_stage", {"s": s, "e": e}, lambda w: A.deals_by_stage(w, s, e))
        from callbacks.customers import lead_scores

        # Fit once per data version (today's open deals), whatever the range: measured once.
        out.append(("lead_scores (as of today)", ("lead_scores",), lambda: lead_scores(scope)))
    return out


def _timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def _p95(samples: list[float]) -> float:
    """The 95th percentile of a few timings, within their range (the largest for fewer than 2)."""
    if len(samples) < 2:
        return max(samples, default=0.0)
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def _mark(cold: float, warm: float) -> str:
    return "PASS" if cold <= COLD_MS and warm <= WARM_MS else "MISS"


def measure_queries(
    services, ctx, anchor: date, pages: tuple[str, ...], *, warm_repeats: int = 5
) -> list[dict]:
    """Cold (query cache emptied first) and warm (median of repeats) time of each page query."""
    from callbacks.common import Scope
    from dashboard.filters import FilterState
    from dashboard.queries import cache_for

    cache = cache_for(services)
    rows: list[dict] = []
    for page in pages:
        seen: set[tuple] = set()
        for sc in scenarios(anchor):
            scope = Scope(services, ctx, FilterState("custom", sc.start, sc.end, sc.compare, sc.grain))
            for label, key, call in page_queries(page, scope, sc):
                key = (sc.start, sc.end, sc.compare, *key)
                if key in seen:
                    continue
                seen.add(key)
                cache.clear()
                cold = _timed(call)
                warm = statistics.median(_timed(call) for _ in range(warm_repeats))
                rows.append({"kind": "query", "page": page, "scenario": sc.label, "what": label,
                             "cold_ms": round(cold, 2), "warm_ms": round(warm, 3), "status": _mark(cold, warm)})  # fmt: skip
    return rows


# -- callbacks over HTTP ------------------------------------------------------------------------

PAGE_PATHS = {"overview": "/", "revenue": "/revenue", "campaigns": "/campaigns", "customers": "/customers"}


def _walk(node, found: dict) -> None:
    """Collect every component of a layout JSON: id (JSON text for dict ids) -> props."""
    if isinstance(node, list):
        for item in node:
            _walk(item, found)
    elif isinstance(node, dict):
        if "props" in node and "type" in node:
            props = node["props"] or {}
            cid = props.get("id")
            if cid is not None:
                found[_id_key(cid)] = (cid, props)
            for value in props.values():
                _walk(value, found)
        else:
            for value in node.values():
                _walk(value, found)


def _id_key(cid) -> str:
    return json.dumps(cid, sort_keys=True, separators=(",", ":")) if isinstance(cid, dict) else str(cid)


def _matches(pattern: dict, cid) -> bool:
    """Does a concrete dict id match a pattern-matching id (ALL / MATCH / ALLSMALLER values)?"""
    if not isinstance(cid, dict) or set(cid) != set(pattern):
        return False
    return all(isinstance(v, list) or cid[k] == v for k, v in pattern.items())


def _parse_dep_id(text: str):
    return json.loads(text) if text.startswith("{") else text


def _split_outputs(output: str) -> list[tuple[object, str]]:
    """Dash's "..id.prop...id2.prop2.." callback output string -> [(id, prop)]."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    out = []
    for part in parts:
        cid, prop = part.rsplit(".", 1)
        out.append((_parse_dep_id(cid), prop))
    return out


def _resolve(spec_id, prop: str, found: dict, overrides: dict) -> list[dict] | dict | None:
    """The payload entry for one input/state/output: concrete ids and current values."""
    if isinstance(spec_id, dict) and any(isinstance(v, list) for v in spec_id.values()):
        hits = [(cid, props) for cid, props in found.values() if _matches(spec_id, cid)]
        return [{"id": cid, "property": prop, "value": props.get(prop)} for cid, props in hits]
    key = _id_key(spec_id)
    if key not in found:
        return None
    cid, props = found[key]
    value = overrides.get(f"{key}.{prop}", props.get(prop))
    return {"id": cid, "property": prop, "value": value}


def router_request(app, path: str, search: str) -> tuple[str, dict]:
    """(output, payload) of Dash's page router rendering ``path + search``: the request an in-app
    link makes, and the layout a page's first screen comes with (``callbacks.first_screen``)."""
    router = next(k for k in app.callback_map if "_pages_content.children" in k)
    return router, {
        "output": router,
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname"], "state": [],
    }  # fmt: skip


def page_load_requests(
    client,
    app,
    path: str,
    search: str,
    *,
    with_router: bool = False,
    router_ms: list | None = None,
    every_panel: bool = False,
) -> list[tuple[str, dict]]:
    """Render ``path + search`` through Dash's router, then the payload of every callback the
    browser fires when that page loads (server callbacks whose inputs and outputs are on it).

    ``with_router``: the router's own request comes first in the list (an in-app link makes it).
    ``router_ms``: the time of the render made here is appended to it: on a range nobody opened
    it computes the page's first screen, so a caller timing page loads must count it.
    ``every_panel``: also the panels the layout came with (their callbacks still answer when
    asked: bench.peer times a panel's own work, whichever request carries it to the browser).
    """
    output, payload = router_request(app, path, search)
    started = time.perf_counter()
    routed = client.post("/_dash-update-component", json=payload)
    if router_ms is not None:
        router_ms.append((time.perf_counter() - started) * 1000)
    if routed.status_code != 200:
        raise RuntimeError(f"router answered {routed.status_code} for {path}{search}")
    found: dict = {}
    _walk(client.get("/_dash-layout").get_json(), found)
    _walk(routed.get_json()["response"]["_pages_content"]["children"], found)
    found["_pages_location"] = ("_pages_location", {"pathname": path, "search": search})
    requests = [(output, payload)] if with_router else []
    for dep in client.get("/_dash-dependencies").get_json():
        if dep.get("clientside_function") or "_pages_" in dep["output"]:
            continue
        if dep.get("prevent_initial_call") and not _filled_on_load(dep, found, any_fill=every_panel):
            continue
        outputs = []
        for cid, prop in _split_outputs(dep["output"]):
            entry = _resolve(cid, prop, found, {})
            if entry is None or entry == []:
                break
            outputs.append([{"id": x["id"], "property": prop} for x in entry] if isinstance(entry, list)
                           else {"id": entry["id"], "property": prop})  # fmt: skip
        else:
            inputs = [_resolve(_parse_dep_id(i["id"]) if isinstance(i["id"], str) else i["id"], i["property"],
                               found, {}) for i in dep["inputs"]]  # fmt: skip
            state = [_resolve(_parse_dep_id(i["id"]) if isinstance(i["id"], str) else i["id"], i["property"],
                              found, {}) for i in dep.get("state", [])]  # fmt: skip
            if any(x is None for x in inputs + state):
                continue
            payload = {
                "output": dep["output"],
                "outputs": outputs if dep["output"].startswith("..") else outputs[0],
                "inputs": inputs,
                "state": state,
                "changedPropIds": [],
            }
            requests.append((dep["output"], payload))
    return requests


def _filled_on_load(dep: dict, found: dict, *, any_fill: bool = False) -> bool:
    """Whether the page asks this callback once it is shown: one of its inputs is a panel's fill
    interval that ticks (the layout could not render that panel from the cache); with
    ``any_fill``, any panel's fill interval, ticking or not."""
    from components import ids

    for spec in dep["inputs"]:
        cid = _parse_dep_id(spec["id"]) if isinstance(spec["id"], str) else spec["id"]
        if isinstance(cid, dict) and cid.get("type") == ids.FILL and spec["property"] == "n_intervals":
            entry = found.get(_id_key(cid))
            if entry is not None and (any_fill or entry[1].get("max_intervals") != 0):
                return True
    return False


def _short(output: str) -> str:
    if "_pages_content.children" in output:
        return "page layout (router)"
    names = []
    for cid, prop in _split_outputs(output):
        name = cid.get("item") or cid.get("type") if isinstance(cid, dict) else cid
        names.append(f"{name}.{prop}")
    return names[0] + (f" +{len(names) - 1} more" if len(names) > 1 else "")


def logged_in_client(app, login: tuple[str, str] = (OWNER, PASSWORD)):
    """A Flask test client logged in as ``login`` (email, password), Dash's page router registered."""
    import re

    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": login[0], "password": login[1], "csrf_token": token})
    client.get("/")  # the first request registers Dash's page router
    return client


def page_load_calls(client, app, anchor: date, pages: tuple[str, ...]):
    """(page, scenario, callback output, payload) of every page-load callback of each page, in
    the four states measured (see the module docstring)."""
    from urllib.parse import urlencode

    cases = [
        Scenario("90d", anchor - timedelta(days=89), anchor, "day", "previous_period", False),
        Scenario("90d", anchor - timedelta(days=89), anchor, "week", "previous_period", True),
        Scenario("1y", anchor - timedelta(days=364), anchor, "month", "previous_period", False),
        Scenario("1y", anchor - timedelta(days=364), anchor, "week", "previous_year", True),
    ]
    for name in pages:
        for sc in cases:
            query = {"range": "custom", "from": sc.start.isoformat(), "to": sc.end.isoformat(),
                     "compare": sc.compare, "grain": sc.grain}  # fmt: skip
            if sc.filtered:
                query |= PAGE_FILTERS[name]
            search = "?" + urlencode(query)
            for output, payload in page_load_requests(
                client, app, PAGE_PATHS[name], search, with_router=True
            ):
                yield name, sc, output, payload


def post_callback(client, output: str, payload: dict):
    """POST one callback; its response (raises on an HTTP error)."""
    response = client.post("/_dash-update-component", json=payload)
    if response.status_code not in (200, 204):
        raise RuntimeError(f"{output}: HTTP {response.status_code} {response.get_data(as_text=True)[:300]}")
    return response


def measure_callbacks(
    app,
    anchor: date,
    pages: tuple[str, ...],
    *,
    warm_repeats: int = 5,
    login: tuple[str, str] = (OWNER, PASSWORD),
) -> list[dict]:
    """Every page-load callback of each page over HTTP, cold (query cache emptied) and warm.

    ``login`` (email, password) picks the user, and so the workspace, the pages are shown for.
    """
    from dashboard.queries import cache_for
    from dashboard.services import EXTENSION_KEY

    cache = cache_for(app.server.extensions[EXTENSION_KEY])
    client = logged_in_client(app, login)
    rows: list[dict] = []
    for name, sc, output, payload in page_load_calls(client, app, anchor, pages):
        cache.clear()

        def post(payload=payload, output=output):
            post_callback(client, output, payload)

        cold = _timed(post)
        warm_samples = [_timed(post) for _ in range(warm_repeats)]
        warm = statistics.median(warm_samples)
        rows.append({"kind": "callback", "page": name, "scenario": sc.label, "what": _short(output),
                     "cold_ms": round(cold, 2), "warm_ms": round(warm, 3),
                     "warm_p95_ms": round(_p95(warm_samples), 3), "status": _mark(cold, warm)})  # fmt: skip
    return rows


# -- entry point --------------------------------------------------------------------------------


def run(rows: int, *, customers: int = 200_000, pages: tuple[str, ...] = tuple(PAGE_PATHS), rebuild: bool = False,
        http: bool = True) -> dict:  # fmt: skip
    """Build (or reuse) the workspace, measure, print the table; returns the ``pages`` results."""
    from dashboard.accounts import WorkspaceContext
    from dashboard.models import Role
    from dashboard.settings import Settings

    bw = build(rows, customers, rebuild=rebuild)
    if bw.build_seconds is not None:
        print(f"built {rows:,} payment rows in {bw.build_seconds:.1f}s -> {bw.data_dir}")
    settings = Settings(data_dir=bw.data_dir)
    from app import create_app
    from dashboard.services import EXTENSION_KEY

    app = create_app(settings)
    services = app.server.extensions[EXTENSION_KEY]
    # As `pulseboard serve` does before its first request: open (and migrate) the warehouse,
    # and import the libraries a page would otherwise wait for.
    from dashboard.cli import warm_up

    services.warehouse  # noqa: B018
    warm_up(services)
    with app.server.app_context():
        from dashboard.accounts import to_ref
        from dashboard.models import Workspace

        with services.db.session() as db:
            ref = to_ref(db.get(Workspace, bw.workspace_id))
    ctx = WorkspaceContext(user_id=0, role=Role.OWNER, workspace=ref)
    # Timings on a shared machine are only as good as its idleness: record the load around them.
    load_before = os.getloadavg()[0]
    results: list[dict] = []
    with app.server.test_request_context():
        results += measure_queries(services, ctx, bw.anchor, pages)
    if http:
        results += measure_callbacks(app, bw.anchor, pages)
    _print(results)
    summary = {
        kind: {"measured": sum(r["kind"] == kind for r in results),
               "pass": sum(r["kind"] == kind and r["status"] == "PASS" for r in results),
               "worst_cold_ms": max((r["cold_ms"] for r in results if r["kind"] == kind), default=None),
               "worst_warm_ms": max((r["warm_ms"] for r in results if r["kind"] == kind), default=None)}
        for kind in ("query", "callback")
    }  # fmt: skip
    load = {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2), "cores": os.cpu_count()}
    if max(load["before"], load["after"]) > (os.cpu_count() or 1):
        print(f"warning: the machine was busy (load average {load}); timings are inflated")
    print(json.dumps(summary))
    return {"rows": rows, "load_average": load, "customers": customers, "anchor": bw.anchor.isoformat(),
            "targets_ms": {"cold": COLD_MS, "warm": WARM_MS}, "summary": summary, "results": results}  # fmt: skip


def _print(results: list[dict]) -> None:
    print(f"{'kind':<8} {'page':<10} {'scenario':<16} {'what':<44} {'cold ms':>9} {'warm ms':>9}  status")
    for r in results:
        print(f"{r['kind']:<8} {r['page']:<10} {r['scenario']:<16} {r['what'][:44]:<44} "
              f"{r['cold_ms']:>9.1f} {r['warm_ms']:>9.2f}  {r['status']}")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.pages``: measure and merge the results into bench/out/results.json."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--pages", default=",".join(PAGE_PATHS), help="comma-separated subset")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the workspace")
    parser.add_argument("--no-http", action="store_true", help="skip the callbacks over HTTP")
    args = parser.parse_args(argv)
    pages = tuple(p for p in args.pages.split(",") if p in PAGE_PATHS)
    result = run(
        args.rows, customers=args.customers, pages=pages, rebuild=args.rebuild, http=not args.no_http
    )
    write_results(result)
    stop_background_work()


def stop_background_work(timeout: float = 60.0) -> None:
    """Wait (at most ``timeout`` s) for the work the measured page loads started, then exit 0.

    Insights and KPI projections run on after the last callback; exiting under them, or the
    interpreter's own teardown, has aborted the finished process.
    """
    from dashboard import jobs
    from dashboard.forecast.cards import RUNNER
    from dashboard.ops.shutdown import exit_now

    jobs.REGISTRY.close()
    deadline = time.monotonic() + timeout
    jobs.REGISTRY.wait_idle(timeout)  # what still runs then is abandoned
    while RUNNER.pending() and time.monotonic() < deadline:
        time.sleep(0.2)
    # Then leave without interpreter finalization, whose native-library teardown has aborted
    # this finished process ("terminate called without an active exception") after results
    # were written: `make bench` runs the next benchmark only on exit status 0.
    exit_now(0)


def write_results(pages_result: dict, section: str = "pages") -> None:
    """Merge a benchmark's result into bench/out/results.json under ``section``."""
    OUT.mkdir(exist_ok=True)
    path = OUT / "results.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[section] = pages_result
    path.write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
