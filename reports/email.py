"""The report email: a mobile-friendly HTML briefing, a plain-text twin, the files attached.

Sending goes through :class:`SmtpConfig`, read from ``PULSEBOARD_SMTP_URL``:
``smtp://host:25`` (plain), ``smtp+starttls://user:pass@host:587`` (STARTTLS) or
``smtps://user:pass@host:465`` (TLS from the first byte); ``?cafile=/path/ca.pem`` trusts a
private CA, ``?timeout=30`` sets the socket time-out. The password is never logged or shown.
"""

from __future__ import annotations

import html
import re
import smtplib
import ssl
import string
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from components.formatting import numbers_as
from reports.assemble import ReportData

#: a practical address check: one @, no spaces, a dot in the domain (RFC 5322 allows more, mail servers don't)
EMAIL_RE = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")
#: the placeholders subject and intro text may use
PLACEHOLDERS = ("workspace", "report", "period", "start", "end", "date")
#: the longest intro text a schedule keeps (a few paragraphs above the numbers of an email)
INTRO_MAX = 2000


class MailError(ValueError):
    """Bad mail settings or recipients (not a delivery failure)."""


def parse_recipients(text: str) -> list[str]:
    """``a@x.com, b@y.com`` -> a list; MailError naming the first bad address."""
    items = [p.strip() for p in re.split(r"[,;\s]+", text or "") if p.strip()]
    if not items:
        raise MailError("give at least one recipient, e.g. --to ann@example.com")
    for item in items:
        if not EMAIL_RE.match(item):
            raise MailError(f"recipient {item!r} is not an email address")
    return list(dict.fromkeys(items))


def fill_placeholders(template: str, values: dict[str, str]) -> str:
    """``{workspace}`` ... replaced; MailError for an unknown placeholder or a stray brace.

    Only bare names are allowed: ``{report.__class__}`` or ``{period!r:>40}`` are refused, so a
    template typed into a form can never reach into Python objects.
    """
    accepted = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
    out = []
    try:
        for literal, name, spec, conversion in string.Formatter().parse(template):
            out.append(literal)
            if name is None:
                continue
            if name not in PLACEHOLDERS or spec or conversion:
                raise MailError(f"bad placeholder {{{name}}} in {template!r}; accepted: {accepted}")
            out.append(values.get(name, ""))
    except ValueError as exc:
        raise MailError(f"bad placeholder in {template!r} ({exc}); accepted: {accepted}") from None
    return "".join(out)


def check_template(template: str) -> str:
    """Validate a subject or intro template (placeholders known, braces balanced)."""
    fill_placeholders(template, {k: "x" for k in PLACEHOLDERS})
    return template


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send mail."""

    host: str
    port: int
    security: str = "none"  # none | starttls | tls
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    cafile: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        """Parse ``PULSEBOARD_SMTP_URL``; MailError naming what is wrong (never the password)."""
        parts = urlsplit(url)
        schemes = {"smtp": ("none", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}
        if parts.scheme not in schemes:
            raise MailError(f"PULSEBOARD_SMTP_URL scheme {parts.scheme!r}; accepted: {', '.join(schemes)}")
        if not parts.hostname:
            raise MailError("PULSEBOARD_SMTP_URL has no host")
        security, default_port = schemes[parts.scheme]
        query = parse_qs(parts.query)
        try:
            port = parts.port or default_port
            timeout = float(query.get("timeout", ["30"])[0])
        except ValueError:
            raise MailError("PULSEBOARD_SMTP_URL has a bad port or timeout") from None
        return cls(
            host=parts.hostname,
            port=port,
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            cafile=query.get("cafile", [None])[0],
            timeout=timeout,
        )

    def send(self, message: EmailMessage) -> None:
        """Deliver ``message``; smtplib/OSError exceptions propagate (the caller retries)."""
        context = ssl.create_default_context(cafile=self.cafile) if self.security != "none" else None
        if self.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            client.ehlo()
            if self.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(message)


def build_message(
    data: ReportData,
    *,
    sender: str,
    recipients: list[str],
    subject: str,
    intro: str,
    attachments: list[tuple[str, Path, str]],
    dashboard_url: str | None = None,
) -> EmailMessage:
    """The email: plain text first, HTML alternative, then each ``(filename, path, mime)`` attached."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "pulseboard.local")
    with numbers_as(data.workspace.locale):  # the briefing's numbers as the workspace writes them
        msg.set_content(plain_text(data, intro, dashboard_url))
        msg.add_alternative(html_briefing(data, intro, dashboard_url), subtype="html")
    for filename, path, mime in attachments:
        maintype, _, subtype = mime.partition(";")[0].partition("/")
        msg.add_attachment(Path(path).read_bytes(), maintype=maintype, subtype=subtype, filename=filename)
    return msg


def placeholder_values(data: ReportData) -> dict[str, str]:
    """The values of the subject/intro placeholders for this report."""
    return {
        "workspace": data.workspace.name or data.workspace.slug,
        "report": data.spec.title,
        "period": data.period_text,
        "start": data.start.isoformat(),
        "end": data.end.isoformat(),
        "date": data.generated_at.date().isoformat(),
    }


