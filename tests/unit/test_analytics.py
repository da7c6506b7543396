"""data.analytics against tiny hand-computed fixtures (upgrade, downgrade, churn, reactivation, multi-sub)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from data import analytics as A
from data.analytics import customers as customers_module
from data.metrics import query_metric
from data.metrics import subscriptions as subscriptions_module
from tests.conftest import load, payments_frame

JAN1, JAN31, FEB28 = date(2026, 1, 1), date(2026, 1, 31), date(2026, 2, 28)


def _sub(sid, customer, mrr, start, end=None, plan="Basic"):
    return {
        "source": "stripe",
        "source_id": sid,
        "customer_id": customer,
        "plan": plan,
        "amount": Decimal(mrr),
        "currency": "USD",
        "mrr": Decimal(mrr),
        "start_at": datetime.fromisoformat(start),
        "end_at": datetime.fromisoformat(end) if end else None,
    }


@pytest.fixture
def subs(services, workspace):
    """a: 100 -> upgraded to 300 on Feb 10; b: 200, churns Jan 15, comes back at 150 on Feb 20;
    c: two subscriptions (100 + 50) in January, the 50 ends Feb 15; d: 400 downgraded to 250 on Feb 1."""
    load(
        services,
        workspace,
        "subscriptions",
        pl.DataFrame(
            [
                _sub("s_a1", "a", "100", "2025-11-01", "2026-02-10 09:00"),
                _sub("s_a2", "a", "300", "2026-02-10 09:00", plan="Pro"),
                _sub("s_b1", "b", "200", "2025-12-01", "2026-01-15"),
                _sub("s_b2", "b", "150", "2026-02-20"),
                _sub("s_c1", "c", "100", "2026-01-05"),
                _sub("s_c2", "c", "50", "2026-01-20", "2026-02-15"),
                _sub("s_d1", "d", "400", "2025-10-01", "2026-02-01"),
                _sub("s_d2", "d", "250", "2026-02-01"),
            ]
        ),
    )
    return services.warehouse.scoped(workspace)


def test_ana001_mrr_movements_by_month(subs):
    mv = A.mrr_movements(subs, JAN1, FEB28, "month")
    jan, feb = mv.row(0, named=True), mv.row(1, named=True)
    assert jan["period"] == "2026-01-01"
    # Jan: opening a100 + b200 + d400; c is new with both subscriptions (150); b churns (200)
    assert (jan["opening_mrr"], jan["new"], jan["churn"], jan["closing_mrr"]) == (700, 150, 200, 650)
    assert (jan["expansion"], jan["contraction"], jan["reactivation"]) == (0, 0, 0)
    assert (jan["new_customers"], jan["churned_customers"], jan["customers_start"]) == (1, 1, 3)
    # Feb: a upgrades (+200), b reactivates (150), c loses a subscription (-50), d downgrades (-150)
    assert (feb["opening_mrr"], feb["expansion"], feb["reactivation"], feb["contraction"]) == (
        650,
        200,
        150,
        200,
    )
    assert (feb["new"], feb["churn"], feb["closing_mrr"], feb["net_movement"]) == (0, 0, 800, 150)
    assert feb["reactivated_customers"] == 1


def test_ana002_closing_mrr_equals_the_mrr_metric(subs):
    mv = A.mrr_movements(subs, JAN1, FEB28, "month")
    metric = query_metric(subs, "mrr", JAN1, FEB28, grain="month")
    assert mv["closing_mrr"].to_list() == metric["value"].to_list() == [650, 800]
    week = A.mrr_movements(subs, JAN1, FEB28, "week")
    assert (
        week["closing_mrr"].to_list()
        == query_metric(subs, "mrr", JAN1, FEB28, grain="week")["value"].to_list()
    )
    opening_plus = week["opening_mrr"] + week["net_movement"]
    assert opening_plus.to_list() == week["closing_mrr"].to_list()


def test_ana003_customer_detail_names_each_movement(subs):
    detail = A.mrr_customer_movements(subs, JAN1, FEB28, "month").filter(pl.col("period") == "2026-02-01")
    moves = dict(zip(detail["customer"], detail["movement"], strict=True))
    assert moves == {"a": "expansion", "b": "reactivation", "c": "contraction", "d": "contraction"}


def test_ana004_same_day_upgrade_is_expansion_not_churn_and_new(subs):
    detail = A.mrr_customer_movements(subs, date(2026, 2, 10), date(2026, 2, 10), "day")
    row = detail.filter(pl.col("customer") == "a").row(0, named=True)
    assert (row["mrr_start"], row["mrr_end"], row["movement"]) == (100, 300, "expansion")


def test_ana005_subscription_kpis_over_the_range(subs):
    k = A.subscription_kpis(subs, JAN1, FEB28)
    # start a100 b200 d400 = 700; end a300 b150 c100 d250 = 800; over the whole range b is 200 -> 150
    assert (k["mrr_start"], k["mrr_end"], k["subscribers_end"]) == (700, 800, 4)
    assert (k["new"], k["expansion"], k["contraction"], k["churn"]) == (100, 200, 200, 0)
    assert k["gross_mrr_churn"] == pytest.approx(200 / 700)
    assert k["net_mrr_churn"] == pytest.approx(0.0)
    assert k["nrr"] == pytest.approx(1.0)
    assert k["arpa"] == pytest.approx(200.0)
    assert k["customer_churn_rate"] == 0 and k["ltv"] is None


def test_ana005b_remembered_subscriptions_follow_new_data(services, workspace, subs):
    """One fetch serves every end until an import changes the data version."""
    before = A.subscription_kpis(subs, JAN1, FEB28)
    assert A.subscription_kpis(subs, JAN1, JAN31)["mrr_end"] == 650  # an earlier end, same fetch
    load(services, workspace, "subscriptions", pl.DataFrame([_sub("e1", "e", "70", "2026-02-02")]))
    after = A.subscription_kpis(subs, JAN1, FEB28)
    assert after["mrr_end"] == before["mrr_end"] + 70 and after["new"] == before["new"] + 70


def test_ana006_churn_rate_and_ltv_in_january(subs):
    k = A.subscription_kpis(subs, JAN1, JAN31)
    assert k["customer_churn_rate"] == pytest.approx(1 / 3)
    assert k["arpa"] == pytest.approx(650 / 3)
    monthly = (1 / 3) * A.DAYS_PER_MONTH / 31
    assert k["ltv"] == pytest.approx((650 / 3) / monthly)
    assert k["nrr"] == pytest.approx(1 - 200 / 700)


def test_ana007_plan_filter_and_empty_workspace(services, workspace, subs):
    pro = A.mrr_movements(subs, JAN1, FEB28, "month", plan="Pro")
    assert pro["new"].to_list() == [0, 300]
    empty = A.mrr_movements(
        services.warehouse.scoped(workspace.__class__(id=999, slug="x")), JAN1, FEB28, "month"
    )
    assert empty["closing_mrr"].to_list() == [0, 0]


@pytest.fixture
def shop(services, workspace):
    load(
        services,
        workspace,
        "payments",
        payments_frame(
            [
                {
                    "id": "x1",
                    "created": "2026-01-10 10:00",
                    "amount": "100.00",
                    "customer": "x",
                    "channel": "Paid Search",
                    "product": "Kit",
                    "country": "US",
                },
                {
                    "id": "x2",
                    "created": "2026-02-05 10:00",
                    "amount": "50.00",
                    "customer": "x",
                    "channel": "Paid Search",
                    "product": "Kit",
                    "country": "US",
                },
                {
                    "id": "y1",
                    "created": "2026-01-20 10:00",
                    "amount": "200.00",
                    "customer": "y",
                    "channel": "Paid Search",
                    "product": "Pro",
                    "country": "DE",
                },
                {
                    "id": "z1",
                    "created": "2026-02-03 10:00",
                    "amount": "80.00",
                    "customer": "z",
                    "channel": "Paid Social",
                    "product": "Kit",
                    "country": "US",
                },
            ]
        ),
    )
    load(
        services,
        workspace,
        "ad_daily",
        pl.DataFrame(
            [
                {
                    "source": "google_ads",
                    "source_id": "g1",
                    "date": date(2026, 1, 3),
                    "platform": "google_ads",
                    "campaign": "Brand",
                    "spend": Decimal("100.00"),
                    "currency": "USD",
                    "impressions": 1000,
                    "clicks": 40,
                    "conversions": 2.0,
                    "conversion_value": Decimal("300.00"),
                },
                {
                    "source": "meta_ads",
                    "source_id": "m1",
                    "date": date(2026, 1, 4),
                    "platform": "meta_ads",
                    "campaign": "Reel",
                    "spend": Decimal("60.00"),
                    "currency": "USD",
                    "impressions": 3000,
                    "clicks": 30,
                    "conversions": 1.0,
                    "conversion_value": Decimal("30.00"),
                },
            ]
        ),
    )
    return services.warehouse.scoped(workspace)


def test_ana010_cohort_retention(shop):
    c = A.cohort_retention(shop, JAN1, FEB28, min_cohorts=1)
    rows = {(r["cohort"], r["months_since"]): r for r in c.iter_rows(named=True)}
    assert rows[("2026-01", 0)]["customers"] == 2 and rows[("2026-01", 0)]["revenue"] == 300
    assert rows[("2026-01", 1)]["customers"] == 1 and rows[("2026-01", 1)]["customer_retention"] == 0.5
    assert rows[("2026-01", 1)]["revenue_retention"] == pytest.approx(50 / 300)
    assert rows[("2026-02", 0)]["customers"] == 1 and len(rows) == 3
    de = A.cohort_retention(shop, JAN1, FEB28, min_cohorts=1, where={"country": "DE"})
    assert de["customers"].to_list() == [1]


def test_ana010b_cohort_month_cut_short_by_the_range_end(shop):
    """Whole months come from the monthly rollup; a month the range ends inside is read by day."""
    c = A.cohort_retention(shop, JAN1, date(2026, 2, 4), min_cohorts=1)
    rows = {(r["cohort"], r["months_since"]): (r["customers"], r["revenue"]) for r in c.iter_rows(named=True)}
    # x's second payment (5 February) is after the end; z's first (3 February) is not
    assert rows == {("2026-01", 0): (2, 300.0), ("2026-02", 0): (1, 80.0)}


@pytest.mark.parametrize(
    "start,end",
    [
        (JAN1, FEB28),  # whole months only
        (date(2026, 1, 15), date(2026, 2, 4)),  # partial months at both ends
        (date(2026, 1, 10), date(2026, 1, 20)),  # inside one month
        (date(2025, 12, 20), date(2026, 1, 31)),  # an empty partial month, then a whole one
    ],
)
def test_ana010c_customer_activity_from_months_equals_days(shop, start, end):
    """RFM and top customers read whole months from customer_monthly: same totals as by day."""
    sql, params = customers_module._customer_activity(start, end, None)
    fast = shop.execute_sql(sql + " ORDER BY customer_no", params)
    slow = shop.execute_sql(
        """SELECT customer_no, CAST(sum(payments) AS BIGINT) AS payments, sum(gross) AS gross,
                  CAST(count(*) AS BIGINT) AS days, max(day) AS last_day
           FROM customer_daily WHERE workspace_id = $ws AND day BETWEEN $s AND $e
           GROUP BY customer_no ORDER BY customer_no""",
        {"s": start, "e": end},
    )
    assert fast.rows() == slow.rows()


def test_ana011_customer_counts_returning(shop):
    feb = A.customer_counts(shop, date(2026, 2, 1), FEB28).row(0, named=True)
    assert (feb["active"], feb["new"], feb["returning"]) == (2, 1, 1)


def test_ana012_top_customers_and_share(shop):
    top = A.top_customers(shop, JAN1, FEB28, limit=2)
    assert top["customer"].to_list() == ["y", "x"]
    assert top["revenue"].to_list() == [200, 150]
    assert top["share"][0] == pytest.approx(200 / 430)
    assert top["channel"].to_list() == ["Paid Search", "Paid Search"]


def test_ana013_rfm_scores_and_segments(shop):
    rfm = A.rfm_customers(shop, FEB28)
    by = {r["customer"]: r for r in rfm.iter_rows(named=True)}
    # x: last Feb 5 (23 days), 2 payment days, 150; y: Jan 20 (39 days), 1, 200; z: Feb 3 (25 days), 1, 80
    assert by["x"]["recency_days"] == 23 and by["x"]["frequency"] == 2 and by["x"]["monetary"] == 150
    assert (by["x"]["r"], by["z"]["r"], by["y"]["r"]) == (4, 2, 1)
    assert (by["x"]["f"], by["y"]["f"]) == (4, 1)
    assert (by["y"]["m"], by["x"]["m"], by["z"]["m"]) == (4, 2, 1)
    assert by["x"]["segment"] == "Loyal" and by["y"]["segment"] == "Lost"
    seg = A.rfm_segments(rfm)
    assert seg["customers"].sum() == 3 and seg["revenue"].sum() == 430


def test_ana013c_segment_summary_equals_the_named_customers_grouped(shop):
    """The panels' summary (customer numbers only) is the drill-down's customers grouped."""
    for where in (None, {"channel": "Paid Search"}):
        named = A.rfm_segments(A.rfm_customers(shop, FEB28, where=where))
        assert_frame_equal(A.rfm_segments(A.rfm_scores(shop, FEB28, where=where)), named)
        assert named["customers"].sum() > 0


def _ranked_score(values: pl.Expr, higher_is_better: bool) -> pl.Expr:
    """The RFM score's definition: 1-5 by "min" rank over all values (ties share the lowest)."""
    ranked = (values if higher_is_better else -values).rank("min")
    return (1 + ((ranked - 1) * 5 / pl.len()).floor()).clip(1, 5).cast(pl.Int64)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7, 11, 100, 1001])
