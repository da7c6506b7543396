"""Settings → Reports: the owner uploads or removes the PDF cover logo; everyone else is refused
on the server; a file that is not a PNG or JPEG is refused with the reason and the stored logo
stays as it was; every change (and refused attempt) is in the audit log."""

from __future__ import annotations

import base64
import io
import json
import os

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from callbacks import report_logo as cb
from dashboard.accounts import WorkspaceContext
from dashboard.auth import PermissionDenied
from dashboard.logo_admin import set_logo
from dashboard.logos import MAX_INPUT_BYTES, LogoError, logo_file
from dashboard.models import AuditEvent, Role, User


def _image(kind: str = "PNG", size=(400, 100), colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=kind)
    return out.getvalue()


def _data_url(content: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(content).decode("ascii")


def _ctx(services, workspace, email: str, role: Role) -> WorkspaceContext:
    with services.db.session() as db:
        user_id = db.scalar(select(User.id).where(User.email == email))
    return WorkspaceContext(user_id=user_id, role=role, workspace=workspace)


def _events(services, workspace_id: int) -> list[tuple[str, str, str]]:
    with services.db.session() as db:
        rows = db.scalars(
            select(AuditEvent)
            .where(AuditEvent.workspace_id == workspace_id, AuditEvent.action == "logo_changed")
            .order_by(AuditEvent.id)
        )
        return [(e.actor, e.outcome, e.detail) for e in rows]


def _stored(services, workspace) -> bytes | None:
    path = logo_file(services.settings.data_path, workspace.id)
    return path.read_bytes() if path.exists() else None


# -- over HTTP, through the real callback wiring ----------------------------------------------------
#: how Dash names a pattern-matched component in a response (its id as compact JSON)
REMOVE_KEY = '{"type":"pb-settings-logo-remove","where":"settings"}'
UPLOAD_KEY = '{"type":"pb-settings-logo-upload","where":"settings"}'


def _action_request(client, *, contents=None, filename=None, remove_clicks=0, remove=False) -> dict:
    """The request a browser sends when the upload changes (or Remove is clicked)."""
    deps = client.get("/_dash-dependencies").get_json()
    key = next(d["output"] for d in deps if "pb-settings-logo-message.children" in d["output"])
    upload_id = {"type": "pb-settings-logo-upload", "where": "settings"}
    remove_id = {"type": "pb-settings-logo-remove", "where": "settings"}
    outputs = []
    for part in key.strip(".").split("..."):
        ident, _, prop = part.rpartition(".")
        if ident.startswith("{"):
            concrete = remove_id if "remove" in ident else upload_id
            outputs.append([{"id": concrete, "property": prop}])
        else:
            outputs.append({"id": ident, "property": prop})
    changed = json.dumps(remove_id if remove else upload_id, sort_keys=True, separators=(",", ":"))
    return {
        "output": key,
        "outputs": outputs,
        "inputs": [
            [{"id": upload_id, "property": "contents", "value": contents}],
            [{"id": remove_id, "property": "n_clicks", "value": remove_clicks}],
        ],
        "changedPropIds": [changed + (".n_clicks" if remove else ".contents")],
        "state": [[{"id": upload_id, "property": "filename", "value": filename}]],
    }


def _post(client, **kwargs) -> dict:
    response = client.post("/_dash-update-component", json=_action_request(client, **kwargs))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def _text(component) -> str:
    """All the text in a rendered component tree (as JSON)."""
    return json.dumps(component)


def test_logoui001_owner_uploads_a_png_and_the_pdf_cover_shows_it(client, auth, services, workspace):
    auth.login("owner@acme.test")
    out = _post(client, contents=_data_url(_image(size=(1200, 300))), filename="acme.png")
    message = _text(out["pb-settings-logo-message"]["children"])
    assert "Logo saved from acme.png" in message and '"color": "success"' in message
    assert "data:image/png;base64," in _text(out["pb-settings-logo-preview"]["children"])
    # Remove is enabled now, and the upload forgets the file (so it is not sent back again)
    assert out[REMOVE_KEY] == {"disabled": False}
    assert out[UPLOAD_KEY] == {"contents": None}
    with Image.open(io.BytesIO(_stored(services, workspace))) as kept:
        assert kept.format == "PNG" and kept.size == (600, 150)
    assert _events(services, workspace.id) == [
        ("owner@acme.test", "ok", "set from 'acme.png' (600 x 150 px)")
    ]
    # the PDF download of the same session carries it on its cover
    pdf = client.get("/reports/export.pdf?page=/revenue&range=last_30_days")
    assert pdf.status_code == 200
    assert len(list(PdfReader(io.BytesIO(pdf.data)).pages[0].images)) == 1


def test_logoui002_owner_uploads_a_jpeg_then_removes_it(client, auth, services, workspace):
    auth.login("owner@acme.test")
    out = _post(client, contents=_data_url(_image("JPEG"), "image/jpeg"), filename="logo.jpg")
    assert "Logo saved" in _text(out["pb-settings-logo-message"]["children"])
    assert _stored(services, workspace) is not None
    out = _post(client, remove=True, remove_clicks=1)
    assert "Logo removed" in _text(out["pb-settings-logo-message"]["children"])
    assert "Pulseboard mark" in _text(out["pb-settings-logo-preview"]["children"])
    assert _stored(services, workspace) is None
    assert out[REMOVE_KEY] == {"disabled": True}
    out = _post(client, remove=True, remove_clicks=2)
    assert "There was no logo to remove." in _text(out["pb-settings-logo-message"]["children"])
    assert [e[2] for e in _events(services, workspace.id)] == [
        "set from 'logo.jpg' (400 x 100 px)",
        "removed",
    ]


@pytest.mark.parametrize("email", ["manager@acme.test", "analyst@acme.test", "viewer@acme.test"])
def test_logoui003_non_owners_are_refused_on_the_server(client, auth, services, workspace, email):
    if email == "manager@acme.test":
        from dashboard.accounts import create_user, get_workspace
        from tests.conftest import PASSWORD

        with services.db.session() as db:
            create_user(db, email, PASSWORD, workspace=get_workspace(db, "acme"), role="manager")
    owner = _ctx(services, workspace, "owner@acme.test", Role.OWNER)
    set_logo(services, owner, _image(colour=(0, 0, 255)), filename="blue.png")
    before = _stored(services, workspace)
    auth.login(email)
    # a hand-made request: the controls are not even on a non-owner's page
    out = _post(client, contents=_data_url(_image(colour=(0, 255, 0))), filename="green.png")
    assert "Only owners can change the report logo" in _text(out["pb-settings-logo-message"]["children"])
    out = _post(client, remove=True, remove_clicks=1)
    assert "Only owners can change the report logo" in _text(out["pb-settings-logo-message"]["children"])
    assert _stored(services, workspace) == before
    assert [(a, o) for a, o, _ in _events(services, workspace.id)] == [
        ("owner@acme.test", "ok"),
        (email, "denied"),
        (email, "denied"),
    ]


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (20, 20)).save(out, format="GIF")
    return out.getvalue()


