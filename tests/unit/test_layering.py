"""DESIGN.md's layering: ``data/`` and ``reports/`` never import ``dash``.

Reports are rendered by schedules and the CLI in processes that serve no page; the insight
engine runs there too. Checked in a fresh interpreter, since this test process has dash loaded.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: imports every module of the packages given as arguments, then prints the dash modules loaded
_PROBE = """
import importlib, pkgutil, sys
for name in sys.argv[1:]:
    package = importlib.import_module(name)
    for module in pkgutil.walk_packages(package.__path__, name + "."):
        if module.name.endswith(".cli"):
            continue  # command-line entry points belong to dashboard.cli (a Flask app)
        importlib.import_module(module.name)
print(sorted({m.split(".")[0] for m in sys.modules} & {"dash", "dash_bootstrap_components", "dash_ag_grid"}))
"""


@pytest.mark.parametrize("packages", [("data",), ("reports",), ("dashboard.insights",)])
def test_lay001_data_reports_and_insights_never_import_dash(packages):
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *packages], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout
