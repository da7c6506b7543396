"""PayPal Activity download (``Download.CSV``, business or personal, US or EU formats, English or German headers) -> payments rows.

Only money actually received counts: incoming payments (kind ``charge``) and their refunds
(kind ``refund``). Memos (``Balance Impact`` = Memo), invoices sent, holds, currency
conversions, withdrawals and payments the account itself sent are skipped (counted as read).

Currency conversions: a payment received in a currency the account does not hold is followed by
two ``General Currency Conversion`` rows whose ``Reference Txn ID`` is the payment's
``Transaction ID``: one takes the payment's net out of its currency (Debit), the other puts what
PayPal converted it to into the account's currency (Credit). A refund of such a payment has its
own pair, in the other direction, referencing the refund. When that account currency is the
workspace's reporting currency, the payment's reporting amounts come from PayPal's own
conversion (see :func:`_conversions`), and the two rows are skipped as applied to it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from decimal import ROUND_HALF_UP, Decimal
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
_REF = ("Reference Txn ID", "Zugehöriger Transaktionscode", "Referenztransaktionscode")

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
#: "General Currency Conversion" (older files: "Currency Conversion"; German "Allgemeine Währungsumrechnung")
_CONVERSION_TYPES = r"currency conversion|währungsumrechnung"
_NON_PAYMENT_TYPES = rf"invoice|request|hold|authori[sz]ation|{_CONVERSION_TYPES}|memo|order"
_REFUND_TYPES = r"refund|reversal|rückzahlung|erstattung"
SKIP_CONVERSION = "currency conversions (applied to their payment)"
_CENT = Decimal("0.01")


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


def _skips(typ: pl.Series, impact: pl.Series, gross: pl.Series) -> list[tuple[pl.Series, str]]:
    """Why a row is not imported (the first matching reason counts); ``typ``/``impact`` lower-cased."""
    is_refund = typ.str.contains(_REFUND_TYPES)
    return [
        (impact.str.strip_chars().is_in(["memo"]), "memo rows (Balance Impact: Memo)"),
        (typ.str.contains(_WITHDRAWAL_TYPES), "withdrawals and transfers"),
        (typ.str.contains(_NON_PAYMENT_TYPES), "invoices, requests, holds and currency conversions"),
        ((gross < 0).fill_null(False) & ~is_refund, "payments this account sent"),
        ((gross > 0).fill_null(False) & is_refund, "refunds this account received"),
    ]


def _decimal_comma(gross: pl.Series, german: bool) -> bool:
    """EU decimal commas: "1.234,56" or "0,25" (a US file writes "1,011.70")."""
    return bool(gross.drop_nulls().str.contains(r",\d{1,2}$").any()) or german


def _sign(text: pl.Series) -> pl.Series:
    """-1, 0 or 1 from an amount's text (``"-1,205.90"``), without parsing it (the skip rules need no more)."""
    clean = text.str.strip_chars()
    return pl.select(
        pl.when(clean.is_null())
        .then(None)
        .when(clean.str.starts_with("-"))
        .then(-1)
        .when(clean.str.contains(r"^[0.,\s]+$"))
        .then(0)
        .otherwise(1)
    ).to_series()


