"""Dates in the XLSX row sheets are written as Excel serial numbers computed in Arrow."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa
import pytest
from xlsxwriter.utility import _datetime_to_excel_datetime

from reports.xlsx_rows import excel_serial_days as _plain


def excel(value: datetime) -> float:
    """xlsxwriter's own conversion (what write_datetime wrote before)."""
    return _datetime_to_excel_datetime(value, False, True)


def test_xlsxdates001_dates_match_xlsxwriters_own_conversion():
    days = [date(2026, 1, 31), date(1999, 12, 31), None]
    got = _plain(pa.array(days, pa.date32())).to_pylist()
    assert got[:2] == [excel(datetime(2026, 1, 31)), excel(datetime(1999, 12, 31))]
    assert got[2] is None


def test_xlsxdates002_timestamps_keep_their_wall_time():
    naive = pa.array([datetime(2026, 3, 29, 1, 30, 15)], pa.timestamp("ns"))
    assert _plain(naive).to_pylist()[0] == pytest.approx(excel(datetime(2026, 3, 29, 1, 30, 15)), abs=1e-9)
    berlin = pa.array([datetime(2026, 7, 1, 10, 0, tzinfo=UTC)], pa.timestamp("us", tz="Europe/Berlin"))
    # 10:00 UTC is 12:00 in Berlin in summer: the sheet shows the zone's wall time
    assert _plain(berlin).to_pylist()[0] == pytest.approx(excel(datetime(2026, 7, 1, 12, 0)), abs=1e-9)


def test_xlsxdates003_other_columns_are_unchanged():
    column = pa.array(["a", None])
    assert _plain(column) is column
