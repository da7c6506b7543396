"""Server-side records of logged-in browsers: made at log-in, listed and revoked on Settings.

Each log-in makes a random key; the browser's session and remember-me cookies carry it (see
``User.get_id``) and the app DB keeps only its SHA-256 in a ``UserSession`` row, with the
device, address and times shown in the list. The user loader accepts a cookie only while its
row exists, so deleting one row logs out exactly that browser, remember-me cookie included.
Every function here takes the user id from the caller's own session: a session id that came
from the browser is only ever looked up among that user's rows.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from dashboard.models import User, UserSession, as_utc
from dashboard.user_agents import describe

#: How often a request refreshes its row's "last seen": at most once a minute, so a busy page
#: (dozens of callbacks a minute) costs one write a minute, not one per request.
TOUCH_EVERY = timedelta(minutes=1)
#: Longest stored User-Agent (the audit log keeps the same length).
MAX_AGENT = 300


@dataclass(frozen=True)
class Lifetimes:
    """How long a session lives: ``idle`` without a request (None: no limit), ``absolute`` in all."""

    idle: timedelta | None
    absolute: timedelta

    @classmethod
    def of(cls, settings) -> Lifetimes:
        """The lifetimes from ``session_idle_minutes`` and ``session_max_hours``."""
        idle = settings.session_idle_minutes
        return cls(timedelta(minutes=idle) if idle else None, timedelta(hours=settings.session_max_hours))

    def alive(self, row: UserSession, now: datetime) -> bool:
        """True while ``row`` is within its absolute (and, unless remembered, idle) lifetime."""
        if now - as_utc(row.created_at) > self.absolute:
            return False
        return row.remembered or self.idle is None or now - as_utc(row.last_seen_at) <= self.idle


@dataclass(frozen=True)
class SessionInfo:
    """One session as the Settings list shows it."""

    id: int
    device: str
    ip: str | None
    created_at: datetime
    last_seen_at: datetime
    remembered: bool
    current: bool


def hash_key(key: str) -> str:
    """The stored form of a session key (a random 256-bit string, so SHA-256 is enough)."""
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def create(
    db: Session,
    user_id: int,
    *,
    ip: str | None,
    user_agent: str | None,
    remembered: bool,
    lifetimes: Lifetimes,
    now: datetime | None = None,
) -> str:
    """Record a new session of ``user_id``; its key (for the cookies, stored nowhere else).

    The user's sessions that have already expired are deleted on the way, so the table holds
    live sessions plus at most the ones that expired since their owner's last log-in.
    """
    now = now or datetime.now(UTC)
    dead = [row.id for row in _rows(db, user_id) if not lifetimes.alive(row, now)]
    if dead:
        db.execute(delete(UserSession).where(UserSession.id.in_(dead)))
    key = secrets.token_urlsafe(32)
    db.add(
        UserSession(
            user_id=user_id,
            key_hash=hash_key(key),
            created_at=now,
            last_seen_at=now,
            ip=(ip or None) and ip[:64],
            user_agent=(user_agent or None) and user_agent[:MAX_AGENT],
            remembered=bool(remembered),
        )
    )
    db.flush()
    return key


#: built once: every request runs it (through the log-in loader)
_FIND_QUERY = (
    select(User, UserSession)
    .join(UserSession, UserSession.user_id == User.id)
    .where(User.id == bindparam("user_id"), UserSession.key_hash == bindparam("key_hash"))
)


def find(db: Session, user_id: int, key: str) -> tuple[User, UserSession] | None:
    """The user and the session row the cookie's ``key`` names, if both exist (one query)."""
    if not key or len(key) > 200:
        return None
    found = db.execute(_FIND_QUERY, {"user_id": user_id, "key_hash": hash_key(key)}).first()
    return (found[0], found[1]) if found is not None else None


def touch(
    db: Session, key: str, *, ip: str | None, user_agent: str | None, now: datetime | None = None
) -> None:
    """Note that the session with ``key`` was just used, from ``ip`` with ``user_agent``."""
    values: dict = {"last_seen_at": now or datetime.now(UTC), "ip": (ip or None) and ip[:64]}
    if user_agent:
        values["user_agent"] = user_agent[:MAX_AGENT]
    db.execute(update(UserSession).where(UserSession.key_hash == hash_key(key)).values(**values))


def listing(
    db: Session,
    user_id: int,
    current_key: str | None,
    lifetimes: Lifetimes,
    *,
    now: datetime | None = None,
) -> list[SessionInfo]:
    """The live sessions of ``user_id``: this one first, then the most recently seen."""
    now = now or datetime.now(UTC)
    current_hash = hash_key(current_key) if current_key else None
    items = [
        SessionInfo(
            id=row.id,
            device=describe(row.user_agent),
            ip=row.ip,
            created_at=as_utc(row.created_at),
            last_seen_at=as_utc(row.last_seen_at),
            remembered=bool(row.remembered),
            current=row.key_hash == current_hash,
        )
        for row in _rows(db, user_id)
        if lifetimes.alive(row, now)
    ]
    return sorted(items, key=lambda s: (not s.current, -s.last_seen_at.timestamp(), -s.id))


def revoke(db: Session, user_id: int, session_id) -> SessionInfo | None:
    """Delete session ``session_id`` *of user_id*; what it was, or None when it is not theirs.

    An id of another user's session, an unknown id and garbage all give None: the caller
    learns nothing about other users' sessions.
    """
    try:
        session_id = int(session_id)
    except (TypeError, ValueError):
        return None
    row = db.scalar(select(UserSession).where(UserSession.id == session_id, UserSession.user_id == user_id))
    if row is None:
        return None
    info = SessionInfo(
        row.id,
        describe(row.user_agent),
        row.ip,
        as_utc(row.created_at),
        as_utc(row.last_seen_at),
        bool(row.remembered),
        False,
    )
    db.delete(row)
    db.flush()
    return info


def is_current(db: Session, user_id: int, session_id, current_key: str | None) -> bool:
    """True when ``session_id`` is the row of the browser holding ``current_key``."""
    if not current_key:
        return False
    try:
        session_id = int(session_id)
    except (TypeError, ValueError):
        return False
    found = db.scalar(
        select(UserSession.id).where(
            UserSession.id == session_id,
            UserSession.user_id == user_id,
            UserSession.key_hash == hash_key(current_key),
        )
    )
    return found is not None


def end(db: Session, key: str | None) -> None:
    """Delete the session with ``key`` (its browser logged out or expired)."""
    if key:
        db.execute(delete(UserSession).where(UserSession.key_hash == hash_key(key)))


def end_all(db: Session, user_id: int, *, keep_key: str | None = None) -> None:
    """Delete every session of ``user_id``, except the one with ``keep_key`` if given."""
    query = delete(UserSession).where(UserSession.user_id == user_id)
    if keep_key:
        query = query.where(UserSession.key_hash != hash_key(keep_key))
    db.execute(query)


def _rows(db: Session, user_id: int) -> list[UserSession]:
    return list(db.scalars(select(UserSession).where(UserSession.user_id == user_id)))
