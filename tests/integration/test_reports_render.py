"""`pulseboard report render`: PDF/XLSX/CSV content agrees with `pulseboard metric`."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from components.formatting import format_value
from dashboard.cli import cli
from reports import xlsx as xlsx_module
from tests.conftest import load, payments_frame

RANGE = ["--from", "2026-01-01", "--to", "2026-01-31"]


@pytest.fixture
def seeded(services, workspace):
    rows = []
    products = ["Retainer", '=HYPERLINK("http://x")', "Café Kit", "Icon, Pack"]
    for i in range(60):
        rows.append(
            {
                "id": f"p{i}",
                "created": f"2026-01-{1 + i % 31:02d} {8 + i % 10:02d}:00",
                "amount": f"{20 + (i * 7) % 90}.50",
                "refunded": "5.00" if i % 9 == 0 else "0",
                "customer": f"c{i % 17}",
                "channel": ["Email", "Direct", "Paid Search"][i % 3],
                "product": products[i % 4],
            }
        )
    # the comparison period (December) has revenue too, so deltas exist
    rows += [
        {
            "id": f"d{i}",
            "created": f"2025-12-{1 + i:02d} 10:00",
            "amount": "40.00",
            "customer": f"c{i}",
            "channel": "Direct",
        }
        for i in range(20)
    ]
    load(services, workspace, "payments", payments_frame(rows))
    return services


def run(services, *args):
    result = CliRunner().invoke(cli, list(args), obj=services, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def metric_value(services, name: str) -> float:
    code, out, err = run(services, "metric", name, "--workspace", "acme", *RANGE, "--json")
    assert code == 0, err
    return json.loads(out)["rows"][0]["value"]


def test_reports001_pdf_kpis_are_the_cli_metric_values(seeded, tmp_path):
    out = tmp_path / "r.pdf"
    code, stdout, err = run(
        seeded, "report", "render", "--workspace", "acme", "--format", "pdf", "--out", str(out), *RANGE,
        "--sections", "kpis,revenue",
    )  # fmt: skip
    assert code == 0, err
    assert "wrote" in stdout
    text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    for name in ("net_revenue", "gross_revenue", "refunds", "new_customers"):
        expected = format_value(
            metric_value(seeded, name), "count" if name == "new_customers" else "currency"
        )
        assert expected in text, f"{name} {expected} missing from the PDF"
    assert "Acme" in text
    assert "1 – 31 Jan 2026" in text
    assert "Page 1 of" in text
    assert "UTC" in text


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) not installed")
def test_reports002_pdf_pages_are_not_blank(seeded, tmp_path):
    from PIL import Image

    out = tmp_path / "r.pdf"
    code, _, err = run(
        seeded, "report", "render", "--workspace", "acme", "--format", "pdf", "--out", str(out), *RANGE
    )
    assert code == 0, err
    subprocess.run(["pdftoppm", "-r", "30", "-gray", "-png", str(out), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == len(PdfReader(out).pages) >= 2
    for page in pages:
        dark = sum(Image.open(page).convert("L").histogram()[:160])
        assert dark > 200, f"{page.name} looks blank ({dark} dark pixels)"


def test_reports003_section_without_data_says_so_in_words(seeded, tmp_path):
    out = tmp_path / "r.pdf"
    code, _, err = run(
        seeded, "report", "render", "--workspace", "acme", "--format", "pdf", "--out", str(out), *RANGE,
        "--sections", "campaigns,insights",
    )  # fmt: skip
    assert code == 0, err
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(out).pages)
    assert "No campaigns data for 1 – 31 Jan 2026." in text
    assert "by day" not in text  # no chart drawn for it
    assert "Insights briefing" in text and "not available" not in text


def test_reports004_xlsx_numbers_are_numbers_with_formats_and_same_totals(seeded, tmp_path):
    out = tmp_path / "r.xlsx"
    code, _, err = run(
        seeded, "report", "render", "--workspace", "acme", "--format", "xlsx", "--out", str(out), *RANGE,
        "--sections", "kpis,revenue",
    )  # fmt: skip
    assert code == 0, err
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "Summary"
    summary = wb["Summary"]
    net_rows = [r for r in summary.iter_rows() if r[0].value == "Net revenue"]
    assert net_rows
    value = net_rows[0][1]
    assert isinstance(value.value, int | float)  # a whole number reopens as int
    assert value.value == pytest.approx(metric_value(seeded, "net_revenue"))
    assert '"$"#,##0.00' in value.number_format
    rows = wb["Revenue rows"]
    assert rows.freeze_panes == "A2"
    assert rows.auto_filter.ref.startswith("A1:")
    header = [c.value for c in rows[1]]
    net_col = header.index("net")
    day = rows.cell(row=2, column=header.index("day") + 1)
    assert day.is_date and day.number_format == "yyyy-mm-dd"
    net_cells = [r[net_col] for r in rows.iter_rows(min_row=2)]
    assert all(isinstance(c.value, int | float) and c.number_format.startswith('"$"') for c in net_cells)
    assert sum(c.value for c in net_cells) == pytest.approx(metric_value(seeded, "net_revenue"))
    # formula injection: a product named "=HYPERLINK(...)" is text, not a formula
    products = {r[header.index("product")].value for r in rows.iter_rows(min_row=2)}
    assert '\'=HYPERLINK("http://x")' in products
    assert not any(str(p).startswith("=") for p in products)
    trend = wb["Revenue trend"]
    assert trend["A2"].is_date
    with zipfile.ZipFile(out) as z:
        assert any(n.startswith("xl/charts/chart") for n in z.namelist()), "no native Excel chart"


def test_reports005_xlsx_splits_rows_beyond_the_sheet_limit(seeded, tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_module, "MAX_SHEET_ROWS", 11)  # 10 data rows + header per sheet
    out = tmp_path / "r.xlsx"
    code, stdout, err = run(
        seeded, "report", "render", "--workspace", "acme", "--format", "xlsx", "--out", str(out), *RANGE,
        "--sections", "revenue", "--json",
    )  # fmt: skip
    assert code == 0, err
    written = json.loads(stdout)["rows"]
    wb = openpyxl.load_workbook(out)
    parts = [n for n in wb.sheetnames if n.startswith("Revenue rows")]
    assert len(parts) == -(-written // 10) >= 2
    assert sum(wb[n].max_row - 1 for n in parts) == written
    notes = [r[1].value for r in wb["Summary"].iter_rows() if r[0].value == "Note"]
    assert notes and "continue on sheets" in notes[0]


def test_reports006_csv_revenue_rows_sum_to_the_revenue_metric(seeded, tmp_path):
    out = tmp_path / "r.csv"
    code, _, err = run(
        seeded, "report", "render", "--workspace", "acme", "--format", "csv", "--out", str(out), *RANGE,
        "--sections", "revenue", "--bom",
    )  # fmt: skip
    assert code == 0, err
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    rows = list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    assert sum(float(r["net"]) for r in rows) == pytest.approx(metric_value(seeded, "net_revenue"))
    assert sum(float(r["gross"]) for r in rows) == pytest.approx(metric_value(seeded, "gross_revenue"))
    assert rows[0]["day"] == "2026-01-01"
    products = {r["product"] for r in rows}
    assert "Icon, Pack" in products and "Café Kit" in products  # RFC 4180 quoting, UTF-8
    assert '\'=HYPERLINK("http://x")' in products


def test_reports007_csv_filters_apply(seeded, tmp_path):
    out = tmp_path / "r.csv"
    code, _, err = run(
        seeded, "report", "render", "--workspace", "acme", "--format", "csv", "--out", str(out), *RANGE,
        "--filter", "channel=Email",
    )  # fmt: skip
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out.read_text(), newline="")))
    assert rows and {r["channel"] for r in rows} == {"Email"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sections", "revenue,nope"], "unknown section 'nope'; accepted: kpis, revenue"),
        (["--from", "2026-01-01"], "--from and --to go together"),
        (["--from", "2026-02-01", "--to", "2026-01-01"], "the range is reversed"),
        (["--from", "2026-13-01", "--to", "2026-01-01"], "--from '2026-13-01' is not a date"),
        (["--period", "last_month", "--filter", "colour=red"], "unknown filter 'colour'"),
    ],
)
def test_reports008_bad_input_is_one_line_exit_2_nothing_written(seeded, tmp_path, args, message):
    out = tmp_path / "r.pdf"
    code, _, err = run(
        seeded, "report", "render", "--workspace", "acme", "--format", "pdf", "--out", str(out), *args
    )
    assert code == 2
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not out.exists()


def test_reports030_a_rate_split_changes_by_points_in_pdf_and_excel(services, workspace, tmp_path):
    """CTR by platform from 2.0% to 5.0% is +3.0 pp, not +150% (a percent of a percent)."""
    from datetime import date
    from decimal import Decimal

    import polars as pl

    from reports.assemble import _split
    from reports.pdf import _data_table, _fonts, _styles

    def ad(sid, day, clicks):
        return {"source": "google_ads", "source_id": sid, "date": day, "platform": "Google",
                "campaign": "Brand", "spend": Decimal("10"), "currency": "USD", "impressions": 1000,
                "clicks": clicks, "conversions": 1.0, "conversion_value": Decimal("20")}  # fmt: skip

    load(
        services,
        workspace,
        "ad_daily",
        pl.DataFrame([ad("a", date(2026, 1, 10), 50), ad("b", date(2025, 12, 10), 20)]),
    )
    scoped = services.warehouse.scoped(workspace)
    table = _split(scoped, "ctr", "platform", {}, date(2026, 1, 1), date(2026, 1, 31), "previous_period")
    change = table.columns[-1]
    assert change.unit == "change_points"
    ((platform, value, before, points),) = table.rows
    assert (platform, value, before) == ("Google", 0.05, 0.02)
    assert points == pytest.approx(0.03)
    data = type("D", (), {"workspace": type("W", (), {"currency": "USD"})})
    pdf_table = _data_table(table, data, _styles(*_fonts()), 400)
    cells = [str(getattr(c, "text", c)) for c in pdf_table._cellvalues[-1]]
    assert any("+3.0 pp" in c for c in cells), cells
    assert not any("150" in c for c in cells)


def test_reports031_a_platform_split_names_the_platform_as_the_pages_do(services, workspace):
    """The PDF's "Conversion value by platform" listed google_ads and meta_ads (the pages say Google Ads)."""
    from datetime import date
    from decimal import Decimal

    import polars as pl

    from reports.assemble import _split

    def ad(sid, platform):
        return {"source": platform, "source_id": sid, "date": date(2026, 1, 10), "platform": platform,
                "campaign": "Brand", "spend": Decimal("10"), "currency": "USD", "impressions": 1000,
                "clicks": 50, "conversions": 1.0, "conversion_value": Decimal("20")}  # fmt: skip

    load(services, workspace, "ad_daily", pl.DataFrame([ad("a", "google_ads"), ad("b", "meta_ads")]))
    scoped = services.warehouse.scoped(workspace)
    table = _split(scoped, "spend", "platform", {}, date(2026, 1, 1), date(2026, 1, 31), None)
    assert sorted(row[0] for row in table.rows) == ["Google Ads", "Meta Ads"]


