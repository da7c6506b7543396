"""PayPal activity downloads: US format, German/EU format, skipped row types."""

from __future__ import annotations

import hashlib
from datetime import datetime

from tests.unit.connectors._helpers import D, parse


def test_con701_us_payment_fee_positive_and_utc():
    p = parse("paypal_us.csv", reporting_currency="USD")
    assert p.source == "paypal"
    r = p.row("1AB23456CD789012E")
    assert r["created"] == datetime(2022, 4, 1, 17, 15)  # 10:15 PDT
    assert (r["kind"], r["status"], r["amount"], r["fee"], r["net"]) == (
        "charge",
        "succeeded",
        D("1011.70"),
        D("29.64"),
        D("982.06"),
    )
    assert r["customer_email_hash"] == hashlib.sha256(b"jane@buyer.com").hexdigest()
    assert (r["product"], r["country"], r["channel"], r["amount_reporting"]) == (
        "Course Bundle",
        "US",
        "Direct",
        D("1011.70"),
    )


def test_con702_refund_line_and_pending_payment():
    p = parse("paypal_us.csv")
    ref = p.row("2RF00000000000000")
    assert (ref["kind"], ref["status"], ref["amount"], ref["amount_refunded"]) == (
        "refund",
        "refunded",
        D("100.00"),  # base.REFUND_CONTRACT: a refund line's money is in amount
        D("0"),
    )
    assert (ref["fee"], ref["net"]) == (D("-2.90"), D("-97.10"))  # PayPal gave part of its fee back
    assert ref["customer_id"] == hashlib.sha256(b"jane@buyer.com").hexdigest()  # recipient of the refund
    assert p.row("5PE00000000000000")["status"] == "pending"


def test_con703_memo_invoice_and_outgoing_rows_skipped_but_counted():
    p = parse("paypal_us.csv")
    ids = set(p.frame()["source_id"])
    assert "3IN00000000000000" not in ids and "4OUT0000000000000" not in ids
    assert p.rows_read() == 6
    [err] = p.errors
    assert (err.row_number, err.column, err.reason) == (7, "Currency", "unknown currency code 'XYZ'")


def test_con704_german_eu_export():
    p = parse("paypal_eu_de.csv", reporting_currency="EUR")
    assert p.source == "paypal"
    r = p.row("7DE00000000000000")
    assert r["created"] == datetime(2024, 2, 13, 17, 30)  # 18:30 MEZ
    assert (r["amount"], r["fee"], r["net"], r["currency"]) == (D("1234.56"), D("35.10"), D("1199.46"), "EUR")
    assert (r["status"], r["customer_name"], r["product"]) == ("succeeded", "Hans Käufer", "Workshop")
    assert p.row("8DE00000000000000")["amount"] == D("0.99")


# -- currency conversions (paypal_fx.csv: a USD account receiving EUR and GBP) -------------------
#
# The fixture is the 41-column business layout: every field quoted, thousands commas
# ("1,250.00"), PST/PDT time zones, Balance Impact Credit/Debit. Each received payment in a
# currency the account does not hold is followed (or preceded) by two "General Currency
# Conversion" rows whose Reference Txn ID is the payment's Transaction ID.


def test_con705_foreign_payment_reporting_amounts_from_paypals_conversion():
    p = parse("paypal_fx.csv", reporting_currency="USD")
    eur = p.row("2EUR0000000000001")
    # the row keeps its own currency; PayPal converted the net 1,205.90 EUR into 1,302.61 USD
    assert (eur["amount"], eur["fee"], eur["net"], eur["currency"]) == (
        D("1250.00"),
        D("44.10"),
        D("1205.90"),
        "EUR",
    )
    # amount at PayPal's rate (1302.61 / 1205.90), fee = amount - PayPal's converted net
    assert (eur["amount_reporting"], eur["fee_reporting"], eur["refunded_reporting"]) == (
        D("1350.25"),
        D("47.64"),
        D("0"),
    )
    assert eur["amount_reporting"] - eur["fee_reporting"] == D("1302.61")
    # the GBP payment's conversion rows come BEFORE it in the file
    gbp = p.row("3GBP0000000000001")
    assert (gbp["amount_reporting"], gbp["fee_reporting"]) == (D("101.27"), D("3.82"))


def test_con706_refund_of_foreign_payment_uses_its_own_conversion_pair():
    p = parse("paypal_fx.csv", reporting_currency="USD")
    ref = p.row("9REF0000000000001")
    assert (ref["kind"], ref["amount"], ref["fee"], ref["net"]) == (
        "refund",
        D("200.00"),
        D("-7.06"),
        D("-192.94"),
    )
    # PayPal took 209.75 USD to pay back 192.94 EUR; net = -amount - fee holds in USD too
    assert (ref["amount_reporting"], ref["fee_reporting"]) == (D("217.43"), D("-7.68"))
    assert -ref["amount_reporting"] - ref["fee_reporting"] == D("-209.75")


