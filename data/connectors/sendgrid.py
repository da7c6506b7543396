"""SendGrid statistics exports (CSV) -> email_campaigns rows.

Two layouts:

* **Single Sends stats** (Marketing Campaigns > Stats > Export): one row per send, ``Name,
  ID, Send Date, Requests, Delivered, Opens, Unique Opens, Open Rate, Clicks, ...``; counts
  with thousands separators, rates as ``33.74%``, times in ISO 8601 UTC (``...T15:00:00Z``).
* **Global / category stats** (Stats > Overview > Export CSV, or the v3 stats API as CSV):
  one row per day in snake case, ``date, requests, processed, delivered, opens,
  unique_opens, ...``. Each day becomes one ``email_campaigns`` row titled ``SendGrid (day)``
  (or by category) so the email metrics add up per day.

Rows that were never sent (no send date, or zero requests and deliveries) are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from data.connectors import _text as t
from data.connectors.base import Chunk, ParseOptions

SOURCE = "sendgrid"
FORMATS = (
    "SendGrid single sends stats (Name, ID, Send Date, Requests, Delivered, Unique Opens, Unique Clicks, ...)",
    "SendGrid global stats (date, requests, delivered, unique_opens, unique_clicks, spam_reports, ...)",
)

_REQUIRED = (
    ("Requests", "Total Requests", "Triggered", "Emails Triggered", "Processed"),
    "Delivered",
    "Unique Opens",
    "Unique Clicks",
    ("Spam Reports", "Bounce Drops", "Spam Report Drops", "Unsubscribe Drops", "Blocks"),
)
_OPTIONAL = (
    "Name",
    "ID",
    "Send Date",
    "Date",
    "Opens",
    "Clicks",
    "Unsubscribes",
    "Bounces",
    "Invalid Emails",
)
_TIMES = (
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
)


def sniff(head: str) -> float:
    """Score a SendGrid stats export by its header (either layout; snake case matches too)."""
    return t.header_score(head, _REQUIRED, _OPTIONAL, max_lines=2)


def parse(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Yield email_campaigns chunks.

    Times with ``Z`` or an offset are UTC; plain dates and times are taken in the workspace zone. SendGrid
    reports no revenue, so revenue stays empty.
    """
    path = Path(path)
    reader = t.CsvBatches(path)
    cols = reader.columns
    f = {
        "name": t.find_column(cols, "Name", "Single Send Name", "Single Send", "Automation Name"),
        "id": t.find_column(cols, "ID", "Single Send ID", "Automation ID"),
        "category": t.find_column(cols, "Category", "category"),
        "sent": t.find_column(cols, "Send Date", "Sent At", "Send Time", "Date"),
        "recipients": t.find_column(
            cols, "Requests", "Total Requests", "Triggered", "Emails Triggered", "Processed"
        ),
        "delivered": t.find_column(cols, "Delivered"),
        "opens": t.find_column(cols, "Opens"),
        "unique_opens": t.find_column(cols, "Unique Opens"),
        "clicks": t.find_column(cols, "Clicks"),
        "unique_clicks": t.find_column(cols, "Unique Clicks"),
        "unsubscribes": t.find_column(cols, "Unsubscribes"),
        "bounces": t.find_column(cols, "Bounces"),
        "complaints": t.find_column(cols, "Spam Reports"),
    }
    t.missing_columns(path, "a SendGrid stats export", cols, **{"Send Date / date": f["sent"]})
    daily = f["name"] is None and f["id"] is None
    counts = (
        "recipients",
        "delivered",
        "opens",
        "unique_opens",
        "clicks",
        "unique_clicks",
        "unsubscribes",
        "bounces",
        "complaints",
    )
    dc = reader.separator == ";"
    for raw in reader.iter(options.batch_rows):
        n = raw.height
        specs = {k: t.Spec("int", f[k]) for k in counts}
        specs["sent_at"] = t.Spec("datetime", f["sent"], _TIMES, options.timezone)
        p, bad = t.parse_columns(raw, specs, dc)
        sent_raw = t.col(raw, f["sent"])
        never_sent = sent_raw.is_null() | (
            (p["recipients"].fill_null(0) == 0) & (p["delivered"].fill_null(0) == 0)
        )
        category = t.col(raw, f["category"])
        if daily:
            label = category.fill_null("day")
            title = pl.select(pl.lit("SendGrid (") + pl.lit(label) + pl.lit(")")).to_series()
            source_id = t.stable_id(pl.Series(["sendgrid-daily"] * n), category.fill_null(""), sent_raw)
        else:
            title = t.col(raw, f["name"])
            source_id = t.col(raw, f["id"]).fill_null(t.stable_id(title, sent_raw))
        checks = [
            t.Check(
                bad["sent_at"] | (p["sent_at"].is_null() & sent_raw.is_not_null()),
                "sent_at",
                f["sent"],
                t.reason_date("YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD"),
            ),
            *(t.Check(bad[k], k, f[k], t.reason_number) for k in counts),
            *(t.Check((p[k] < 0).fill_null(False), k, f[k], t.reason_negative) for k in counts),
        ]
        yield t.build_chunk(
            "email_campaigns",
            SOURCE,
            raw,
            {
                "source_id": source_id,
                "sent_at": p["sent_at"],
                "title": title,
                "subject": None,
                "list_name": category,
                **{k: p[k] for k in counts},
                "revenue": None,
                "currency": None,
                "revenue_reporting": None,
            },
            checks,
            keep=~never_sent,
        )
