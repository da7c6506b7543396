"""PayPal Activity download (``Download.CSV``, business or personal, US or EU formats, English or German headers) -> payments rows.

Only money actually received counts: incoming payments (kind ``charge``) and their refunds
(kind ``refund``). Memos (``Balance Impact`` = Memo), invoices sent, holds, currency
conversions, withdrawals and payments the account itself sent are skipped (counted as read).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from data.connectors import _text as t
from data.connectors.base import Chunk, ParseOptions

SOURCE = "paypal"
FORMATS = (
    "PayPal activity download (Date, Time, TimeZone, Name, Type, Status, Currency, Gross, Fee, Net, ...)",
)

_DATE = ("Date", "Datum")
_TIME = ("Time", "Uhrzeit")
_TZ = ("TimeZone", "Time Zone", "Zeitzone")
_TYPE = ("Type", "Typ", "Description", "Beschreibung")
_STATUS = ("Status",)
_CURRENCY = ("Currency", "Währung")
_GROSS = ("Gross", "Amount", "Brutto")
_FEE = ("Fee", "Gebühr", "Entgelt")
_NAME = ("Name",)
_FROM = ("From Email Address", "Absender E-Mail-Adresse", "Von E-Mail-Adresse")
_TXN = ("Transaction ID", "Transaktionscode", "Transaktions-ID")
_ITEM = ("Item Title", "Artikelbezeichnung")
_COUNTRY = ("Country Code", "Ländervorwahl", "Ländercode")
_IMPACT = ("Balance Impact", "Auswirkung auf Guthaben")
_SUBJECT = ("Subject", "Betreff", "Note", "Hinweis")

#: offsets (minutes east of UTC) of the zone abbreviations PayPal writes in TimeZone
_TZ_OFFSETS = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 60, "IST": 60, "WEST": 60, "CET": 60, "MEZ": 60,
    "CEST": 120, "MESZ": 120, "EET": 120, "EEST": 180, "MSK": 180,
    "PST": -480, "PDT": -420, "MST": -420, "MDT": -360, "CST": -360, "CDT": -300,
    "EST": -300, "EDT": -240, "AST": -240, "ADT": -180, "HST": -600, "AKST": -540, "AKDT": -480,
    "JST": 540, "KST": 540, "HKT": 480, "SGT": 480, "AWST": 480, "ACST": 570, "ACDT": 630,
    "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
}  # fmt: skip
#: PayPal row types that move no customer money in or out (skipped, counted per reason)
_WITHDRAWAL_TYPES = r"withdraw|transfer|bank deposit"
_NON_PAYMENT_TYPES = r"invoice|request|hold|authori[sz]ation|currency conversion|memo|order"


def sniff(head: str) -> float:
    """Score a PayPal activity download by its header."""
    return t.header_score(
        head,
        (_DATE, _TIME, _TZ, _TYPE, _STATUS, _CURRENCY, _GROSS),
        (
            ("Fee", "Gebühr"),
            ("Net", "Netto"),
            ("Transaction ID", "Transaktionscode"),
            ("Balance Impact", "Auswirkung auf Guthaben"),
            ("From Email Address", "Absender E-Mail-Adresse"),
            ("Balance", "Guthaben"),
            "Receipt ID",
        ),
        max_lines=2,
    )


def _status(s: pl.Series) -> pl.Series:
    low = s.str.strip_chars().str.to_lowercase()
    return pl.select(
        pl.when(low.is_in(["completed", "abgeschlossen", "cleared"]))
        .then(pl.lit("succeeded"))
        .when(low.is_in(["partially refunded", "teilweise erstattet"]))
        .then(pl.lit("succeeded"))
        .when(low.is_in(["refunded", "erstattet"]))
        .then(pl.lit("refunded"))
        .when(low.is_in(["pending", "unclaimed", "held", "ausstehend", "in progress"]))
        .then(pl.lit("pending"))
        .otherwise(pl.lit("failed"))  # denied, failed, reversed, canceled, expired ...
    ).to_series()


def parse(path: Path, options: ParseOptions) -> Iterator[Chunk]:
    """Yield payments chunks.

    Dates are ``MM/DD/YYYY`` (US) or ``DD/MM/YYYY``/``DD.MM.YYYY`` (EU), told apart by the values; times are
    converted from the row's TimeZone to UTC. The fee (negative in the file) is stored as a positive cost.
    """
    path = Path(path)
    reader = t.CsvBatches(path)
    cols = reader.columns
    f = {
        "date": t.find_column(cols, *_DATE),
        "time": t.find_column(cols, *_TIME),
        "tz": t.find_column(cols, *_TZ),
        "type": t.find_column(cols, *_TYPE),
        "status": t.find_column(cols, *_STATUS),
        "currency": t.find_column(cols, *_CURRENCY),
        "gross": t.find_column(cols, *_GROSS),
        "fee": t.find_column(cols, *_FEE),
        "name": t.find_column(cols, *_NAME),
        "email": t.find_column(cols, *_FROM),
        "to_email": t.find_column(cols, "To Email Address", "Empfänger E-Mail-Adresse"),
        "txn": t.find_column(cols, *_TXN, "Receipt ID"),
        "item": t.find_column(cols, *_ITEM),
        "country": t.find_column(cols, *_COUNTRY),
        "impact": t.find_column(cols, *_IMPACT),
        "subject": t.find_column(cols, *_SUBJECT),
    }
    t.missing_columns(
        path, "a PayPal activity download", cols, **{k: f[k] for k in ("date", "gross", "currency")}
    )
    german = t.norm(f["gross"] or "") == "brutto"
    rep = options.reporting_currency.upper()
    dayfirst: bool | None = None
    for raw in reader.iter(options.batch_rows):
        n = raw.height
        c = lambda key: t.col(raw, f[key])  # noqa: E731, B023
        if dayfirst is None:
            dayfirst = t.day_first(c("date").drop_nulls().to_list())
        # EU decimal commas: "1.234,56" or "0,25" (a US file writes "1,011.70")
        gross_text = c("gross").drop_nulls()
        dc = bool(gross_text.str.contains(r",\d{1,2}$").any()) or german
        if dayfirst is None:
            dayfirst = dc or german
        formats = (*t.EU_DATE, *t.US_DATE) if dayfirst else (*t.US_DATE, *t.EU_DATE)
        stamp = pl.select(
            pl.concat_str(
                [c("date").str.strip_chars(), c("time").fill_null("00:00:00").str.strip_chars()],
                separator=" ",
            )
        ).to_series()
        local = t.parse_datetime(stamp, [f"{d} %H:%M:%S" for d in formats])
        offsets = (
            c("tz")
            .str.strip_chars()
            .str.to_uppercase()
            .replace_strict(_TZ_OFFSETS, default=None, return_dtype=pl.Int64)
        )
        p, bad = t.parse_columns(
            raw,
            {
                "gross": t.Spec("money", f["gross"]),
                "fee": t.Spec("money", f["fee"]),
                "currency": t.Spec("currency", f["currency"]),
            },
            dc,
        )
        if f["tz"] is None or offsets.is_null().all():
            created = t.parse_datetime(stamp, [f"{d} %H:%M:%S" for d in formats], options.timezone)
        else:
            created = pl.select(pl.lit(local) - pl.duration(minutes=pl.lit(offsets).fill_null(0))).to_series()
        typ = c("type").fill_null("").str.to_lowercase()
        impact = c("impact").fill_null("").str.to_lowercase()
        gross = p["gross"]
        is_refund = typ.str.contains("refund|reversal|rückzahlung|erstattung")
        # the first matching reason counts a skipped row
        skips = [
            (impact.str.strip_chars().is_in(["memo"]), "memo rows (Balance Impact: Memo)"),
            (typ.str.contains(_WITHDRAWAL_TYPES), "withdrawals and transfers"),
            (typ.str.contains(_NON_PAYMENT_TYPES), "invoices, requests, holds and currency conversions"),
            ((gross < 0).fill_null(False) & ~is_refund, "payments this account sent"),
            ((gross > 0).fill_null(False) & is_refund, "refunds this account received"),
        ]
        # Refund lines follow base.REFUND_CONTRACT: the refunded money, positive, in `amount`.
        frame = pl.DataFrame({"gross": gross, "fee": p["fee"], "refund": is_refund}).select(
            pl.when(pl.col("refund"))
            .then(-pl.col("gross"))
            .otherwise(pl.col("gross"))
            .cast(t.MONEY)
            .alias("amount"),
            pl.lit(0).cast(t.MONEY).alias("refunded"),
            (-pl.col("fee").fill_null(0)).cast(t.MONEY).alias("fee"),
            pl.col("refund"),
        )
        # net = the file's Net: money in for a payment, money out (negative) for a refund
        frame = frame.with_columns(
            pl.when(pl.col("refund"))
            .then(-pl.col("amount") - pl.col("fee"))
            .otherwise(pl.col("amount") - pl.col("fee"))
            .cast(t.MONEY)
            .alias("net")
        )
        status = _status(c("status"))
        status = pl.select(
            pl.when(pl.lit(is_refund)).then(pl.lit("refunded")).otherwise(pl.lit(status))
        ).to_series()
        # on a refund the counterparty (the customer) is the recipient, not the sender
        email_hash = t.email_hash(
            pl.select(
                pl.when(pl.lit(is_refund)).then(pl.lit(c("to_email"))).otherwise(pl.lit(c("email")))
            ).to_series()
        )
        currency = p["currency"]
        checks = [
            t.Check(
                local.is_null(), "created", f["date"], t.reason_date("MM/DD/YYYY or DD/MM/YYYY with Time")
            ),
            t.Check(bad["gross"] | gross.is_null(), "amount", f["gross"], t.reason_number),
            t.Check(bad["fee"], "fee", f["fee"], t.reason_number),
            t.Check(bad["currency"] | currency.is_null(), "currency", f["currency"], t.reason_currency),
        ]
        yield t.build_chunk(
            "payments",
            SOURCE,
            raw,
            {
                "source_id": c("txn"),
                "created": created,
                "kind": pl.select(
                    pl.when(pl.lit(is_refund)).then(pl.lit("refund")).otherwise(pl.lit("charge"))
                ).to_series(),
                "status": status,
                "amount": frame["amount"],
                "amount_refunded": frame["refunded"],
                "fee": frame["fee"],
                "net": frame["net"],
                "currency": currency,
                "amount_reporting": t.reporting(frame["amount"], currency, rep),
                "refunded_reporting": t.reporting(frame["refunded"], currency, rep),
                "fee_reporting": t.reporting(frame["fee"], currency, rep),
                "customer_id": email_hash,
                "customer_email_hash": email_hash,
                "customer_name": c("name"),
                "product": c("item"),
                "channel": t.channel_series(None, None, n),
                "campaign": None,
                "country": t.country_code(c("country")),
                "description": c("subject").fill_null(c("type")),
            },
            checks,
            skips=skips,
            blank_rows=reader.take_blank(),
        )
