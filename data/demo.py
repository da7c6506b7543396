"""Deterministic demo history for "Northwind Studio", written as vendor export files.

``generate_demo_files`` simulates two years (by default) of a small design/dev studio — retainer
subscriptions, one-off projects won through a CRM pipeline, digital products sold in a shop,
Google/Meta ads, a weekly newsletter and website traffic — and writes what the owner would
download from each vendor (layouts in ``shared/VENDOR_FORMATS.md``). The demo workspace is
then loaded through the ordinary file connectors, so the files follow the vendors' layouts
exactly, quirks included.

The sources agree with each other: every ad/newsletter conversion is a Stripe charge carrying
that channel's UTM columns (and the campaign's exact name in ``UTM Campaign``), GA4 sessions come
from the ad clicks and e-mail clicks, GA4 revenue is the captured share of those purchases, won
HubSpot deals are the project charges, and the subscription rows are the retainer invoices.

Same seed + same ``end`` => byte-identical files. Only numpy's ``Generator(PCG64(seed))`` is used
for randomness; files are written with the ``csv`` module.
"""

from __future__ import annotations

import calendar
import csv
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np

from data import demo_profile as P

__all__ = ["DEMO_FILES", "generate_demo_files"]

#: the files written, in the order returned
DEMO_FILES = (
    "stripe_payments.csv",
    "stripe_subscriptions.csv",
    "stripe_customers.csv",
    "google_ads_campaigns.csv",
    "meta_ads.csv",
    "mailchimp_campaigns.csv",
    "ga4_traffic.csv",
    "hubspot_deals.csv",
)

# --- export layouts -------------------------------------------------------------------------------
STRIPE_PAYMENT_COLUMNS = (
    "id", "Created date (UTC)", "Amount", "Amount Refunded", "Currency", "Captured", "Converted Amount",
    "Converted Amount Refunded", "Converted Currency", "Decline Reason", "Description", "Fee", "Is Link",
    "Link Funding", "Mode", "PaymentIntent ID", "Payment Source Type", "Refunded date (UTC)",
    "Statement Descriptor", "Status", "Seller Message", "Taxes On Fee", "Card ID", "Card Name",
    "Card Address Line1", "Card Address Line2", "Card Address City", "Card Address State",
    "Card Address Country", "Card Address Zip", "Card AVS Line1 Status", "Card AVS Zip Status", "Card Brand",
    "Card CVC Status", "Card Exp Month", "Card Exp Year", "Card Fingerprint", "Card Funding",
    "Card Issue Country", "Card Last4", "Card Tokenization Method", "Customer ID", "Customer Description",
    "Customer Email", "Customer Phone", "Shipping Name", "Shipping Address Line1", "Shipping Address Line2",
    "Shipping Address City", "Shipping Address State", "Shipping Address Country",
    "Shipping Address Postal Code", "Disputed Amount", "Dispute Date (UTC)", "Dispute Evidence Due (UTC)",
    "Dispute Reason", "Dispute Status", "Invoice ID", "Invoice Number", "Checkout Custom Fields",
    "Checkout Line Item Summary", "Checkout Session ID", "Client Reference ID", "Payment Link ID",
    "UTM Campaign", "UTM Content", "UTM Medium", "UTM Source", "UTM Term", "Terminal Location ID",
    "Terminal Reader ID", "Application Fee", "Application ID", "Destination", "Transfer", "Transfer Group",
    "product (metadata)",
)  # fmt: skip
STRIPE_SUBSCRIPTION_COLUMNS = (
    "id", "Customer ID", "Customer Description", "Customer Name", "Customer Email", "Status",
    "Cancellation Reason", "Quantity", "Currency", "Amount", "Interval", "Created (UTC)", "Start (UTC)",
    "Current Period Start (UTC)", "Current Period End (UTC)", "Trial Start (UTC)", "Trial End (UTC)",
    "Canceled At (UTC)", "Ended At (UTC)", "Cancel At Period End", "plan (metadata)",
)  # fmt: skip
STRIPE_CUSTOMER_COLUMNS = (
    "id", "Description", "Email", "Name", "Created (UTC)", "Delinquent", "Card ID", "Card Last4",
    "Card Brand", "Card Funding", "Card Exp Month", "Card Exp Year", "Card Address Country",
    "Card Issue Country", "Plan", "Status", "Cancel At Period End", "Account Balance", "Currency",
    "Total Spend", "Payment Count", "Average Order", "Refunded Volume", "Dispute Losses", "Business Vat ID",
    "Tax Location Recognized",
)  # fmt: skip
GOOGLE_ADS_COLUMNS = (
    "Campaign status", "Campaign", "Day", "Budget", "Campaign type", "Currency code", "Impr.", "Interactions",
    "Interaction rate", "Avg. cost", "Cost", "Clicks", "Conv. rate", "Conversions", "Cost / conv.",
    "Conv. value",
)  # fmt: skip
META_COLUMNS = (
    "Reporting starts", "Reporting ends", "Campaign name", "Campaign delivery", "Results", "Result indicator",
    "Cost per results", "Amount spent (USD)", "Impressions", "Reach", "Frequency",
    "CPM (cost per 1,000 impressions) (USD)", "Link clicks", "CTR (link click-through rate)", "Purchases",
    "Purchases conversion value", "Purchase ROAS (return on ad spend)",
)  # fmt: skip
MAILCHIMP_COLUMNS = (
    "Title", "Subject", "Audience", "Send Date", "Send Weekday", "Total Recipients", "Successful Deliveries",
    "Soft Bounces", "Hard Bounces", "Total Bounces", "Times Forwarded", "Forwarded Opens", "Unique Opens",
    "Open Rate", "Total Opens", "Unique Clicks", "Click Rate", "Total Clicks", "Unsubscribes",
    "Abuse Complaints", "Times Liked on Facebook", "Folder Id", "Unique Id", "Total Orders",
    "Total Gross Sales", "Total Revenue",
)  # fmt: skip
GA4_COLUMNS = (
    "Date", "Session default channel group", "Users", "New users", "Sessions", "Engaged sessions",
    "Key events", "Total revenue",
)  # fmt: skip
HUBSPOT_COLUMNS = (
    "Record ID", "Deal Name", "Deal Stage", "Close Date", "Deal owner", "Amount", "Create Date", "Pipeline",
)  # fmt: skip

#: acquisition channel -> (UTM Source, UTM Medium) in Stripe; "referral" and "direct" carry no UTM
UTM = {
    "direct": ("", ""),
    "referral": ("", ""),
    "google/cpc": ("google", "cpc"),
    "facebook/paid_social": ("facebook", "paid_social"),
    "newsletter/email": ("newsletter", "email"),
    "google/organic": ("google", "organic"),
}
#: shop channel codes used in the vectorised part (index -> channel)
_SHOP_CHANNELS = ("direct", "google/cpc", "facebook/paid_social", "newsletter/email", "google/organic")
_GA_CHANNELS = (
    "Organic Search",
    "Direct",
    "Referral",
    "Organic Social",
    "Paid Search",
    "Paid Social",
    "Email",
)
_GA_OF_LEAD = {
    "google/organic": "Organic Search",
    "referral": "Referral",
    "direct": "Direct",
    "newsletter/email": "Email",
    "google/cpc": "Paid Search",
}
_PRODUCT_NAMES = tuple(P.PRODUCTS)
_CURRENCIES = ("usd", "eur", "gbp")
_ALNUM = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_DECLINES = (
    ("insufficient_funds", "The bank returned the decline code `insufficient_funds`."),
    ("generic_decline", "The bank did not return any further details with this decline."),
    ("do_not_honor", "The bank returned the decline code `do_not_honor`."),
    ("expired_card", "The bank returned the decline code `expired_card`."),
)