def top_insights(data: ReportData, limit: int = 3) -> list[tuple[str, str]]:
    """(headline, action) of the report's first insights, for the email briefing."""
    for section in data.sections:
        if section.key == "insights" and section.tables:
            return [(row[0], "" if row[-1] == "—" else row[-1]) for row in section.tables[0].rows[:limit]]
    return []


def plain_text(data: ReportData, intro: str, dashboard_url: str | None) -> str:
    """The plain-text alternative: the same facts and KPIs, aligned for a monospace reader."""
    lines = [intro, ""] if intro else []
    lines += [
        f"{data.spec.title} — {data.workspace.name or data.workspace.slug}",
        f"Period: {data.period_text}",
        f"Compared with: {data.compare_text}",
        *([f"Filters: {data.filters_text}"] if data.spec.filters else []),
        "",
    ]
    for kpi in data.kpis:
        change = f"  ({kpi.change_text})" if data.compare else ""
        lines.append(f"{kpi.label:<24} {kpi.value_text:>16}{change}")
    lines += data.kpi_notes  # a filtered report names the numbers the filter does not reach
    top = top_insights(data)
    if top:
        lines += ["", "Top insights"]
        lines += [f"- {headline}" + (f" Next: {action}" if action else "") for headline, action in top]
    empty = [s.empty_message for s in data.sections if s.empty_message]
    if empty:
        lines += ["", *empty]
    if dashboard_url:
        lines += ["", f"Open the dashboard: {dashboard_url}"]
    lines += ["", f"Generated {data.generated_text} by Pulseboard."]
    return "\n".join(lines) + "\n"


def html_briefing(data: ReportData, intro: str, dashboard_url: str | None) -> str:
    """The HTML briefing: one column, max 600 px, inline styles (mail clients drop <style>)."""
    e = html.escape
    rows = []
    for kpi in data.kpis:
        colour = "#15803d" if kpi.good else "#b91c1c" if kpi.good is False else "#6b7280"
        change = (
            f'<td style="padding:8px 0;text-align:right;color:{colour};white-space:nowrap">{e(kpi.change_text)}</td>'
            if data.compare
            else ""
        )
        rows.append(
            '<tr style="border-bottom:1px solid #e5e7eb">'
            f'<td style="padding:8px 8px 8px 0">{e(kpi.label)}</td>'
            f'<td style="padding:8px 8px;text-align:right;font-weight:600;white-space:nowrap">{e(kpi.value_text)}</td>'
            f"{change}</tr>"
        )
    insight_items = "".join(
        f'<li style="margin:0 0 8px">{e(headline)}'
        + (f'<br><span style="color:#6b7280">Next: {e(action)}</span>' if action else "")
        + "</li>"
        for headline, action in top_insights(data)
    )
    insights_html = (
        f'<h2 style="margin:20px 0 8px;font-size:17px">Top insights</h2><ul style="margin:0;padding-left:20px">{insight_items}</ul>'
        if insight_items
        else ""
    )
    notes = "".join(
        f'<p style="margin:12px 0 0;color:#6b7280">{e(s.empty_message)}</p>'
        for s in data.sections
        if s.empty_message
    )
    # a filtered report names the numbers the filter does not reach, under their table
    kpi_notes = "".join(f'<p style="margin:8px 0 0;color:#6b7280">{e(n)}</p>' for n in data.kpi_notes)
    link = (
        f'<p style="margin:24px 0"><a href="{e(dashboard_url)}" style="background:#4361ee;color:#fff;'
        f'padding:10px 16px;border-radius:6px;text-decoration:none;display:inline-block">Open the dashboard</a></p>'
        if dashboard_url
        else ""
    )
    # the intro is typed into a text area: its line breaks are the writer's
    intro_html = f'<p style="margin:0 0 16px">{e(intro).replace(chr(10), "<br>")}</p>' if intro else ""
    # a filtered report says so under its period: its totals are not the workspace's
    filters_html = f"<br>Filters: {e(data.filters_text)}" if data.spec.filters else ""
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(data.spec.title)}</title></head>
<body style="margin:0;padding:0;background:#f3f4f6">
<div style="max-width:600px;margin:0 auto;padding:16px;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.45;color:#1f2937;background:#fff">
<p style="margin:0 0 4px;color:#4361ee;font-weight:700">Pulseboard</p>
<h1 style="margin:0 0 4px;font-size:22px">{e(data.spec.title)}</h1>
<p style="margin:0 0 16px;color:#6b7280">{e(data.workspace.name or data.workspace.slug)} · {e(data.period_text)}<br>Compared with {e(data.compare_text)}{filters_html}</p>
{intro_html}
<table role="presentation" style="width:100%;border-collapse:collapse">{"".join(rows)}</table>{kpi_notes}
{insights_html}{notes}{link}
<p style="margin:16px 0 0;font-size:13px;color:#6b7280">Generated {e(data.generated_text)}. The attached files hold every section.</p>
</div></body></html>"""


def format_sender(address: str, name: str = "Pulseboard") -> str:
    """``Pulseboard <reports@example.com>``."""
    return formataddr((name, address))
