"""Users, workspaces and memberships: the operations the CLI, the server and tests share."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Row, bindparam, select
from sqlalchemy.orm import Session, object_session
from werkzeug.security import check_password_hash

from dashboard import audit, user_sessions
from dashboard.models import Membership, Role, User, Workspace
from data.warehouse import WorkspaceRef

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # hashing a megabyte "password" would be a cheap way to burn CPU
#: A few of the most used passwords (and their kin) that pass the length rule.
COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password123",
        "12345678",
        "123456789",
        "1234567890",
        "qwertyuiop",
        "qwerty123",
        "iloveyou",
        "11111111",
        "abc12345",
        "letmein1",
        "welcome1",
        "admin123",
        "sunshine",
        "football",
        "baseball",
        "princess",
        "pulseboard",
    }
)


class AccountError(ValueError):
    """A bad account request (unknown workspace, bad email, weak password ...)."""


@dataclass(frozen=True)
class WorkspaceContext:
    """The logged-in user's current workspace and role, as every callback sees it."""

    user_id: int
    role: Role
    workspace: WorkspaceRef

    def can(self, role: Role) -> bool:
        """True when the user's role is at least ``role``."""
        return self.role.at_least(role)


def to_ref(workspace: Workspace | Row) -> WorkspaceRef:
    """The data plane's view of a workspace."""
    return WorkspaceRef(
        id=workspace.id,
        slug=workspace.slug,
        currency=workspace.currency,
        timezone=workspace.timezone,
        name=workspace.name,
        locale=workspace.locale,
    )


def get_workspace(session: Session, slug: str) -> Workspace:
    """The workspace with this slug, or an AccountError listing the existing ones."""
    workspace = session.scalar(select(Workspace).where(Workspace.slug == slug))
    if workspace is None:
        known = ", ".join(session.scalars(select(Workspace.slug).order_by(Workspace.slug))) or "none yet"
        raise AccountError(f"unknown workspace {slug!r}; existing workspaces: {known}")
    return workspace


def ensure_workspace(
    session: Session,
    slug: str,
    *,
    name: str | None = None,
    currency: str = "USD",
    timezone: str = "UTC",
    country: str | None = None,
) -> Workspace:
    """Return the workspace with this slug, creating it if missing."""
    if not SLUG_RE.match(slug):
        raise AccountError(f"invalid workspace slug {slug!r}: use lower-case letters, digits and dashes")
    workspace = session.scalar(select(Workspace).where(Workspace.slug == slug))
    if workspace is None:
        workspace = Workspace(
            slug=slug,
            name=name or slug.replace("-", " ").title(),
            currency=currency,
            timezone=timezone,
            country=country,
            locale="en-US",
        )
        session.add(workspace)
        session.flush()
    return workspace


def create_user(session: Session, email: str, password: str, *, workspace: Workspace, role: str) -> User:
    """Create a user (or update an existing one's password) and give them ``role`` in ``workspace``."""
    email = normalise_email(email)
    try:
        role_enum = Role(role)
    except ValueError:
        raise AccountError(f"unknown role {role!r}; accepted: {', '.join(r.value for r in Role)}") from None
    check_password_policy(password, email)
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, password_hash=hash_password(password), active=True, theme="light")
        session.add(user)
        session.flush()
    elif not verify_password(user.password_hash, password):
        # A new password ends every session opened with the old one (a thief's included).
        user.password_hash = hash_password(password)
        end_sessions(user)
        audit.record(session, "password_changed", actor=user.email, user_id=user.id)
    membership = session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.workspace_id == workspace.id)
    )
    if membership is None:
        session.add(Membership(user_id=user.id, workspace_id=workspace.id, role=role_enum.value))
        audit.record(
            session,
            "member_added",
            actor=user.email,
            user_id=user.id,
            workspace_id=workspace.id,
            detail=role_enum.value,
        )
    elif membership.role != role_enum.value:
        audit.record(
            session,
            "role_changed",
            actor=user.email,
            user_id=user.id,
            workspace_id=workspace.id,
            detail=f"{membership.role} -> {role_enum.value}",
        )
        membership.role = role_enum.value
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, else None (same answer for either mistake)."""
    try:
        email = normalise_email(email)
    except AccountError:
        email = ""
    user = session.scalar(select(User).where(User.email == email)) if email else None
    if user is None:
        # Hash anyway so response time does not reveal whether the email exists.
        verify_password(_DUMMY_HASH, password)
        return None
    if not user.active or not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        # Transparent upgrade: older scrypt (or weaker argon2) hashes become current argon2id
        # the first time their owner logs in, when the password is known.
        user.password_hash = hash_password(password)
    user.last_login_at = datetime.now(UTC)
    return user


def change_password(
    session: Session, user_id: int, current: str, new: str, confirm: str, *, keep_key: str | None = None
) -> User:
    """Set a user's new password after checking the current one; ends their other sessions.

    ``keep_key`` is the session key of the browser making the change: its row survives (the
    caller logs it in again under the new session version). AccountError with a message for
    the form: wrong current password, mismatch, weak password.
    """
    user = session.get(User, user_id)
    if user is None or not verify_password(user.password_hash, current or ""):
        raise AccountError("the current password is not right")
    if (new or "") != (confirm or ""):
        raise AccountError("the new password and its confirmation differ")
    if new == current:
        raise AccountError("the new password is the same as the current one")
    check_password_policy(new, user.email)
    user.password_hash = hash_password(new)
    end_sessions(user, keep_key=keep_key)
    audit.record(session, "password_changed", actor=user.email, user_id=user.id)
    session.flush()
    return user


def end_sessions(user: User, *, keep_key: str | None = None) -> None:
    """Invalidate every session and remember-me cookie of ``user`` (commit to take effect).

    Bumps the session version (every cookie issued under the old one refers to nobody) and
    deletes the user's session rows (Settings → Your sessions), except the row of
    ``keep_key``: the caller logs that browser in again under the new version.
    """
    user.session_version = (user.session_version or 0) + 1
    db = object_session(user)
    if db is not None and user.id is not None:
        user_sessions.end_all(db, user.id, keep_key=keep_key)


def remove_member(session: Session, workspace: Workspace, email: str) -> bool:
    """Remove the user from ``workspace`` and end all their sessions; False if not a member."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        return False
    membership = session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.workspace_id == workspace.id)
    )
    if membership is None:
        return False
    session.delete(membership)
    end_sessions(user)
    audit.record(session, "member_removed", actor=user.email, user_id=user.id, workspace_id=workspace.id)
    session.flush()
    return True