def generate_demo_files(
    out_dir: Path, *, seed: int = 7, years: int = 2, end: date | None = None
) -> list[Path]:
    """Write the demo vendor exports into ``out_dir`` and return their paths (see DEMO_FILES).

    The history covers ``years`` years ending with the day ``end`` (default: today, UTC dates).
    The same seed and end give byte-identical files.
    """
    if years < 1:
        raise ValueError("years must be at least 1")
    sim = _Simulation(seed=seed, years=years, end=end or date.today())
    sim.run()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return sim.write(out)


# --- small helpers --------------------------------------------------------------------------------
def _ids(rng: np.random.Generator, n: int, length: int, alphabet: np.ndarray = _ALNUM) -> list[str]:
    """``n`` random strings of ``length`` characters drawn from ``alphabet``."""
    if n <= 0:
        return []
    codes = np.ascontiguousarray(alphabet[rng.integers(0, len(alphabet), size=(n, length))])
    return [s.decode() for s in codes.view(f"S{length}").ravel()]


def _money(x: float) -> str:
    return f"{x:.2f}"


def _raw(x: float, places: int = 8) -> str:
    """A number the way Meta/GA4 print it: up to ``places`` decimals, no trailing zeros."""
    s = f"{x:.{places}f}".rstrip("0").rstrip(".")
    return "0" if s in ("", "-0") else s


def _pct(num: float, den: float) -> str:
    return f"{100.0 * num / den:.2f}%" if den else " --"


def _ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S")


def _ts_min(dt: datetime | None) -> str:
    return dt.strftime("%Y-%m-%d %H:%M") if dt else ""


def _add_interval(start: datetime, interval: str, k: int, anchor_day: int) -> datetime:
    """``start`` moved ``k`` billing periods on, keeping the anchor day like Stripe does."""
    months = k * (12 if interval == "year" else 1)
    y, m = divmod(start.month - 1 + months, 12)
    y += start.year
    day = min(anchor_day, calendar.monthrange(y, m + 1)[1])
    return start.replace(year=y, month=m + 1, day=day)


def _black_friday(year: int) -> date:
    nov1 = date(year, 11, 1)
    first_thu = nov1 + timedelta((3 - nov1.weekday()) % 7)
    return first_thu + timedelta(22)


def _calendar(first: date, n: int, origin: date) -> dict[str, np.ndarray]:
    """Day-by-day factors for ``n`` days from ``first``.

    Growth (relative to ``origin``), yearly season (with the holiday dip), weekday, and the
    Black Friday weekend mask.
    """
    days = [first + timedelta(i) for i in range(n)]
    doy = np.array([min(d.timetuple().tm_yday - 1, 364) for d in days], dtype=float)
    month_start = np.array([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334], dtype=float)
    season = np.interp(doy, month_start + 14.5, np.array(P.MONTH_FACTORS), period=365)
    holiday = np.array([(d.month == 12 and d.day >= 22) or (d.month == 1 and d.day == 1) for d in days])
    season = np.where(holiday, season * P.HOLIDAY_FACTOR, season)
    bf_days = {
        _black_friday(y) + timedelta(k) for y in range(first.year, days[-1].year + 1) for k in range(4)
    }
    t_years = np.array([(d - origin).days for d in days], dtype=float) / 365.25
    return {
        "dates": np.array(days, dtype=object),
        "growth": P.GROWTH_PER_YEAR**t_years,
        "season": season,
        "dow": np.array([d.weekday() for d in days]),
        "bf": np.array([d in bf_days for d in days]),
    }


# --- the simulated entities ----------------------------------------------------------------------
@dataclass(eq=False)
class _Customer:
    name: str
    email: str
    country: str
    created: datetime
    b2b: bool
    ach: bool = False
    currency: str = "usd"
    inv_prefix: str = ""
    inv_seq: int = 0
    id: str = ""


@dataclass(slots=True, eq=False)
class _Pay:
    t: datetime
    amount: float
    currency: str
    usd: float  # converted amount
    status: str  # Paid | Refunded | Failed | requires_payment_method
    description: str
    product: str
    cust: _Customer
    utm: tuple[str, str, str]  # source, medium, campaign
    ach: bool = False
    refunded: float = 0.0
    refunded_at: datetime | None = None
    invoice: tuple[str, str] | None = None
    decline: int = 0
    checkout: bool = False


@dataclass(eq=False)
class _Sub:
    cust: _Customer
    plan: str
    created: datetime
    cps: datetime | None = None
    cpe: datetime | None = None
    status: str = "active"
    reason: str = ""
    canceled_at: datetime | None = None
    ended_at: datetime | None = None
    cancel_at_period_end: bool = False


@dataclass(eq=False)
class _Deal:
    project: str
    channel: str
    campaign: str
    created: datetime
    amount: float
    won: bool
    close: datetime
    owner: str
    stage: str = ""
    cust: _Customer | None = None
    company: str = ""


@dataclass
class _Send:
    t: datetime
    title: str
    subject: str
    recipients: int
    delivered: int
    soft: int
    hard: int
    unique_opens: int
    total_opens: int
    unique_clicks: int
    total_clicks: int
    forwards: int
    forward_opens: int
    unsubscribes: int
    abuse: int
    uid: str
    sale_idx: list[int] = field(default_factory=list)


