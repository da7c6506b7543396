"""Users, workspaces and memberships: the operations the CLI, the server and tests share."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.models import Membership, Role, User, Workspace
from data.warehouse import WorkspaceRef

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8


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


def to_ref(workspace: Workspace) -> WorkspaceRef:
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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, password_hash=hash_password(password), active=True, theme="light")
        session.add(user)
        session.flush()
    else:
        user.password_hash = hash_password(password)
    membership = session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.workspace_id == workspace.id)
    )
    if membership is None:
        session.add(Membership(user_id=user.id, workspace_id=workspace.id, role=role_enum.value))
    else:
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
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.active or not check_password_hash(user.password_hash, password):
        return None
    user.last_login_at = datetime.now(UTC)
    return user


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
    rows = memberships_of(session, user_id)
    if not rows:
        return None
    chosen = next(((m, w) for m, w in rows if w.id == workspace_id), rows[0])
    membership, workspace = chosen
    return WorkspaceContext(user_id=user_id, role=Role(membership.role), workspace=to_ref(workspace))


def normalise_email(email: str) -> str:
    """Lower-cased, stripped email; AccountError if it does not look like one."""
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email):
        raise AccountError(f"invalid email address {email!r}")
    return email


def hash_password(password: str) -> str:
    """A salted scrypt hash (werkzeug's default)."""
    return generate_password_hash(password)


_DUMMY_HASH = generate_password_hash("not a real password")
