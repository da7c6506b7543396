"""Constant Contact email performance report (Reporting > Email > Download, CSV) -> email_campaigns rows.

The download starts with a title line and a date-range line before the header and may end with
a ``Total`` row. Constant Contact counts *unique* contacts: ``Opens`` and ``Clicks`` are unique
opens and clicks, and its rates are per successful send (``Sends`` minus ``Bounces``), so
delivered = Sends - Bounces. Counts carry thousands separators; rates are ``43.0%`` strings
(recomputed by the metrics, not read); send times look like ``Mar 5, 2024 10:00 AM``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from data.connectors import _text as t
from data.connectors.base import Chunk, ParseOptions

SOURCE = "constant_contact"
FORMATS = (
    "Constant Contact email report (Email Name, Subject, Last Sent Date, Sends, Opens, Clicks, Bounces, ...)",
)

_NAME = ("Email Name", "Campaign Name", "Email Campaign Name", "Name")
_SENT = ("Last Sent Date", "Sent Date", "Date Sent", "Send Date")
_TIMES = (
    "%b %d, %Y %I:%M %p",
    "%B %d, %Y %I:%M %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%m/%d/%Y",
    "%b %d, %Y",
)


def _is_header(cells: list[str]) -> bool:
    names = {t.norm(c) for c in cells}
    return (
        "sends" in names
        and "opens" in names
        and any(t.norm(n) in names for n in _NAME)
        and any(t.norm(s) in names for s in _SENT)
        and ("did not open" in names or "bounces" in names)
    )


def sniff(head: str) -> float:
    """Score a Constant Contact email report: its header (Sends, Opens, Did Not Open ...) within the first lines."""
    for i, line in enumerate(t.head_lines(head, 8)):
        cells = t.split_line(line)
        if cells and _is_header(cells):
            names = {t.norm(c) for c in cells}
            return 0.95 if "did not open" in names or i > 0 else 0.8
    return 0.0


def parse(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Yield email_campaigns chunks (send times in the account's zone, ``options.timezone``, stored as UTC)."""
    path = Path(path)
    header_line = t.locate_header(path, _is_header, max_lines=10)
    reader = t.CsvBatches(path, header_line=header_line)
    cols = reader.columns
    f = {
        "name": t.find_column(cols, *_NAME),
        "subject": t.find_column(cols, "Subject", "Subject Line"),
        "sent": t.find_column(cols, *_SENT),
        "id": t.find_column(cols, "Campaign ID", "Email ID"),
        "list": t.find_column(cols, "Lists", "List Name", "Email Type"),
        "sends": t.find_column(cols, "Sends"),
        "bounces": t.find_column(cols, "Bounces"),
        "opens": t.find_column(cols, "Opens", "Unique Opens"),
        "clicks": t.find_column(cols, "Clicks", "Unique Clicks"),
        "unsubscribes": t.find_column(cols, "Unsubscribes", "Opt-outs", "Opt Outs"),
        "complaints": t.find_column(cols, "Spam Reports", "Spam Complaints"),
    }
    counts = ("sends", "bounces", "opens", "clicks", "unsubscribes", "complaints")
    dc = reader.separator == ";"
    for raw in reader.iter(options.batch_rows):
        specs = {k: t.Spec("int", f[k]) for k in counts}
        specs["sent_at"] = t.Spec("datetime", f["sent"], _TIMES, options.timezone)
        p, bad = t.parse_columns(raw, specs, dc)
        name = t.col(raw, f["name"])
        is_total = (
            name.fill_null("").str.strip_chars().str.to_lowercase().is_in(["total", "totals", "grand total"])
        )
        delivered = (p["sends"].fill_null(0) - p["bounces"].fill_null(0)).rename("delivered")
        sent_raw = t.col(raw, f["sent"])
        source_id = t.col(raw, f["id"]).fill_null(t.stable_id(name, sent_raw))
        checks = [
            t.Check(
                bad["sent_at"] | p["sent_at"].is_null(),
                "sent_at",
                f["sent"],
                t.reason_date("e.g. 'Mar 5, 2024 10:00 AM'"),
            ),
            *(t.Check(bad[k], k, f[k], t.reason_number) for k in counts),
            *(t.Check((p[k] < 0).fill_null(False), k, f[k], t.reason_negative) for k in counts),
            t.Check(delivered < 0, "delivered", f["bounces"], lambda v: f"more bounces ({v}) than sends"),
        ]
        yield t.build_chunk(
            "email_campaigns",
            SOURCE,
            raw,
            {
                "source_id": source_id,
                "sent_at": p["sent_at"],
                "title": name,
                "subject": t.col(raw, f["subject"]),
                "list_name": t.col(raw, f["list"]),
                "recipients": p["sends"],
                "delivered": delivered,
                "opens": None,
                "unique_opens": p["opens"],
                "clicks": None,
                "unique_clicks": p["clicks"],
                "unsubscribes": p["unsubscribes"],
                "bounces": p["bounces"],
                "complaints": p["complaints"],
                "revenue": None,
                "currency": None,
                "revenue_reporting": None,
            },
            checks,
            keep=~is_total & name.is_not_null(),
        )