def _conversions(
    batches: Iterable[pl.DataFrame], f: dict[str, str | None], rep: str, german: bool
) -> tuple[dict[str, tuple[Decimal, Decimal]], set[str]]:
    """PayPal's own conversions of received payments and refunds into the reporting currency.

    Returns ``{payment or refund Transaction ID: (net in its currency, what PayPal made of it in
    rep)}`` (both signed like the row's Net) and the Transaction IDs of the conversion rows used.

    ``batches`` are the whole file's rows (its one batch, or a first pass over a few columns of
    a larger file, since a payment's conversion rows may fall in another batch: PayPal writes
    them beside the payment, but newest first or oldest first); only the conversion rows'
    amounts are parsed here. The link is PayPal's: the
    conversion rows' ``Reference Txn ID`` is the payment's ``Transaction ID``; for a received
    payment the leg in the payment's currency is negative (its net leaves that currency) and the
    reporting-currency leg positive; for a refund the other way round. A refund whose pair
    references the original payment instead (the refund's own ``Reference Txn ID``) is matched
    through it when it is the only refund of that payment. A payment whose conversion is not
    exactly one leg in its own currency and one in ``rep`` is left to the FX table.
    """
    if f["ref"] is None or f["txn"] is None or f["type"] is None:
        return {}, set()
    legs: list[pl.DataFrame] = []
    pays: list[pl.DataFrame] = []  # kept rows in another currency than rep: the candidates
    for raw in batches:
        c = lambda key: t.col(raw, f[key])  # noqa: E731, B023
        typ = c("type").fill_null("").str.to_lowercase()
        impact = c("impact").fill_null("").str.to_lowercase()
        currency = t.parse_currency(c("currency"))
        is_conv = typ.str.contains(_CONVERSION_TYPES) & c("ref").is_not_null()
        if is_conv.any():
            conv = raw.filter(is_conv)
            gross = t.parse_money(t.col(conv, f["gross"]), _decimal_comma(c("gross"), german))
            legs.append(
                pl.DataFrame(
                    {
                        "ref": t.col(conv, f["ref"]),
                        "leg": t.col(conv, f["txn"]),
                        "currency": currency.filter(is_conv),
                    }
                ).with_columns(gross.alias("gross"))
            )
        skipped = pl.select(
            pl.any_horizontal([m.fill_null(False) for m, _ in _skips(typ, impact, _sign(c("gross")))])
        )
        pays.append(
            pl.DataFrame(
                {
                    "txn": c("txn"),
                    "ref": c("ref"),
                    "currency": currency,
                    "refund": typ.str.contains(_REFUND_TYPES),
                }
            ).filter(~skipped.to_series() & pl.col("txn").is_not_null() & (pl.col("currency") != rep))
        )
    if not legs:
        return {}, set()
    # the reporting-currency leg's sign gives the direction: + for a payment, - for a refund
    rep_leg = pl.col("currency") == rep
    groups = (
        pl.concat(legs)
        .filter(pl.col("gross").is_not_null() & pl.col("currency").is_not_null())
        .with_columns(
            direction=pl.when(rep_leg == (pl.col("gross") > 0))
            .then(pl.lit(1))
            .otherwise(pl.lit(-1))
            .cast(pl.Int8)
        )
        .group_by("ref", "direction")
        .agg(
            pl.len().alias("legs"),
            rep_leg.sum().alias("rep_legs"),
            pl.col("gross").filter(rep_leg).first().alias("theirs"),
            pl.col("currency").filter(~rep_leg).first().alias("own_currency"),
            (-pl.col("gross").filter(~rep_leg).first()).alias("own"),
            pl.col("leg"),
        )
        .filter((pl.col("legs") == 2) & (pl.col("rep_legs") == 1) & (pl.col("own") != 0))
        .drop("legs", "rep_legs")
    )
    pays_frame = pl.concat(pays).with_columns(
        direction=pl.when(pl.col("refund")).then(pl.lit(-1)).otherwise(pl.lit(1)).cast(pl.Int8)
    )
    by = ["direction", "currency"]
    own_id = pays_frame.join(
        groups, left_on=["txn", *by], right_on=["ref", "direction", "own_currency"], how="inner"
    )
    # a refund may only borrow its original payment's refund pair when it is that payment's only refund
    only_refund = pays_frame.filter(pl.col("refund") & pl.col("ref").is_not_null()).filter(
        pl.len().over("ref") == 1
    )
    borrowed = only_refund.filter(~pl.col("txn").is_in(own_id["txn"].implode())).join(
        groups, left_on=["ref", *by], right_on=["ref", "direction", "own_currency"], how="inner"
    )
    found = pl.concat(
        [own_id.select("txn", "own", "theirs", "leg"), borrowed.select("txn", "own", "theirs", "leg")]
    )
    fx = dict(
        zip(
            found["txn"].to_list(),
            zip(found["own"].to_list(), found["theirs"].to_list(), strict=True),
            strict=True,
        )
    )
    return fx, set(found["leg"].explode().drop_nulls().to_list())


