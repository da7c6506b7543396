"""``pulseboard privacy export|erase``: GDPR requests for one customer from the terminal.

Whoever can run the CLI on the server can read the data dir, so the command line acts as the
workspace's owner, as the other CLI commands do; the audit log names it ``(command line)``.
Registered on the main group at the end of dashboard/cli.py (this module reuses its helpers).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from flask import has_request_context

from dashboard.accounts import WorkspaceContext
from dashboard.cli import BadInput, _services, _workspace_ref, needs_warehouse
from dashboard.models import Role
from dashboard.privacy import erase_customer, export_customer, preview, subject_ref
from data.privacy import PrivacyError, normalise_email


@click.group()
def privacy() -> None:
    """Export or erase everything a workspace holds about one customer (GDPR)."""


def _context(ctx: click.Context, slug: str) -> WorkspaceContext:
    return WorkspaceContext(user_id=0, role=Role.OWNER, workspace=_workspace_ref(_services(ctx), slug))


def _email(value: str) -> str:
    try:
        return normalise_email(value)
    except PrivacyError as exc:
        raise BadInput(str(exc)) from None


@privacy.command("export")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--email", required=True, help="The customer's email address (any case).")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="A .zip file."
)
@click.pass_context
@needs_warehouse
def privacy_export(ctx: click.Context, slug: str, email: str, out: Path) -> None:
    """Write the customer's rows of every table to a ZIP: one CSV per table and manifest.json."""
    address = _email(email)
    if out.suffix.lower() != ".zip":
        raise BadInput(f"--out {str(out)!r} must name a .zip file")
    if not out.parent.is_dir():
        raise BadInput(f"--out {str(out)!r}: the folder {str(out.parent)!r} does not exist")
    services = _services(ctx)
    export = export_customer(services, _context(ctx, slug), address)
    _write_private(out, export.content)
    tables = ", ".join(f"{name} {rows}" for name, rows in export.tables.items()) or "no rows"
    click.echo(f"wrote {out}: {export.rows} rows about {address} ({tables})")


@privacy.command("erase")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--email", required=True, help="The customer's email address (any case).")
@click.option("--yes", is_flag=True, help="Erase without asking (required when not at a terminal).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
@needs_warehouse
def privacy_erase(ctx: click.Context, slug: str, email: str, yes: bool, as_json: bool) -> None:
    """Pseudonymise the customer in every table; revenue and counts stay (one transaction)."""
    address = _email(email)
    services = _services(ctx)
    context = _context(ctx, slug)
    found = preview(services, context, address)
    rows = found.rows_to_change()
    planned = {n: c for n, c in found.counts().items() if n not in found.derived}
    if not yes and rows:
        question = f"Pseudonymise {rows} rows in {len(planned)} tables of {slug} about {address}?"
        if not _at_terminal():
            _emit_result(slug, address, False, rows, planned, False, as_json)
            raise BadInput(f"nothing erased: {rows} rows would change; pass --yes to erase them")
        if not click.confirm(question, default=False, err=True):
            raise BadInput("nothing erased")
    result = erase_customer(services, context, address)
    _emit_result(slug, address, True, result.rows, result.tables, result.rollups_rebuilt, as_json)


def _at_terminal() -> bool:
    """True when a person can answer a question on stdin.

    A run handed to the server (inside its /internal/cli request) has no terminal of its own, and
    must never read the server's.
    """
    return sys.stdin.isatty() and not has_request_context()


def _emit_result(slug, address, erased, rows, tables, rebuilt, as_json) -> None:
    if as_json:
        payload = {
            "workspace": slug,
            "email": address,
            "customer": subject_ref(address),
            "erased": erased,
            "rows": rows,
            "tables": tables,
            "rollups_rebuilt": rebuilt,
        }
        click.echo(json.dumps(payload, indent=2))
    elif erased:
        detail = ", ".join(f"{n} {c}" for n, c in tables.items()) or "nothing held"
        click.echo(f"erased {address} in {slug}: {rows} rows pseudonymised ({detail})")
    else:
        detail = ", ".join(f"{n} {c}" for n, c in tables.items())
        click.echo(f"would pseudonymise {rows} rows about {address} in {slug} ({detail})")


def _write_private(path: Path, content: bytes) -> None:
    """Write ``content`` readable by its owner only, replacing ``path`` in one step."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