def test_con707_no_conversion_row_keeps_the_fx_table_fallback():
    p = parse("paypal_fx.csv", reporting_currency="USD")
    cad = p.row("6CAD0000000000001")  # kept in a CAD balance: nothing converted it
    assert (cad["amount_reporting"], cad["fee_reporting"], cad["refunded_reporting"]) == (None, None, None)
    usd = p.row("1USD0000000000001")
    assert (usd["amount_reporting"], usd["fee_reporting"]) == (D("2000.00"), D("58.30"))
    # a workspace reporting in EUR: PayPal's USD conversions are no use, the FX table converts
    eur = parse("paypal_fx.csv", reporting_currency="EUR")
    assert eur.row("3GBP0000000000001")["amount_reporting"] is None
    assert eur.row("2EUR0000000000001")["amount_reporting"] == D("1250.00")


def test_con708_conversion_rows_skipped_and_every_row_accounted_for():
    for batch_rows in (500_000, 2):  # a payment and its conversions in different batches too
        p = parse("paypal_fx.csv", reporting_currency="USD", batch_rows=batch_rows)
        skipped: dict[str, int] = {}
        for chunk in p.chunks:
            for reason, n in chunk.skipped.items():
                skipped[reason] = skipped.get(reason, 0) + n
        assert skipped == {
            "currency conversions (applied to their payment)": 6,
            # the conversions funding a payment this account sent are not applied to anything
            "invoices, requests, holds and currency conversions": 2,
            "payments this account sent": 1,
        }
        assert p.rows_read() == 14 == p.frame().height + sum(skipped.values()) + len(p.errors)
        assert p.row("2EUR0000000000001")["amount_reporting"] == D("1350.25")


def test_con709_file_totals_stay_in_each_payments_own_currency():
    from data.reconcile import FileTotals

    p = parse("paypal_fx.csv", reporting_currency="USD")
    totals = FileTotals()
    for chunk in p.chunks:
        totals.add(chunk.table, chunk.frame)
    values = totals.totals().values
    totals.close()
    # conversion legs (1,302.61 USD ...) are not money received: USD holds the USD payment only
    assert values["gross USD"] == D("2000.00")
    assert (values["gross EUR"], values["refunds EUR"], values["fees EUR"]) == (
        D("1250.00"),
        D("200.00"),
        D("37.04"),
    )
    assert (values["gross GBP"], values["gross CAD"], values["rows payments"]) == (D("80.00"), D("40.00"), 5)


def test_con710_german_conversion_rows_applied_never_imported_as_payments(tmp_path):
    header = (
        '"Datum","Uhrzeit","Zeitzone","Name","Typ","Status","Währung","Brutto","Gebühr","Netto",'
        '"Absender E-Mail-Adresse","Empfänger E-Mail-Adresse","Transaktionscode",'
        '"Zugehöriger Transaktionscode","Auswirkung auf Guthaben"'
    )
    rows = [
        '"13.02.2024","18:30:00","MEZ","Joe","Zahlung im Webshop","Abgeschlossen","USD","1.100,00","-38,80",'
        '"1.061,20","joe@example.com","shop@example.de","1DEUSD00000000001","","Haben"',
        '"13.02.2024","18:30:00","MEZ","","Allgemeine Währungsumrechnung","Abgeschlossen","USD","-1.061,20",'
        '"0,00","-1.061,20","shop@example.de","","2DECV000000000001","1DEUSD00000000001","Soll"',
        '"13.02.2024","18:30:00","MEZ","","Allgemeine Währungsumrechnung","Abgeschlossen","EUR","980,15",'
        '"0,00","980,15","","shop@example.de","3DECV000000000001","1DEUSD00000000001","Haben"',
        # a conversion pair for nothing in this file: skipped, not a 50,00 EUR sale
        '"14.02.2024","09:00:00","MEZ","","Allgemeine Währungsumrechnung","Abgeschlossen","EUR","50,00",'
        '"0,00","50,00","","shop@example.de","4DECV000000000001","9UNKNOWN000000001","Haben"',
    ]
    path = tmp_path / "Download.CSV"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    p = parse(path, reporting_currency="EUR")
    assert p.frame()["source_id"].to_list() == ["1DEUSD00000000001"]
    r = p.row("1DEUSD00000000001")
    # rate 980.15 / 1061.20: amount 1,100.00 USD -> 1,015.99 EUR; fee = 1,015.99 - 980.15
    assert (r["amount_reporting"], r["fee_reporting"]) == (D("1015.99"), D("35.84"))
    assert p.chunks[0].skipped == {
        "currency conversions (applied to their payment)": 2,
        "invoices, requests, holds and currency conversions": 1,
    }