def test_ana013d_quintile_scores_by_order_statistics_equal_ranked_scores(n):
    """RFM scores from four order statistics equal the rank-based definition, ties included."""
    rng = np.random.default_rng(n)
    for values in (rng.integers(0, 5, n), rng.gamma(2, 3, n).round(1), np.zeros(n)):
        for higher_is_better in (True, False):
            ranked = pl.DataFrame({"v": values}).select(_ranked_score(pl.col("v"), higher_is_better))
            got = customers_module._quintile_scores(values, higher_is_better=higher_is_better)
            assert got.tolist() == ranked.to_series().to_list()


def test_ana013b_rfm_frequency_counts_days_not_payments(services, workspace):
    # Three payments on two days (two on Feb 5, in different hours): frequency is 2 days.
    rows = [
        {"id": "p1", "created": "2026-01-10 10:00", "amount": "10.00", "customer": "q"},
        {"id": "p2", "created": "2026-02-05 09:00", "amount": "20.00", "customer": "q"},
        {"id": "p3", "created": "2026-02-05 18:30", "amount": "30.00", "customer": "q"},
    ]
    load(services, workspace, "payments", payments_frame(rows))
    rfm = A.rfm_customers(services.warehouse.scoped(workspace), FEB28).row(0, named=True)
    assert (rfm["customer"], rfm["frequency"], rfm["monetary"], rfm["recency_days"]) == ("q", 2, 60, 23)


