"""customer_daily counts a customer under each channel/product/country they paid through on a day."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest

from data.metrics import query_metric
from tests.conftest import load, payments_frame

CHANNELS = ["Email", "Paid Search", "Direct", None]


def _payments(seed: int = 3, n: int = 400) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        rows.append(
            {
                "id": f"ch_{i}",
                "created": datetime(2026, 1, 1)
                + timedelta(days=rng.randint(0, 80), hours=rng.randint(0, 23)),
                "amount": "10.00",
                "customer": f"cus_{rng.randint(0, 25)}",  # few customers: many pay twice a day
                "channel": rng.choice(CHANNELS),
                "product": rng.choice(["Pro", "Basic"]),
                "country": rng.choice(["US", "DE"]),
            }
        )
    return rows


def test_cdd001_two_channels_one_day_counts_under_each(services, workspace):
    load(
        services,
        workspace,
        "payments",
        payments_frame(
            [
                {
                    "id": "a",
                    "created": "2026-02-03 09:00",
                    "amount": "5.00",
                    "customer": "c1",
                    "channel": "Email",
                },
                {
                    "id": "b",
                    "created": "2026-02-03 18:00",
                    "amount": "7.00",
                    "customer": "c1",
                    "channel": "Paid Search",
                },
            ]
        ),
    )
    scoped = services.warehouse.scoped(workspace)
    day = date(2026, 2, 3)
    for channel in ("Email", "Paid Search"):
        got = query_metric(scoped, "active_customers", day, day, where={"channel": channel})["value"][0]
        assert got == 1, channel
    assert query_metric(scoped, "active_customers", day, day)["value"][0] == 1


@pytest.mark.parametrize("grain", ["total", "day", "week", "month"])
@pytest.mark.parametrize("channel", ["Email", "Paid Search", None])
def test_cdd002_filtered_customer_counts_equal_count_distinct(services, workspace, grain, channel):
    """Filtered and unfiltered (the day grain reads the first_of_day rows), after two imports."""
    rows = _payments()
    load(services, workspace, "payments", payments_frame(rows[:250]))
    load(services, workspace, "payments", payments_frame(rows[250:]))  # refreshes days of the first
    scoped = services.warehouse.scoped(workspace)
    start, end = date(2026, 1, 1), date(2026, 3, 31)
    where = {"channel": channel} if channel else None
    got = query_metric(scoped, "active_customers", start, end, grain=grain, where=where)
    unit = {"total": None, "day": "day", "week": "week", "month": "month"}[grain]
    period = f"CAST(date_trunc('{unit}', created) AS DATE)" if unit else "NULL"
    expected = dict(
        services.warehouse.cursor()
        .execute(
            f"""SELECT {period} AS p, count(DISTINCT customer_id) FROM payments
                WHERE workspace_id = ? AND (channel = ? OR ? IS NULL) AND created >= ? AND created < ?
                GROUP BY p""",
            [workspace.id, channel, channel, start, end + timedelta(days=1)],
        )
        .fetchall()
    )
    if unit is None:
        assert got["value"][0] == expected[None]
    else:
        got_map = {str(row["period"])[:10]: row["value"] for row in got.to_dicts() if row["value"]}
        assert got_map == {str(k): float(v) for k, v in expected.items()}