def _converted(
    txn: pl.Series,
    amount: pl.Series,
    net: pl.Series,
    refund: pl.Series,
    fx: dict[str, tuple[Decimal, Decimal]],
) -> tuple[pl.Series, pl.Series, pl.Series]:
    """Reporting amount, fee and a matched mask for rows PayPal converted (null elsewhere).

    PayPal converts the NET: it is taken exactly as PayPal wrote it (scaled at PayPal's own rate
    when only part of the net was converted); the amount is converted at that rate (rounded half
    up to the cent) and the fee is what makes amount - fee = net hold in the reporting currency
    too, so the reporting net is PayPal's to the cent.
    """
    size = txn.len()
    amounts: list[Decimal | None] = [None] * size
    fees: list[Decimal | None] = [None] * size
    hit = [False] * size
    # Python arithmetic (exact decimals) only on the rows PayPal converted, usually few
    rows = txn.is_in(list(fx)).fill_null(False).arg_true().to_list() if fx else []
    picked = zip(rows, *(col.gather(rows).to_list() for col in (txn, amount, net, refund)), strict=True)
    for i, tid, a, n, r in picked:
        own, theirs = fx[tid]
        if a is None or n is None:
            continue
        rate = theirs / own  # reporting money per unit of the row's currency (positive)
        net_rep = theirs if own == n else (n * rate).quantize(_CENT, ROUND_HALF_UP)
        amount_rep = (a * rate).quantize(_CENT, ROUND_HALF_UP)
        # net = amount - fee (a payment) or -amount - fee (a refund line, base.REFUND_CONTRACT)
        fee_rep = (-amount_rep if r else amount_rep) - net_rep
        amounts[i], fees[i], hit[i] = amount_rep, fee_rep, True
    return (
        pl.Series(amounts, dtype=t.MONEY),
        pl.Series(fees, dtype=t.MONEY),
        pl.Series(hit, dtype=pl.Boolean),
    )


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
        "ref": t.find_column(cols, *_REF),
    }
    t.missing_columns(
        path, "a PayPal activity download", cols, **{k: f[k] for k in ("date", "gross", "currency")}
    )
    german = t.norm(f["gross"] or "") == "brutto"
    rep = options.reporting_currency.upper()
    dayfirst: bool | None = None
    # PayPal's conversions must be known before any payment is built: from the batch itself
    # when the file is one batch (PayPal splits downloads at 50,000 rows), else from a first
    # pass over the columns they need
    batches = reader.iter(options.batch_rows)
    ahead = list(itertools.islice(batches, 2))
    if len(ahead) < 2:
        fx, applied = _conversions(ahead, f, rep, german)
    else:
        keys = ("type", "txn", "ref", "currency", "gross", "fee", "impact")
        first_pass = t.CsvBatches(path).iter(
            options.batch_rows, select=[f[k] for k in keys if f[k]], exact_lines=False
        )
        fx, applied = _conversions(first_pass, f, rep, german)
    for raw in itertools.chain(ahead, batches):
        n = raw.height
        c = lambda key: t.col(raw, f[key])  # noqa: E731, B023
        if dayfirst is None:
            dayfirst = t.day_first(c("date").drop_nulls().to_list())
        dc = _decimal_comma(c("gross"), german)
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
        is_refund = typ.str.contains(_REFUND_TYPES)
        # the first matching reason counts a skipped row; conversion rows applied to their payment first
        txn = c("txn")
        used = typ.str.contains(_CONVERSION_TYPES) & txn.is_in(list(applied)).fill_null(False)
        skips = [(used, SKIP_CONVERSION), *_skips(typ, impact, gross)]
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
        # PayPal's own conversion into the reporting currency where the file has one; else null
        # (same currency: the amount itself; another: ingest's FX table, as before)
        conv_amount, conv_fee, converted = _converted(txn, frame["amount"], frame["net"], is_refund, fx)
        amount_rep = pl.select(
            pl.when(converted).then(conv_amount).otherwise(t.reporting(frame["amount"], currency, rep))
        ).to_series()
        fee_rep = pl.select(
            pl.when(converted).then(conv_fee).otherwise(t.reporting(frame["fee"], currency, rep))
        ).to_series()
        # a refund line refunds nothing on itself (amount_refunded 0): 0 in any currency
        refunded_rep = pl.select(
            pl.when(converted)
            .then(pl.lit(0).cast(t.MONEY))
            .otherwise(t.reporting(frame["refunded"], currency, rep))
        ).to_series()
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
                "amount_reporting": amount_rep,
                "refunded_reporting": refunded_rep,
                "fee_reporting": fee_rep,
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
