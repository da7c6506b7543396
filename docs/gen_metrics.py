"""Regenerate docs/metrics.md from the metric catalogue: `.venv/bin/python docs/gen_metrics.py`."""

from pathlib import Path

from data.metrics import CATALOGUE

HEADER = """# Metrics

Every number Pulseboard shows comes from one definition in `data/metrics/catalogue.py`: the
pages, the downloads, the CLI (`pulseboard metric NAME ...`) and, as they arrive, reports all
call the same `query_metric`. `pulseboard metric NAME --workspace W --from D --to D --sql`
prints the SQL that answers a request, runnable as printed (the shortest way to follow a
number to its source). The package, in reading order: `catalogue` (definitions), `request`
(`MetricRequest`), `execute` (answering), `compile` (SQL templates), `calendar`, `derived`
and `subscriptions` (metrics computed from other answers), `service` (the caches, one
`MetricService` per app). Days are calendar days in the workspace's time zone; money is in the
workspace's reporting currency. Ratios are computed from the summed parts of each period or
group (never an average of daily ratios) and are empty when the denominator is zero.

Grains: `total`, `day`, `week` (weeks start on Monday), `month`. Comparisons:
`previous_period` (the same number of days just before) and `previous_year` (the same dates a
year earlier; 29 February maps to 28 February). Each period of a comparison lines up with the
period at the same position in the current range.

Ratios are shown as percentages, and a ratio's change against a comparison is said in
percentage points (2.8% -> 9.6% is +6.8 pp, not +243%); the catalogue says so in each
metric's `change_unit`. Durations say what they count (`days` or `months`). Every value is
formatted from its unit in `components/formatting.py`, in the workspace's number locale
(Settings → Number format: `1.234,56 €` in de-DE, `$1,234.56` in en-US; see the README), and
so are numbers inside sentences (`12.345 rows`, `80 % range`, `1.234 ms`: `format_number` and
`percent_sign`). Charts take the locale's separators; where it writes a space before `%`
(de-DE, fr-FR), ratio hovers and axes are labelled from text, since Plotly's `.1%` cannot.
`pulseboard metric --json`, CSV files, the CLI and the API always give plain numbers.

Only net revenue, net MRR churn, monthly revenue per customer and CAC payback can go below
zero (`can_be_negative` in `pulseboard metrics --json`); forecast bands and the insights'
normal ranges of every other metric stop at 0, and so do those of a series of these four whose
history has no day below zero (a product that was never refunded more than it sold in a day).

Derived metrics (ARPA, LTV, NRR, churn rates, CAC, CAC payback, open pipeline ...) are computed
from other answers for each period, so they cannot be split by a dimension; the subscription
ones can be filtered by plan (`where={"plan": ...}`). A derived value is empty, never zero,
where its denominator is zero (LTV when nobody churned).

**CAC payback** = CAC / monthly revenue per customer, in months: CAC counts every new paying
customer (ad spend / new customers), so it is earned back from what one paying customer brings
in a month (net revenue / active customers / months in the period), not from ARPA (MRR per
subscriber), which counts a different population.

| name | label | unit | up is good | additive | split by |
|---|---|---|---|---|---|
"""


def _unit(m) -> str:
    """The unit column: the unit, what a duration counts, how a change is said for ratios."""
    if m.unit_label:
        return f"{m.unit} ({m.unit_label})"
    return f"{m.unit} (change in points)" if m.change_unit == "points" else m.unit


def _splits(m) -> str:
    """The split-by column: derived metrics can be filtered by their dimensions, not split."""
    if m.derive is not None:
        return f"filter: {', '.join(m.dimensions)}" if m.dimensions else "—"
    return ", ".join(m.dimensions) or "—"


def _source(m) -> str:
    """Where the number comes from, in words."""
    at_end = ", value at the end of each period" if m.snapshot else ""
    if m.derive is not None:
        return f"derived from other answers, table `{m.table}`{at_end}"
    return f"table `{m.table}`, dated by `{m.date_column}`{at_end}"


def render() -> str:
    """The text of docs/metrics.md, from the catalogue."""
    rows = [
        f"| `{m.name}` | {m.label} | {_unit(m)} | {'yes' if m.up_is_good else 'no'} | "
        f"{'yes' if m.additive else 'no'} | {_splits(m)} |"
        for m in CATALOGUE.values()
    ]
    sections = [
        f"## `{m.name}` — {m.label}\n\n{m.description}\n\nFormula: `{m.formula}` ({_source(m)}).\n"
        for m in CATALOGUE.values()
    ]
    return HEADER + "\n".join(rows) + "\n\n" + "\n".join(sections)


def main() -> None:
    """Write docs/metrics.md."""
    Path(__file__).with_name("metrics.md").write_text(render())


if __name__ == "__main__":
    main()
