"""The demo generator: deterministic, vendor layouts, and a believable business in the numbers."""

from __future__ import annotations

import csv
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from data.demo import DEMO_FILES, generate_demo_files

END = date(2026, 4, 23)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_demo_files(out, seed=7, end=END)
    return out


def _rows(path: Path, skip: int = 0, encoding: str = "utf-8") -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as f:
        lines = f.read().splitlines()[skip:]
    return list(csv.reader(lines))


def _frame(path: Path, skip: int = 0, encoding: str = "utf-8") -> pl.DataFrame:
    rows = _rows(path, skip, encoding)
    return pl.DataFrame(rows[1:], schema=rows[0], orient="row")


def _is_subsequence(wanted: list[str], header: list[str]) -> bool:
    it = iter(header)
    return all(any(col == h for h in it) for col in wanted)


def _payments(demo: Path) -> pl.DataFrame:
    return _frame(demo / "stripe_payments.csv").with_columns(
        pl.col("Created date (UTC)").str.to_datetime("%Y-%m-%d %H:%M:%S").alias("t"),
        pl.col("Amount").cast(pl.Float64).alias("amount"),
        pl.col("Converted Amount").cast(pl.Float64).alias("usd"),
        pl.col("Amount Refunded").cast(pl.Float64).alias("refunded"),
        pl.col("Fee").cast(pl.Float64).alias("fee"),
    )


def _succeeded(demo: Path) -> pl.DataFrame:
    return _payments(demo).filter(pl.col("Status").is_in(["Paid", "Refunded"]))


def _monthly_revenue(demo: Path) -> dict[date, float]:
    m = (
        _succeeded(demo)
        .group_by(pl.col("t").dt.truncate("1mo").dt.date().alias("m"))
        .agg(pl.col("usd").sum())
    )
    return dict(zip(m["m"].to_list(), m["usd"].to_list(), strict=True))


def _mrr_at(subs: pl.DataFrame, when: datetime) -> float:
    def ts(col: str) -> pl.Expr:
        return pl.col(col).replace("", None).str.to_datetime("%Y-%m-%d %H:%M")

    active = subs.filter(
        (ts("Start (UTC)") <= when) & (ts("Ended At (UTC)").is_null() | (ts("Ended At (UTC)") > when))
    )
    monthly = (
        pl.when(pl.col("Interval") == "year")
        .then(pl.col("Amount").cast(float) / 12)
        .otherwise(pl.col("Amount").cast(float))
    )
    return float(active.select(monthly.sum()).item() or 0.0)


# --- determinism ---------------------------------------------------------------------------------
def test_demo001_same_seed_same_bytes(tmp_path):
    a = generate_demo_files(tmp_path / "a", seed=11, end=END)
    b = generate_demo_files(tmp_path / "b", seed=11, end=END)
    assert [p.name for p in a] == list(DEMO_FILES) == [p.name for p in b]
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.name


def test_demo002_different_seed_different_files(tmp_path, demo):
    other = generate_demo_files(tmp_path, seed=8, end=END)
    for p in other:
        assert p.read_bytes() != (demo / p.name).read_bytes(), p.name


def test_demo003_history_spans_years_ending_at_end(tmp_path):
    paths = generate_demo_files(tmp_path, seed=3, years=1, end=date(2025, 3, 1))
    t = _payments(tmp_path)["t"]
    assert t.min() >= datetime(2024, 3, 2) and t.max() <= datetime(2025, 3, 1, 23, 59, 59)
    assert t.max() >= datetime(2025, 2, 27)
    assert len(paths) == len(DEMO_FILES)
    with pytest.raises(ValueError):
        generate_demo_files(tmp_path, years=0, end=END)