def _pdf_text(path) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(path).pages)


def test_reports032_a_split_with_only_the_none_bucket_says_so_in_words(services, workspace, tmp_path):
    """The PDF's "Sessions by source" was one "(None)" row holding every session: not a split."""
    from datetime import date, timedelta

    import polars as pl

    web = [
        {"source": "ga4", "source_id": f"w{i}", "date": date(2026, 1, 1) + timedelta(days=i),
         "channel": "Direct", "sessions": 100, "users": 80, "new_users": 10, "key_events": 2.0}
        for i in range(5)
    ]  # fmt: skip
    load(services, workspace, "web_daily", pl.DataFrame(web))
    pdf, xlsx = tmp_path / "r.pdf", tmp_path / "r.xlsx"
    for fmt, out in (("pdf", pdf), ("xlsx", xlsx)):
        code, _, err = run(
            services, "report", "render", "--workspace", "acme", "--format", fmt, "--out", str(out), *RANGE,
            "--sections", "web",
        )  # fmt: skip
        assert code == 0, err
    text = _pdf_text(pdf)
    assert "Sessions by source No source is recorded for the sessions in this period." in text
    assert "(none)" not in text.lower()
    cells = [c.value for row in openpyxl.load_workbook(xlsx)["Web trend"].iter_rows() for c in row]
    assert "No source is recorded for the sessions in this period." in cells
    assert not any(str(c).lower() == "(none)" for c in cells)


