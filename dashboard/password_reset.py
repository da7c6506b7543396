"""Password reset by email link: single use, expiring, only the token's hash stored.

:func:`request_reset` makes a link for an active account and says nothing about whether the
address has one (the page answers the same either way). :func:`reset_password` sets the new
password under the usual policy, spends the link (and every other open link of that user)
and ends all of the user's sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import audit
from dashboard.accounts import (
    AccountError,
    check_password_policy,
    end_sessions,
    hash_password,
    normalise_email,
)
from dashboard.models import PasswordReset, User
from dashboard.single_use_links import LinkError, LinkKind, new_token, usable

RESET_TTL = timedelta(hours=1)

__all__ = ["RESET_TTL", "LinkError", "Requested", "open_reset", "request_reset", "reset_password"]


@dataclass(frozen=True)
class Requested:
    """A reset link to send: to whom, and the token (shown nowhere else)."""

    email: str
    token: str


def request_reset(db: Session, email, *, now: datetime | None = None) -> Requested | None:
    """A new reset token for the active account with this email; None for any other address.

    The caller answers the same in both cases. Audited either way (the typed address as actor).
    """
    now = now or datetime.now(UTC)
    try:
        email = normalise_email(email if isinstance(email, str) else "")
    except AccountError:
        return None
    user = db.scalar(select(User).where(User.email == email))
    if user is None or not user.active:
        audit.record(db, "password_reset_requested", actor=email, outcome="failed", detail="no such account")
        return None
    token, token_hash = new_token()
    db.add(PasswordReset(user_id=user.id, token_hash=token_hash, created_at=now, expires_at=now + RESET_TTL))
    audit.record(db, "password_reset_requested", actor=email, user_id=user.id)
    db.flush()
    return Requested(email, token)


_LINK = LinkKind(
    model=PasswordReset,
    used_column="used_at",
    invalid="This password reset link is not valid.",
    used="This password reset link has already been used; ask for a new one.",
    expired="This password reset link has expired; ask for a new one.",
)


def _usable(db: Session, token, now: datetime) -> PasswordReset:
    return usable(db, _LINK, token, now)


def open_reset(db: Session, token, *, now: datetime | None = None) -> str:
    """The email the link resets; LinkError (invalid, expired, used) otherwise."""
    reset = _usable(db, token, now or datetime.now(UTC))
    return db.get(User, reset.user_id).email


def reset_password(db: Session, token, password, confirm, *, now: datetime | None = None) -> User:
    """Set the new password, spend the link (and the user's other links), end every session.

    LinkError for an unusable link; AccountError (a message for the form) for a weak or
    mismatched password.
    """
    now = now or datetime.now(UTC)
    reset = _usable(db, token, now)
    user = db.get(User, reset.user_id)
    password = password if isinstance(password, str) else ""
    if password != (confirm if isinstance(confirm, str) else ""):
        raise AccountError("the password and its confirmation differ")
    check_password_policy(password, user.email)
    user.password_hash = hash_password(password)
    end_sessions(user)
    for other in db.scalars(
        select(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
    ):
        other.used_at = now  # an older link that also reached the inbox must not work afterwards
    audit.record(db, "password_reset", actor=user.email, user_id=user.id)
    db.flush()
    return user
