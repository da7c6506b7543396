"""Mailchimp campaign reports export (CSV; also its Excel re-save with underscored headers, rates without ``%`` and ``2/24/17 11:29`` dates) -> email_campaigns rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from data.connectors import _text as t
from data.connectors.base import Chunk, ParseOptions

SOURCE = "mailchimp"
FORMATS = (
    "Mailchimp campaign reports (Title, Subject, List/Audience, Send Date, Successful Deliveries, ...)",
)

_REQUIRED = ("Title", "Send Date", ("Successful Deliveries", "Total Recipients"))
_OPTIONAL = (
    "Subject",
    "List",
    "Audience",
    "Unique Opens",
    "Open Rate",
    "Unique Clicks",
    "Click Rate",
    "Unique Id",
)


def sniff(head: str) -> float:
    """Score a Mailchimp campaign report export by its header."""
    return t.header_score(head, _REQUIRED, _OPTIONAL, max_lines=3)


def parse(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Yield email_campaigns chunks.

    Send dates are in the account's time zone (``options.timezone``) and stored as UTC; delivered =
    Successful Deliveries; revenue is taken to be in the reporting currency (the export does not name the
    store currency).
    """
    path = Path(path)
    reader = t.CsvBatches(path)
    cols = reader.columns
    f = {
        "title": t.find_column(cols, "Title", "Campaign Title"),
        "subject": t.find_column(cols, "Subject", "Subject Line"),
        "list": t.find_column(cols, "Audience", "List", "List Name", "Audience Name"),
        "sent": t.find_column(cols, "Send Date", "Send Time"),
        "recipients": t.find_column(cols, "Total Recipients", "Emails Sent"),
        "delivered": t.find_column(cols, "Successful Deliveries"),
        "opens": t.find_column(cols, "Total Opens"),
        "unique_opens": t.find_column(cols, "Unique Opens"),
        "clicks": t.find_column(cols, "Total Clicks"),
        "unique_clicks": t.find_column(cols, "Unique Clicks"),
        "unsubscribes": t.find_column(cols, "Unsubscribes"),
        "complaints": t.find_column(cols, "Abuse Complaints"),
        "bounces": t.find_column(cols, "Total Bounces"),
        "soft": t.find_column(cols, "Soft Bounces"),
        "hard": t.find_column(cols, "Hard Bounces"),
        "revenue": t.find_column(cols, "Total Revenue", "Total Gross Sales"),
        "uid": t.find_column(cols, "Unique Id", "Campaign ID"),
    }
    t.missing_columns(path, "a Mailchimp campaign report", cols, **{"Send Date": f["sent"]})
    dc = reader.separator == ";"
    rep = options.reporting_currency.upper()
    counts = (
        "recipients",
        "delivered",
        "opens",
        "unique_opens",
        "clicks",
        "unique_clicks",
        "unsubscribes",
        "complaints",
    )
    for raw in reader.iter(options.batch_rows):
        n = raw.height
        specs = {k: t.Spec("int", f[k]) for k in (*counts, "bounces", "soft", "hard")}
        specs["sent_at"] = t.Spec(
            "datetime", f["sent"], (*t.MAILCHIMP_DATETIME, *t.ISO_DATETIME), options.timezone
        )
        specs["revenue"] = t.Spec("money", f["revenue"])
        p, bad = t.parse_columns(raw, specs, dc)
        bounces = p["bounces"]
        if f["bounces"] is None:
            bounces = (p["soft"].fill_null(0) + p["hard"].fill_null(0)).rename("bounces")
        title = t.col(raw, f["title"])
        uid = t.col(raw, f["uid"])
        source_id = uid.fill_null(t.stable_id(title, t.col(raw, f["sent"])))
        currency = pl.Series([rep] * n, dtype=pl.Utf8)
        checks = [
            t.Check(
                bad["sent_at"] | p["sent_at"].is_null(),
                "sent_at",
                f["sent"],
                t.reason_date("e.g. 'Jun 09, 2018 09:30 pm' or '2/24/17 11:29'"),
            ),
            *(t.Check(bad[k], k, f[k], t.reason_number) for k in (*counts, "bounces")),
            *(t.Check((p[k] < 0).fill_null(False), k, f[k], t.reason_negative) for k in (*counts, "bounces")),
            t.Check(bad["revenue"], "revenue", f["revenue"], t.reason_number),
        ]
        yield t.build_chunk(
            "email_campaigns",
            SOURCE,
            raw,
            {
                "source_id": source_id,
                "sent_at": p["sent_at"],
                "title": title,
                "subject": t.col(raw, f["subject"]),
                "list_name": t.col(raw, f["list"]),
                **{k: p[k] for k in counts},
                "bounces": bounces,
                "revenue": p["revenue"],
                "currency": currency,
                "revenue_reporting": p["revenue"],
            },
            checks,
            blank_rows=reader.take_blank(),
        )