def test_reports033_a_split_keeps_a_value_that_fell_to_nothing(services, workspace):
    """Deals won 2 vs 4, split by owner as 2 vs 2: the owner who went from 2 to 0 was left out."""
    from datetime import date

    from reports.assemble import _split

    rows = [
        {
            "id": "j1",
            "created": "2026-01-10 10:00",
            "amount": "100.00",
            "channel": "Direct",
            "product": "Kit 2",
        },
        {
            "id": "d1",
            "created": "2025-12-10 10:00",
            "amount": "60.00",
            "channel": "Direct",
            "product": "Kit 1",
        },
        {
            "id": "d2",
            "created": "2025-12-11 10:00",
            "amount": "80.00",
            "channel": "Referral",
            "product": "Kit 1",
        },
    ]
    load(services, workspace, "payments", payments_frame(rows))
    scoped = services.warehouse.scoped(workspace)
    table = _split(
        scoped, "net_revenue", "channel", {}, date(2026, 1, 1), date(2026, 1, 31), "previous_period"
    )
    assert [r[0] for r in table.rows] == ["Direct", "Referral"]  # biggest first, nothing last
    assert table.rows[1][1:] == (0.0, 80.0, -1.0)  # −100%
    assert sum(r[2] for r in table.rows) == pytest.approx(140.0)  # the previous period adds up
    # no value in both periods (one-off products, each newsletter's campaign): last period's
    # values are not listed as −100% beside this period's
    table = _split(
        scoped, "net_revenue", "product", {}, date(2026, 1, 1), date(2026, 1, 31), "previous_period"
    )
    assert [r[0] for r in table.rows] == ["Kit 2"]


