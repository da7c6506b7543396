"""The business behind the demo workspace: "Northwind Studio", a small design/dev studio.

Everything here is a plain constant read by :mod:`data.demo`; tweak the story here (prices,
campaigns, seasonality, growth) without touching the simulation code. Rates are per day unless
the name says otherwise; money is USD unless a currency is named.
"""

from __future__ import annotations

COMPANY = "Northwind Studio"
DOMAIN = "northwindstudio.com"
STATEMENT_DESCRIPTOR = "NORTHWIND STUDIO"

#: revenue, traffic and ad budgets grow by this factor per year
GROWTH_PER_YEAR = 1.40

# --- seasonality ------------------------------------------------------------------------------
#: yearly shape, one factor per month (interpolated day by day between mid-month anchors)
MONTH_FACTORS = (1.15, 1.03, 1.02, 0.99, 0.97, 0.93, 0.88, 0.87, 1.14, 1.06, 1.04, 0.78)
#: Dec 22 - Jan 1: clients and buyers are away
HOLIDAY_FACTOR = 0.65
#: Monday..Sunday
WEEKDAY_SERVICES = (1.15, 1.2, 1.15, 1.1, 0.95, 0.25, 0.2)
WEEKDAY_DIGITAL = (0.93, 0.93, 0.95, 0.97, 1.02, 1.18, 1.22)
WEEKDAY_ADS = (1.0, 1.0, 1.0, 1.0, 1.0, 0.92, 0.9)
#: Black Friday .. Cyber Monday: more traffic and a higher conversion rate for digital products
BLACK_FRIDAY_TRAFFIC = 1.5
BLACK_FRIDAY_CVR = 2.0

# --- Stripe ------------------------------------------------------------------------------------
CARD_FEE_RATE, CARD_FEE_FIXED = 0.029, 0.30
ACH_FEE_RATE, ACH_FEE_CAP = 0.008, 5.00
FX_TO_USD = {"usd": 1.0, "eur": 1.08, "gbp": 1.27}

#: digital products: name -> (share of sales, {currency: price})
PRODUCTS = {
    "UI Kit": (0.28, {"usd": 49.0, "eur": 45.0, "gbp": 39.0}),
    "Icon Pack": (0.38, {"usd": 19.0, "eur": 18.0, "gbp": 15.0}),
    "Notion Templates": (0.34, {"usd": 29.0, "eur": 27.0, "gbp": 23.0}),
}
DIGITAL_REFUND_RATE = 0.03
DIGITAL_PARTIAL_REFUND_RATE = 0.003
DIGITAL_FAILED_RETRY_RATE = 0.02  # a declined attempt shortly before a successful one
DIGITAL_FAILED_ABANDON_RATE = 0.005  # a declined attempt and the buyer gives up
REPEAT_BUYER_SHARE = 0.15
INCOMPLETE_PAYMENT_INTENTS = 3

#: retainer plans: name -> (amount per interval, interval)
PLANS = {
    "Retainer Basic": (1500.0, "month"),
    "Retainer Pro": (3500.0, "month"),
    "Care Plan": (1200.0, "year"),
}
#: per billing period: (churn, move up, move down); Care Plan periods are years
PLAN_HAZARDS = {
    "Retainer Basic": (0.025, 0.025, 0.0),
    "Retainer Pro": (0.02, 0.0, 0.015),
    "Care Plan": (0.22, 0.12, 0.0),
}
PLAN_UP = {"Retainer Basic": "Retainer Pro", "Care Plan": "Retainer Basic"}
PLAN_DOWN = {"Retainer Pro": "Retainer Basic"}
NEW_RETAINER_MIX = {"Retainer Basic": 0.5, "Retainer Pro": 0.2, "Care Plan": 0.3}
INITIAL_RETAINERS = 14
NEW_RETAINERS_PER_MONTH = 0.5
REACTIVATION_RATE = 0.3
RENEWAL_FAILURE_RATE = 0.03  # a failed renewal that succeeds on the retry 3 days later
INVOLUNTARY_CHURN_RATE = 0.01  # every retry fails; canceled for payment_failed
PROJECT_TO_RETAINER_RATE = 0.2

