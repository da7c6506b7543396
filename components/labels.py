"""How stored values read to a person: source names and dimension values (no ``dash`` here).

Pages, reports and insights all label the same rows the same way; ``reports/`` and the insight
engine must not import ``dash`` (DESIGN.md), so these live apart from the page builders of
``components/sources.py``, which re-exports them.
"""

from __future__ import annotations

from data.metrics import NONE_LABEL, value_text

SOURCE_LABELS = {
    "stripe": "Stripe",
    "paypal": "PayPal",
    "shopify": "Shopify",
    "gumroad": "Gumroad",
    "mailchimp": "Mailchimp",
    "google_ads": "Google Ads",
    "meta_ads": "Meta Ads",
    "ga4": "GA4",
    "hubspot": "HubSpot",
    "generic": "Generic",
    "square": "Square",
    "pipedrive": "Pipedrive",
    "salesforce": "Salesforce",
    "sendgrid": "SendGrid",
    "constant_contact": "Constant Contact",
    "linkedin_ads": "LinkedIn Ads",
    "x_ads": "X Ads",
    "mixpanel": "Mixpanel",
    "amplitude": "Amplitude",
    "instagram": "Instagram",
}

#: dimensions whose values are source names (``platform = google_ads``): shown by their label
SOURCE_DIMENSIONS = frozenset({"platform", "source"})


def dimension_value_label(dim: str, value: object) -> str:
    """A dimension value as a person reads it: ``platform google_ads`` -> "Google Ads"; others as they are.

    The none bucket (``(none)``, what a filter on rows without a value matches) reads "Unknown",
    as the pages' bar charts call it: a report or an insight never says "(none)" for the same rows.
    """
    if dim in SOURCE_DIMENSIONS and value and value != NONE_LABEL:
        return source_label(str(value))
    return value_text(value)


def source_label(source: str | None) -> str:
    """A source's display name (``google_ads`` -> ``Google Ads``)."""
    if not source:
        return "Unknown"
    return SOURCE_LABELS.get(source, source.replace("_", " ").title())