def test_reports034_filters_a_number_cannot_apply_are_named(seeded, tmp_path):
    """A report filtered to Channel = Email showed MRR and ad spend unfiltered, without a word."""
    pdf, xlsx = tmp_path / "r.pdf", tmp_path / "r.xlsx"
    for fmt, out in (("pdf", pdf), ("xlsx", xlsx)):
        code, _, err = run(
            seeded, "report", "render", "--workspace", "acme", "--format", fmt, "--out", str(out), *RANGE,
            "--sections", "kpis,revenue", "--filter", "channel=Email",
        )  # fmt: skip
        assert code == 0, err
    text = _pdf_text(pdf)
    assert "Not filtered by channel: MRR, Ad spend, ROAS and Open rate have no channel." in text  # cover
    assert "Not filtered by channel: MRR and ARR have no channel." in text  # the Revenue section
    assert (
        "Net revenue by channel Every channel is shown for context: "
        "the filter Channel = Email does not apply to this table." in text
    )
    summary = [r[0].value for r in openpyxl.load_workbook(xlsx)["Summary"].iter_rows()]
    assert "Not filtered by channel: MRR and ARR have no channel." in summary


def test_reports035_excel_rows_headers_keep_their_names_and_say_what_they_hold(services, workspace, tmp_path):
    """A EUR payment's amount read "$45.00"; headers such as amount_reporting had no words."""
    rows = [
        {"id": "e1", "created": "2026-01-05 10:00", "amount": "45.00", "currency": "EUR", "channel": "Email"},
        {"id": "u1", "created": "2026-01-06 10:00", "amount": "20.00", "currency": "USD", "channel": "Email"},
    ]
    services.warehouse.cursor().execute(
        "INSERT INTO fx_rates VALUES (?, DATE '2026-01-01', 'EUR', 'USD', 1.10)", [workspace.id]
    )
    load(services, workspace, "payments", payments_frame(rows))
    out = tmp_path / "r.xlsx"
    code, _, err = run(
        services, "report", "render", "--workspace", "acme", "--format", "xlsx", "--out", str(out), *RANGE,
        "--sections", "customers",
    )  # fmt: skip
    assert code == 0, err
    sheet = openpyxl.load_workbook(out)["Payments rows"]
    header = {c.value: c for c in sheet[1]}
    # scripts read these names: they stay the dataset's columns, the words go in a note
    assert list(header)[:6] == ["created_utc", "source", "source_id", "kind", "status", "amount"]
    assert header["amount_reporting"].comment.text == "Amount in USD, the workspace's reporting currency"
    assert "own currency" in header["amount"].comment.text
    eur = next(r for r in sheet.iter_rows(min_row=2) if r[list(header).index("currency")].value == "EUR")
    amount = eur[list(header).index("amount")]
    assert amount.value == 45 and amount.number_format == "#,##0.00"  # no "$" on a EUR amount
    reporting = eur[list(header).index("amount_reporting")]
    assert reporting.value == pytest.approx(49.5) and reporting.number_format.startswith('"$"')


