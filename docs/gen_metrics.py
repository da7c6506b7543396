"""Regenerate docs/metrics.md from the metric catalogue: `.venv/bin/python docs/gen_metrics.py`."""

from pathlib import Path

from data.metrics import CATALOGUE

HEADER = """# Metrics

Every number Pulseboard shows comes from one definition in `data/metrics.py`: the pages, the
downloads, the CLI (`pulseboard metric NAME ...`) and, as they arrive, reports all call the same
`query_metric`. Days are calendar days in the workspace's time zone; money is in the
workspace's reporting currency. Ratios are computed from the summed parts of each period or
group (never an average of daily ratios) and are empty when the denominator is zero.

Grains: `total`, `day`, `week` (weeks start on Monday), `month`. Comparisons:
`previous_period` (the same number of days just before) and `previous_year` (the same dates a
year earlier; 29 February maps to 28 February). Each period of a comparison lines up with the
period at the same position in the current range.

| name | label | unit | up is good | additive | split by |
|---|---|---|---|---|---|
"""


def main() -> None:
    """Write docs/metrics.md."""
    rows = [
        f"| `{m.name}` | {m.label} | {m.unit} | {'yes' if m.up_is_good else 'no'} | "
        f"{'yes' if m.additive else 'no'} | {', '.join(m.dimensions) or '—'} |"
        for m in CATALOGUE.values()
    ]
    sections = [
        f"## `{m.name}` — {m.label}\n\n{m.description}\n\nFormula: `{m.formula}` (table `{m.table}`, "
        f"dated by `{m.date_column}`{', value at the end of each period' if m.snapshot else ''}).\n"
        for m in CATALOGUE.values()
    ]
    text = HEADER + "\n".join(rows) + "\n\n" + "\n".join(sections)
    Path(__file__).with_name("metrics.md").write_text(text)


if __name__ == "__main__":
    main()
