"""docs/metrics.md is what docs/gen_metrics.py writes from the catalogue (no hand edit drifts)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_doc001_the_metrics_page_is_the_catalogue_as_the_generator_writes_it():
    spec = importlib.util.spec_from_file_location("gen_metrics", DOCS / "gen_metrics.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert (DOCS / "metrics.md").read_text() == gen.render(), (
        "docs/metrics.md differs from the catalogue: run `.venv/bin/python docs/gen_metrics.py` "
        "(and edit the page's introduction in docs/gen_metrics.py, not in docs/metrics.md)"
    )