def test_reports036_excel_chart_draws_a_covered_line_wide_and_see_through(seeded, tmp_path):
    """Net revenue equals gross on days without refunds: in Excel's chart gross hid net too."""
    import re

    out = tmp_path / "r.xlsx"
    code, _, err = run(
        seeded, "report", "render", "--workspace", "acme", "--format", "xlsx", "--out", str(out), *RANGE,
        "--sections", "revenue",
    )  # fmt: skip
    assert code == 0, err
    with zipfile.ZipFile(out) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
    net, gross = re.findall(r"<c:ser>.*?</c:ser>", chart)
    assert "'Revenue trend'!$B$1" in net and "'Revenue trend'!$C$1" in gross
    assert '<a:ln w="57150">' in net and "<a:alpha " in net  # 4.5 pt, half see-through, beneath
    assert '<a:ln w="28575">' in gross and "<a:alpha " not in gross


def _send(sid: str, day: int, title: str, delivered: int) -> dict:
    from datetime import datetime

    return {"source": "mailchimp", "source_id": sid, "sent_at": datetime(2026, 1, day, 9), "title": title,
            "list_name": "Newsletter", "recipients": delivered + 10, "delivered": delivered,
            "unique_opens": delivered // 3, "opens": delivered // 2, "unique_clicks": 20, "clicks": 30,
            "unsubscribes": 2, "bounces": 10, "complaints": 0}  # fmt: skip


def test_reports038_sparse_daily_sends_are_bars_in_pdf_and_excel(services, workspace, tmp_path):
    """Four newsletters in January were drawn as a spiky line; a dense count stays a line."""
    import polars as pl

    sends = [_send(f"e{d}", d, f"News #{d}", 1000 + d) for d in (6, 13, 20, 27)]
    load(services, workspace, "email_campaigns", pl.DataFrame(sends))
    out = tmp_path / "r.xlsx"
    code, _, err = run(
        services, "report", "render", "--workspace", "acme", "--format", "xlsx", "--out", str(out), *RANGE,
        "--sections", "email,customers",
    )  # fmt: skip
    assert code == 0, err
    with zipfile.ZipFile(out) as z:
        charts = [z.read(n).decode() for n in sorted(z.namelist()) if n.startswith("xl/charts/chart")]
    assert "<c:barChart>" in charts[0] and '<c:barDir val="col"/>' in charts[0]  # emails delivered

    from datetime import date

    from reports.assemble import assemble
    from reports.definition import ReportSpec

    days = [date(2026, 1, d) for d in range(1, 32)]
    rows = [
        {"id": f"p{d.day}", "created": f"{d} 10:00", "amount": "20.00", "customer": f"c{d.day}"} for d in days
    ]
    load(services, workspace, "payments", payments_frame(rows))
    spec = ReportSpec(sections=("email", "customers"), period="custom", start=days[0], end=days[-1])
    email, customers = assemble(services.warehouse.scoped(workspace), spec).sections
    assert email.trend.kind == "bar"  # by the rule: a count of events, on 4 days of 31
    assert customers.trend.kind == "line"  # new customers every day


def test_reports039_a_split_with_nothing_to_compare_has_no_empty_columns(services, workspace):
    """Each newsletter is its own campaign: "Previous period" and "Change" were all dashes."""
    from datetime import date

    import polars as pl

    from reports.assemble import _split

    sends = [_send("e1", 6, "News #1", 1000), _send("e2", 13, "News #2", 900)]
    load(services, workspace, "email_campaigns", pl.DataFrame(sends))
    scoped = services.warehouse.scoped(workspace)
    table = _split(
        scoped, "emails_delivered", "campaign", {}, date(2026, 1, 1), date(2026, 1, 31), "previous_period"
    )
    assert [c.label for c in table.columns] == ["Campaign", "Emails delivered"]
    assert table.rows == [("News #1", 1000.0), ("News #2", 900.0)]
    assert table.note == "No campaign here has a value in the previous period: nothing to compare."


