"""The slim plotly.js (vendor/plotly/) draws every trace type the app builds, and is the one built."""

import hashlib
import json
import re
from pathlib import Path

import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType
from plotly.offline import get_plotlyjs_version

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "vendor" / "plotly" / "plotly.min.js"
MANIFEST = json.loads((ROOT / "vendor" / "plotly" / "bundle.json").read_text())
# Everything that builds figures for the browser (reports render server-side, without plotly.js).
SOURCES = ["app.py", "callbacks", "components", "pages", "dashboard"]
TRACE_TYPES = {
    cls().type
    for name in dir(go)
    if isinstance(cls := getattr(go, name), type) and issubclass(cls, BaseTraceType)
}


def _source_files():
    for entry in SOURCES:
        path = ROOT / entry
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def trace_types_in_code() -> dict[str, set[str]]:
    """Trace type -> files building it: ``go.Bar(...)``, ``fig.add_bar(...)``, ``"type": "bar"``."""
    found: dict[str, set[str]] = {}
    for path in _source_files():
        text = path.read_text()
        types = {
            getattr(go, name)().type
            for name in re.findall(r"\bgo\.([A-Z]\w*)\(", text)
            if issubclass(getattr(go, name), BaseTraceType)
        }
        types |= {t for t in re.findall(r"""["']type["']\s*:\s*["'](\w+)["']""", text) if t in TRACE_TYPES}
        types |= {t for t in re.findall(r"\.add_(\w+)\(", text) if t in TRACE_TYPES}
        types |= {t for t in re.findall(r"""\btype\s*=\s*["'](\w+)["']""", text) if t in TRACE_TYPES}
        for trace_type in types:
            found.setdefault(trace_type, set()).add(str(path.relative_to(ROOT)))
    return found


def registered_in_bundle() -> list[str]:
    """The trace modules the built file registers (each module object names its type)."""
    return re.findall(r'moduleType:"trace",name:"(\w+)"', BUNDLE.read_text())


def test_plotly001_every_trace_type_the_code_builds_is_in_the_bundle():
    used = trace_types_in_code()
    assert {"scatter", "bar", "heatmap", "funnel"} <= used.keys()  # the scan finds what it should
    missing = {t: sorted(files) for t, files in used.items() if t not in registered_in_bundle()}
    assert not missing, f"add these trace types to vendor/plotly/entry.js and rebuild: {missing}"


def test_plotly002_no_plotly_express():
    # Express picks trace types from its arguments, out of sight of the scan above.
    for path in _source_files():
        assert not re.search(r"plotly\.express|import express", path.read_text()), path


def test_plotly003_manifest_describes_the_committed_bundle():
    data = BUNDLE.read_bytes()
    assert MANIFEST["bytes"] == len(data)
    assert MANIFEST["sha256"] == hashlib.sha256(data).hexdigest()
    assert MANIFEST["traces"] == registered_in_bundle()
    assert data.startswith(b"/**\n* plotly.js (pulseboard: scatter, bar, heatmap, funnel - minified) v")


def test_plotly004_same_plotly_js_as_the_python_package():
    # Figures are serialised by python plotly for the plotly.js it ships; the bundle must match.
    assert MANIFEST["plotly_js"] == get_plotlyjs_version()
    assert f" v{get_plotlyjs_version()}\n" in BUNDLE.read_text()[:200]
    pinned = re.search(r"^PLOTLY_VERSION=(\S+)", (ROOT / "vendor" / "plotly" / "build.sh").read_text(), re.M)
    assert pinned.group(1) == get_plotlyjs_version()