def test_ana014_cac_by_channel_and_payback(shop):
    cac = A.cac_by_channel(shop, JAN1, FEB28, revenue_per_month=200.0)
    rows = {r["channel"]: r for r in cac.iter_rows(named=True)}
    assert rows["Paid Search"]["cac"] == 50 and rows["Paid Search"]["payback_months"] == 0.25
    assert rows["Paid Social"]["cac"] == 60
    assert rows["Blended"]["cac"] == pytest.approx(53.33) and rows["Blended"]["new_customers"] == 3
    # Without an override, payback divides by the catalogue's monthly revenue per customer.
    per_month = query_metric(shop, "revenue_per_customer_month", JAN1, FEB28)["value"][0]
    plain = {r["channel"]: r for r in A.cac_by_channel(shop, JAN1, FEB28).iter_rows(named=True)}
    assert per_month > 0
    assert plain["Paid Search"]["payback_months"] == round(50 / per_month, 2)


def test_ana015_funnel_and_revenue_by(shop):
    f = A.funnel(shop, JAN1, FEB28)
    assert f["value"].to_list() == [4000, 70, 0, 0, 3]
    assert f["rate"][1] == pytest.approx(70 / 4000)
    by = A.revenue_by(shop, JAN1, FEB28, "product")
    assert by["product"].to_list() == ["Kit", "Pro"] and by["value"].to_list() == [230, 200]