def test_reports040_excel_rows_notes_name_the_ids_the_sheet_holds(services, workspace, tmp_path):
    """Campaigns rows showed google_ads/meta_ads: the ids stay (scripts), the note names them."""
    from datetime import date
    from decimal import Decimal

    import polars as pl

    def ad(sid, platform):
        return {"source": platform, "source_id": sid, "date": date(2026, 1, 10), "platform": platform,
                "campaign": "Brand", "spend": Decimal("10"), "currency": "USD", "impressions": 1000,
                "clicks": 50, "conversions": 1.0, "conversion_value": Decimal("20")}  # fmt: skip

    load(services, workspace, "ad_daily", pl.DataFrame([ad("a", "google_ads"), ad("b", "meta_ads")]))
    out = tmp_path / "r.xlsx"
    code, _, err = run(
        services, "report", "render", "--workspace", "acme", "--format", "xlsx", "--out", str(out), *RANGE,
        "--sections", "campaigns",
    )  # fmt: skip
    assert code == 0, err
    sheet = openpyxl.load_workbook(out)["Campaigns rows"]
    assert [c.value for c in sheet[1]][:3] == ["date", "platform", "campaign"]  # by position too
    assert sorted(r[1].value for r in sheet.iter_rows(min_row=2)) == ["google_ads", "meta_ads"]
    assert sheet["B1"].comment.text == "Ad platform, by its id: google_ads = Google Ads, meta_ads = Meta Ads"


#: a quarter whose first and last weeks are partial: 1 Jul 2026 is a Wednesday (the week of
#: Monday 29 Jun has 5 of its days inside), 30 Sep a Wednesday (28 Sep's week has 3)
QUARTER = ["--from", "2026-07-01", "--to", "2026-09-30"]


@pytest.fixture
def steady_quarter(services, workspace):
    """The same revenue every day of Q3 2026: any dip at either end is the calendar's, not the business's."""
    from datetime import date, timedelta

    days = [date(2026, 7, 1) + timedelta(days=i) for i in range(92)]
    rows = [
        {"id": f"q{d}", "created": f"{d} 10:00", "amount": "100.00", "customer": f"c{d.day}"} for d in days
    ]
    load(services, workspace, "payments", payments_frame(rows))
    return services


def test_reports043_a_quarters_partial_first_and_last_weeks_are_marked_not_read_as_drops(
    steady_quarter, workspace, tmp_path
):
    """A Q3 report's weekly lines dipped at both ends: a manager read a fall in revenue that did not happen."""
    from datetime import date

    from reports.assemble import assemble
    from reports.definition import ReportSpec

    spec = ReportSpec(sections=("revenue",), period="custom", start=date(2026, 7, 1), end=date(2026, 9, 30))
    (revenue,) = assemble(steady_quarter.warehouse.scoped(workspace), spec).sections
    trend = revenue.trend
    assert (
        trend.grain == "week"
        and trend.periods[0] == date(2026, 6, 29)
        and trend.periods[-1] == date(2026, 9, 28)
    )
    assert trend.partial == {0: (5, 7), len(trend.periods) - 1: (3, 7)}  # whole weeks are not marked
    # the buckets still add up to the quarter (nothing dropped or scaled), but the end weeks'
    # fall is named as fewer days, never presented as a change
    assert sum(trend.series[0][2]) == pytest.approx(9200.0)
    assert "29 Jun (5 of 7 days)" in trend.partial_note and "28 Sep (3 of 7 days)" in trend.partial_note
    assert "not a real change" in trend.partial_note

    pdf = tmp_path / "q3.pdf"
    code, _, err = run(
        steady_quarter, "report", "render", "--workspace", "acme", "--format", "pdf", "--out", str(pdf),
        *QUARTER, "--sections", "revenue",
    )  # fmt: skip
    assert code == 0, err
    text = _pdf_text(pdf)
    assert "partial week" in text and "29 Jun (5 of 7 days), 28 Sep (3 of 7 days)" in text

    out = tmp_path / "q3.xlsx"
    code, _, err = run(
        steady_quarter, "report", "render", "--workspace", "acme", "--format", "xlsx", "--out", str(out),
        *QUARTER, "--sections", "revenue",
    )  # fmt: skip
    assert code == 0, err
    wb = openpyxl.load_workbook(out)
    ws = wb["Revenue trend"]
    # scripts read the header and the sheet name: both unchanged; the notes ride on the cells
    assert [c.value for c in ws[1][:3]] == ["Period start", "Net revenue", "Gross revenue"]
    assert "Partial weeks" in ws["A1"].comment.text
    assert ws["A2"].comment.text == "Partial week: 5 of 7 days in the report period."
    assert ws["A15"].comment.text == "Partial week: 3 of 7 days in the report period."
    assert all(ws.cell(r, 1).comment is None for r in range(3, 15))
    with zipfile.ZipFile(out) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
    assert '<c:dPt><c:idx val="0"/>' in chart and '<c:dPt><c:idx val="13"/>' in chart
    assert '<c:idx val="1"/><c:marker>' not in chart  # a whole week keeps the plain line


