"""Mailchimp Marketing API connector: ``/3.0/reports`` -> email_campaigns.

Auth is HTTP Basic ``anystring:<key>``; the key ends with its data centre (``…-us21``) and the
API lives at ``https://us21.api.mailchimp.com/3.0``. Paging is ``count`` (<= 1000) / ``offset``
with ``total_items`` in every page. Rates in the API are fractions (0.2778), not "27.78%"; we
store counts and let the metric layer compute rates, so rates are not read at all.

Incremental sync (state)::

    {"last_send_time": "2024-06-09T21:30:00+00:00"}   # newest send_time seen

Opens, clicks and unsubscribes keep accruing for weeks after a send, so each sync re-reads
campaigns sent since ``last_send_time - REFRESH_DAYS`` (``since_send_time``); upserts replace
the older figures.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Iterator, Mapping
from typing import Any

from data.connectors.base import Chunk

from ._values import ChunkBuilder, currency_code, dig, field, from_iso, money, text, to_int
from .connector import ApiConnector, CredentialField, SyncOptions
from .http import AuthError

MAX_PAGE = 1000
DEFAULT_PAGE = 200
REFRESH_DAYS = 30
#: data-centre suffixes look like us21, eu1: anything else could point the key at another host
DATA_CENTRE = re.compile(r"^[a-z]{2,4}[0-9]{1,3}$")


class MailchimpConnector(ApiConnector):
    """Mailchimp: one canonical email_campaigns row per sent campaign report."""

    SOURCE = "mailchimp"
    LABEL = "Mailchimp"
    DEFAULT_BASE_URL = "https://{dc}.api.mailchimp.com/3.0"
    AUTH_HINT = ("API key", "API key")
    TABLES = ("email_campaigns",)
    ACCOUNT_FIELDS = ("api_key",)
    CREDENTIAL_FIELDS = (
        CredentialField(
            "api_key",
            "API key",
            secret=True,
            help="Account → Extras → API keys. The key ends with your data centre, e.g. …-us21.",
        ),
    )

    def default_base_url(self) -> str:
        """``https://<dc>.api.mailchimp.com/3.0`` from the key's ``-<dc>`` suffix."""
        return self.DEFAULT_BASE_URL.format(dc=data_centre(self.credentials["api_key"]))

    def auth_headers(self) -> dict[str, str]:
        """Basic auth with any user name and the key as password."""
        token = base64.b64encode(f"anystring:{self.credentials['api_key']}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def test_connection(self) -> str:
        """Read the account name from the API root."""
        body = self.http.get_json(
            self.url("/"), params={"fields": "account_name"}, headers=self.auth_headers()
        )
        name = body.get("account_name") if isinstance(body, dict) else None
        return f"Connected to Mailchimp account {name}." if name else "Connected to Mailchimp."

    def sync(self, state: Mapping[str, Any], options: SyncOptions) -> Iterator[Chunk]:
        """Yield email_campaigns chunks, one per page of reports."""
        self.new_state = dict(state)
        last = state.get("last_send_time")
        if last:
            since = from_iso(last) - dt.timedelta(days=REFRESH_DAYS)
        else:
            since = dt.datetime.combine(options.first_start(), dt.time())
        params: dict[str, Any] = {"since_send_time": since.replace(tzinfo=dt.UTC).isoformat()}
        if options.end:
            params["before_send_time"] = dt.datetime.combine(
                options.end + dt.timedelta(days=1), dt.time(), dt.UTC
            ).isoformat()
        count = options.page(DEFAULT_PAGE, MAX_PAGE)
        newest = from_iso(last) if last else None
        builder = ChunkBuilder("email_campaigns", self.SOURCE)
        offset = 0
        while True:
            body = self.http.get_json(
                self.url("/reports"),
                params={**params, "count": count, "offset": offset},
                headers=self.auth_headers(),
            )
            reports = body.get("reports") or []
            for report in reports:
                builder.add(report.get("id"), self.map_report, report, ("id", "campaign_title", "send_time"))
                try:
                    sent = from_iso(report.get("send_time"))
                except ValueError:
                    sent = None
                if sent and (newest is None or sent > newest):
                    newest = sent
            if chunk := builder.flush():
                yield chunk
            offset += len(reports)
            if not reports or offset >= int(body.get("total_items") or 0):
                break
        if newest is not None:
            self.new_state = {**state, "last_send_time": newest.replace(tzinfo=dt.UTC).isoformat()}

    @staticmethod
    def map_report(report: dict) -> dict:
        """One campaign report -> one canonical email_campaigns row (counts; delivered = sent - bounces)."""
        sent = field("recipients", to_int, report.get("emails_sent"))
        bounces = sum(
            field("bounces", to_int, dig(report, "bounces", key)) or 0
            for key in ("hard_bounces", "soft_bounces", "syntax_errors")
        )
        sent_at = field("sent_at", from_iso, report.get("send_time"))
        if sent_at is None:
            raise ValueError("sent_at: campaign has no send_time")
        return {
            "source_id": report["id"],
            "sent_at": sent_at,
            "title": text(report.get("campaign_title")),
            "subject": text(report.get("subject_line")),
            "list_name": text(report.get("list_name")),
            "recipients": sent,
            "delivered": None if sent is None else max(0, sent - bounces),
            "opens": field("opens", to_int, dig(report, "opens", "opens_total")),
            "unique_opens": field("unique_opens", to_int, dig(report, "opens", "unique_opens")),
            "clicks": field("clicks", to_int, dig(report, "clicks", "clicks_total")),
            "unique_clicks": field("unique_clicks", to_int, dig(report, "clicks", "unique_clicks")),
            "unsubscribes": field("unsubscribes", to_int, report.get("unsubscribed")),
            "bounces": bounces,
            "complaints": field("complaints", to_int, report.get("abuse_reports")),
            "revenue": field("revenue", money, dig(report, "ecommerce", "total_revenue")),
            "currency": currency_code(dig(report, "ecommerce", "currency_code")),
        }


def data_centre(api_key: str) -> str:
    """The data centre from a key like ``0123abcd-us21``; AuthError if the key has none."""
    _, _, suffix = api_key.rpartition("-")
    if not DATA_CENTRE.match(suffix):
        raise AuthError(
            "Mailchimp API key does not end with a data centre like '-us21': "
            "copy the whole key from Account → Extras → API keys into Data sources."
        )
    return suffix