def test_ana016_campaign_table_uses_catalogue_ratios(shop):
    t = A.campaign_table(shop, JAN1, FEB28)
    brand = t.filter(pl.col("campaign") == "Brand").row(0, named=True)
    assert brand["ctr"] == pytest.approx(0.04) and brand["cpc"] == 2.5 and brand["roas"] == 3.0


def _deal(sid, created, closed=None, won=None, amount="1000"):
    return {
        "source": "hubspot",
        "source_id": sid,
        "name": f"Deal {sid}",
        "stage": "x",
        "pipeline": "default",
        "amount": Decimal(amount) if amount else None,
        "currency": "USD",
        "created_at": datetime.fromisoformat(created),
        "closed_at": datetime.fromisoformat(closed) if closed else None,
        "won": won,
    }


def test_ana020_pipeline_stats(services, workspace):
    load(
        services,
        workspace,
        "deals",
        pl.DataFrame(
            [
                _deal("d1", "2026-01-01 09:00", "2026-01-11 09:00", True, "1000"),
                _deal("d2", "2026-01-05", "2026-01-25", False, "500"),
                _deal("d3", "2026-01-10", None, None, "2000"),
                _deal("d4", "2025-12-01", "2026-03-05", True, "3000"),  # still open on Feb 28
            ]
        ),
    )
    scoped = services.warehouse.scoped(workspace)
    s = A.pipeline_stats(scoped, JAN1, FEB28)
    assert s["win_rate"] == 0.5 and s["average_deal_size"] == 1000 and s["sales_cycle_days"] == 10
    assert (s["open_value"], s["open_deals"], s["deals_won"]) == (5000, 2, 1)
    stages = A.deals_by_stage(scoped, JAN1, FEB28)
    assert dict(zip(stages["status"], stages["deals"], strict=True)) == {"open": 2, "won": 1, "lost": 1}


def test_ana021_lead_scoring_says_too_little_history(services, workspace):
    load(
        services,
        workspace,
        "deals",
        pl.DataFrame([_deal(f"d{i}", "2026-01-01", "2026-01-20", i % 2 == 0) for i in range(10)]),
    )
    result = A.lead_scores(services.warehouse.scoped(workspace), FEB28)
    assert result["status"] == "too_little_history" and "30 closed deals" in result["message"]
    assert result["scores"].height == 0