def test_reports044_rows_without_a_value_read_unknown_as_on_the_pages(services, workspace, tmp_path):
    """The report's "Net revenue by country" said "(none)" where the page's bar says "Unknown"."""
    rows = [
        {"id": f"p{i}", "created": f"2026-01-{1 + i % 28:02d} 10:00", "amount": "50.00",
         "customer": f"c{i}", "channel": "Email", "country": "DE" if i < 3 else None}
        for i in range(12)
    ]  # fmt: skip
    load(services, workspace, "payments", payments_frame(rows))
    scoped = services.warehouse.scoped(workspace)
    from datetime import date

    from reports.assemble import _split

    table = _split(scoped, "net_revenue", "country", {}, date(2026, 1, 1), date(2026, 1, 31), None)
    # the rows without a country are the biggest, and still come last: they are not a country
    assert [row[0] for row in table.rows] == ["DE", "Unknown"]
    pdf, xlsx, csv_out = tmp_path / "r.pdf", tmp_path / "r.xlsx", tmp_path / "r.csv"
    for fmt, out in (("pdf", pdf), ("xlsx", xlsx), ("csv", csv_out)):
        code, _, err = run(
            services, "report", "render", "--workspace", "acme", "--format", fmt, "--out", str(out), *RANGE,
            "--sections", "revenue", "--filter", "country=(none)",
        )  # fmt: skip
        assert code == 0, err
    text = _pdf_text(pdf)
    assert "(none)" not in text.lower()
    assert "Country = Unknown" in text  # the cover names the filter as the page's chip does
    wb = openpyxl.load_workbook(xlsx)
    trend = [c.value for row in wb["Revenue trend"].iter_rows() for c in row]
    assert "Unknown" in trend and not any("(none)" in str(c).lower() for c in trend)
    summary = [c.value for row in wb["Summary"].iter_rows() for c in row]
    assert "Country = Unknown" in summary
    # the detail rows keep the data as stored (scripts read them): an empty cell, never "(none)"
    body = csv_out.read_text(encoding="utf-8")
    assert "(none)" not in body.lower()
    header = next(csv.reader(io.StringIO(body)))
    assert header[:4] == ["day", "channel", "product", "country"]


def test_reports045_one_label_for_the_none_bucket_in_pages_reports_and_insights():
    """Page filters, chips, charts, report splits and insight sentences name it the same way."""
    from components.analytics import chips
    from components.sources import dimension_value_label
    from data.metrics import NONE_LABEL, UNKNOWN_LABEL, value_text

    assert value_text(NONE_LABEL) == value_text(None) == UNKNOWN_LABEL == "Unknown"
    assert value_text("DE") == "DE"
    assert dimension_value_label("country", NONE_LABEL) == UNKNOWN_LABEL
    assert dimension_value_label("platform", NONE_LABEL) == UNKNOWN_LABEL  # not "(None)"
    assert dimension_value_label("platform", "google_ads") == "Google Ads"
    (chip,) = chips({"key": "country", "value": NONE_LABEL}, "x")
    assert f": {UNKNOWN_LABEL}" in str(chip.children[0])
    from callbacks._analytics import option_list

    assert option_list(["DE", NONE_LABEL]) == [
        {"label": "DE", "value": "DE"},
        {"label": UNKNOWN_LABEL, "value": NONE_LABEL},  # the filter still matches the rows
    ]
    from datetime import date

    from dashboard.insights.model import Insight
    from dashboard.insights.narrate import offline

    day = date(2026, 3, 1)
    for kind, evidence in (("concentration", {"share": 0.8}), ("top_contributors", {"share_of_change": 0.8})):
        found = Insight(
            kind, "net_revenue", day, day, 800.0, 1000.0, {"country": NONE_LABEL}, evidence=evidence
        )
        headline, text = offline(found, "USD")
        assert "“Unknown”" in headline + text and "(none)" not in headline + text
