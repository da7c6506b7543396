"""The report's insights briefing and forecast sections: PDF text, XLSX sheets, email briefing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from pypdf import PdfReader

from components.formatting import format_date
from data.metrics import query_metric
from reports.assemble import assemble
from reports.definition import ReportSpec
from reports.email import html_briefing, plain_text
from reports.render import render_file
from tests.conftest import load, payments_frame

TODAY = date(2026, 3, 15)
NOW = datetime(2026, 3, 15, 9, 0, tzinfo=ZoneInfo("UTC"))
SPEC = ReportSpec(
    sections=("kpis", "insights", "forecast"),
    period="custom",
    start=date(2026, 2, 1),
    end=date(2026, 2, 28),
)


@pytest.fixture
def seeded(services, workspace):
    """120 days of daily revenue with a weekly rhythm; February's Direct revenue jumps."""
    rows = []
    first = TODAY - timedelta(days=120)
    for n in range(120):
        day = first + timedelta(days=n)
        for k, channel in enumerate(("Email", "Direct", "Paid Search")):
            amount = 100 + 30 * (day.weekday() < 5) + 10 * k
            if channel == "Direct" and day.month == 2:
                amount *= 4  # the change the briefing should report
            rows.append(
                {
                    "id": f"p{n}-{k}",
                    "created": f"{day.isoformat()} 10:00",
                    "amount": f"{amount}.00",
                    "customer": f"c{(n + k) % 23}",
                    "channel": channel,
                    "product": "Retainer",
                }
            )
    load(services, workspace, "payments", payments_frame(rows))
    return services.warehouse.scoped(workspace)


def test_reports020_sections_are_filled_from_insights_and_forecast(seeded):
    data = assemble(seeded, SPEC, today=TODAY, now=NOW)
    insights = next(s for s in data.sections if s.key == "insights")
    assert insights.empty_message is None
    table = insights.tables[0]
    assert 1 <= len(table.rows) <= 5
    assert all(row[0] for row in table.rows)  # every insight has a headline
    forecast = next(s for s in data.sections if s.key == "forecast")
    assert forecast.empty_message is None
    # 120 days cannot calibrate a range on earlier months: the total alone, and a note saying why;
    # February is over by 15 March: the forecast made as it ended, and March's first days beside it
    expected, actual = (k.value for k in forecast.kpis)
    assert expected > 0 and actual > 0
    assert "No 80% range: too little history to say how far the total may be off." in forecast.notes
    days = forecast.tables[0].rows
    assert len(days) == 28  # the days after the period, as many as the report covers
    assert days[0][0] == date(2026, 3, 1)  # a date: the PDF writes "1 Mar 2026", Excel a real date
    assert forecast.tables[0].columns[0].unit == "date"
    assert expected == pytest.approx(sum(r[1] for r in days))


def test_reports021_pdf_contains_the_insight_headlines(seeded, tmp_path):
    data = assemble(seeded, SPEC, today=TODAY, now=NOW)
    headlines = [row[0] for row in data.sections[1].tables[0].rows]
    out = tmp_path / "r.pdf"
    render_file(seeded, SPEC, "pdf", out, data=data)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(out).pages)
    for headline in headlines:
        assert " ".join(headline.split()) in text
    assert "Insights briefing" in text and "Forecast" in text
    assert "not available" not in text
    assert format_date(TODAY) in text and TODAY.isoformat() not in text  # dates a person reads


def test_reports022_xlsx_has_a_sheet_each_with_numeric_cells(seeded, tmp_path):
    out = tmp_path / "r.xlsx"
    render_file(seeded, SPEC, "xlsx", out, today=TODAY, now=NOW)
    wb = openpyxl.load_workbook(out)
    insight_sheet = next(ws for ws in wb.worksheets if ws.title.startswith("Insights"))
    forecast_sheet = next(ws for ws in wb.worksheets if ws.title.startswith("Forecast"))
    # the top-insights table sits under the trend (findings by day): its cells below its header
    head = next(c.row for c in insight_sheet["A"] if c.value == "Insight")
    money = [c for row in insight_sheet.iter_rows(min_row=head + 1) for c in row if c.column == 4]
    assert money and all(isinstance(c.value, int | float) for c in money if c.value is not None)
    assert any("$" in c.number_format for c in money)
    numbers = [c.value for c in forecast_sheet["B"][1:29]]  # the trend: one row per day
    assert all(isinstance(v, int | float) for v in numbers)
    assert "$" in forecast_sheet["B2"].number_format
    dates = [c.value for c in forecast_sheet["A"][1:29]]
    assert all(isinstance(v, datetime) for v in dates)
    # the forecast-by-day table under the trend: its days are dates too, not text
    day_cells = [c for c in forecast_sheet["A"][30:] if isinstance(c.value, datetime)]
    assert len(day_cells) == 28 and day_cells[0].value.date() == date(2026, 3, 1)


def test_reports023_email_briefing_lists_top_insights(seeded):
    data = assemble(seeded, SPEC, today=TODAY, now=NOW)
    headlines = [row[0] for row in data.sections[1].tables[0].rows]
    html = html_briefing(data, "", None)
    text = plain_text(data, "", None)
    assert "Top insights" in html and "Top insights" in text
    for headline in headlines[:3]:
        assert headline in text


