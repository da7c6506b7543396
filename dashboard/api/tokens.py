"""Personal API tokens: created for one workspace, stored hashed, shown once, revocable.

A token acts with its creator's role in its workspace *at the time of each request*: demote
the creator to viewer, or remove them, and the token stops working; it never grants more than
its creator has. When the workspace's owners require two-factor authentication, only members
who have it on may create tokens, and the tokens of members without it are refused (they work
again once their owner turns it on). Tokens are random 256-bit strings, so a SHA-256 of the token (not a slow
password hash) is enough to make a stolen database useless.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import audit
from dashboard.accounts import AccountError, WorkspaceContext, normalise_email, to_ref
from dashboard.models import ApiToken, Membership, Role, User, Workspace

TOKEN_PREFIX = "pbt_"
#: Reading metrics over the API is an export: analysts and up (see docs/security.md).
API_ROLE = Role.ANALYST


class TwoFactorMissing(PermissionError):
    """The token's workspace requires two-factor authentication and its creator has none."""

    def __init__(self, message: str, *, user_id: int, email: str, workspace_id: int):
        super().__init__(message)
        self.user_id, self.email, self.workspace_id = user_id, email, workspace_id


@dataclass(frozen=True)
class TokenInfo:
    """What lists show of a token: never the token itself."""

    id: int
    name: str
    prefix: str
    email: str
    workspace: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def create_token(
    db: Session, email: str, workspace: Workspace, name: str | None = None
) -> tuple[str, ApiToken]:
    """A new token for the member ``email`` of ``workspace``: (the token, shown once; its row).

    AccountError when the user is not a member or their role may not use the API.
    """
    user = db.scalar(select(User).where(User.email == normalise_email(email)))
    membership = (
        db.scalar(
            select(Membership).where(Membership.user_id == user.id, Membership.workspace_id == workspace.id)
        )
        if user is not None
        else None
    )
    if user is None or membership is None:
        raise AccountError(f"{email} is not a member of workspace {workspace.slug!r}")
    if not Role(membership.role).at_least(API_ROLE):
        raise AccountError(
            f"API tokens need the {API_ROLE.value} role or higher; {email} is {membership.role}"
        )
    if workspace.require_two_factor and user.totp_enabled_at is None:
        raise AccountError(
            f"workspace {workspace.slug!r} requires two-factor authentication and {user.email} has "
            "not turned it on: they set it up first (Settings → Account, or /two-factor)"
        )
    name = (name or "").strip()[:100] or f"token {datetime.now(UTC):%Y-%m-%d %H:%M}"
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id, workspace_id=workspace.id, name=name, prefix=token[:12], token_hash=hash_token(token)
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        "api_token_created",
        actor=user.email,
        user_id=user.id,
        workspace_id=workspace.id,
        detail=f"{row.id} {name}",
    )
    return token, row


def revoke_token(db: Session, workspace: Workspace, token_or_id: str) -> bool:
    """Revoke a token of ``workspace`` given its id or the token itself; False if none matched."""
    query = select(ApiToken).where(ApiToken.workspace_id == workspace.id)
    text = (token_or_id or "").strip()
    query = (
        query.where(ApiToken.id == int(text))
        if text.isdigit()
        else query.where(ApiToken.token_hash == hash_token(text))
    )
    row = db.scalar(query)
    if row is None:
        return False
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        user = db.get(User, row.user_id)
        audit.record(
            db,
            "api_token_revoked",
            actor=user.email if user else "",
            user_id=row.user_id,
            workspace_id=workspace.id,
            detail=f"{row.id} {row.name}",
        )
    return True


def list_tokens(db: Session, workspace: Workspace) -> list[TokenInfo]:
    """Every token of the workspace, newest first (revoked ones marked)."""
    rows = db.execute(
        select(ApiToken, User.email)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.workspace_id == workspace.id)
        .order_by(ApiToken.id.desc())
    )
    return [
        TokenInfo(
            t.id,
            t.name,
            t.prefix,
            email,
            workspace.slug,
            t.created_at,
            t.last_used_at,
            t.revoked_at is not None,
        )
        for t, email in rows
    ]


def context_for_token(db: Session, token: str) -> WorkspaceContext | None:
    """The workspace context a token acts in, or None (unknown, revoked, creator gone or inactive).

    The role is the creator's role in the token's workspace now, not when it was made.
    TwoFactorMissing when the workspace requires two-factor authentication and the creator
    has not turned it on.
    """
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    found = db.execute(
        select(User, Membership, Workspace)
        .join(Membership, Membership.user_id == User.id)
        .join(Workspace, Workspace.id == Membership.workspace_id)
        .where(User.id == row.user_id, Workspace.id == row.workspace_id)
    ).first()
    if found is None:
        return None
    user, membership, workspace = found
    if not user.active:
        return None
    if workspace.require_two_factor and user.totp_enabled_at is None:
        raise TwoFactorMissing(
            "this workspace requires two-factor authentication and the token's owner has not "
            "turned it on: set it up at /two-factor (the token works again then)",
            user_id=user.id,
            email=user.email,
            workspace_id=workspace.id,
        )
    row.last_used_at = datetime.now(UTC)
    return WorkspaceContext(user_id=user.id, role=Role(membership.role), workspace=to_ref(workspace))