def test_ana022_lead_scoring_trains_validates_and_scores(services, workspace):
    rows = []
    start = datetime(2025, 1, 1)
    for i in range(60):
        created = start + timedelta(days=3 * i)
        won = (i % 3 == 0) if i % 5 else (i % 2 == 0)
        amount = "8000" if won else "2000"
        rows.append(
            _deal(f"c{i}", created.isoformat(), (created + timedelta(days=20)).isoformat(), won, amount)
        )
    rows += [_deal("o1", "2026-02-01", None, None, "9000"), _deal("o2", "2026-02-10", None, None, "1500")]
    load(services, workspace, "deals", pl.DataFrame(rows))
    result = A.lead_scores(services.warehouse.scoped(workspace), FEB28)
    assert result["status"] == "ok" and result["closed_deals"] == 60
    assert 0 <= result["accuracy"] <= 1 and result["calibration"]["deals"].sum() == 15
    scores = dict(zip(result["scores"]["deal"], result["scores"]["win_probability"], strict=True))
    assert set(scores) == {"o1", "o2"} and scores["o1"] > scores["o2"]


def test_ana023_logit_fit_equals_statsmodels():
    """The numpy Newton fit gives statsmodels' maximum-likelihood and ridge coefficients."""
    import statsmodels.api as sm  # a dev requirement: the reference implementation

    rng = np.random.default_rng(7)
    x = np.column_stack([np.ones(3000), rng.normal(size=(3000, 4))])
    y = (rng.random(3000) < 1 / (1 + np.exp(-(x @ [0.3, 1.2, -0.8, 0.0, 0.5])))).astype(float)
    want = sm.Logit(y, x).fit(disp=0).params
    np.testing.assert_allclose(A.fit_logit(x, y), want, atol=1e-7)
    ridge = sm.GLM(y, x, family=sm.families.Binomial()).fit_regularized(alpha=0.05, L1_wt=0.0).params
    np.testing.assert_allclose(A.fit_logit(x, y, ridge=0.05), ridge, atol=1e-4)


def test_ana024_logit_fit_gives_up_on_perfect_separation():
    x = np.column_stack([np.ones(40), np.r_[np.zeros(20), np.ones(20)]])
    y = np.r_[np.zeros(20), np.ones(20)]
    assert A.fit_logit(x, y, max_abs=A.MAX_LOGIT_COEF) is None
    ridge = A.fit_logit(x, y, ridge=A.LOGIT_RIDGE)
    assert ridge is not None and ridge[1] > 0 and np.abs(ridge).max() < A.MAX_LOGIT_COEF


# -- MRR movements: the vectorised snapshots equal the plain definition --------------------------


def _reference_detail(subs_frame: pl.DataFrame, start: date, end: date, grain: str) -> pl.DataFrame:
    """The definition spelled out (the former implementation): every subscription crossed with
    every cutoff, per-customer sums, one classification per period."""
    bounds = A.period_bounds(start, end, grain)
    midnight = lambda d: datetime.combine(d, datetime.min.time())  # noqa: E731
    cutoffs = [midnight(f) for _, f, _ in bounds] + [midnight(la + timedelta(days=1)) for _, _, la in bounds]
    cal = pl.DataFrame({"cutoff": cutoffs}, schema={"cutoff": pl.Datetime("us")}).unique()
    active = subs_frame.join(cal, how="cross").filter(
        (pl.col("start_at") < pl.col("cutoff"))
        & (pl.col("end_at").is_null() | (pl.col("end_at") >= pl.col("cutoff")))
    )
    snaps = (
        active.group_by(["customer", "cutoff"]).agg(pl.col("mrr").sum().round(2)).filter(pl.col("mrr") > 0)
    )
    first_start = subs_frame.group_by("customer").agg(pl.col("start_at").min().alias("first_start"))
    frames = []
    for label, first, last in bounds:
        c0, c1 = midnight(first), midnight(last + timedelta(days=1))
        both = (
            snaps.filter(pl.col("cutoff") == c0)
            .select("customer", pl.col("mrr").alias("mrr_start"))
            .join(
                snaps.filter(pl.col("cutoff") == c1).select("customer", pl.col("mrr").alias("mrr_end")),
                on="customer",
                how="full",
                coalesce=True,
            )
            .with_columns(pl.col("mrr_start").fill_null(0.0), pl.col("mrr_end").fill_null(0.0))
            .join(first_start, on="customer", how="left")
        )
        had = pl.col("first_start") < pl.lit(c0, dtype=pl.Datetime("us"))
        s, e = pl.col("mrr_start"), pl.col("mrr_end")
        movement = (
            pl.when((s == 0) & (e > 0) & had)
            .then(pl.lit("reactivation"))
            .when((s == 0) & (e > 0))
            .then(pl.lit("new"))
            .when((s > 0) & (e == 0))
            .then(pl.lit("churn"))
            .when(e > s)
            .then(pl.lit("expansion"))
            .when(e < s)
            .then(pl.lit("contraction"))
            .otherwise(pl.lit("unchanged"))
        )
        period = None if grain == "total" else label.isoformat()
        frames.append(
            both.with_columns(
                movement.alias("movement"),
                (e - s).round(2).alias("change"),
                pl.lit(period, dtype=pl.Utf8).alias("period"),
            )
        )
    cols = ["period", "customer", "mrr_start", "mrr_end", "change", "movement"]
    return pl.concat([f.select(cols) for f in frames]).sort(
        ["period", "movement", "customer"], nulls_last=True
    )


