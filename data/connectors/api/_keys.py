"""Stable row identities (``source_id``) shared by the API connectors and the file parsers.

Ingest upserts by ``(workspace_id, source, source_id)``, so a row must get the SAME source_id
whether it came from a vendor's API or from that vendor's export file; otherwise a user who
uploads last year's CSV and then connects the API would count every day twice. The file
parsers should import these functions rather than re-implement them.

Rules:

* When the vendor has an id for the row (Stripe ``ch_…``/``cus_…``/``sub_…``, HubSpot deal id =
  "Record ID", Mailchimp campaign id = "Unique Id"), the source_id IS that id, unchanged.
* Otherwise it is :func:`natural_key_id` of the row's natural key: the parts joined with ``|``,
  each part normalised by :func:`key_part` (None -> "", dates ISO ``YYYY-MM-DD``, strings
  stripped, case kept), SHA-1, lower-case hex. Case is kept because vendors treat campaign
  names case-sensitively.

========== =========================================================== ==========================
table      natural key                                                 function
========== =========================================================== ==========================
ad_daily   ``platform|campaign_id-or-campaign-name|YYYY-MM-DD``        :func:`ad_daily_id`
web_daily  ``ga4|YYYY-MM-DD|channel|source|medium``                    :func:`web_daily_id`
========== =========================================================== ==========================

Known limit: Google Ads and Meta export files usually carry the campaign NAME but not its id,
while the APIs always carry the id, so file rows and API rows of the same campaign-day only
coincide when the file includes the campaign id column.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import polars as pl

from data.connectors._text import stable_id, stable_id_one


def key_part(value: object) -> str:
    """Normalise one part of a natural key: None -> "", dates -> ISO, text stripped, numbers as text."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def natural_key_id(*parts: object) -> str:
    """The source_id for rows without a vendor id: the file parsers' ``stable_id`` of the parts.

    One hash for both paths (data.connectors._text), so a row downloaded as a file and the same
    row fetched from the API upsert onto each other.
    """
    return stable_id_one(*(key_part(p) for p in parts))


def ad_daily_id(platform: str, campaign_id: str | None, campaign: str | None, day: dt.date) -> str:
    """source_id of an ad_daily row: stable id of ``platform|campaign_id-or-name|YYYY-MM-DD`` (as the file parsers).

    ``platform`` is the canonical platform ("google_ads", "meta_ads"); the campaign id wins when
    known because names can be edited, the name is the fallback for exports without ids.
    """
    ident = key_part(campaign_id) or key_part(campaign)
    return natural_key_id(platform, ident, day)


def web_daily_id(day: dt.date, channel: str | None, source_name: str | None, medium: str | None) -> str:
    """source_id of a GA4 web_daily row: stable id of ``YYYY-MM-DD|channel|source|medium`` (as the GA4 file parser).

    Missing dimensions (a channel-only file export) contribute "" so the same report shape maps
    to the same ids whether downloaded or fetched.
    """
    return natural_key_id(day, channel, source_name, medium)


def email_hash(email: str | None) -> str | None:
    """The hashed copy of an e-mail address used for joins: SHA-256 hex of the trimmed, lower-cased address."""
    if email is None:
        return None
    email = email.strip().lower()
    if not email:
        return None
    return hashlib.sha256(email.encode("utf-8")).hexdigest()


def natural_key_ids(*parts: pl.Series) -> pl.Series:
    """Vectorised :func:`natural_key_id`: one id per row of equally long Series."""
    stripped = [p.cast(pl.Utf8).str.strip_chars() for p in parts]
    return stable_id(*stripped).rename("source_id")
