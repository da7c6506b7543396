"""Account emails (invitations, password resets) sent through the report mail settings.

``PULSEBOARD_SMTP_URL`` and ``PULSEBOARD_MAIL_FROM`` are shared with scheduled reports
(:class:`reports.email.SmtpConfig`). Values in the message (workspace names, people's names)
are escaped in the HTML part. Links are built on ``PULSEBOARD_PUBLIC_URL`` when it is set.
"""

from __future__ import annotations

import html
import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import has_request_context, request

from dashboard.settings import Settings
from reports.email import MailError, SmtpConfig, format_sender

log = logging.getLogger(__name__)


def base_url(settings: Settings) -> str:
    """The address people reach the dashboard at, without a trailing slash.

    ``PULSEBOARD_PUBLIC_URL`` when set; else the current request's host (only used for links
    an owner is shown or sends to an address they typed, never for reset emails).
    """
    if settings.public_url:
        return settings.public_url.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return "http://localhost:8050"


def mail_configured(settings: Settings) -> bool:
    """True when an SMTP server is configured."""
    return bool(settings.smtp_url)


def build(
    settings: Settings, to: str, subject: str, lines: list[str], link: str, button: str
) -> EmailMessage:
    """A short plain-text + HTML message with one call-to-action link."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = format_sender(settings.mail_from)
    msg["To"] = to
    msg["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or "pulseboard.local")
    msg.set_content("\n\n".join([*lines, f"{button}: {link}"]) + "\n")
    e = html.escape
    paragraphs = "".join(f'<p style="margin:0 0 12px">{e(line)}</p>' for line in lines)
    msg.add_alternative(
        '<!doctype html><html><body style="margin:0;padding:16px;font-family:-apple-system,Segoe UI,'
        'Roboto,Helvetica,Arial,sans-serif;font-size:15px;color:#1f2937">'
        f'<div style="max-width:560px;margin:0 auto"><p style="color:#4361ee;font-weight:700">Pulseboard</p>'
        f'{paragraphs}<p style="margin:20px 0"><a href="{e(link)}" style="background:#4361ee;color:#fff;'
        f'padding:10px 16px;border-radius:6px;text-decoration:none;display:inline-block">{e(button)}</a></p>'
        f'<p style="font-size:13px;color:#6b7280">Or paste this address into your browser: {e(link)}</p>'
        "</div></body></html>",
        subtype="html",
    )
    return msg


def send(settings: Settings, message: EmailMessage) -> str | None:
    """Send ``message``; None when sent, else why not (no SMTP configured, or the error)."""
    if not mail_configured(settings):
        return "no mail server is configured (PULSEBOARD_SMTP_URL)"
    try:
        SmtpConfig.from_url(settings.smtp_url).send(message)
    except MailError as exc:
        return str(exc)
    except (smtplib.SMTPException, OSError) as exc:
        # The error class and text only: SMTP errors do not carry the password.
        log.warning("account email to %s not sent: %s", message["To"], type(exc).__name__)
        return f"the mail server refused or could not be reached ({type(exc).__name__})"
    return None
