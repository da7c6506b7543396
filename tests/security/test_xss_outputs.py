"""XSS payloads from imported data and typed names stay text in PDFs and emails.

Pages are covered by test_isolation.test_iso004; here the same kind of payload goes through
the PDF renderer (reportlab reads a markup language: ``<b>`` would turn bold, ``<script>``
would fail the render) and the HTML briefing email.
"""

from __future__ import annotations

from datetime import date

from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import select

from dashboard.accounts import to_ref
from dashboard.cli import cli
from dashboard.models import Workspace
from reports.assemble import assemble
from reports.definition import ReportSpec
from reports.email import html_briefing, plain_text
from tests.conftest import load, payments_frame

PRODUCT = "<b>Zq</b>"
SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'


def _seed(services, workspace):
    rows = [
        {
            "id": f"x{i}",
            "created": f"2026-01-{1 + i:02d} 10:00",
            "amount": "50.00",
            "customer": f"c{i}",
            "product": PRODUCT if i % 2 else "Plain",
            "channel": "Email",
        }
        for i in range(20)
    ]
    load(services, workspace, "payments", payments_frame(rows))


def test_xss001_pdf_prints_markup_from_data_and_titles_as_text(services, workspace, tmp_path):
    _seed(services, workspace)
    out = tmp_path / "r.pdf"
    result = CliRunner().invoke(
        cli,
        ["report", "render", "--workspace", "acme", "--format", "pdf", "--out", str(out)]
        + ["--from", "2026-01-01", "--to", "2026-01-31", "--sections", "revenue", "--title", SCRIPT],
        obj=services,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    # Printed as typed wherever they appear (cover, footer, tables); read as markup, a
    # Paragraph would print a bare "alert(1)" and a bold "Zq".
    assert SCRIPT in text and text.count("alert(1)") == text.count(SCRIPT)
    assert PRODUCT in text and text.count("Zq") == text.count(PRODUCT)


def test_xss002_email_briefing_escapes_names_titles_and_intros(services, workspace):
    _seed(services, workspace)
    with services.db.session() as db:
        row = db.scalar(select(Workspace).where(Workspace.slug == "acme"))
        row.name = IMG
        db.flush()
        ref = to_ref(row)
    spec = ReportSpec(
        sections=("kpis", "revenue"),
        period="custom",
        start=date(2026, 1, 1),
        end=date(2026, 1, 31),
        filters={"channel": IMG},  # a schedule's filter value is typed by a person
        title=SCRIPT,
    )
    data = assemble(services.warehouse.scoped(ref), spec, today=date(2026, 2, 1))
    body = html_briefing(data, f"Intro {SCRIPT}", None)
    assert "<script" not in body and "<img" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "&lt;img src=x" in body
    assert "Filters: Channel = &lt;img src=x" in body
    assert SCRIPT in plain_text(data, "", None)  # the plain part is text by nature