@pytest.fixture
def many_subs(services, workspace):
    """300 random subscriptions of 40 customers: upgrades, overlaps, gaps, midnight boundaries, $0 plans."""
    import random

    rnd = random.Random(20261122)
    rows = []
    base = datetime(2025, 6, 1)
    for i in range(300):
        # Half the starts/ends fall exactly on midnight (a period's cutoff instant).
        start = base + timedelta(days=rnd.randrange(0, 300), hours=rnd.choice([0, 0, 9, 23]))
        end = (
            None
            if rnd.random() < 0.3
            else start + timedelta(days=rnd.randrange(0, 120), hours=rnd.choice([0, 5]))
        )
        mrr = rnd.choice(["0", "9.99", "10.01", "49.5", "100", "333.33", "0.01"])
        customer, plan = f"c{rnd.randrange(40):02d}", rnd.choice(["Basic", "Pro"])
        rows.append(_sub(f"s{i}", customer, mrr, start.isoformat(), end and end.isoformat(), plan=plan))
    load(services, workspace, "subscriptions", pl.DataFrame(rows))
    return services.warehouse.scoped(workspace)


@pytest.mark.parametrize(
    ("start", "end", "grain"),
    [
        (date(2025, 9, 1), date(2026, 3, 31), "month"),
        (date(2025, 9, 3), date(2026, 1, 20), "week"),
        (date(2025, 12, 1), date(2026, 1, 15), "day"),
        (date(2025, 10, 1), date(2026, 2, 28), "total"),
    ],
)
@pytest.mark.parametrize("plan", [None, "Pro"])
def test_ana008_vectorised_movements_equal_the_definition(many_subs, monkeypatch, start, end, grain, plan):
    sql_plan = " AND plan = $plan" if plan else ""
    frame = many_subs.execute_sql(
        "SELECT coalesce(customer_id, customer_email_hash) AS customer, start_at, end_at, "
        "CAST(coalesce(mrr_reporting, 0) AS DOUBLE) AS mrr FROM subscriptions "
        f"WHERE workspace_id = $ws AND start_at < $next{sql_plan}",
        {"next": end + timedelta(days=1), **({"plan": plan} if plan else {})},
    ).with_columns(pl.col("start_at").cast(pl.Datetime("us")), pl.col("end_at").cast(pl.Datetime("us")))
    expected = _reference_detail(frame, start, end, grain)
    # The fixture exercises the rules (a total has one period of at most 40 customers).
    assert expected.height >= 30 and expected["movement"].n_unique() >= (4 if grain == "total" else 6)
    # Tiny blocks: customers split over many blocks must give the same rows.
    for cells in (4_000_000, 7):
        monkeypatch.setattr(subscriptions_module, "_BLOCK_CELLS", cells)
        got = A.mrr_customer_movements(many_subs, start, end, grain, plan=plan)
        assert got.to_dicts() == expected.to_dicts()
    changed = A.mrr_customer_movements(many_subs, start, end, grain, plan=plan, changed_only=True)
    assert changed.to_dicts() == expected.filter(pl.col("movement") != "unchanged").to_dicts()
    summary = A.mrr_movements(many_subs, start, end, grain, plan=plan)
    for row in summary.iter_rows(named=True):
        rows = expected.filter(pl.col("period").eq_missing(row["period"]))
        for move in A.MOVEMENTS:
            assert row[move] == round(abs(rows.filter(pl.col("movement") == move)["change"].sum()), 2)
        assert row["opening_mrr"] == round(rows["mrr_start"].sum(), 2)
        assert row["closing_mrr"] == round(rows["mrr_end"].sum(), 2)
        assert row["churned_customers"] == rows.filter(pl.col("movement") == "churn").height
        assert row["customers_end"] == rows.filter(pl.col("mrr_end") > 0).height
    if grain != "total":
        metric = query_metric(
            many_subs, "mrr", start, end, grain=grain, where={"plan": plan} if plan else None
        )
        assert summary["closing_mrr"].to_list() == metric["value"].to_list()


def test_ana030_funnel_follows_paid_channels_only(shop, services, workspace):
    """Sessions of every channel under paid clicks made the funnel widen: only paid ones count."""
    web = [
        {"source": "ga4", "source_id": f"w{i}", "date": JAN1 + timedelta(days=i), "channel": channel,
         "sessions": sessions, "users": sessions, "new_users": 0, "key_events": events}
        for i, (channel, sessions, events) in enumerate(
            [("Organic Search", 500, 20.0), ("Paid Search", 40, 4.0), ("Paid Social", 20, 1.0), ("Direct", 90, 9.0)]
        )
    ]  # fmt: skip
    load(services, workspace, "web_daily", pl.DataFrame(web))
    f = A.funnel(shop, JAN1, FEB28)
    assert f["stage"].to_list() == [
        "Ad impressions",
        "Ad clicks",
        "Sessions from paid channels",
        "Key events from paid channels",
        "New customers from paid channels",
    ]
    assert f["value"].to_list() == [4000, 70, 60, 5, 3]
    assert all(r is None or r <= 1 for r in f["rate"].to_list())  # a funnel never widens here