def check_password_policy(password: str, email: str = "") -> None:
    """AccountError unless the password meets the minimum policy (length, not guessable)."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    lowered = password.lower()
    if len(set(lowered)) < 3:
        raise AccountError("the password repeats too few different characters")
    if lowered in COMMON_PASSWORDS or (email and lowered in (email.lower(), email.lower().split("@")[0])):
        raise AccountError("the password is too easy to guess; pick another one")


def memberships_of(session: Session, user_id: int) -> list[tuple[Membership, Workspace]]:
    """The user's memberships with their workspaces, in workspace name order."""
    rows = session.execute(
        select(Membership, Workspace)
        .join(Workspace, Workspace.id == Membership.workspace_id)
        .where(Membership.user_id == user_id)
        .order_by(Workspace.name)
    )
    return [(m, w) for m, w in rows]


def workspace_context(session: Session, user_id: int, workspace_id: int | None) -> WorkspaceContext | None:
    """The user's context in the given workspace (or their first one); None without membership."""
    return context_and_policy(session, user_id, workspace_id)[0]


#: built once: constructing the statement cost as much as running it
_CONTEXT_QUERY = (
    select(
        Membership.role,
        Workspace.id,
        Workspace.slug,
        Workspace.currency,
        Workspace.timezone,
        Workspace.name,
        Workspace.locale,
        Workspace.require_two_factor,
    )
    .join(Workspace, Workspace.id == Membership.workspace_id)
    .where(Membership.user_id == bindparam("user_id"))
    .order_by(Workspace.name)
)


def context_and_policy(
    session: Session | Connection, user_id: int, workspace_id: int | None
) -> tuple[WorkspaceContext | None, bool]:
    """(:func:`workspace_context`, whether that workspace requires two-factor) in one query.

    Every dashboard request asks this, so it reads plain columns (no ORM objects): the ORM
    version was a quarter of the Python time of a cached callback.
    """
    rows = session.execute(_CONTEXT_QUERY, {"user_id": user_id}).all()
    if not rows:
        return None, False
    row = next((r for r in rows if r.id == workspace_id), rows[0])
    ref = to_ref(row)  # the row holds the workspace columns under the model's names
    return WorkspaceContext(user_id=user_id, role=Role(row.role), workspace=ref), bool(row.require_two_factor)


def normalise_email(email: str) -> str:
    """Lower-cased, stripped email; AccountError if it does not look like one."""
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email):
        raise AccountError(f"invalid email address {email!r}")
    return email


#: argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane): the library default
#: (64 MiB, 4 lanes) made each log-in cost ~1.8x an scrypt check on a busy 2-core server and
#: 64 MiB per concurrent log-in. Changing these re-hashes each password at its next log-in.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    """A salted argon2id hash."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches ``stored_hash`` (argon2, or a legacy werkzeug hash)."""
    if stored_hash.startswith("$argon2"):
        try:
            return _HASHER.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False
    try:
        return check_password_hash(stored_hash, password)
    except ValueError:  # an unreadable hash matches nothing
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True for hashes that are not argon2id with today's parameters."""
    if not stored_hash.startswith("$argon2"):
        return True
    try:
        return _HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


_DUMMY_HASH = hash_password("not a real password")
