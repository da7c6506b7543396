"""Generate a large Stripe payments export (newer header) for the import benchmark."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl


def write_stripe_payments(
    path: Path,
    *,
    rows: int,
    customers: int,
    seed: int = 1,
    first_id: int = 0,
    start: str = "2025-01-01",
    days: int = 365,
) -> None:
    """Write ``rows`` payments of ``customers`` customers in Stripe's export layout.

    Payments fall in the ``days`` from ``start`` (by default all of 2025); ids count up from
    ``first_id``, so a later file with a higher ``first_id`` holds only new payments. Written in
    parts of at most a million rows, so a multi-GB file needs little memory to make.
    """
    path.unlink(missing_ok=True)
    rng = np.random.default_rng(seed)
    for part_start in range(0, rows, _PART_ROWS):
        part_rows = min(_PART_ROWS, rows - part_start)
        frame = _payments_part(rng, part_rows, customers, first_id + part_start, start, days)
        with path.open("ab") as out:
            frame.write_csv(out, float_precision=2, include_header=part_start == 0)


_PART_ROWS = 1_000_000


def _payments_part(
    rng: np.random.Generator, rows: int, customers: int, first_id: int, start: str, days: int
) -> pl.DataFrame:
    seconds = rng.integers(0, days * 86400, rows)
    created = (np.datetime64(f"{start}T00:00:00") + seconds.astype("timedelta64[s]")).astype(str)
    amount = np.round(rng.gamma(2.0, 40.0, rows) + 5, 2)
    status = rng.choice(
        ["Paid", "Paid", "Paid", "Paid", "Paid", "Paid", "Paid", "Paid", "Refunded", "Failed"], rows
    )
    refunded = np.where(status == "Refunded", amount, 0.0)
    customer = rng.integers(0, customers, rows)
    utm = rng.choice(["google|cpc", "facebook|paid_social", "newsletter|email", "google|organic", "|"], rows)
    return pl.DataFrame(
        {
            "id": [f"ch_{i:024d}" for i in range(first_id, first_id + rows)],
            "Created date (UTC)": created.tolist(),
            "Amount": amount,
            "Amount Refunded": refunded,
            "Currency": "usd",
            "Captured": "true",
            "Converted Amount": amount,
            "Converted Amount Refunded": refunded,
            "Converted Currency": "usd",
            "Description": rng.choice(["UI Kit", "Icon Pack", "Notion Templates", "Retainer Pro"], rows),
            "Fee": np.round(amount * 0.029 + 0.30, 2),
            "Status": status,
            "Customer ID": [f"cus_{c:014d}" for c in customer],
            "Customer Email": [f"customer{c}@example.com" for c in customer],
            "UTM Source": [u.split("|")[0] for u in utm],
            "UTM Medium": [u.split("|")[1] for u in utm],
        }
    ).with_columns(pl.col("Created date (UTC)").str.replace("T", " "))