def test_ana031_lead_scoring_says_when_it_is_no_better_than_the_base_rate(services, workspace):
    """Wins unrelated to every feature: the model cannot beat always guessing "lost"."""
    rows = []
    start = datetime(2025, 1, 1)
    for i in range(60):
        created = start + timedelta(days=3 * i)
        won = i % 3 == 0  # a third won, whatever the amount or month
        rows.append(
            _deal(f"n{i}", created.isoformat(), (created + timedelta(days=20)).isoformat(), won, "5000")
        )
    load(services, workspace, "deals", pl.DataFrame(rows))
    result = A.lead_scores(services.warehouse.scoped(workspace), FEB28)
    assert result["status"] == "ok"
    assert result["accuracy"] <= result["baseline_accuracy"]
    assert result["beats_baseline"] is False
    assert "no better than always guessing “lost”" in result["message"]


def test_ana032_lead_scoring_that_learns_says_it_beats_the_base_rate(services, workspace):
    rows = []
    start = datetime(2025, 1, 1)
    for i in range(60):
        created = start + timedelta(days=3 * i)
        won = i % 3 == 0
        amount = "9000" if won else "1000"  # the amount tells
        rows.append(
            _deal(f"y{i}", created.isoformat(), (created + timedelta(days=20)).isoformat(), won, amount)
        )
    load(services, workspace, "deals", pl.DataFrame(rows))
    result = A.lead_scores(services.warehouse.scoped(workspace), FEB28)
    assert result["beats_baseline"] is True and result["accuracy"] > result["baseline_accuracy"]
    assert result["message"].startswith("Trained on 60 closed deals")


def test_ana033_unknown_country_is_said_and_not_ranked(services, workspace):
    load(
        services,
        workspace,
        "payments",
        payments_frame(
            [
                {
                    "id": "u1",
                    "created": "2026-01-05 10:00",
                    "amount": "900.00",
                    "customer": "u",
                    "country": None,
                },
                {
                    "id": "d1",
                    "created": "2026-01-06 10:00",
                    "amount": "100.00",
                    "customer": "d",
                    "country": "DE",
                },
                {
                    "id": "f1",
                    "created": "2026-01-07 10:00",
                    "amount": "300.00",
                    "customer": "f",
                    "country": "FR",
                },
            ]
        ),
    )
    by = A.revenue_by(services.warehouse.scoped(workspace), JAN1, FEB28, "country")
    # the biggest bucket is the unknown one: it still comes last, said as "Unknown"
    assert by["country"].to_list() == ["FR", "DE", "(none)"]
    assert by["label"].to_list() == ["FR", "DE", "Unknown"]
    assert by["share"].round(2).to_list() == [0.23, 0.08, 0.69]


def test_ana034_movement_drill_rows_name_the_customer(services, workspace):
    """A person reads the customer's name and email, not the vendor's cus_ id."""
    load(
        services,
        workspace,
        "customers",
        pl.DataFrame(
            [
                {
                    "source": "stripe",
                    "source_id": "cus_1",
                    "email": "ada@example.com",
                    "name": "Ada Lovelace",
                },
                {"source": "stripe", "source_id": "cus_9", "email": "zed@example.com", "name": "Zed"},
            ]
        ),
    )
    subs = [
        {"source": "stripe", "source_id": "s1", "customer_id": "cus_1", "plan": "Pro", "amount": Decimal("50"),
         "currency": "USD", "mrr": Decimal("50"), "start_at": datetime(2026, 1, 10), "end_at": None},
        {"source": "stripe", "source_id": "s2", "customer_id": "cus_2", "plan": "Pro", "amount": Decimal("70"),
         "currency": "USD", "mrr": Decimal("70"), "start_at": datetime(2026, 1, 12), "end_at": None},
    ]  # fmt: skip
    load(services, workspace, "subscriptions", pl.DataFrame(subs))
    rows = A.mrr_customer_movements(
        services.warehouse.scoped(workspace), JAN1, JAN31, "month", changed_only=True, with_names=True
    )
    assert rows.columns[:4] == ["period", "customer", "name", "email"]
    got = {r["customer"]: (r["name"], r["email"], r["movement"]) for r in rows.iter_rows(named=True)}
    assert got == {
        "cus_1": ("Ada Lovelace", "ada@example.com", "new"),
        "cus_2": (None, None, "new"),  # no customer row: the id is all there is
    }


