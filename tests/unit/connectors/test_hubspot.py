"""HubSpot deals export."""

from __future__ import annotations

from datetime import datetime

from tests.unit.connectors._helpers import D, parse


def test_con601_deals_values_won_and_time_zone():
    p = parse("hubspot_deals.csv", timezone="America/New_York", reporting_currency="USD")
    assert p.source == "hubspot"
    won = p.row("101")
    assert (won["name"], won["stage"], won["won"], won["amount"]) == (
        "Acme renewal",
        "Closed Won",
        True,
        D("45362.12"),
    )
    assert won["created_at"] == datetime(2024, 3, 1, 14, 30)  # 09:30 EST
    assert won["closed_at"] == datetime(2024, 5, 1, 14, 0)  # 10:00 EDT
    assert (won["pipeline"], won["owner"], won["currency"]) == ("Sales Pipeline", "Jane", "USD")
    open_ = p.row("102")
    assert (open_["won"], open_["amount"], open_["closed_at"]) == (None, D("11015.00"), None)
    assert p.row("103")["won"] is False


def test_con602_bad_create_date_is_row_error():
    [err] = parse("hubspot_deals.csv").errors
    assert (err.row_number, err.column, err.raw["Deal Name"]) == (5, "Create Date", "Delta")
