"""`pulseboard privacy export|erase`: files, JSON, confirmation, bad input."""

from __future__ import annotations

import json
import os
import stat
import zipfile

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from dashboard.cli import cli
from dashboard.models import AuditEvent
from data import privacy
from tests.unit.test_privacy import JANE, JANE_TRACES, _fill, _text_dump


@pytest.fixture
def filled(services, workspace):
    _fill(services, workspace)
    return workspace


def run(services, *args, stdin=None):
    result = CliRunner().invoke(cli, list(args), obj=services, input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_export_writes_a_private_zip(services, filled, tmp_path):
    out = tmp_path / "jane.zip"
    code, stdout, stderr = run(
        services, "privacy", "export", "--workspace", "acme", "--email", JANE, "--out", str(out)
    )
    assert (code, stderr) == (0, "")
    assert stdout.startswith(f"wrote {out}: ") and "payments 4" in stdout
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    names = zipfile.ZipFile(out).namelist()
    assert "manifest.json" in names and "payments.csv" in names


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "not-an-email", "--out", "x.zip"], "is not an email address"),
        (["--email", JANE, "--out", "x.csv"], "must name a .zip file"),
        (["--email", JANE, "--out", "missing/dir/x.zip"], "does not exist"),
    ],
)
def test_export_bad_input(services, filled, tmp_path, monkeypatch, args, message):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, stdout, stderr = run(services, "privacy", "export", "--workspace", "acme", *args)
    assert code == 2 and stdout == ""
    assert stderr.startswith("error: ") and message in stderr and stderr.count("\n") == 1
    assert list(work.iterdir()) == []


def test_export_unknown_workspace(services, filled, tmp_path):
    code, _, stderr = run(
        services,
        "privacy",
        "export",
        "--workspace",
        "nope",
        "--email",
        JANE,
        "--out",
        str(tmp_path / "x.zip"),
    )
    assert code == 2 and "nope" in stderr


def test_erase_without_yes_off_a_terminal_changes_nothing(services, filled):
    before = _text_dump(services, filled.id)
    code, stdout, stderr = run(services, "privacy", "erase", "--workspace", "acme", "--email", JANE, "--json")
    assert code == 2 and "pass --yes" in stderr
    payload = json.loads(stdout)
    assert payload["erased"] is False and payload["rows"] > 0 and payload["tables"]["payments"] == 4
    assert _text_dump(services, filled.id) == before


def test_erase_asks_at_a_terminal(services, filled, monkeypatch):
    monkeypatch.setattr("dashboard.cli_privacy._at_terminal", lambda: True)
    code, _, stderr = run(services, "privacy", "erase", "--workspace", "acme", "--email", JANE, stdin="n\n")
    assert code == 2 and "nothing erased" in stderr
    assert privacy.find(services.warehouse, filled, JANE).tables
    code, stdout, stderr = run(
        services, "privacy", "erase", "--workspace", "acme", "--email", JANE, stdin="y\n"
    )
    assert code == 0 and "Pseudonymise" in stderr and stdout.startswith("erased jane.doe@example.com in acme")
    assert privacy.find(services.warehouse, filled, JANE).tables == {}


def test_erase_yes_json_then_again(services, filled):
    code, stdout, _ = run(
        services, "privacy", "erase", "--workspace", "acme", "--email", JANE, "--yes", "--json"
    )
    assert code == 0
    first = json.loads(stdout)
    assert first["erased"] is True and first["rows"] > 0 and first["rollups_rebuilt"] is True
    assert first["customer"] == "sha256:" + privacy.email_hash(JANE)[:12]
    dump = _text_dump(services, filled.id).lower()
    assert not any(t.lower() in dump for t in JANE_TRACES)
    code, stdout, _ = run(
        services, "privacy", "erase", "--workspace", "acme", "--email", JANE, "--yes", "--json"
    )
    assert code == 0 and json.loads(stdout)["rows"] == 0
    with services.db.session() as db:
        actors = db.scalars(select(AuditEvent.actor).where(AuditEvent.action == "customer_erased")).all()
    assert actors == ["(command line)", "(command line)"]
