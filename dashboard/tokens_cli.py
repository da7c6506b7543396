"""``pulseboard tokens create|list|revoke``: personal API tokens from the terminal.

Registered on the main group at the end of dashboard/cli.py (this module reuses its helpers).
"""

from __future__ import annotations

import json

import click

from dashboard.accounts import AccountError, get_workspace
from dashboard.api.tokens import create_token, list_tokens, revoke_token
from dashboard.cli import BadInput, _services


@click.group()
def tokens() -> None:
    """Personal API tokens for /api/v1 (one workspace each, the creator's role)."""


@tokens.command("create")
@click.argument("email")
@click.option("--workspace", "slug", required=True, help="Workspace slug the token may read.")
@click.option("--name", default=None, help="A name to tell tokens apart (e.g. 'reporting script').")
@click.option("--json", "as_json", is_flag=True, help='Print {"token": ...} as JSON.')
@click.pass_context
def tokens_create(ctx: click.Context, email: str, slug: str, name: str | None, as_json: bool) -> None:
    """Create a token for EMAIL; it is printed once and cannot be shown again."""
    services = _services(ctx)
    try:
        with services.db.session() as db:
            token, row = create_token(db, email, get_workspace(db, slug), name)
            token_id, token_name = row.id, row.name
    except AccountError as exc:
        raise BadInput(str(exc)) from None
    if as_json:
        click.echo(
            json.dumps({"token": token, "id": token_id, "name": token_name, "workspace": slug}, indent=2)
        )
        return
    click.echo(token)
    click.echo(f"token {token_id} ({token_name}) for {slug}: store it now, it is not shown again", err=True)


@tokens.command("list")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def tokens_list(ctx: click.Context, slug: str, as_json: bool) -> None:
    """List a workspace's tokens (never the tokens themselves)."""
    services = _services(ctx)
    try:
        with services.db.session() as db:
            rows = list_tokens(db, get_workspace(db, slug))
    except AccountError as exc:
        raise BadInput(str(exc)) from None
    items = [
        {
            "id": t.id,
            "name": t.name,
            "prefix": t.prefix,
            "email": t.email,
            "created_at": t.created_at.isoformat(),
            "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
            "revoked": t.revoked,
        }
        for t in rows
    ]
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    for item in items:
        state = "revoked" if item["revoked"] else "active"
        click.echo(f"{item['id']:>4}  {item['prefix']}…  {state:<8} {item['email']:<30} {item['name']}")


@tokens.command("revoke")
@click.argument("token_or_id")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def tokens_revoke(ctx: click.Context, token_or_id: str, slug: str, as_json: bool) -> None:
    """Revoke a token by its id (from `tokens list`) or by the token itself."""
    services = _services(ctx)
    try:
        with services.db.session() as db:
            found = revoke_token(db, get_workspace(db, slug), token_or_id)
    except AccountError as exc:
        raise BadInput(str(exc)) from None
    if not found:
        raise BadInput(f"no token {token_or_id[:16]!r} in workspace {slug!r}; see `pulseboard tokens list`")
    click.echo(json.dumps({"revoked": True}) if as_json else "revoked")
