"""The workspace logo on the PDF cover: `pulseboard reports logo`, checked and normalised."""

from __future__ import annotations

import io

from PIL import Image
from pypdf import PdfReader

from dashboard.logos import logo_file
from tests.integration.test_reports_render import RANGE, run, seeded  # noqa: F401 - the fixture


def _png(size=(400, 100), colour=(200, 30, 30, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, colour).save(out, format="PNG")
    return out.getvalue()


def _cover_images(path) -> list:
    return list(PdfReader(path).pages[0].images)


def test_logo001_the_cover_shows_the_workspace_logo(seeded, tmp_path, workspace):  # noqa: F811
    image = tmp_path / "logo.jpg"
    Image.new("RGB", (1200, 300), (10, 120, 200)).save(image, format="JPEG")
    code, out, err = run(seeded, "reports", "logo", str(image), "--workspace", "acme", "--json")
    assert code == 0, err
    stored = logo_file(seeded.settings.data_path, workspace.id)
    with Image.open(stored) as kept:  # re-encoded as PNG, scaled into the box
        assert kept.format == "PNG" and kept.size == (600, 150)
    assert oct(stored.stat().st_mode & 0o777) == "0o600"
    pdf = tmp_path / "r.pdf"
    code, _, err = run(
        seeded, "report", "render", "--workspace", "acme", "--format", "pdf", "--out", str(pdf), *RANGE
    )
    assert code == 0, err
    assert len(_cover_images(pdf)) == 1
    code, out, err = run(seeded, "reports", "logo", "--workspace", "acme", "--remove")
    assert code == 0 and "removed" in out
    run(seeded, "report", "render", "--workspace", "acme", "--format", "pdf", "--out", str(pdf), *RANGE)
    assert _cover_images(pdf) == []  # the Pulseboard mark is vector shapes, not an image


def test_logo002_what_is_not_an_image_is_refused_in_one_line(seeded, tmp_path, workspace):  # noqa: F811
    cases = {
        "notes.png": b"this is text, not a PNG",
        "cut.png": _png()[:60],
        "icon.bmp": None,
    }
    bmp = io.BytesIO()
    Image.new("RGB", (10, 10)).save(bmp, format="BMP")
    cases["icon.bmp"] = bmp.getvalue()
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        code, _, err = run(seeded, "reports", "logo", str(path), "--workspace", "acme")
        assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, (name, err)
    assert not logo_file(seeded.settings.data_path, workspace.id).exists()
    code, _, err = run(seeded, "reports", "logo", "--workspace", "acme")
    assert code == 2 and "--remove" in err


def test_logo003_the_cli_is_audited_as_the_command_line_and_refuses_svg_by_name(
    seeded,  # noqa: F811
    tmp_path,
    workspace,
):
    from sqlalchemy import select

    from dashboard.models import AuditEvent

    svg = tmp_path / "logo.svg"
    svg.write_text('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>')
    code, _, err = run(seeded, "reports", "logo", str(svg), "--workspace", "acme")
    assert code == 2 and "an SVG (vector) file cannot be a logo" in err
    gif = tmp_path / "logo.gif"
    Image.new("P", (40, 20)).save(gif, format="GIF")  # the CLI keeps taking GIF and WebP
    assert run(seeded, "reports", "logo", str(gif), "--workspace", "acme")[0] == 0
    assert run(seeded, "reports", "logo", "--workspace", "acme", "--remove")[0] == 0
    with seeded.db.session() as db:
        events = db.scalars(
            select(AuditEvent).where(AuditEvent.action == "logo_changed").order_by(AuditEvent.id)
        ).all()
        assert [(e.actor, e.outcome, e.detail, e.workspace_id) for e in events] == [
            ("(command line)", "ok", "set from 'logo.gif' (40 x 20 px)", workspace.id),
            ("(command line)", "ok", "removed", workspace.id),
        ]
