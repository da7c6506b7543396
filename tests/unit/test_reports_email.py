"""Mail settings, recipients and subject placeholders (no network)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reports.email import MailError, SmtpConfig, check_template, fill_placeholders, parse_recipients


def test_smtp_urls():
    plain = SmtpConfig.from_url("smtp://mail.local")
    assert (plain.host, plain.port, plain.security, plain.username) == ("mail.local", 25, "none", None)
    tls = SmtpConfig.from_url("smtp+starttls://ann%40x.com:p%2Fw@smtp.x.com?timeout=5")
    assert (tls.port, tls.security, tls.username, tls.password, tls.timeout) == (
        587, "starttls", "ann@x.com", "p/w", 5.0,
    )  # fmt: skip
    assert SmtpConfig.from_url("smtps://u:p@h:2465").port == 2465
    assert "p/w" not in repr(tls)  # the password never shows in logs or errors
    with pytest.raises(MailError, match="scheme 'http'; accepted: smtp, smtp\\+starttls, smtps"):
        SmtpConfig.from_url("http://mail.local")


def test_recipients():
    assert parse_recipients("a@x.com, b@y.org;a@x.com") == ["a@x.com", "b@y.org"]
    with pytest.raises(MailError, match="'bob@' is not an email address"):
        parse_recipients("a@x.com, bob@")
    with pytest.raises(MailError, match="at least one recipient"):
        parse_recipients(" , ")


def test_placeholders():
    values = {"report": "Weekly", "workspace": "Acme", "period": "Last week"}
    assert fill_placeholders("{report} for {workspace}: {period}", values) == "Weekly for Acme: Last week"
    with pytest.raises(MailError, match="bad placeholder"):
        check_template("{report} {secret_key}")
    with pytest.raises(MailError, match="bad placeholder"):
        check_template("unbalanced {report")
    with pytest.raises(MailError, match="bad placeholder"):
        check_template("{report.__class__}")


def test_mail010_failure_notice_reads_as_a_sentence():
    """The owners' notice: the schedule's own time zone, no "0 attempt(s)", no doubled advice."""
    from reports.delivery import failure_notice

    due = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    text = failure_notice(
        "Email weekly", due, "Europe/Berlin", 0,
        "no mail server configured: set PULSEBOARD_SMTP_URL, then resend this run",
    )  # fmt: skip
    assert text == (
        "The report “Email weekly” due 7 Dec 2026, 08:00 (Europe/Berlin) could not be sent: no mail "
        "server configured: set PULSEBOARD_SMTP_URL, then resend this run."
    )
    text = failure_notice("Monthly revenue", due, "UTC", 3, "SMTP 451: try later.")
    assert text.endswith(
        "could not be sent after 3 attempts: SMTP 451: try later. Resend it from the report history."
    )
    assert "after 1 attempt:" in failure_notice("x", due, "UTC", 1, "refused")
