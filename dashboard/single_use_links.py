"""Single-use, expiring email links (invitations, password resets): one check for all of them.

A link carries a 256-bit random token; only its SHA-256 is stored (a ``token_hash`` column), so
a copy of the database opens nothing. A link is usable while its token is well-formed, its row
exists, it has not been used, not been withdrawn and not expired; :func:`usable` checks these in
that order and says which one failed, in the words of the kind of link (:class:`LinkKind`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.api.tokens import hash_token
from dashboard.models import as_utc

#: Longer "tokens" are refused before any hashing or lookup (ours are 43 characters).
MAX_TOKEN_LENGTH = 200


class LinkError(ValueError):
    """A link that cannot be used, with ``status`` for the page: invalid, expired, used or other."""

    def __init__(self, message: str, status: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class LinkKind:
    """One kind of link: its table, the column that marks it spent, and what to tell people."""

    model: type
    used_column: str
    invalid: str
    used: str
    expired: str
    #: A column set when the link was withdrawn (None: this kind cannot be withdrawn).
    revoked_column: str | None = None
    revoked: str = ""


def new_token() -> tuple[str, str]:
    """A fresh link token and its stored hash: (token for the link, value for ``token_hash``)."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def usable(db: Session, kind: LinkKind, token, now: datetime):
    """The row of the link ``token`` if it can be used at ``now``; LinkError saying why not."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkError(kind.invalid, "invalid")
    row = db.scalar(select(kind.model).where(kind.model.token_hash == hash_token(token)))
    if row is None:
        raise LinkError(kind.invalid, "invalid")
    if getattr(row, kind.used_column) is not None:
        raise LinkError(kind.used, "used")
    if kind.revoked_column and getattr(row, kind.revoked_column) is not None:
        raise LinkError(kind.revoked, "used")
    if as_utc(row.expires_at) <= now:
        raise LinkError(kind.expired, "expired")
    return row