def test_reports024_too_little_history_says_so(services, workspace):
    load(
        services,
        workspace,
        "payments",
        payments_frame([{"id": "p1", "created": "2026-03-10 10:00", "amount": "10.00"}]),
    )
    data = assemble(services.warehouse.scoped(workspace), SPEC, today=TODAY, now=NOW)
    forecast = next(s for s in data.sections if s.key == "forecast")
    assert forecast.empty_message.startswith("No forecast: not enough history")
    assert forecast.trend is None


def test_reports025_a_filtered_email_names_the_numbers_the_filter_does_not_reach(seeded):
    """Filtered to Channel = Email, the email's MRR and ad spend were the workspace's, unsaid."""
    spec = ReportSpec(
        sections=("kpis", "revenue"),
        period="custom",
        start=date(2026, 2, 1),
        end=date(2026, 2, 28),
        filters={"channel": "Email"},
    )
    data = assemble(seeded, spec, today=TODAY, now=NOW)
    note = "Not filtered by channel: MRR, Ad spend, ROAS and Open rate have no channel."
    assert note in plain_text(data, "", None)
    assert note in html_briefing(data, "", None)


def test_reports037_the_forecast_total_range_is_calibrated_like_the_cards(services, workspace, tmp_path):
    """Fifteen months of ~$1,000 a day: the 30-day total's 80% range is read from the model's own
    past errors, not the daily bands added end to end (which made it several times too wide:
    "$0 - $412k" for a month of about $100k on the demo)."""
    import random

    rng = random.Random(7)
    rows = []
    first = TODAY - timedelta(days=460)
    for n in range(460):
        day = first + timedelta(days=n)
        amount = 1000 + 150 * (day.weekday() < 5) + rng.gauss(0, 120)
        rows.append({"id": f"p{n}", "created": f"{day.isoformat()} 10:00", "amount": f"{amount:.2f}"})
    load(services, workspace, "payments", payments_frame(rows))
    scoped = services.warehouse.scoped(workspace)
    spec = ReportSpec(sections=("forecast",), period="custom", start=date(2026, 2, 1), end=date(2026, 3, 2))
    data = assemble(scoped, spec, today=TODAY, now=NOW)
    forecast = data.sections[0]
    expected, low, high, actual = (k.value for k in forecast.kpis)
    assert low < expected < high
    assert forecast.kpis[3].label == "Net revenue: actual so far, 3 – 14 Mar 2026"  # the days that are over
    assert not any("range" in note for note in forecast.notes)
    # 30 days of ~$1,100 ± $120: the total is known to a few percent; the old range was ~25% wide
    assert (high - low) / expected < 0.15
    out = tmp_path / "f.pdf"
    render_file(scoped, spec, "pdf", out, data=data)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(out).pages)
    assert "Low end (80% range)" in text
    assert "Compared" not in text.split("Forecast", 1)[1]  # no column of dashes beside a forecast


def test_reports041_the_insights_trend_sheet_holds_a_trend(seeded, tmp_path):
    """The "Insights briefing trend" sheet held the top-5 table and no trend: now findings by day."""
    data = assemble(seeded, SPEC, today=TODAY, now=NOW)
    insights = next(s for s in data.sections if s.key == "insights")
    trend = insights.trend
    assert trend.grain == "day" and trend.periods[0] == SPEC.start and trend.periods[-1] == SPEC.end
    assert all(unit == "count" for _, unit, _ in trend.series)
    # February's jump is a change against January: on no one day, and the note says so
    assert trend.note.startswith("The only finding for the period covers the whole period")
    out = tmp_path / "r.xlsx"
    render_file(seeded, SPEC, "xlsx", out, today=TODAY, now=NOW)
    sheet = openpyxl.load_workbook(out)["Insights briefing trend"]  # the name scripts read
    header = [c.value for c in sheet[1]]
    assert header[: len(trend.series) + 1] == ["Period start", *(label for label, _, _ in trend.series)]
    assert header[len(trend.series) + 2] == trend.note  # what the counts leave out, in words
    days = [c.value for c in sheet["A"][1:29]]
    assert all(isinstance(d, datetime) for d in days) and days[0].date() == SPEC.start
    assert any(c.value == "Top " + str(len(insights.tables[0].rows)) + " insights" for c in sheet["A"])


def test_reports042_insights_are_counted_by_the_period_they_concern():
    from types import SimpleNamespace

    from reports.briefing import insights_trend

    def found(kind, first, last):
        return SimpleNamespace(type=kind, period_from=first, period_to=last)

    feb = [date(2026, 2, d) for d in range(1, 29)]
    trend = insights_trend(
        [
            found("unusual_change", feb[4], feb[4]),
            found("unusual_change", feb[4], feb[4]),
            found("trend_change", feb[9], feb[9]),
            found("period_change", feb[0], feb[-1]),  # the whole period: on no one day
        ],
        feb[0],
        feb[-1],
    )
    assert trend.periods == feb and trend.kind == "bar"
    series = {label: values for label, _, values in trend.series}
    assert list(series) == ["Unusual changes", "Trend changes"]
    assert series["Unusual changes"][4] == 2 and sum(series["Unusual changes"]) == 2
    assert series["Trend changes"][9] == 1
    assert trend.note == (
        "Counts all 4 findings for the period, not only the top 5: 3 concern a single day and are "
        "counted on it; 1 finding covers the whole period (a change against the previous period, "
        "a record ...) and is not counted by day."
    )
    assert insights_trend([], feb[0], feb[-1]) is None


