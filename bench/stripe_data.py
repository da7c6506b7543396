"""Generate a large Stripe payments export (newer header) for the import benchmark."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl


def write_stripe_payments(path: Path, *, rows: int, customers: int, seed: int = 1) -> None:
    """Write ``rows`` payments of ``customers`` customers over 2025, in Stripe's export layout."""
    rng = np.random.default_rng(seed)
    seconds = rng.integers(0, 365 * 86400, rows)
    created = (np.datetime64("2025-01-01T00:00:00") + seconds.astype("timedelta64[s]")).astype(str)
    amount = np.round(rng.gamma(2.0, 40.0, rows) + 5, 2)
    status = rng.choice(["Paid", "Paid", "Paid", "Paid", "Paid", "Paid", "Paid", "Paid", "Refunded", "Failed"], rows)
    refunded = np.where(status == "Refunded", amount, 0.0)
    customer = rng.integers(0, customers, rows)
    utm = rng.choice(["google|cpc", "facebook|paid_social", "newsletter|email", "google|organic", "|"], rows)
    frame = pl.DataFrame({
        "id": [f"ch_{i:024d}" for i in range(rows)],
        "Created date (UTC)": created.tolist(),
        "Amount": amount, "Amount Refunded": refunded, "Currency": "usd", "Captured": "true",
        "Converted Amount": amount, "Converted Amount Refunded": refunded, "Converted Currency": "usd",
        "Description": rng.choice(["UI Kit", "Icon Pack", "Notion Templates", "Retainer Pro"], rows),
        "Fee": np.round(amount * 0.029 + 0.30, 2), "Status": status,
        "Customer ID": [f"cus_{c:014d}" for c in customer],
        "Customer Email": [f"customer{c}@example.com" for c in customer],
        "UTM Source": [u.split("|")[0] for u in utm], "UTM Medium": [u.split("|")[1] for u in utm],
    }).with_columns(pl.col("Created date (UTC)").str.replace("T", " "))
    frame.write_csv(path, float_precision=2)