# --- projects and the CRM ---------------------------------------------------------------------
PROJECT_MIN, PROJECT_MAX = 2000.0, 15000.0
PROJECT_SPLIT_ABOVE = 5000.0  # 50% deposit + 50% on delivery above this amount
PROJECT_ACH_SHARE = 0.45
PROJECT_PARTIAL_REFUND_RATE = 0.04
#: share of December sign-offs that slip to January budgets; no project invoices are paid from
#: this day of December until January 5
DECEMBER_SLIP = 0.7
PAYMENT_BREAK_FROM = 15
PROJECT_TYPES = (
    "Website redesign",
    "Brand identity",
    "Webflow build",
    "Landing page",
    "Design system",
    "Shopify store",
    "App UI design",
    "Marketing site",
    "Pitch deck design",
    "Dashboard UI",
)
DEAL_OWNERS = ("Maya Lindqvist", "Daniel Okafor")
PIPELINE = "Sales Pipeline"
OPEN_STAGES = (
    "Appointment Scheduled",
    "Qualified To Buy",
    "Presentation Scheduled",
    "Decision Maker Bought-In",
    "Contract Sent",
)
#: inbound leads per day (before growth and seasonality) by channel, and the share that become deals
LEADS_PER_DAY = {"google/organic": 0.09, "referral": 0.08, "direct": 0.03, "newsletter/email": 0.02}
LEAD_TO_DEAL = 0.5
PAID_LEAD_TO_DEAL = 0.4
WIN_RATE = {
    "referral": 0.5,
    "google/organic": 0.38,
    "direct": 0.4,
    "newsletter/email": 0.42,
    "google/cpc": 0.28,
}

# --- marketing --------------------------------------------------------------------------------
#: Google Ads search campaigns. kind "sales" -> conversions are shop purchases (attributed in
#: Stripe with utm google/cpc + the campaign name); "leads" -> contact-form leads valued at
#: lead_value. start/stop are days from the start of the history (stop None = still running).
GOOGLE_CAMPAIGNS = (
    {"name": "Brand Search", "budget": 8.0, "cpc": 0.35, "ctr": 0.09, "cvr": 0.07, "kind": "sales",
     "start": 0, "stop": None},
    {"name": "UI Kit Search", "budget": 22.0, "cpc": 0.55, "ctr": 0.045, "cvr": 0.045, "kind": "sales",
     "start": 0, "stop": None},
    {"name": "Design Services Search", "budget": 25.0, "cpc": 3.8, "ctr": 0.035, "cvr": 0.04,
     "kind": "leads", "start": 240, "stop": None, "lead_value": 250.0},
)  # fmt: skip
#: Meta campaigns; "Awareness - Studio Reel" is the poor-ROAS one (paused before the end)
META_CAMPAIGNS = (
    {"name": "Prospecting - UI Kit", "budget": 18.0, "cpm": 7.0, "ctr": 0.013, "cvr": 0.03,
     "start": 0, "stop": None, "objective": "purchase"},
    {"name": "Retargeting - All Products", "budget": 6.0, "cpm": 14.0, "ctr": 0.022, "cvr": 0.06,
     "start": 30, "stop": None, "objective": "purchase"},
    {"name": "Awareness - Studio Reel", "budget": 20.0, "cpm": 5.0, "ctr": 0.005, "cvr": 0.008,
     "start": 200, "stop": -60, "objective": "reach"},
)  # fmt: skip

#: GA4 organic traffic (sessions per day before growth) and its shop conversion rate; purchases
#: from Direct, Referral and Organic Social carry no UTM in Stripe (they show as direct)
ORGANIC_TRAFFIC = {
    "Organic Search": (170.0, 0.0125),
    "Direct": (85.0, 0.02),
    "Referral": (35.0, 0.008),
    "Organic Social": (22.0, 0.005),
}
GA4_PURCHASE_CAPTURE = 0.92  # ad blockers and consent: GA4 misses some purchases
NEW_USER_SHARE = {
    "Organic Search": 0.75,
    "Direct": 0.55,
    "Referral": 0.7,
    "Organic Social": 0.8,
    "Paid Search": 0.8,
    "Paid Social": 0.9,
    "Email": 0.12,
}

NEWSLETTER_LIST = "Newsletter"
NEWSLETTER_TITLE = "Northwind Notes"
NEWSLETTER_FIRST_ISSUE = 41
NEWSLETTER_SUBSCRIBERS = (2000, 6000)  # at the start and at the end of the history
NEWSLETTER_WEEKDAY = 1  # Tuesday
NEWSLETTER_SPAM_RATE = 0.0002  # spam reports per delivered email (Mailchimp "Abuse Complaints")
NEWSLETTER_HOUR_UTC = 14
NEWSLETTER_BUY_RATE = 0.075  # shop purchases per unique click
NEWSLETTER_SUBJECTS = (
    "5 Figma tricks for faster developer handoff",
    "What we learned shipping 40 landing pages",
    "New in the shop: dashboard components",
    "How we price design retainers",
    "The icon grid we use on every project",
    "Notion setup for a two-person studio",
    "Case study: a rebrand in three weeks",
    "Accessibility checks before every launch",
    "Our favourite type pairings this season",
    "Design tokens without the headache",
    "Behind the scenes: a client kickoff",
    "Webflow vs. custom code: how we choose",
    "Free download: wireframe kit sampler",
    "Three onboarding flows we love",
    "The checklist we send every new client",
    "Colour systems that scale",
    "A year of running a retainer studio",
    "Micro-interactions that feel right",
    "How we write project proposals",
    "Small shop, big launch: lessons learned",
)