def test_reports046_a_past_periods_forecast_is_the_one_made_as_it_ended(seeded, tmp_path):
    """February's report rendered on 15 March forecast 15 March onwards, as if that were February's.

    Now it is the forecast the report held when February ended (fitted up to 28 Feb), said so,
    with what actually happened on the days since set beside it.
    """
    sent = assemble(seeded, SPEC, today=date(2026, 3, 1), now=NOW)  # the schedule's run
    later = assemble(seeded, SPEC, today=TODAY, now=NOW)  # rendered again two weeks later
    f_sent, f_later = (next(s for s in d.sections if s.key == "forecast") for d in (sent, later))
    # the same forecast, whenever it is rendered
    assert [r[:4] for r in f_later.tables[0].rows] == f_sent.tables[0].rows
    assert f_later.kpis[0].value == pytest.approx(f_sent.kpis[0].value)
    assert f_sent.kpis[0].label == "Net revenue: forecast total, 1 – 28 Mar 2026, as of 28 Feb 2026"
    made = (
        "Forecast as of 28 Feb 2026, the last day of the report period: fitted on the days up to "
        "then only, for the 28 days after it (1 – 28 Mar 2026)."
    )
    assert f_sent.notes[0] == made and f_later.notes[0] == made
    # rendered on the day after the period, nothing has happened yet: no actual column
    assert [c.label for c in f_sent.tables[0].columns] == ["Day", "Forecast", "Low", "High"]
    # later: the days that are over (1 - 14 Mar) with what happened, the rest empty
    assert [c.label for c in f_later.tables[0].columns] == ["Day", "Forecast", "Low", "High", "Actual"]
    rows = f_later.tables[0].rows
    assert all(r[4] is not None for r in rows[:14]) and all(r[4] is None for r in rows[14:])
    march = query_metric(seeded, "net_revenue", date(2026, 3, 1), date(2026, 3, 14))["value"][0]
    assert f_later.kpis[-1].label == "Net revenue: actual so far, 1 – 14 Mar 2026"
    assert (
        f_later.kpis[-1].value == pytest.approx(float(march)) == pytest.approx(sum(r[4] for r in rows[:14]))
    )
    assert f_later.notes[-1].startswith(
        "What actually happened so far: $5,520.00 in 1 – 14 Mar 2026 (14 of the 28 days)"
    )
    assert f_later.trend.series[-1][0] == "Net revenue actual"
    out, book = tmp_path / "r.pdf", tmp_path / "r.xlsx"
    render_file(seeded, SPEC, "pdf", out, data=later)
    render_file(seeded, SPEC, "xlsx", book, data=later)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(out).pages)
    assert made in text and "Net revenue: actual so far, 1 – 14 Mar 2026" in text
    sheet = openpyxl.load_workbook(book)["Forecast trend"]  # the sheet's name is unchanged
    head = next(r for r in sheet.iter_rows() if r[0].value == "Day")
    assert [c.value for c in head[:5]] == ["Day", "Forecast", "Low", "High", "Actual"]
    first = sheet.cell(head[0].row + 1, 5).value
    assert isinstance(first, int | float) and first == rows[0][4]  # a number, not text


def test_reports047_a_forecast_says_how_it_did_and_never_claims_a_period_it_misses(seeded):
    """January's forecast, all over by March, is set against what happened; a period yet to come
    says its forecast starts today."""
    january = ReportSpec(
        sections=("forecast",), period="custom", start=date(2026, 1, 1), end=date(2026, 1, 31)
    )
    forecast = assemble(seeded, january, today=TODAY, now=NOW).sections[0]
    labels = [k.label for k in forecast.kpis]
    assert labels == [
        "Net revenue: forecast total, 1 Feb – 3 Mar 2026, as of 31 Jan 2026",
        "Net revenue: actual, 1 Feb – 3 Mar 2026",
    ]
    # February's Direct revenue jumped: well above what January's history said
    assert forecast.notes[-1].startswith("What actually happened since: $23,250.00 in 1 Feb – 3 Mar 2026, ")
    assert "% above the forecast of " in forecast.notes[-1]
    april = ReportSpec(sections=("forecast",), period="custom", start=date(2026, 4, 1), end=date(2026, 4, 30))
    forecast = assemble(seeded, april, today=TODAY, now=NOW).sections[0]
    assert forecast.notes[0] == (
        "Forecast from 15 Mar 2026, when this report was made: the report period (1 – 30 Apr 2026) "
        "has not started, so these are the 30 days from today (15 Mar – 13 Apr 2026)."
    )
    assert forecast.tables[0].rows[0][0] == TODAY
