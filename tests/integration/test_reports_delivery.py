"""Scheduled reports against a real SMTP server on loopback (aiosmtpd).

Delivery with attachments, STARTTLS + auth, a server that refuses then recovers, two run-due
processes racing on one occurrence, DST boundaries and catch-up after downtime.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner
from sqlalchemy import select, update

from dashboard.cli import cli
from dashboard.models import Notification, ReportRun, ReportSchedule
from reports import delivery
from tests.conftest import load, payments_frame
from tests.smtp import Inbox, free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def seeded(services, workspace):
    rows = [
        {"id": f"p{i}", "created": f"2026-03-{1 + i % 28:02d} 10:00", "amount": "100.00", "customer": f"c{i}",
         "channel": "Email"}
        for i in range(40)
    ]  # fmt: skip
    rows += [
        {"id": f"q{i}", "created": f"2026-10-{1 + i:02d} 10:00", "amount": "50.00", "customer": f"d{i}"}
        for i in range(30)
    ]
    load(services, workspace, "payments", payments_frame(rows))
    return services


def use_smtp(services, url: str) -> None:
    services.settings.smtp_url = url  # the services' settings object is this test's own
    services.settings.mail_from = "reports@acme.test"


def run(services, *args):
    result = CliRunner().invoke(cli, list(args), obj=services, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def add_weekly(services, *extra, created="2026-01-01T00:00:00+00:00") -> dict:
    code, out, err = run(
        services, "reports", "add", "--workspace", "acme", "--name", "Weekly performance",
        "--preset", "weekly", "--weekday", "mon", "--hour", "8", "--timezone", "Europe/Berlin",
        "--formats", "pdf,xlsx", "--to", "ann@acme.test, bob@acme.test", "--period", "last_week",
        "--subject", "{report} for {workspace}: {period}", "--json", *extra,
    )  # fmt: skip
    assert code == 0, err
    info = json.loads(out)
    backdate(services, info["id"], created)
    return info


def backdate(services, schedule_id: int, created: str) -> None:
    """Pretend the schedule was made long ago, so past --now values have due occurrences."""
    with services.db.session() as db:
        db.execute(
            update(ReportSchedule)
            .where(ReportSchedule.id == schedule_id)
            .values(created_at=dt.datetime.fromisoformat(created))
        )


def runs(services) -> list[ReportRun]:
    with services.db.session() as db:
        return list(db.scalars(select(ReportRun).order_by(ReportRun.id)))


def test_reports101_delivery_with_attachments_html_and_text(seeded, inbox):
    use_smtp(seeded, inbox.url)
    add_weekly(seeded)
    # Monday 2 March 2026, 08:00 in Berlin (CET, UTC+1)
    code, out, err = run(seeded, "reports", "run-due", "--now", "2026-03-02T07:00:00Z", "--json")
    assert code == 0, err
    assert [r["status"] for r in json.loads(out)["runs"]] == ["sent"]
    assert len(inbox.messages) == 1
    msg = inbox.messages[0]
    assert msg["Subject"] == "Weekly performance for Acme: Last week · 23 Feb – 1 Mar 2026"
    assert msg["To"] == "ann@acme.test, bob@acme.test"
    assert "reports@acme.test" in msg["From"]
    names = sorted(part.get_filename() for part in msg.iter_attachments())
    assert names == [
        "acme-weekly-performance-2026-02-23.pdf",
        "acme-weekly-performance-2026-02-23.xlsx",
    ]
    pdf = next(p for p in msg.iter_attachments() if p.get_filename().endswith(".pdf"))
    assert pdf.get_content().startswith(b"%PDF")
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert 'name="viewport"' in html and "max-width:600px" in html
    assert "Net revenue" in html and "Net revenue" in text
    code, out, _ = run(seeded, "reports", "history", "--workspace", "acme", "--json")
    (entry,) = json.loads(out)["runs"]
    assert entry["status"] == "sent" and entry["attempts"] == 1
    assert entry["period"] == ["2026-02-23", "2026-03-01"]
    assert entry["recipients"] == ["ann@acme.test", "bob@acme.test"]
    assert entry["bytes"] > 1000 and {f["format"] for f in entry["files"]} == {"pdf", "xlsx"}
    # the same occurrence is never sent twice
    code, out, _ = run(seeded, "reports", "run-due", "--now", "2026-03-02T07:30:00Z", "--json")
    assert json.loads(out)["runs"] == [] and len(inbox.messages) == 1


def test_reports112_intro_text_above_the_kpis_in_both_bodies(seeded, inbox):
    use_smtp(seeded, inbox.url)
    intro = "Hello <team> of {workspace},\nhere is {period}."
    info = add_weekly(seeded, "--intro", intro)
    assert info["intro"] == intro
    code, out, _ = run(seeded, "reports", "list", "--workspace", "acme", "--json")
    assert json.loads(out)["schedules"][0]["intro"] == intro
    code, out, err = run(seeded, "reports", "run-due", "--now", "2026-03-02T07:00:00Z", "--json")
    assert code == 0, err
    (msg,) = inbox.messages
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")  # SMTP's line ends
    filled = "here is Last week · 23 Feb – 1 Mar 2026."
    assert text.startswith(f"Hello <team> of Acme,\n{filled}\n")
    assert text.index(filled) < text.index("Net revenue")
    assert f"Hello &lt;team&gt; of Acme,<br>{filled}" in html  # escaped; its line break kept
    assert html.index(filled) < html.index("<table") < html.index("Net revenue")


def test_reports113_intro_text_too_long_or_bad_placeholder_is_refused(seeded):
    base = [
        "reports",
        "add",
        "--workspace",
        "acme",
        "--name",
        "R",
        "--preset",
        "daily",
        "--to",
        "a@acme.test",
    ]
    base += ["--timezone", "UTC", "--formats", "pdf"]
    code, _, err = run(seeded, *base, "--intro", "z" * 2001)
    assert code == 2 and "error: the intro text is 2,001 characters long; at most 2,000 are allowed" in err
    code, _, err = run(seeded, *base, "--intro", "Hi {name}")
    assert code == 2 and "bad placeholder {name}" in err
    code, out, _ = run(seeded, "reports", "list", "--workspace", "acme", "--json")
    assert json.loads(out)["schedules"] == []
    code, out, err = run(seeded, *base, "--intro", "z" * 2000, "--json")
    assert code == 0 and json.loads(out)["intro"] == "z" * 2000


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_reports102_starttls_and_auth(seeded, tmp_path):
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"mailer",
            b"s3cret/pass",
        )
        logins.append((mechanism, ok, session.ssl is not None))
        return AuthResult(success=ok)

    handler = Inbox()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    )
    controller.start()
    try:
        use_smtp(seeded, f"smtp+starttls://mailer:s3cret%2Fpass@127.0.0.1:{controller.port}?cafile={cert}")
        add_weekly(seeded)
        code, out, err = run(seeded, "reports", "run-due", "--now", "2026-03-02T07:00:00Z", "--json")
        assert code == 0, err
        assert json.loads(out)["runs"][0]["status"] == "sent"
        assert len(handler.messages) == 1
        assert logins and all(ok and over_tls for _, ok, over_tls in logins)
    finally:
        controller.stop()


def test_reports103_refused_then_recovers_with_backoff(seeded, inbox, monkeypatch):
    use_smtp(seeded, inbox.url)
    waits = []
    monkeypatch.setattr(delivery.time, "sleep", waits.append)
    add_weekly(seeded)
    inbox.refuse_next = 2
    code, out, err = run(seeded, "reports", "run-due", "--now", "2026-03-02T07:00:00Z", "--json")
    assert code == 0, err
    (outcome,) = json.loads(out)["runs"]
    assert outcome["status"] == "sent" and outcome["attempts"] == 3
    assert waits == [delivery.BACKOFF_SECONDS, delivery.BACKOFF_SECONDS * 2]  # exponential
    assert len(inbox.messages) == 1


def test_reports104_failed_run_notifies_owners_and_can_be_resent(seeded, inbox, monkeypatch):
    use_smtp(seeded, inbox.url)
    monkeypatch.setattr(delivery.time, "sleep", lambda s: None)
    add_weekly(seeded)
    inbox.refuse_next = delivery.MAX_ATTEMPTS
    code, out, _ = run(seeded, "reports", "run-due", "--now", "2026-03-02T07:00:00Z", "--json")
    (outcome,) = json.loads(out)["runs"]
    assert code == 1 and outcome["status"] == "failed" and outcome["attempts"] == delivery.MAX_ATTEMPTS
    assert "451" in outcome["error"]
    with seeded.db.session() as db:
        (note,) = db.scalars(select(Notification)).all()
        assert note.kind == "report_failed" and "Weekly performance" in note.message and not note.emailed
    assert inbox.messages == []
    # the server is back: resend from the history (same period), and the owners hear about the failure
    code, out, err = run(seeded, "reports", "resend", str(outcome["run_id"]), "--workspace", "acme", "--json")
    assert code == 0, err
    assert json.loads(out)["status"] == "sent"
    subjects = [m["Subject"] for m in inbox.messages]
    assert subjects[0].startswith("Weekly performance for Acme: ")
    assert "23 Feb – 1 Mar 2026" in subjects[0]
    assert subjects[1] == "Pulseboard: 1 report(s) could not be sent"
    assert inbox.messages[1]["To"] == "owner@acme.test"
    first, again = runs(seeded)
    assert again.resend_of == first.id and again.status == "sent"
    assert (again.period_start, again.period_end) == (first.period_start, first.period_end)


def test_reports105_catch_up_after_downtime_sends_only_the_latest(seeded, inbox):
    use_smtp(seeded, inbox.url)
    add_weekly(seeded)
    # down from January to Wednesday 4 March: only Monday 2 March's report goes out, once
    code, out, _ = run(seeded, "reports", "run-due", "--now", "2026-03-04T12:00:00Z", "--json")
    assert code == 0
    assert len(json.loads(out)["runs"]) == 1 and len(inbox.messages) == 1
    (run_row,) = runs(seeded)
    assert delivery.utc(run_row.occurrence_at) == dt.datetime(2026, 3, 2, 7, tzinfo=dt.UTC)
    assert str(run_row.period_start) == "2026-02-23"
    code, out, _ = run(seeded, "reports", "run-due", "--now", "2026-03-04T12:05:00Z", "--json")
    assert json.loads(out)["runs"] == []


def test_reports106_dst_boundary_sends_at_0800_local(seeded, inbox):
    use_smtp(seeded, inbox.url)
    add_weekly(seeded, created="2026-03-25T00:00:00+00:00")
    # Monday 30 March 2026 is the first Monday of CEST (UTC+2): 08:00 local is 06:00 UTC
    code, out, _ = run(seeded, "reports", "run-due", "--now", "2026-03-30T05:59:00Z", "--json")
    assert json.loads(out)["runs"] == []
    code, out, _ = run(seeded, "reports", "run-due", "--now", "2026-03-30T06:00:00Z", "--json")
    assert len(json.loads(out)["runs"]) == 1
    (run_row,) = runs(seeded)
    assert delivery.utc(run_row.occurrence_at) == dt.datetime(2026, 3, 30, 6, tzinfo=dt.UTC)
    assert (str(run_row.period_start), str(run_row.period_end)) == ("2026-03-23", "2026-03-29")


def test_reports107_two_run_due_processes_race_one_email(seeded, inbox, settings):
    use_smtp(seeded, inbox.url)
    add_weekly(seeded)
    seeded.close()  # release the warehouse: the racing processes need it
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSEBOARD_")}
    env |= {
        "PULSEBOARD_DATA_DIR": str(settings.data_dir),
        "PULSEBOARD_SMTP_URL": inbox.url,
        "PULSEBOARD_MAIL_FROM": "reports@acme.test",
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable, "-c", "from dashboard.cli import main; main()",
        "reports", "run-due", "--now", "2026-03-02T07:00:00Z", "--json",
    ]  # fmt: skip
    procs = [
        subprocess.Popen(
            command, cwd=settings.data_dir.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=240) for p in procs]
    for p, (_out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err.decode()
    handled = sorted(len(json.loads(out)["runs"]) for out, _ in results)
    assert handled == [0, 1]
    assert len(inbox.messages) == 1
    assert [r.status for r in runs(seeded)] == ["sent"]


def test_reports108_expired_lease_is_taken_over_once(seeded, inbox):
    use_smtp(seeded, inbox.url)
    add_weekly(seeded)
    now = dt.datetime(2026, 3, 2, 7, tzinfo=dt.UTC)
    claimed = delivery.claim_due(seeded, now, "crashed-worker")
    assert len(claimed) == 1
    assert delivery.claim_due(seeded, now, "other") == []  # lease still held
    later = now + delivery.LEASE + dt.timedelta(seconds=1)
    assert delivery.claim_due(seeded, later, "rescuer") == claimed
    assert delivery.claim_due(seeded, later, "third") == []
    outcome = delivery.deliver(seeded, claimed[0], "rescuer")
    assert outcome.status == "sent" and len(inbox.messages) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "not-an-address"], "recipient 'not-an-address' is not an email address"),
        (["--timezone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
        (["--subject", "{oops}"], "bad placeholder"),
        (["--formats", "pdf,docx"], "unknown format 'docx'"),
        (["--cron", "0 25 * * *"], "either --preset"),
    ],
)
def test_reports109_add_refuses_bad_input(seeded, args, message):
    base = {"--to": "ann@acme.test", "--timezone": "UTC", "--formats": "pdf", "--subject": "{report}"}
    overrides = dict(zip(args[::2], args[1::2], strict=True))
    merged = [x for k, v in (base | overrides).items() for x in (k, v)]
    code, _, err = run(
        seeded, "reports", "add", "--workspace", "acme", "--name", "R", "--preset", "daily", *merged
    )
    assert code == 2 and err.startswith("error: ") and message in err
    code, out, _ = run(seeded, "reports", "list", "--workspace", "acme", "--json")
    assert json.loads(out)["schedules"] == []


def test_reports110_worker_once_sends_what_is_due(seeded, inbox):
    use_smtp(seeded, inbox.url)
    add_weekly(seeded)  # made in January: this week's Monday occurrence is due now
    code, out, err = run(seeded, "worker", "--once")
    assert code == 0, err
    assert "1 report run(s) handled" in out
    assert len(inbox.messages) == 1
    code, out, _ = run(seeded, "worker", "--once")
    assert "0 report run(s) handled" in out and len(inbox.messages) == 1


def test_reports111_scheduler_thread_sends_and_stops(seeded, inbox):
    from dash.testing.wait import until

    from reports.scheduler import start_thread

    use_smtp(seeded, inbox.url)
    add_weekly(seeded)
    stop = start_thread(seeded, interval=0.05)
    try:
        until(lambda: len(inbox.messages) == 1, timeout=240)  # a loaded CI machine renders slowly
        # the run is marked sent just after the mail went out: wait for that commit too
        until(lambda: [r.status for r in runs(seeded)] == ["sent"], timeout=60)
    finally:
        stop.set()
    assert [r.status for r in runs(seeded)] == ["sent"]