# --- people and places ------------------------------------------------------------------------
FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Isabella", "Lucas",
    "Mia", "Mateo", "Amelia", "Ethan", "Harper", "Leo", "Ella", "Jack", "Aria", "Levi", "Chloe",
    "Henry", "Nora", "Owen", "Zoe", "Samuel", "Priya", "Arjun", "Yuki", "Kenji", "Sofia", "Luca",
    "Hannah", "Felix", "Clara", "Jonas", "Lea", "Emil", "Ines", "Hugo", "Camille", "Manon",
    "Oscar", "Freya", "Alfie", "Isla", "Ruby", "Theo", "Grace", "Max", "Anna", "Marta", "Diego",
    "Lucia", "Tomas", "Aisha", "Omar", "Fatima", "Chen", "Wei", "Mei", "Sara", "David", "Laura",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Martinez",
    "Lopez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Lee", "Thompson",
    "White", "Harris", "Clark", "Lewis", "Walker", "Young", "Allen", "King", "Wright", "Scott",
    "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter",
    "Phillips", "Evans", "Turner", "Patel", "Shah", "Nguyen", "Kim", "Tanaka", "Sato", "Muller",
    "Schmidt", "Fischer", "Weber", "Dubois", "Moreau", "Rossi", "Bianchi", "Jansen", "de Vries",
    "Larsen", "Nilsson", "Novak", "Kowalski", "Silva", "Santos", "OBrien", "Murphy",
)  # fmt: skip
EMAIL_DOMAINS = (
    "gmail.com",
    "outlook.com",
    "icloud.com",
    "yahoo.com",
    "proton.me",
    "hey.com",
    "fastmail.com",
)
EMAIL_DOMAIN_WEIGHTS = (0.46, 0.16, 0.14, 0.08, 0.06, 0.05, 0.05)
COMPANY_PREFIXES = (
    "Blue", "North", "Iron", "Maple", "Copper", "Lumen", "Harbor", "Cedar", "Summit", "Bright",
    "Atlas", "Pine", "Silver", "Oak", "River", "Nova", "Alder", "Fox", "Birch", "Cobalt",
    "Granite", "Willow", "Ember", "Orchid", "Quartz", "Sage", "Tidal", "Vantage", "Meadow",
    "Kestrel", "Juniper", "Beacon", "Polar", "Saffron", "Falcon", "Hollow",
)  # fmt: skip
COMPANY_SUFFIXES = (
    "Labs", "Studio", "Partners", "Health", "Coffee Co.", "Logistics", "Capital", "Fitness",
    "Dental", "Analytics", "Outdoors", "Robotics", "Bakery", "Legal", "Realty", "Apparel",
    "Energy", "Media", "Clinic", "Works", "Brewing", "Learning", "Travel", "Finance",
)  # fmt: skip
#: (country, share of shop buyers, share of studio clients, currency used by some of its buyers)
COUNTRIES = (
    ("US", 0.52, 0.70, "usd"),
    ("GB", 0.09, 0.08, "gbp"),
    ("CA", 0.07, 0.07, "usd"),
    ("DE", 0.06, 0.04, "eur"),
    ("AU", 0.05, 0.03, "usd"),
    ("FR", 0.04, 0.02, "eur"),
    ("NL", 0.03, 0.02, "eur"),
    ("IN", 0.03, 0.0, "usd"),
    ("ES", 0.02, 0.01, "eur"),
    ("IT", 0.02, 0.01, "eur"),
    ("SE", 0.02, 0.01, "usd"),
    ("BR", 0.02, 0.0, "usd"),
    ("JP", 0.03, 0.01, "usd"),
)
#: share of buyers in a gbp/eur country who pay in that currency (the rest pay in usd)
LOCAL_CURRENCY_SHARE = 0.35
CARD_BRANDS = (("Visa", 0.55), ("MasterCard", 0.3), ("American Express", 0.1), ("Discover", 0.05))
#: where studio clients (retainers, projects) come from
CLIENT_CHANNEL_MIX = {"referral": 0.4, "google/organic": 0.3, "google/cpc": 0.15, "newsletter/email": 0.15}