class _Simulation:
    def __init__(self, *, seed: int, years: int, end: date) -> None:
        self.rng = np.random.Generator(np.random.PCG64(seed))
        try:
            back = end.replace(year=end.year - years)
        except ValueError:  # Feb 29
            back = end.replace(year=end.year - years, day=28)
        self.start = back + timedelta(1)
        self.end = end
        self.n = (end - self.start).days + 1
        self.t0 = datetime.combine(self.start, time())
        self.horizon = datetime.combine(end, time(23, 59, 59))
        self.cal = _calendar(self.start, self.n, self.start)
        self.lead_days = 150  # deals (and so projects) start before the history does
        self.ecal = _calendar(self.start - timedelta(self.lead_days), self.n + self.lead_days, self.start)
        self.customers: list[_Customer] = []
        self.payments: list[_Pay] = []
        self.subs: list[_Sub] = []
        self.deals: list[_Deal] = []
        self.sends: list[_Send] = []
        self.ads: dict[str, dict[str, np.ndarray]] = {}
        self.ga: dict[str, dict[str, np.ndarray]] = {
            c: {k: np.zeros(self.n) for k in ("sessions", "key_events", "revenue")} for c in _GA_CHANNELS
        }
        companies = [f"{a} {b}" for a in P.COMPANY_PREFIXES for b in P.COMPANY_SUFFIXES]
        self.company_pool = [companies[i] for i in self.rng.permutation(len(companies))]

    # -- driver ----------------------------------------------------------------------------------
    def run(self) -> None:
        shop = self._marketing()
        self._shop_sales(shop)
        self._pipeline()
        self._retainers()
        self._incomplete_intents()

    def _uniform_dt(self, day: date, lo_hour: float, hi_hour: float) -> datetime:
        sec = int(self.rng.uniform(lo_hour * 3600, hi_hour * 3600))
        return datetime.combine(day, time()) + timedelta(seconds=sec)

    def _day_index(self, dt: datetime) -> int:
        return (dt.date() - self.start).days

    # -- marketing: ads, newsletter, organic traffic -> shop purchases and leads -------------------
    def _marketing(self) -> list[tuple[np.ndarray, int, str, int, np.ndarray | None]]:
        """Simulate ads, organic traffic and the newsletter.

        Returns shop purchase batches as (per-day counts, shop channel code, utm campaign, GA
        channel index, fixed times in seconds or None).
        """
        rng, c, n = self.rng, self.cal, self.n
        idx = np.arange(n)
        bf = c["bf"]
        base = c["growth"] * c["season"]
        wd_ads = np.array(P.WEEKDAY_ADS)[c["dow"]]
        wd_dig = np.array(P.WEEKDAY_DIGITAL)[c["dow"]]
        shop: list = []
        self.paid_leads = np.zeros(n, dtype=np.int64)

        for spec in P.GOOGLE_CAMPAIGNS:
            stop = n if spec["stop"] is None else n + spec["stop"]
            active = (idx >= spec["start"]) & (idx < stop)
            budget = spec["budget"] * c["growth"] * np.sqrt(c["season"]) * wd_ads * np.where(bf, 1.6, 1.0)
            budget = budget * rng.lognormal(0, 0.08, n)
            cpc = spec["cpc"] * rng.lognormal(0, 0.1, n)
            ctr = np.clip(spec["ctr"] * rng.lognormal(0, 0.12, n), 0.001, 0.5)
            impr = np.where(active, rng.poisson(budget / cpc / ctr), 0)
            clicks = rng.binomial(impr, ctr)
            cost = np.round(clicks * cpc, 2)
            cvr = spec["cvr"] * rng.lognormal(0, 0.1, n)
            if spec["kind"] == "sales":
                cvr = cvr * np.where(bf, P.BLACK_FRIDAY_CVR, 1.0)
            conv = rng.binomial(clicks, np.clip(cvr, 0, 0.9))
            value = conv * spec.get("lead_value", 0.0)
            self.ads[spec["name"]] = {
                "impr": impr,
                "clicks": clicks,
                "cost": cost,
                "conv": conv,
                "value": value,
            }
            self.ga["Paid Search"]["sessions"] += rng.binomial(clicks, 0.93)
            if spec["kind"] == "sales":
                shop.append((conv, 1, spec["name"], _GA_CHANNELS.index("Paid Search"), None))
            else:
                self.paid_leads += conv
                self.paid_lead_campaign = spec["name"]

        for spec in P.META_CAMPAIGNS:
            stop = n if spec["stop"] is None else n + spec["stop"]
            active = (idx >= spec["start"]) & (idx < stop)
            budget = spec["budget"] * c["growth"] * np.sqrt(c["season"]) * wd_ads * np.where(bf, 1.5, 1.0)
            budget = budget * rng.lognormal(0, 0.1, n)
            cpm = spec["cpm"] * rng.lognormal(0, 0.12, n)
            impr = np.where(active, rng.poisson(budget / cpm * 1000.0), 0)
            spend = np.round(impr * cpm / 1000.0, 2)
            reach = np.maximum(np.round(impr / rng.uniform(1.05, 1.35, n)), np.minimum(impr, 1)).astype(
                np.int64
            )
            ctr = np.clip(spec["ctr"] * rng.lognormal(0, 0.15, n), 0.0005, 0.2)
            clicks = rng.binomial(impr, ctr)
            cvr = spec["cvr"] * rng.lognormal(0, 0.1, n) * np.where(bf, P.BLACK_FRIDAY_CVR, 1.0)
            conv = rng.binomial(clicks, np.clip(cvr, 0, 0.9))
            self.ads[spec["name"]] = {
                "impr": impr,
                "reach": reach,
                "clicks": clicks,
                "cost": spend,
                "conv": conv,
                "value": np.zeros(n),
            }
            self.ga["Paid Social"]["sessions"] += rng.binomial(clicks, 0.78)
            shop.append((conv, 2, spec["name"], _GA_CHANNELS.index("Paid Social"), None))

        for name, (sessions_per_day, cvr) in P.ORGANIC_TRAFFIC.items():
            wd = wd_dig if name != "Referral" else np.array(P.WEEKDAY_SERVICES)[c["dow"]] * 0.5 + 0.5
            lam = sessions_per_day * base * wd * np.where(bf, P.BLACK_FRIDAY_TRAFFIC, 1.0)
            sessions = rng.poisson(lam * rng.lognormal(0, 0.08, n))
            self.ga[name]["sessions"] += sessions
            buys = rng.binomial(sessions, np.clip(cvr * np.where(bf, P.BLACK_FRIDAY_CVR, 1.0), 0, 1))
            code = 4 if name == "Organic Search" else 0
            shop.append((buys, code, "", _GA_CHANNELS.index(name), None))

        shop.extend(self._newsletter())
        return shop

    def _newsletter(self) -> list:
        rng, n = self.rng, self.n
        s0, s1 = P.NEWSLETTER_SUBSCRIBERS
        send_days = [i for i in range(n) if self.cal["dow"][i] == P.NEWSLETTER_WEEKDAY]
        bf_fridays = [i for i in range(n) if self.cal["bf"][i] and self.cal["dow"][i] == 4]
        subjects = [P.NEWSLETTER_SUBJECTS[i] for i in rng.permutation(len(P.NEWSLETTER_SUBJECTS))]
        email_sessions = np.zeros(n)
        batches = []
        issue = P.NEWSLETTER_FIRST_ISSUE
        for i in sorted(send_days + bf_fridays):
            promo = i in bf_fridays
            day = self.cal["dates"][i]
            t = datetime.combine(day, time(P.NEWSLETTER_HOUR_UTC, int(rng.choice([0, 15, 30]))))
            recipients = int(s0 * (s1 / s0) ** (i / max(n - 1, 1)) * rng.normal(1.0, 0.01))
            hard = int(rng.binomial(recipients, 0.002))
            soft = int(rng.binomial(recipients, 0.004))
            delivered = recipients - hard - soft
            uo = int(rng.binomial(delivered, np.clip(rng.normal(0.41, 0.03), 0.2, 0.6)))
            click_rate = 0.05 if promo else float(np.clip(rng.normal(0.028, 0.006), 0.01, 0.06))
            uc = int(rng.binomial(delivered, click_rate))
            if promo:
                title, subject = "Black Friday Weekend", "Black Friday: the whole shop, this weekend only"
            else:
                title = f"{P.NEWSLETTER_TITLE} #{issue}"
                subject = subjects[(issue - P.NEWSLETTER_FIRST_ISSUE) % len(subjects)]
                issue += 1
            fwd = int(rng.binomial(uo, 0.004))
            send = _Send(
                t=t,
                title=title,
                subject=subject,
                recipients=recipients,
                delivered=delivered,
                soft=soft,
                hard=hard,
                unique_opens=uo,
                total_opens=int(uo * rng.uniform(1.4, 1.9)),
                unique_clicks=uc,
                total_clicks=int(uc * rng.uniform(1.2, 1.5)),
                forwards=fwd,
                forward_opens=int(rng.binomial(fwd * 3, 0.5)),
                unsubscribes=int(rng.binomial(delivered, 0.0018)),
                # about 0.02% of deliveries reported as spam (a typical newsletter; a hard-selling
                # promo draws twice that), rounded up or down at random: every month of a
                # grown list has some, as a real one does (a Poisson draw leaves runs of zeros)
                abuse=int(delivered * P.NEWSLETTER_SPAM_RATE * (2.0 if promo else 1.0) + rng.random()),
                uid=_ids(rng, 1, 10, _HEX)[0],
            )
            self.sends.append(send)
            # e-mail sessions land over the next three days
            delay = np.minimum(rng.exponential(6 * 3600, int(uc * 1.05)), 72 * 3600 - 1)
            secs = (t - self.t0).total_seconds() + delay
            day_idx = (secs // 86400).astype(np.int64)
            np.add.at(email_sessions, day_idx[day_idx < n], 1)
            buys = int(rng.binomial(uc, P.NEWSLETTER_BUY_RATE * (2.0 if promo else 1.0)))
            buy_secs = (t - self.t0).total_seconds() + np.minimum(
                rng.exponential(8 * 3600, buys), 72 * 3600 - 1
            )
            counts = np.zeros(n, dtype=np.int64)
            batches.append((counts, 3, title, _GA_CHANNELS.index("Email"), buy_secs.astype(np.int64)))
        self.ga["Email"]["sessions"] += email_sessions
        return batches

    # -- the shop: digital product charges ----------------------------------------------------------
    def _shop_sales(self, batches: list) -> None:
        rng, n = self.rng, self.n
        secs_l, chan_l, camp_l, ga_l = [], [], [], []
        campaigns = [""]
        for counts, code, campaign, ga_idx, fixed in batches:
            if fixed is None:
                day = np.repeat(np.arange(n), counts)
                tod = (np.mod(rng.normal(19.0, 4.5, len(day)), 24.0) * 3600).astype(np.int64)
                secs = day * 86400 + tod
            else:
                secs = fixed
            if campaign not in campaigns:
                campaigns.append(campaign)
            secs_l.append(secs)
            chan_l.append(np.full(len(secs), code))
            camp_l.append(np.full(len(secs), campaigns.index(campaign)))
            ga_l.append(np.full(len(secs), ga_idx))
        secs = np.concatenate(secs_l)
        chan, camp, ga = np.concatenate(chan_l), np.concatenate(camp_l), np.concatenate(ga_l)
        keep = secs <= (self.horizon - self.t0).total_seconds()
        order = np.argsort(secs[keep], kind="stable")
        secs, chan, camp, ga = secs[keep][order], chan[keep][order], camp[keep][order], ga[keep][order]
        k = len(secs)

        # buyers: most are new, some come back
        is_new = rng.random(k) >= P.REPEAT_BUYER_SHARE
        is_new[0] = True
        new_before = np.cumsum(is_new) - is_new
        cust_idx = np.where(
            is_new, new_before, np.floor(rng.random(k) * np.maximum(new_before, 1)).astype(np.int64)
        )
        n_new = int(is_new.sum())
        n_abandon = int(rng.binomial(k, P.DIGITAL_FAILED_ABANDON_RATE))
        buyers = self._shoppers(n_new + n_abandon)
        first_sale = np.zeros(n_new, dtype=np.int64)
        first_sale[cust_idx[is_new]] = secs[is_new]
        for j in range(n_new):
            buyers[j].created = self.t0 + timedelta(seconds=int(first_sale[j]) - int(rng.integers(5, 300)))

        product = rng.choice(len(_PRODUCT_NAMES), size=k, p=[v[0] for v in P.PRODUCTS.values()])
        cur = np.array([_CURRENCIES.index(buyers[j].currency) for j in cust_idx])
        price = np.array([[P.PRODUCTS[p][1][c] for c in _CURRENCIES] for p in _PRODUCT_NAMES])[product, cur]
        drift = 1.0 + 0.03 * np.sin(2 * np.pi * secs / (365.25 * 86400) + 1.0)
        fx = np.array([P.FX_TO_USD[c] for c in _CURRENCIES])[cur]
        usd = np.round(price * np.where(cur == 0, 1.0, fx * drift), 2)
        refund = rng.random(k) < P.DIGITAL_REFUND_RATE
        partial = ~refund & (rng.random(k) < P.DIGITAL_PARTIAL_REFUND_RATE)
        refund_after = rng.uniform(0.2, 14.0, k) * 86400
        failed_first = rng.random(k) < P.DIGITAL_FAILED_RETRY_RATE
        fail_before = rng.integers(60, 900, k)
        decline = rng.integers(0, len(_DECLINES), k)
        horizon_s = (self.horizon - self.t0).total_seconds()

        for i in range(k):
            cust = buyers[int(cust_idx[i])]
            src, med = UTM[_SHOP_CHANNELS[chan[i]]]
            utm = (src, med, campaigns[camp[i]])
            t = self.t0 + timedelta(seconds=int(secs[i]))
            name = _PRODUCT_NAMES[product[i]]
            pay = _Pay(
                t, float(price[i]), cust.currency, float(usd[i]), "Paid", name, name, cust, utm, checkout=True
            )
            if (refund[i] or partial[i]) and secs[i] + refund_after[i] <= horizon_s:
                pay.refunded_at = t + timedelta(seconds=float(refund_after[i]))
                pay.refunded = pay.amount if refund[i] else round(pay.amount / 2, 2)
                pay.status = "Refunded" if refund[i] else "Paid"
            self.payments.append(pay)
            if failed_first[i] and secs[i] - fail_before[i] >= 0:
                tf = t - timedelta(seconds=int(fail_before[i]))
                self.payments.append(
                    _Pay(
                        tf,
                        pay.amount,
                        pay.currency,
                        0.0,
                        "Failed",
                        name,
                        name,
                        cust,
                        utm,
                        decline=int(decline[i]),
                    )
                )
            # ad platforms and GA4 see the purchase
            c_name = campaigns[camp[i]]
            if c_name in self.ads:
                self.ads[c_name]["value"][int(secs[i] // 86400)] += usd[i]
        capture = rng.random(k) < P.GA4_PURCHASE_CAPTURE
        day = (secs // 86400).astype(np.int64)
        for g, name in enumerate(_GA_CHANNELS):
            m = capture & (ga == g)
            np.add.at(self.ga[name]["key_events"], day[m], 1)
            np.add.at(self.ga[name]["revenue"], day[m], usd[m])
        # mailchimp e-commerce: orders per send
        title_of = {s.title: s for s in self.sends}
        for i in np.nonzero(chan == 3)[0]:
            title_of[campaigns[camp[i]]].sale_idx.append(int(i))
        self.newsletter_usd = usd
        # declined attempts by buyers who gave up (they stay customers without a payment)
        picks = rng.integers(0, k, n_abandon)
        for j, i in enumerate(picks):
            cust = buyers[n_new + j]
            t = self.t0 + timedelta(seconds=int(secs[i]))
            cust.created = t - timedelta(seconds=int(rng.integers(5, 120)))
            name = _PRODUCT_NAMES[product[i]]
            src, med = UTM[_SHOP_CHANNELS[chan[i]]]
            self.payments.append(
                _Pay(t, float(P.PRODUCTS[name][1][cust.currency]), cust.currency, 0.0, "Failed", name, name, cust,
                     (src, med, campaigns[camp[i]]), decline=int(rng.integers(0, len(_DECLINES))))
            )  # fmt: skip

    def _shoppers(self, m: int) -> list[_Customer]:
        rng = self.rng
        shares = np.array([c[1] for c in P.COUNTRIES])
        country = rng.choice(len(P.COUNTRIES), size=m, p=shares / shares.sum())
        local = rng.random(m) < P.LOCAL_CURRENCY_SHARE
        first = rng.integers(0, len(P.FIRST_NAMES), m)
        last = rng.integers(0, len(P.LAST_NAMES), m)
        dom = rng.choice(len(P.EMAIL_DOMAINS), size=m, p=P.EMAIL_DOMAIN_WEIGHTS)
        style = rng.integers(0, 4, m)
        num = rng.integers(1, 99, m)
        seen: dict[str, int] = {}
        out = []
        for j in range(m):
            fn, ln = P.FIRST_NAMES[first[j]], P.LAST_NAMES[last[j]]
            f, lname = fn.lower(), ln.lower().replace(" ", "")
            local_part = (f"{f}.{lname}", f"{f}{lname}{num[j]}", f"{f[0]}{lname}", f"{f}_{lname}")[style[j]]
            email = f"{local_part}@{P.EMAIL_DOMAINS[dom[j]]}"
            if email in seen:
                seen[email] += 1
                email = f"{local_part}{seen[email]}@{P.EMAIL_DOMAINS[dom[j]]}"
            else:
                seen[email] = 1
            cc, _, _, ccy = P.COUNTRIES[country[j]]
            cust = _Customer(f"{fn} {ln}", email, cc, self.t0, b2b=False, currency=ccy if local[j] else "usd")
            out.append(cust)
            self.customers.append(cust)
        return out

    # -- B2B clients -------------------------------------------------------------------------------
    def _company(self, created: datetime) -> _Customer:
        rng = self.rng
        name = self.company_pool.pop()
        shares = np.array([c[2] for c in P.COUNTRIES])
        cc = P.COUNTRIES[int(rng.choice(len(P.COUNTRIES), p=shares / shares.sum()))][0]
        domain = "".join(ch for ch in name.lower() if ch.isalnum()) + ".com"
        contact = P.FIRST_NAMES[int(rng.integers(0, len(P.FIRST_NAMES)))].lower()
        email = f"{('billing', 'accounts', contact, contact)[int(rng.integers(0, 4))]}@{domain}"
        cust = _Customer(name, email, cc, created, b2b=True, ach=bool(rng.random() < P.PROJECT_ACH_SHARE))
        cust.inv_prefix = _ids(rng, 1, 8, _ALNUM[:36])[0]
        self.customers.append(cust)
        return cust

    def _charge(self, cust, t, amount, description, product, utm, *, failed=False, invoice=None):
        """Record an invoice charge for a B2B customer (kept only inside the history)."""
        if t < self.t0 or t > self.horizon:
            return None
        usd = 0.0 if failed else amount
        pay = _Pay(t, amount, "usd", usd, "Failed" if failed else "Paid", description, product, cust, utm)
        pay.ach = cust.ach
        pay.invoice = invoice
        if failed:
            pay.decline = int(self.rng.integers(0, len(_DECLINES)))
        self.payments.append(pay)
        return pay

    def _invoice(self, cust: _Customer) -> tuple[str, str]:
        cust.inv_seq += 1
        return "in_" + _ids(self.rng, 1, 24)[0], f"{cust.inv_prefix}-{cust.inv_seq:04d}"

    def _utm_for(self, channel: str, campaign: str) -> tuple[str, str, str]:
        src, med = UTM[channel]
        return (src, med, campaign if src else "")

    def _pipeline(self) -> None:
        """Leads -> HubSpot deals -> project charges (and some clients move on to a retainer)."""
        rng, ec, L = self.rng, self.ecal, self.lead_days
        wd = np.array(P.WEEKDAY_SERVICES)[ec["dow"]]
        lam = ec["growth"] * ec["season"] * wd
        leads: list[tuple[int, str]] = []
        for channel, rate in P.LEADS_PER_DAY.items():
            counts = rng.poisson(rate * lam)
            leads += [(int(d), channel) for d in np.repeat(np.arange(len(counts)), counts)]
        leads += [(int(d) + L, "google/cpc") for d in np.repeat(np.arange(self.n), self.paid_leads)]
        leads.sort()
        send_times = [(s.t, s.title) for s in self.sends]
        for d, channel in leads:
            day = ec["dates"][d]
            if d >= L:
                self.ga[_GA_OF_LEAD[channel]]["key_events"][d - L] += 1
            p_deal = P.PAID_LEAD_TO_DEAL if channel == "google/cpc" else P.LEAD_TO_DEAL
            if rng.random() >= p_deal:
                continue
            created = self._uniform_dt(day, 13, 22) + timedelta(days=int(rng.integers(0, 3)))
            campaign = ""
            if channel == "google/cpc":
                campaign = self.paid_lead_campaign
            elif channel == "newsletter/email":
                before = [title for st, title in send_times if st <= created]
                campaign = before[-1] if before else ""
            lo, hi = math.log(P.PROJECT_MIN), math.log(P.PROJECT_MAX)
            amount = round(math.exp(rng.uniform(lo, hi)) / 250.0) * 250.0
            cycle = 5 + rng.gamma(3.0, 10.0)
            close = created + timedelta(days=float(cycle))
            close = datetime.combine(close.date(), time()) + timedelta(
                seconds=int(rng.uniform(14, 23) * 3600)
            )
            won = bool(rng.random() < P.WIN_RATE[channel])
            if won and close.month == 12 and rng.random() < P.DECEMBER_SLIP:
                close = datetime(close.year + 1, 1, 3 + int(rng.integers(0, 12)), close.hour, close.minute)
            deal = _Deal(
                project=P.PROJECT_TYPES[int(rng.integers(0, len(P.PROJECT_TYPES)))],
                channel=channel,
                campaign=campaign,
                created=created,
                amount=amount,
                won=won,
                close=close,
                owner=P.DEAL_OWNERS[int(rng.random() < 0.35)],
            )
            if created > self.horizon:
                continue
            if close <= self.horizon:
                deal.stage = "Closed Won" if won else "Closed Lost"
            else:
                progress = (self.horizon - created) / (close - created)
                deal.stage = P.OPEN_STAGES[min(int(progress * len(P.OPEN_STAGES)), len(P.OPEN_STAGES) - 1)]
            deal.company = self.company_pool[-1]
            self.deals.append(deal)
            if deal.stage == "Closed Won":
                deal.cust = self._company(close)
                self._project(deal)
            else:
                self.company_pool.pop()  # the prospect's name stays theirs

    def _pay_day(self, t: datetime) -> datetime:
        """Clients pay invoices on business days, and not over the holidays."""
        d = t.date()
        if (d.month == 12 and d.day >= P.PAYMENT_BREAK_FROM) or (d.month == 1 and d.day <= 4):
            year = d.year + 1 if d.month == 12 else d.year
            d = date(year, 1, 5 + int(self.rng.integers(0, 5)))
        while d.weekday() >= 5:
            d += timedelta(1)
        return datetime.combine(d, t.time())

    def _project(self, deal: _Deal) -> None:
        rng, cust = self.rng, deal.cust
        assert cust is not None
        utm = self._utm_for(deal.channel, deal.campaign)
        close = deal.close
        if deal.amount < P.PROJECT_SPLIT_ABOVE:
            pieces = [(deal.amount, close + timedelta(days=float(rng.uniform(1, 10))), deal.project)]
        else:
            deposit = round(deal.amount / 2, 2)
            done = close + timedelta(days=float(rng.uniform(25, 75) + rng.uniform(2, 14)))
            pieces = [
                (
                    deposit,
                    close + timedelta(days=float(rng.uniform(1, 6))),
                    f"{deal.project} - deposit (50%)",
                ),
                (deal.amount - deposit, done, f"{deal.project} - final payment"),
            ]
        last = None
        for amount, t, desc in pieces:
            t = self._pay_day(t)
            inv = self._invoice(cust)
            pay = self._charge(cust, t, amount, desc, "Project", utm, invoice=inv)
            if pay is not None and rng.random() < P.PROJECT_PARTIAL_REFUND_RATE:
                when = t + timedelta(days=float(rng.uniform(5, 30)))
                if when <= self.horizon:
                    pay.refunded = round(amount * rng.uniform(0.1, 0.3), -1)
                    pay.refunded_at = when
            last = t
        if last is not None and last <= self.horizon and rng.random() < P.PROJECT_TO_RETAINER_RATE:
            start = last + timedelta(days=float(rng.uniform(7, 30)))
            plan = "Retainer Basic" if rng.random() < 0.65 else "Retainer Pro"
            if start <= self.horizon:
                self._journey(cust, plan, start, utm)

    # -- retainers: Stripe subscriptions and their invoices -------------------------------------------
    def _retainers(self) -> None:
        rng = self.rng
        plans, mix = list(P.NEW_RETAINER_MIX), list(P.NEW_RETAINER_MIX.values())
        channels, cmix = list(P.CLIENT_CHANNEL_MIX), list(P.CLIENT_CHANNEL_MIX.values())
        arrivals: list[tuple[datetime, str, str]] = []
        for _ in range(P.INITIAL_RETAINERS):
            t = self.t0 - timedelta(days=float(rng.uniform(30, 420)))
            arrivals.append((t, plans[int(rng.choice(3, p=[0.5, 0.3, 0.2]))], "referral"))
        c = self.cal
        lam = (
            P.NEW_RETAINERS_PER_MONTH
            / 30.0
            * c["growth"]
            * c["season"]
            * np.array(P.WEEKDAY_SERVICES)[c["dow"]]
        )
        # sign-ups arrive steadily (the cumulative expectation crossing whole numbers), not in bursts
        cum = np.floor(np.cumsum(lam) + rng.random()).astype(np.int64)
        for d in np.repeat(np.arange(self.n), np.diff(cum, prepend=cum[0])):
            t = self._uniform_dt(c["dates"][d], 13, 23)
            arrivals.append((t, plans[int(rng.choice(3, p=mix))], channels[int(rng.choice(4, p=cmix))]))
        google_start = self.t0 + timedelta(days=P.GOOGLE_CAMPAIGNS[2]["start"])
        for t, plan, channel in arrivals:
            campaign = ""
            if channel == "google/cpc":
                if t < google_start:
                    channel = "google/organic"
                else:
                    campaign = P.GOOGLE_CAMPAIGNS[2]["name"]
            elif channel == "newsletter/email":
                before = [s.title for s in self.sends if s.t <= t]
                campaign = before[-1] if before else ""
            cust = self._company(t - timedelta(minutes=int(rng.integers(2, 30))))
            self._journey(cust, plan, t, self._utm_for(channel, campaign))

    def _journey(self, cust: _Customer, plan: str, t: datetime, utm: tuple[str, str, str]) -> None:
        """One client's retainer history from ``t``: renewals, up/downgrades, churn, comeback."""
        rng = self.rng
        credit = 0.0
        while True:
            amount, interval = P.PLANS[plan]
            sub = _Sub(cust, plan, t)
            self.subs.append(sub)
            ps, k, anchor, switch, churned = t, 0, t.day, None, False
            if credit:  # a plan change: Stripe prorates, the unused time of the old plan is credited
                desc = "Subscription update"
            while True:
                pe = _add_interval(t, interval, k + 1, anchor)
                sub.cps, sub.cpe = ps, pe
                if k > 0 or not credit:
                    desc = "Subscription creation" if k == 0 else "Subscription update"
                due = round(amount - credit, 2)
                credit = max(-due, 0.0)
                inv = self._invoice(cust)
                bill = ps + timedelta(minutes=int(rng.integers(0, 70)))
                if k > 0 and rng.random() < P.INVOLUNTARY_CHURN_RATE:
                    for off in (0, 3, 5, 7):
                        self._charge(cust, bill + timedelta(days=off), amount, desc, plan, utm, failed=True,
                                     invoice=inv)  # fmt: skip
                    gone = bill + timedelta(days=7, hours=1)
                    if gone <= self.horizon:
                        sub.status, sub.reason = "canceled", "payment_failed"
                        sub.canceled_at = sub.ended_at = gone
                    else:
                        sub.status = "past_due"
                    break
                if due > 0 and rng.random() < P.RENEWAL_FAILURE_RATE:
                    self._charge(cust, bill, due, desc, plan, utm, failed=True, invoice=inv)
                    bill += timedelta(days=3)
                if due > 0:
                    self._charge(cust, bill, due, desc, plan, utm, invoice=inv)
                churn, up, down = P.PLAN_HAZARDS[plan]
                u = rng.random()
                when = ps + (pe - ps) * float(rng.uniform(0.1, 0.9))
                when = min(when.replace(microsecond=0), datetime.combine(when.date(), time(23, 50)))
                event = None
                if u < churn:
                    event = "churn"
                elif u < churn + up and plan in P.PLAN_UP:
                    event = "up"
                elif u < churn + up + down and plan in P.PLAN_DOWN:
                    event = "down"
                if event is not None and when <= self.horizon:
                    sub.canceled_at, sub.reason = when, "cancellation_requested"
                    if event == "churn":
                        churned = True
                        if pe <= self.horizon:
                            sub.status, sub.ended_at = "canceled", pe
                        else:
                            sub.cancel_at_period_end = True
                    else:
                        sub.status, sub.ended_at = "canceled", when
                        switch = (P.PLAN_UP if event == "up" else P.PLAN_DOWN)[plan]
                        credit += round(max(due, 0.0) * ((pe - when) / (pe - ps)), 2)
                    break
                if pe > self.horizon:
                    break
                ps, k = pe, k + 1
            if switch is not None:
                plan, t = switch, sub.ended_at + timedelta(seconds=2)
                continue
            credit = 0.0
            if churned and sub.ended_at is not None and rng.random() < P.REACTIVATION_RATE:
                t = sub.ended_at + timedelta(days=float(rng.uniform(45, 270)))
                if t <= self.horizon:
                    plan = "Retainer Basic" if rng.random() < 0.7 else "Retainer Pro"
                    continue
            return

    def _incomplete_intents(self) -> None:
        """A few checkouts abandoned before a card was accepted (empty id in the export)."""
        rng = self.rng
        shop = [p for p in self.payments if p.checkout and p.t >= self.horizon - timedelta(days=60)]
        for i in rng.integers(0, len(shop), P.INCOMPLETE_PAYMENT_INTENTS if shop else 0):
            p = shop[int(i)]
            t = p.t + timedelta(minutes=int(rng.integers(30, 600)))
            if t <= self.horizon:
                self.payments.append(
                    _Pay(t, p.amount, p.currency, 0.0, "requires_payment_method", p.description, p.product, p.cust,
                         p.utm)
                )  # fmt: skip

    # -- writing -------------------------------------------------------------------------------------
    def write(self, out: Path) -> list[Path]:
        paths = [out / name for name in DEMO_FILES]
        self._assign_ids()
        self._write_payments(paths[0])
        self._write_subscriptions(paths[1])
        self._write_customers(paths[2])
        self._write_google(paths[3])
        self._write_meta(paths[4])
        self._write_mailchimp(paths[5])
        self._write_ga4(paths[6])
        self._write_hubspot(paths[7])
        return paths

    def _assign_ids(self) -> None:
        rng = self.rng
        used = {id(p.cust) for p in self.payments} | {id(s.cust) for s in self.subs}
        self.customers = [c for c in self.customers if id(c) in used]
        self.customers.sort(key=lambda c: c.created)
        for c, cid in zip(self.customers, _ids(rng, len(self.customers), 14), strict=True):
            c.id = "cus_" + cid
        m = len(self.customers)
        brands = rng.choice(len(P.CARD_BRANDS), size=m, p=[b[1] for b in P.CARD_BRANDS])
        self.cards = {
            id(c): (
                "card_1" + card_id,
                P.CARD_BRANDS[brands[j]][0],
                f"{int(last4):04d}",
                ("credit", "debit")[int(debit)],
                str(int(exp_m)),
                str(int(exp_y)),
                fp,
            )
            for j, (c, card_id, last4, debit, exp_m, exp_y, fp) in enumerate(
                zip(
                    self.customers,
                    _ids(rng, m, 23),
                    rng.integers(0, 10000, m),
                    rng.random(m) < 0.35,
                    rng.integers(1, 13, m),
                    rng.integers(self.end.year + 1, self.end.year + 6, m),
                    _ids(rng, m, 16),
                    strict=True,
                )
            )
        }
        self.payments.sort(key=lambda p: p.t, reverse=True)
        self.pay_ids = _ids(rng, len(self.payments), 24)
        self.checkout_ids = _ids(rng, len(self.payments), 58)
        self.subs.sort(key=lambda s: s.created, reverse=True)
        self.sub_ids = ["sub_1" + s for s in _ids(rng, len(self.subs), 23)]

    def _write_payments(self, path: Path) -> None:
        col = {name: i for i, name in enumerate(STRIPE_PAYMENT_COLUMNS)}
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(STRIPE_PAYMENT_COLUMNS)
            for p, suffix, cs in zip(self.payments, self.pay_ids, self.checkout_ids, strict=True):
                row = [""] * len(STRIPE_PAYMENT_COLUMNS)
                ok = p.status in ("Paid", "Refunded")
                fx = p.usd / p.amount if ok and p.amount else 0.0
                if not ok:
                    fee = 0.0
                elif p.ach:
                    fee = min(round(p.usd * P.ACH_FEE_RATE, 2), P.ACH_FEE_CAP)
                else:
                    fee = round(p.usd * P.CARD_FEE_RATE + P.CARD_FEE_FIXED, 2)
                values = {
                    "id": ""
                    if p.status == "requires_payment_method"
                    else ("py_" if p.ach else "ch_") + suffix,
                    "Created date (UTC)": _ts(p.t),
                    "Amount": _money(p.amount),
                    "Amount Refunded": _money(p.refunded),
                    "Currency": p.currency,
                    "Captured": "true" if ok else "false",
                    "Converted Amount": _money(p.usd),
                    "Converted Amount Refunded": _money(round(p.refunded * fx, 2)),
                    "Converted Currency": "usd",
                    "Description": p.description,
                    "Fee": _money(fee),
                    "Is Link": "false",
                    "Mode": "Live",
                    "PaymentIntent ID": "pi_" + suffix,
                    "Payment Source Type": "us_bank_account" if p.ach else "card",
                    "Refunded date (UTC)": _ts(p.refunded_at) if p.refunded_at else "",
                    "Statement Descriptor": P.STATEMENT_DESCRIPTOR,
                    "Status": p.status,
                    "Seller Message": "Payment complete." if ok else "",
                    "Taxes On Fee": "0.00",
                    "Customer ID": p.cust.id,
                    "Customer Description": p.cust.name,
                    "Customer Email": p.cust.email,
                    "Invoice ID": p.invoice[0] if p.invoice else "",
                    "Invoice Number": p.invoice[1] if p.invoice else "",
                    "UTM Campaign": p.utm[2],
                    "UTM Medium": p.utm[1],
                    "UTM Source": p.utm[0],
                    "product (metadata)": p.product,
                }
                if p.status == "Failed":
                    values["Decline Reason"], values["Seller Message"] = _DECLINES[p.decline]
                if p.checkout:
                    values["Checkout Session ID"] = "cs_live_" + cs
                    values["Checkout Line Item Summary"] = p.product
                if not p.ach and p.status != "requires_payment_method":
                    card_id, brand, last4, funding, exp_m, exp_y, fp = self.cards[id(p.cust)]
                    values.update({
                        "Card ID": card_id,
                        "Card Name": p.cust.name if not p.cust.b2b else "",
                        "Card Address Country": p.cust.country,
                        "Card Address Zip": "",
                        "Card Brand": brand,
                        "Card CVC Status": "pass",
                        "Card Exp Month": exp_m,
                        "Card Exp Year": exp_y,
                        "Card Fingerprint": fp,
                        "Card Funding": funding,
                        "Card Issue Country": p.cust.country,
                        "Card Last4": last4,
                    })  # fmt: skip
                for name, value in values.items():
                    row[col[name]] = value
                w.writerow(row)

    def _current_subs(self) -> dict[int, _Sub]:
        """Each customer's latest subscription (subs are sorted newest first)."""
        current: dict[int, _Sub] = {}
        for s in self.subs:
            current.setdefault(id(s.cust), s)
        return current

    def _write_subscriptions(self, path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(STRIPE_SUBSCRIPTION_COLUMNS)
            for s, sid in zip(self.subs, self.sub_ids, strict=True):
                amount, interval = P.PLANS[s.plan]
                w.writerow([
                    sid, s.cust.id, s.cust.name, s.cust.name, s.cust.email, s.status, s.reason, "1", "usd",
                    _money(amount), interval, _ts_min(s.created), _ts_min(s.created), _ts_min(s.cps),
                    _ts_min(s.cpe), "", "", _ts_min(s.canceled_at), _ts_min(s.ended_at),
                    "true" if s.cancel_at_period_end else "false", s.plan,
                ])  # fmt: skip

    def _write_customers(self, path: Path) -> None:
        spend: dict[int, list[float]] = {}
        for p in self.payments:
            if p.status in ("Paid", "Refunded"):
                acc = spend.setdefault(id(p.cust), [0.0, 0, 0.0])
                fx = p.usd / p.amount if p.amount else 1.0
                acc[0] += p.usd
                acc[1] += 1
                acc[2] += round(p.refunded * fx, 2)
        current = self._current_subs()
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(STRIPE_CUSTOMER_COLUMNS)
            for c in reversed(self.customers):
                gross, count, refunded = spend.get(id(c), [0.0, 0, 0.0])
                sub = current.get(id(c))
                card = ("", "", "", "", "", "", "") if c.ach else self.cards[id(c)]
                live = sub is not None and sub.status != "canceled"
                w.writerow([
                    c.id, c.name, c.email, c.name, _ts_min(c.created),
                    "true" if sub is not None and sub.status == "past_due" else "false",
                    card[0], card[2], card[1], card[3], card[4], card[5],
                    "" if c.ach else c.country, "" if c.ach else c.country,
                    sub.plan if live else "", sub.status if live else "",
                    ("true" if sub.cancel_at_period_end else "false") if live else "",
                    "0.00", "usd", _money(gross - refunded), str(count),
                    _money(gross / count if count else 0.0), _money(refunded), "0.00", "",
                    "true" if c.country == "US" else "false",
                ])  # fmt: skip

    def _write_google(self, path: Path) -> None:
        specs = P.GOOGLE_CAMPAIGNS
        end_growth = float(self.cal["growth"][-1])
        totals = {k: 0.0 for k in ("impr", "clicks", "cost", "conv", "value")}

        def metrics(impr, clicks, cost, conv, value) -> list[str]:
            return [
                f"{int(impr):,}", f"{int(clicks):,}", _pct(clicks, impr),
                _money(cost / clicks) if clicks else " --", _money(cost), f"{int(clicks):,}",
                _pct(conv, clicks), f"{conv:.2f}", _money(cost / conv) if conv else " --", _money(value),
            ]  # fmt: skip

        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["Campaign report"])
            w.writerow(
                [
                    f"{self.start:%B} {self.start.day}, {self.start.year} - {self.end:%B} {self.end.day}, {self.end.year}"
                ]
            )
            w.writerow(GOOGLE_ADS_COLUMNS)
            for i in range(self.n):
                for spec in specs:
                    a = self.ads[spec["name"]]
                    if a["impr"][i] == 0:
                        continue
                    vals = [a[k][i] for k in ("impr", "clicks", "cost", "conv", "value")]
                    for k, v in zip(totals, vals, strict=True):
                        totals[k] += float(v)
                    status = "Enabled" if spec["stop"] is None else "Paused"
                    w.writerow([
                        status, spec["name"], f"{self.cal['dates'][i]:%Y-%m-%d}",
                        _money(spec["budget"] * end_growth), "Search", "USD",
                        *metrics(vals[0], vals[1], float(vals[2]), float(vals[3]), float(vals[4])),
                    ])  # fmt: skip
            totals["cost"], totals["value"] = round(totals["cost"], 2), round(totals["value"], 2)
            for label in ("Total: Campaigns", "Total: Account", "Total: Search"):
                w.writerow([label, " --", " --", " --", " --", "USD", *metrics(*totals.values())])

    def _write_meta(self, path: Path) -> None:
        rows = []
        tot = {k: 0.0 for k in ("cost", "impr", "reach", "clicks", "conv", "value")}
        for i in range(self.n):
            day = f"{self.cal['dates'][i]:%Y-%m-%d}"
            for spec in sorted(P.META_CAMPAIGNS, key=lambda s: s["name"]):
                a = self.ads[spec["name"]]
                if a["impr"][i] == 0:
                    continue
                vals = {k: float(a[k][i]) for k in tot}
                for k in tot:
                    tot[k] += vals[k]
                stop = self.n if spec["stop"] is None else self.n + spec["stop"]
                rows.append(self._meta_row(day, day, spec["name"], "active" if stop == self.n else "inactive",
                                           spec["objective"], vals))  # fmt: skip
        tot["reach"] = round(tot["reach"] * 0.42)
        summary = self._meta_row(f"{self.start:%Y-%m-%d}", f"{self.end:%Y-%m-%d}", "", "", "purchase", tot)
        with path.open("w", newline="", encoding="utf-8-sig") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(META_COLUMNS)
            w.writerow(summary)
            w.writerows(rows)

    @staticmethod
    def _meta_row(starts: str, ends: str, name: str, delivery: str, objective: str, v: dict) -> list[str]:
        spend, impr, reach, clicks, conv, value = (
            v[k] for k in ("cost", "impr", "reach", "clicks", "conv", "value")
        )
        if objective == "reach":
            results, indicator = reach, "reach"
        else:
            results, indicator = conv, "actions:offsite_conversion.fb_pixel_purchase"
        return [
            starts, ends, name, delivery, _raw(results) if results else "", indicator if name else "",
            _raw(spend / results) if results else "", _raw(round(spend, 2), 2), _raw(impr), _raw(reach),
            _raw(impr / reach) if reach else "", _raw(spend / impr * 1000) if impr else "", _raw(clicks),
            _raw(clicks / impr * 100) if impr else "", _raw(conv) if conv else "",
            _raw(round(value, 2), 2) if conv else "", _raw(value / spend) if conv and spend else "",
        ]  # fmt: skip

    def _write_mailchimp(self, path: Path) -> None:
        usd = self.newsletter_usd
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(MAILCHIMP_COLUMNS)
            for s in self.sends:
                revenue = float(np.round(usd[s.sale_idx].sum(), 2)) if s.sale_idx else 0.0
                w.writerow([
                    s.title, s.subject, P.NEWSLETTER_LIST, s.t.strftime("%b %d, %Y %I:%M %p").replace("AM", "am").replace("PM", "pm"),
                    s.t.strftime("%A"), str(s.recipients), str(s.delivered), str(s.soft), str(s.hard),
                    str(s.soft + s.hard), str(s.forwards), str(s.forward_opens), str(s.unique_opens),
                    _pct(s.unique_opens, s.delivered), str(s.total_opens), str(s.unique_clicks),
                    _pct(s.unique_clicks, s.delivered), str(s.total_clicks), str(s.unsubscribes), str(s.abuse),
                    "n/a", "", s.uid, str(len(s.sale_idx)), _money(revenue), _money(revenue),
                ])  # fmt: skip

    def _write_ga4(self, path: Path) -> None:
        rng = self.rng
        with path.open("w", newline="", encoding="utf-8") as f:
            f.write(
                "# ----------------------------------------\n"
                "# Traffic acquisition: Session default channel group\n"
                f"# Account: {P.COMPANY}\n"
                f"# Property: {P.DOMAIN} - GA4\n"
                "# ----------------------------------------\n"
                "#\n"
                "# All Users\n"
                f"# Start date: {self.start:%Y%m%d}\n"
                f"# End date: {self.end:%Y%m%d}\n"
            )
            w = csv.writer(f, lineterminator="\n")
            w.writerow(GA4_COLUMNS)
            users_share = {ch: rng.uniform(0.78, 0.88, self.n) for ch in _GA_CHANNELS}
            engaged = {ch: rng.uniform(0.5, 0.72, self.n) for ch in _GA_CHANNELS}
            for i in range(self.n):
                day = f"{self.cal['dates'][i]:%Y%m%d}"
                rows = []
                for ch in _GA_CHANNELS:
                    g = self.ga[ch]
                    sessions = int(g["sessions"][i])
                    events = int(g["key_events"][i])
                    sessions = max(sessions, events)
                    if sessions == 0:
                        continue
                    users = max(1, round(sessions * users_share[ch][i]))
                    new_users = round(users * P.NEW_USER_SHARE[ch])
                    rows.append((sessions, ch, users, new_users, round(sessions * engaged[ch][i]), events,
                                 g["revenue"][i]))  # fmt: skip
                rows.sort(key=lambda r: (-r[0], r[1]))
                for sessions, ch, users, new_users, eng, events, revenue in rows:
                    w.writerow([day, ch, users, new_users, sessions, eng, events, _raw(round(revenue, 2), 2)])

    def _write_hubspot(self, path: Path) -> None:
        rng = self.rng
        deals = sorted(self.deals, key=lambda d: d.created)
        record = 18_000_000_000 + int(rng.integers(0, 1_000_000))
        rows = []
        for d in deals:
            record += int(rng.integers(1, 400_000))
            amount = f"{d.amount:.1f}" if rng.random() < 0.25 else f"{d.amount:.0f}"
            if d.stage == "Appointment Scheduled" and rng.random() < 0.5:
                amount, close = "", ""
            else:
                close = _ts_min(d.close)
            rows.append([str(record), f"{d.company} - {d.project}", d.stage, close, d.owner, amount,
                         _ts_min(d.created), P.PIPELINE])  # fmt: skip
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
            w.writerow(HUBSPOT_COLUMNS)
            w.writerows(reversed(rows))