# --- layouts ---------------------------------------------------------------------------------------
def test_demo004_stripe_payments_layout(demo):
    header = _rows(demo / "stripe_payments.csv")[0]
    newer = [
        "id",
        "Created date (UTC)",
        "Amount",
        "Amount Refunded",
        "Currency",
        "Captured",
        "Converted Amount",
        "Converted Amount Refunded",
        "Converted Currency",
        "Description",
        "Fee",
        "Is Link",
        "Mode",
        "PaymentIntent ID",
        "Payment Source Type",
        "Refunded date (UTC)",
        "Statement Descriptor",
        "Status",
        "Seller Message",
        "Taxes On Fee",
        "Card ID",
        "Customer ID",
        "Customer Description",
        "Customer Email",
        "Customer Phone",
        "Disputed Amount",
        "Dispute Date (UTC)",
        "Invoice ID",
        "Invoice Number",
        "Checkout Session ID",
        "UTM Campaign",
        "UTM Content",
        "UTM Medium",
        "UTM Source",
        "UTM Term",
        "Application Fee",
        "Application ID",
        "Destination",
        "Transfer",
        "Transfer Group",
    ]
    assert _is_subsequence(newer, header)
    assert "Card Address Country" in header and "product (metadata)" in header
    p = _payments(demo)
    assert 8_000 <= p.height <= 20_000
    assert set(p["Status"].unique()) == {"Paid", "Refunded", "Failed", "requires_payment_method"}
    assert p["Created date (UTC)"].str.contains(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$").all()
    for c in ("Amount", "Amount Refunded", "Converted Amount", "Fee"):
        assert p[c].str.contains(r"^\d+\.\d\d$").all(), c
    assert set(p["Currency"].unique()) == {"usd", "eur", "gbp"}
    assert set(p["Converted Currency"].unique()) == {"usd"}
    assert set(p["Captured"].unique()) == {"true", "false"}
    incomplete = p.filter(pl.col("Status") == "requires_payment_method")
    assert 1 <= incomplete.height <= 5 and (incomplete["id"] == "").all()
    ids = p.filter(pl.col("id") != "")["id"]
    assert ids.str.contains(r"^(ch|py)_[0-9A-Za-z]{24}$").all() and ids.n_unique() == ids.len()
    assert (ids.str.starts_with("py_")).any()
    paid = p.filter(pl.col("Status") == "Paid")
    assert paid.filter(pl.col("refunded") > 0).height > 0, "partial refunds show as Paid"
    refunded = p.filter(pl.col("Status") == "Refunded")
    assert (refunded["refunded"] == refunded["amount"]).all() and (
        refunded["Refunded date (UTC)"] != ""
    ).all()
    failed = p.filter(pl.col("Status") == "Failed")
    assert (failed["fee"] == 0).all() and (failed["Captured"] == "false").all()
    card = p.filter(pl.col("Status").is_in(["Paid", "Refunded"]) & (pl.col("Payment Source Type") == "card"))
    expected = (card["usd"] * 0.029 + 0.30).round(2)
    assert ((card["fee"] - expected).abs() < 0.011).all()
    foreign = p.filter(pl.col("Currency") != "usd", pl.col("Status") == "Paid")
    assert foreign.height > 0 and (foreign["usd"] != foreign["amount"]).all()


def test_demo005_stripe_product_plans_and_invoices(demo):
    p = _succeeded(demo)
    products = set(p["product (metadata)"].unique())
    assert products == {
        "UI Kit",
        "Icon Pack",
        "Notion Templates",
        "Project",
        "Retainer Basic",
        "Retainer Pro",
        "Care Plan",
    }
    prices = (
        p.filter(pl.col("Currency") == "usd").group_by("product (metadata)").agg(pl.col("amount").unique())
    )
    price_of = {r[0]: set(r[1]) for r in prices.iter_rows()}
    assert (
        price_of["UI Kit"] == {49.0}
        and price_of["Icon Pack"] == {19.0}
        and price_of["Notion Templates"] == {29.0}
    )
    # plan changes are prorated (a smaller "Subscription update" charge); every other invoice is the price
    for plan, price in (("Retainer Basic", 1500.0), ("Retainer Pro", 3500.0), ("Care Plan", 1200.0)):
        amounts = p.filter(pl.col("product (metadata)") == plan)["amount"]
        assert amounts.max() == price and (amounts == price).mean() > 0.85, plan
    projects = p.filter(pl.col("product (metadata)") == "Project")
    assert projects["amount"].min() >= 1000 and projects["amount"].max() <= 15000
    invoiced = p.filter(~pl.col("product (metadata)").is_in(["UI Kit", "Icon Pack", "Notion Templates"]))
    assert (invoiced["Invoice ID"].str.starts_with("in_")).all()
    retainer = p.filter(pl.col("product (metadata)").is_in(["Retainer Basic", "Retainer Pro", "Care Plan"]))
    assert set(retainer["Description"].unique()) == {"Subscription creation", "Subscription update"}
    utm = set(p.select(pl.concat_str(["UTM Source", "UTM Medium"], separator="/")).to_series().unique())
    assert utm == {"google/cpc", "facebook/paid_social", "newsletter/email", "google/organic", "/"}


def test_demo006_stripe_subscriptions_and_customers_layout(demo):
    subs = _frame(demo / "stripe_subscriptions.csv")
    wanted = [
        "id", "Customer ID", "Customer Name", "Customer Email", "Status", "Cancellation Reason", "Amount",
        "Interval", "Created (UTC)", "Start (UTC)", "Current Period Start (UTC)", "Current Period End (UTC)",
        "Trial Start (UTC)", "Trial End (UTC)", "Canceled At (UTC)", "Ended At (UTC)", "plan (metadata)",
    ]  # fmt: skip
    assert _is_subsequence(wanted, subs.columns)
    assert subs["id"].str.contains(r"^sub_[0-9A-Za-z]{24}$").all()
    assert set(subs["Status"].unique()) <= {"active", "canceled", "past_due"}
    assert set(subs["plan (metadata)"].unique()) == {"Retainer Basic", "Retainer Pro", "Care Plan"}
    assert subs["Start (UTC)"].str.contains(r"^\d{4}-\d\d-\d\d \d\d:\d\d$").all()
    ended = subs.filter(pl.col("Ended At (UTC)") != "")
    assert (ended["Status"] == "canceled").all()
    # an upgrade/downgrade: an old subscription ends and a new one starts that day for the customer
    ends = {(r["Customer ID"], r["Ended At (UTC)"][:10]) for r in ended.iter_rows(named=True)}
    starts = {(r["Customer ID"], r["Start (UTC)"][:10]) for r in subs.iter_rows(named=True)}
    assert len(ends & starts) >= 2
    customers = _frame(demo / "stripe_customers.csv")
    wanted = [
        "id",
        "Description",
        "Email",
        "Name",
        "Created (UTC)",
        "Delinquent",
        "Card ID",
        "Plan",
        "Status",
        "Cancel At Period End",
        "Account Balance",
        "Currency",
        "Total Spend",
        "Payment Count",
        "Average Order",
        "Refunded Volume",
        "Dispute Losses",
        "Business Vat ID",
        "Tax Location Recognized",
    ]
    assert _is_subsequence(wanted, customers.columns)
    assert customers["id"].n_unique() == customers.height
    assert customers["Created (UTC)"].str.contains(r"^\d{4}-\d\d-\d\d \d\d:\d\d$").all()
    payments = _payments(demo)
    assert set(payments["Customer ID"].unique()) <= set(customers["id"])
    assert set(subs["Customer ID"].unique()) <= set(customers["id"])


def test_demo007_google_ads_layout(demo):
    lines = (demo / "google_ads_campaigns.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Campaign report"
    assert re.fullmatch(r'"[A-Z][a-z]+ \d{1,2}, \d{4} - [A-Z][a-z]+ \d{1,2}, \d{4}"', lines[1])
    assert lines[1] == '"April 24, 2024 - April 23, 2026"'
    rows = _rows(demo / "google_ads_campaigns.csv", skip=2)
    header = rows[0]
    for col in ("Campaign status", "Campaign", "Day", "Currency code", "Impr.", "Clicks", "Cost", "Conversions",
                "Conv. value", "Interaction rate", "Avg. cost"):  # fmt: skip
        assert col in header
    data = [dict(zip(header, r, strict=True)) for r in rows[1:]]
    totals = [r for r in data if r["Campaign status"].startswith("Total: ")]
    assert [r["Campaign status"] for r in totals] == ["Total: Campaigns", "Total: Account", "Total: Search"]
    assert data[-len(totals) :] == totals
    body = data[: -len(totals)]
    assert {r["Campaign"] for r in body} == {"Brand Search", "UI Kit Search", "Design Services Search"}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", r["Day"]) for r in body)
    assert all(re.fullmatch(r"\d+\.\d\d%", r["Interaction rate"]) for r in body)
    assert all(re.fullmatch(r"\d+\.\d\d", r["Cost"]) for r in body)
    assert any("," in r["Impr."] for r in body), "thousands separators"
    assert any(r["Cost / conv."] == " --" for r in body), "empty values as ' --'"
    assert re.search(r'^[^\n]*,"\d{1,3}(,\d{3})+",', "\n".join(lines[3:]), re.M)


def test_demo008_meta_layout(demo):
    raw = (demo / "meta_ads.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    df = _frame(demo / "meta_ads.csv", encoding="utf-8-sig")
    for col in ("Reporting starts", "Reporting ends", "Campaign name", "Amount spent (USD)", "Impressions", "Reach",
                "Link clicks", "Purchases", "Purchases conversion value"):  # fmt: skip
        assert col in df.columns
    summary, daily = df.row(0, named=True), df.slice(1)
    assert summary["Campaign name"] == "" and summary["Reporting starts"] == "2024-04-24"
    assert (daily["Reporting starts"] == daily["Reporting ends"]).all()
    assert (daily["Campaign name"] != "").all()
    spend = daily["Amount spent (USD)"].cast(pl.Float64).sum()
    assert abs(spend - float(summary["Amount spent (USD)"])) < 0.05


def test_demo009_mailchimp_ga4_hubspot_layouts(demo):
    mc = _frame(demo / "mailchimp_campaigns.csv")
    for col in ("Title", "Subject", "Audience", "Send Date", "Successful Deliveries", "Unique Opens", "Open Rate",
                "Unique Clicks", "Click Rate", "Unsubscribes", "Unique Id"):  # fmt: skip
        assert col in mc.columns
    assert mc["Send Date"].str.contains(r"^[A-Z][a-z]{2} \d\d, \d{4} \d\d:\d\d (am|pm)$").all()
    assert mc["Open Rate"].str.contains(r"^\d+\.\d\d%$").all()
    assert set(mc["Audience"].unique()) == {"Newsletter"}
    recipients = mc["Total Recipients"].cast(pl.Int64)
    assert 1_800 <= recipients[0] <= 2_300 and 5_500 <= recipients[-1] <= 6_500
    # spam reports: a typical newsletter's ~0.02% of deliveries, so the spam report rate has data
    complaints = mc["Abuse Complaints"].cast(pl.Int64)
    rate = complaints.sum() / mc["Successful Deliveries"].cast(pl.Int64).sum()
    assert 0.0001 < rate < 0.0005 and (complaints > 0).sum() > mc.height / 3

    lines = (demo / "ga4_traffic.csv").read_text(encoding="utf-8").splitlines()
    comments = [line for line in lines if line.startswith("#")]
    assert lines[: len(comments)] == comments and "# Start date: 20240424" in comments
    ga = _frame(demo / "ga4_traffic.csv", skip=len(comments))
    assert ga.columns[:2] == ["Date", "Session default channel group"]
    for col in ("Users", "New users", "Sessions", "Key events", "Total revenue"):
        assert col in ga.columns
    assert ga["Date"].str.contains(r"^\d{8}$").all()
    assert {"Organic Search", "Direct", "Paid Search", "Paid Social", "Email", "Referral"} <= set(
        ga["Session default channel group"]
    )

    text = (demo / "hubspot_deals.csv").read_text(encoding="utf-8")
    assert all(re.fullmatch(r'"[^"]*"(,"[^"]*")*', line) for line in text.splitlines())
    deals = _frame(demo / "hubspot_deals.csv")
    assert deals.columns[0] == "Record ID"
    assert 150 <= deals.height <= 300
    stages = {"Appointment Scheduled", "Qualified To Buy", "Presentation Scheduled", "Decision Maker Bought-In",
              "Contract Sent", "Closed Won", "Closed Lost"}  # fmt: skip
    assert set(deals["Deal Stage"].unique()) <= stages
    assert deals.filter(~pl.col("Deal Stage").str.starts_with("Closed")).height >= 3, "open deals at the end"
    assert set(deals["Pipeline"].unique()) == {"Sales Pipeline"}
    assert deals["Create Date"].str.contains(r"^\d{4}-\d\d-\d\d \d\d:\d\d$").all()


# --- the sources agree ------------------------------------------------------------------------------
def test_demo010_ad_and_email_conversions_are_stripe_charges(demo):
    p = _payments(demo).filter(
        pl.col("Status").is_in(["Paid", "Refunded"]), pl.col("Checkout Session ID") != ""
    )
    google = _frame(demo / "google_ads_campaigns.csv", skip=2).filter(
        ~pl.col("Campaign status").str.starts_with("Total")
    )
    shop_campaigns = ["Brand Search", "UI Kit Search"]
    conv = google.filter(pl.col("Campaign").is_in(shop_campaigns))["Conversions"].cast(pl.Float64).sum()
    cpc = p.filter(pl.col("UTM Source") == "google", pl.col("UTM Medium") == "cpc")
    assert set(cpc["UTM Campaign"].unique()) == set(shop_campaigns)
    assert conv == cpc.height
    meta = _frame(demo / "meta_ads.csv", encoding="utf-8-sig").slice(1)
    purchases = meta["Purchases"].replace("", "0").cast(pl.Float64).sum()
    fb = p.filter(pl.col("UTM Source") == "facebook", pl.col("UTM Medium") == "paid_social")
    assert purchases == fb.height and set(fb["UTM Campaign"]) <= set(meta["Campaign name"])
    mc = _frame(demo / "mailchimp_campaigns.csv")
    email = p.filter(pl.col("UTM Source") == "newsletter", pl.col("UTM Medium") == "email")
    assert mc["Total Orders"].cast(pl.Int64).sum() == email.height
    assert set(email["UTM Campaign"]) <= set(mc["Title"])


def test_demo011_won_deals_are_project_charges(demo):
    deals = _frame(demo / "hubspot_deals.csv").filter(pl.col("Deal Stage") == "Closed Won")
    projects = _succeeded(demo).filter(pl.col("product (metadata)") == "Project")
    paid = dict(projects.group_by("Customer Description").agg(pl.col("amount").sum()).iter_rows())
    checked = 0
    for r in deals.iter_rows(named=True):
        closed = datetime.strptime(r["Close Date"], "%Y-%m-%d %H:%M")
        if datetime(2024, 4, 24) <= closed <= datetime(2025, 12, 1):
            company = r["Deal Name"].split(" - ")[0]
            assert paid.get(company) == pytest.approx(float(r["Amount"])), r["Deal Name"]
            checked += 1
    assert checked >= 20
    assert set(paid) <= {r.split(" - ")[0] for r in deals["Deal Name"]}


# --- a believable business ----------------------------------------------------------------------------
def test_demo012_revenue_grows_year_over_year(demo):
    rev = _monthly_revenue(demo)
    months = sorted(m for m in rev if date(2025, 5, 1) <= m <= date(2026, 3, 1))
    prev = {m: rev[date(m.year - 1, m.month, 1)] for m in months}
    assert sum(rev[m] for m in months) > 1.25 * sum(prev.values())
    assert sum(rev[m] > prev[m] for m in months) >= len(months) - 2


def test_demo013_december_dips_below_november(demo):
    rev = _monthly_revenue(demo)
    for year in (2024, 2025):
        assert rev[date(year, 12, 1)] < rev[date(year, 11, 1)], year


def test_demo014_refund_rate_is_realistic(demo):
    p = _succeeded(demo)
    by_count = (p["refunded"] > 0).mean()
    by_amount = p["refunded"].sum() / p["usd"].sum()
    assert 0.01 <= by_count <= 0.06
    assert 0.002 <= by_amount <= 0.06


def test_demo015_mrr_positive_and_growing(demo):
    subs = _frame(demo / "stripe_subscriptions.csv")
    points = [datetime(2024, 4, 24) + timedelta(days=91 * k) for k in range(9)]
    mrr = [_mrr_at(subs, t) for t in points]
    assert all(v > 0 for v in mrr)
    assert mrr[-1] > 1.4 * mrr[0]
    assert sum(b >= a for a, b in zip(mrr, mrr[1:], strict=False)) >= 5


def test_demo016_meta_has_one_losing_campaign(demo):
    meta = _frame(demo / "meta_ads.csv", encoding="utf-8-sig").slice(1)
    roas = (
        meta.group_by("Campaign name")
        .agg(
            pl.col("Amount spent (USD)").cast(pl.Float64).sum().alias("spend"),
            pl.col("Purchases conversion value").replace("", "0").cast(pl.Float64).sum().alias("value"),
        )
        .with_columns((pl.col("value") / pl.col("spend")).alias("roas"))
    )
    assert roas.height == 3
    assert roas.filter(pl.col("roas") < 1).height == 1
    assert roas.filter(pl.col("roas") < 1)["Campaign name"].item() == "Awareness - Studio Reel"


def test_demo017_shop_volume_and_weekly_shape(demo):
    shop = _succeeded(demo).filter(pl.col("Checkout Session ID") != "")
    last_month = shop.filter(pl.col("t") >= datetime(2026, 3, 24))
    assert 10 <= last_month.height / 31 <= 60, "tens of product sales a day at the end"
    first_month = shop.filter(pl.col("t") < datetime(2024, 5, 24))
    assert last_month.height > 1.4 * first_month.height
    weekday = shop.with_columns(pl.col("t").dt.weekday().alias("wd")).group_by("wd").agg(pl.len())
    counts = dict(weekday.iter_rows())
    assert counts[6] + counts[7] > (counts[1] + counts[4]) * 1.05, "weekend bump for digital products"
    services = _succeeded(demo).filter(pl.col("product (metadata)") == "Project")
    assert services.filter(pl.col("t").dt.weekday() >= 6).height == 0, "invoices are paid on business days"


def test_demo018_spam_report_rate_has_data_after_import(demo, services, workspace):
    from data.importer import import_file
    from data.metrics import query_metric

    result = import_file(services.warehouse, workspace, demo / "mailchimp_campaigns.csv")
    assert result["quarantined"] == 0
    scoped = services.warehouse.scoped(workspace)
    year = (END - timedelta(days=364), END)
    reports = query_metric(scoped, "spam_reports", *year)["value"][0]
    rate = query_metric(scoped, "spam_report_rate", *year)["value"][0]
    assert reports >= 10 and 0.0001 < rate < 0.0005