def test_ana035_open_deals_have_an_expected_close_not_a_closed_date(services, workspace):
    load(
        services,
        workspace,
        "deals",
        pl.DataFrame(
            [
                _deal("won", "2026-01-01 09:00", "2026-01-11 09:00", True, "1000"),
                _deal("open", "2026-01-10", "2026-04-30", None, "2000"),  # the CRM's expected date
                _deal("later", "2025-12-01", "2026-03-05", True, "3000"),  # won after the range: open then
            ]
        ),
    )
    frame = A.deals_frame(services.warehouse.scoped(workspace), JAN1, FEB28)
    got = {r["deal"]: (r["closed_at"], r["expected_close"], r["won"]) for r in frame.iter_rows(named=True)}
    assert got == {
        "won": (datetime(2026, 1, 11, 9), None, True),
        "open": (None, datetime(2026, 4, 30), None),
        "later": (None, datetime(2026, 3, 5), None),
    }


def test_ana036_cohorts_show_only_months_that_happened_and_mark_the_one_to_date(shop):
    whole = A.cohort_retention(shop, JAN1, FEB28, min_cohorts=1)
    assert not any(whole["to_date"])  # February is over on the 28th
    cut = A.cohort_retention(shop, JAN1, date(2026, 2, 4), min_cohorts=1)
    months = {(r["cohort"], r["months_since"]): r["to_date"] for r in cut.iter_rows(named=True)}
    # no row for a month after the end (not a 0%), and February so far is marked as such
    assert months == {("2026-01", 0): False, ("2026-02", 0): True}


def test_ana013e_recency_scored_in_purchase_cycles():
    """5 = within one cycle, 4 = one and a half, 3 = two, 2 = three, 1 = longer (inclusive)."""
    recency = np.array([0, 30, 31, 45, 46, 60, 61, 90, 91, 1000])
    assert A.recency_scores(recency, 30.0).tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert A.recency_scores(recency, 30.0, lookback_days=365).tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_ana013h_a_long_cycle_still_leaves_room_for_lapsed_customers():
    """A 95-day cycle in a one-year lookback: thresholds shrink so the last is 3/4 of the year.

    With doubling steps (95, 190, 380, 760 days) nobody who paid in the year could score below 3,
    so the demo showed no At risk, Hibernating or Lost customer.
    """
    limits = A.recency_limits(95.0, 365)
    assert limits.tolist() == [91.0, 136.0, 182.0, 273.0]  # 95 x (1, 1.5, 2, 3) x 273.75/285
    scores = A.recency_scores(np.array([30, 120, 180, 250, 300, 364]), 95.0, lookback_days=365)
    assert scores.tolist() == [5, 4, 3, 2, 1, 1]
    assert "within 273" in A.recency_rule(95.0, 365)


def test_ana013f_purchase_cycle_is_the_median_gap_of_repeat_customers_seen_from_their_start():
    start = date(2026, 1, 1)
    rows = [  # 11 repeat customers whose history starts in the lookback: gaps of 10 ... 20 days
        {"last_day": start + timedelta(days=gap * 3), "frequency": 4, "first_day": start}
        for gap in range(10, 21)
    ]
    rows += [  # started before the lookback (first_day null) or bought once: left out
        {"last_day": start + timedelta(days=2), "frequency": 9, "first_day": None},
        {"last_day": start, "frequency": 1, "first_day": start},
    ]
    frame = pl.DataFrame(rows, schema={"last_day": pl.Date, "frequency": pl.Int64, "first_day": pl.Date})
    assert A.purchase_cycle_days(frame) == 15.0
    assert A.purchase_cycle_days(frame.head(9)) is None  # too few repeat customers to say
    assert "every 15 days" in A.recency_rule(15.0) and "within 45" in A.recency_rule(15.0)
    assert "fifths" in A.recency_rule(None)


def test_ana013g_rfm_recency_follows_the_cycle_once_enough_customers_repeat(services, workspace):
    """Twelve customers buying every 7 days: the one last seen 20 days ago scores 2 (within 3 cycles)."""
    as_of = date(2026, 3, 31)
    rows = []
    for n in range(12):
        last = as_of - timedelta(days=20 if n == 0 else n % 3)
        for k in range(5):
            day = last - timedelta(days=7 * k)
            rows.append(
                {"id": f"c{n}-{k}", "created": f"{day} 12:00", "amount": "10.00", "customer": f"c{n}"}
            )
    load(services, workspace, "payments", payments_frame(rows))
    scores = A.rfm_scores(services.warehouse.scoped(workspace), as_of, lookback_days=90)
    assert scores["cycle_days"][0] == 7.0
    named = A.rfm_named(services.warehouse.scoped(workspace), scores)
    by = {r["customer"]: r for r in named.iter_rows(named=True)}
    assert by["c0"]["recency_days"] == 20 and by["c0"]["r"] == 2
    assert {by[f"c{n}"]["r"] for n in range(1, 12)} == {5}