@pytest.mark.parametrize(
    ("contents", "filename", "reason"),
    [
        (
            _data_url(b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
            "logo.svg",
            "an SVG (vector) file cannot be a logo; export it as PNG or JPEG",
        ),
        (_data_url(b"<svg onload='alert(1)'></svg>", "image/png"), "sneaky.png", "SVG"),
        (_data_url(b"this is text, not a PNG"), "notes.png", "not a readable PNG or JPEG image"),
        (_data_url(_image()[:60]), "cut.png", "not a readable PNG or JPEG image"),
        (_data_url(_gif(), "image/gif"), "anim.gif", "GIF images are not accepted; use a PNG or JPEG file"),
        (_data_url(os.urandom(MAX_INPUT_BYTES + 10)), "huge.png", "the limit is 2 MB"),
        ("data:image/png;base64,@@@not-base64@@@", "x.png", "did not arrive whole"),
        ("not a data url", "x.png", "did not arrive whole"),
    ],
)
def test_logoui004_bad_files_are_refused_with_the_reason_and_the_logo_stays(
    client, auth, services, workspace, contents, filename, reason
):
    owner = _ctx(services, workspace, "owner@acme.test", Role.OWNER)
    set_logo(services, owner, _image(colour=(0, 0, 255)), filename="blue.png")
    before = _stored(services, workspace)
    auth.login("owner@acme.test")
    out = _post(client, contents=contents, filename=filename)
    message = _text(out["pb-settings-logo-message"]["children"])
    assert (
        reason in message and "The current logo is unchanged." in message and '"color": "danger"' in message
    )
    assert _stored(services, workspace) == before
    assert len(_events(services, workspace.id)) == 1  # only the first, good, logo


def test_logoui005_a_control_that_just_appeared_does_nothing(client, auth, services, workspace):
    auth.login("owner@acme.test")
    response = client.post("/_dash-update-component", json=_action_request(client, contents=None))
    assert response.status_code == 204
    assert _stored(services, workspace) is None


def test_logoui006_an_owner_changes_only_their_own_workspace(
    client, auth, services, workspace, other_workspace
):
    auth.login("owner@globex.test")
    _post(client, contents=_data_url(_image()), filename="globex.png")
    assert _stored(services, other_workspace) is not None
    assert _stored(services, workspace) is None


# -- the panel as each role sees it, and the plain functions -----------------------------------------
def test_logoui101_the_panel_for_owners_and_for_others(client, auth, services, workspace):
    def render() -> str:
        body = {
            "output": "pb-settings-logo.children",
            "outputs": {"id": "pb-settings-logo", "property": "children"},
            "inputs": [{"id": "pb-settings-init", "property": "data", "value": 0}],
            "changedPropIds": [],
        }
        response = client.post("/_dash-update-component", json=body)
        assert response.status_code == 200
        return _text(response.get_json()["response"]["pb-settings-logo"]["children"])

    auth.login("owner@acme.test")
    panel = render()
    assert "pb-settings-logo-upload" in panel and "pb-settings-logo-remove" in panel
    assert "Upload a logo" in panel and "PNG or JPEG, up to 2 MB" in panel
    assert '"disabled": true' in panel  # nothing to remove yet
    auth.logout()
    auth.login("viewer@acme.test")
    panel = render()
    assert "pb-settings-logo-upload" not in panel and "pb-settings-logo-remove" not in panel
    assert "Only owners can change the report logo; you are a viewer." in panel


def test_logoui102_decode_upload():
    png = _image()
    assert cb.decode_upload(_data_url(png)) == png
    for junk in (None, 42, ["data:"], "data:image/png,rawtext", "data:image/png;base64"):
        with pytest.raises(LogoError, match="did not arrive whole"):
            cb.decode_upload(junk)
    with pytest.raises(LogoError, match="limit is 2 MB"):
        cb.decode_upload("data:image/png;base64," + "A" * (MAX_INPUT_BYTES * 4 // 3 + 8))


def test_logoui103_upload_logo_checks_the_role_before_decoding(services, workspace):
    viewer = _ctx(services, workspace, "viewer@acme.test", Role.VIEWER)
    with pytest.raises(PermissionDenied, match="you are viewer"):
        cb.upload_logo(services, viewer, "not even a data url", "x.png")
    assert _stored(services, workspace) is None
