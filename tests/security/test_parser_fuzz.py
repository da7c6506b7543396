"""Every file parser fuzzed: a damaged vendor export is imported, quarantined or clearly refused.

Each real-layout fixture in tests/fixtures/vendor is damaged by hypothesis — a cell replaced by a
hostile value, a line dropped or repeated, garbage appended, the file cut short — and imported
through the same path as an upload. The only acceptable outcomes are an import (possibly with
rows quarantined, each with its reason) or a refusal that says why; never an exception, never a
"failed" run carrying a raw internal error, and a refused or failed file leaves the warehouse as
it was. Derandomized, so CI sees the same cases every run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.importer import import_file

VENDOR = Path(__file__).parents[1] / "fixtures" / "vendor"
FIXTURES = sorted(
    p for p in VENDOR.rglob("*") if p.is_file() and p.suffix.lower() in (".csv", ".xlsx", ".json")
)
HOSTILE = [
    "",
    "-",
    "NaN",
    "1e308",
    "-1e26",
    "99999999999999999999999",
    "0001-01-01",
    "9999-12-31 23:59:59",
    "2026-13-45",
    "31/02/2026",
    '=HYPERLINK("http://x")',
    "'; DROP TABLE payments; --",
    "<script>alert(1)</script>",
    "日本語テキスト",
    "\x00\x01",
    "x" * 5000,
    '"unbalanced',
    "1,234.56.78",
    "USD",
]
TABLES = ("payments", "ad_daily", "email_campaigns", "web_daily", "deals", "customers", "subscriptions")


def _counts(services, workspace) -> dict[str, int]:
    scoped = services.warehouse.scoped(workspace)
    return {
        t: scoped.execute_sql(f"SELECT count(*) AS n FROM {t} WHERE workspace_id = $ws")["n"][0]
        for t in TABLES
    }


@st.composite
def damaged_text(draw, text: str) -> str:
    """``text`` with one damage applied (lines keep their delimiter where a cell is replaced)."""
    lines = text.splitlines(keepends=True) or [""]
    kind = draw(st.sampled_from(["cell", "cell", "drop", "repeat", "garbage", "cut"]))
    n = draw(st.integers(0, len(lines) - 1))
    if kind == "cell":
        delimiter = "\t" if "\t" in lines[0] else ";" if lines[0].count(";") > lines[0].count(",") else ","
        cells = lines[n].rstrip("\r\n").split(delimiter)
        i = draw(st.integers(0, len(cells) - 1))
        cells[i] = draw(st.sampled_from(HOSTILE))
        lines[n] = delimiter.join(cells) + "\n"
    elif kind == "drop" and len(lines) > 1:
        del lines[n]
    elif kind == "repeat":
        lines.insert(n, lines[n])
    elif kind == "garbage":
        lines.append(draw(st.sampled_from(HOSTILE)) + "\n")
    else:
        joined = "".join(lines)
        return joined[: draw(st.integers(0, len(joined)))]
    return "".join(lines)


def _check(services, workspace, path: Path) -> None:
    before = _counts(services, workspace)
    result = import_file(services.warehouse, workspace, path)  # must not raise
    assert result["status"] in ("ok", "partial", "refused"), (path.name, result["status"], result["error"])
    if result["status"] == "refused":
        assert result["error"] and "Traceback" not in result["error"], result
        assert _counts(services, workspace) == before, "a refused file changed the warehouse"
    accounted = result["inserted"] + result["updated"] + result["quarantined"] + result["skipped"]
    assert result["status"] == "refused" or accounted == result["rows_read"], result


@pytest.mark.parametrize("fixture", [p for p in FIXTURES if p.suffix != ".xlsx"], ids=lambda p: p.name)
@settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzz001_damaged_text_exports(services, workspace, tmp_path, fixture, data):
    raw = fixture.read_bytes()
    encoding = "utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
        encoding = "latin-1"
    damaged = data.draw(damaged_text(text))
    path = tmp_path / fixture.name
    path.write_bytes(damaged.encode(encoding, errors="replace"))
    _check(services, workspace, path)


@pytest.mark.parametrize("fixture", [p for p in FIXTURES if p.suffix == ".xlsx"], ids=lambda p: p.name)
@settings(
    max_examples=4,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzz002_damaged_workbooks(services, workspace, tmp_path, fixture, data):
    """A workbook cut short or with bytes flipped (a corrupt zip) is refused with a reason."""
    raw = bytearray(fixture.read_bytes())
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    else:
        for _ in range(data.draw(st.integers(1, 8))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    path = tmp_path / fixture.name
    path.write_bytes(bytes(raw))
    _check(services, workspace, path)
