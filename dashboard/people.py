"""A workspace's people, managed by its owners: list, change a role, remove.

Every function takes the caller's :class:`WorkspaceContext` (built from the session, never
from the browser) and re-checks the owner role; member ids that arrive from the browser are
only ever looked up inside that workspace, so a forged id of another workspace's member
matches nothing. A workspace always keeps at least one owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard import audit
from dashboard.accounts import WorkspaceContext, end_sessions
from dashboard.models import Membership, Role, User

PEOPLE_ROLE = Role.OWNER


class PeopleError(ValueError):
    """A people request that cannot be done (unknown member, last owner, bad role)."""


class NotAllowed(PermissionError):
    """The caller is not an owner of the workspace."""


@dataclass(frozen=True)
class Member:
    """One member of a workspace as the People list shows them."""

    user_id: int
    email: str
    name: str | None
    role: str
    last_login_at: datetime | None
    is_you: bool


def _check_owner(ctx: WorkspaceContext) -> None:
    if not ctx.can(PEOPLE_ROLE):
        raise NotAllowed(f"Only owners manage people; you are {ctx.role.value}.")


def list_members(db: Session, ctx: WorkspaceContext) -> list[Member]:
    """The workspace's members, owners first, then by email (owners only: NotAllowed)."""
    _check_owner(ctx)
    rows = db.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == ctx.workspace.id)
        .order_by(User.email)
    )
    members = [
        Member(user.id, user.email, user.name, role, user.last_login_at, user.id == ctx.user_id)
        for user, role in rows
    ]
    return sorted(members, key=lambda m: -Role(m.role).rank)


def _membership(db: Session, ctx: WorkspaceContext, user_id) -> tuple[Membership, User]:
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        raise PeopleError("That member is not in this workspace.") from None
    row = db.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        # The workspace comes from the session: another workspace's member finds nothing here.
        .where(Membership.workspace_id == ctx.workspace.id, Membership.user_id == user_id)
    ).first()
    if row is None:
        raise PeopleError("That member is not in this workspace.")
    return row[0], row[1]


def _owner_count(db: Session, workspace_id: int) -> int:
    return db.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.workspace_id == workspace_id, Membership.role == Role.OWNER.value)
    )


def change_role(db: Session, ctx: WorkspaceContext, user_id, role) -> tuple[str, str] | None:
    """Give member ``user_id`` the role ``role``; (email, old role), or None when it already is.

    NotAllowed for non-owners; PeopleError for an unknown member or role, or for demoting the
    last owner. The change is audited (the caller commits).
    """
    _check_owner(ctx)
    try:
        new_role = Role(role)
    except ValueError:
        raise PeopleError(f"Pick a role: {', '.join(r.value for r in Role)}.") from None
    membership, user = _membership(db, ctx, user_id)
    old = membership.role
    if old == new_role.value:
        return None
    if old == Role.OWNER.value and _owner_count(db, ctx.workspace.id) <= 1:
        raise PeopleError("The workspace needs at least one owner: make someone else an owner first.")
    membership.role = new_role.value
    audit.record_for(db, ctx, "role_changed", detail=f"{user.email}: {old} -> {new_role.value}")
    db.flush()
    return user.email, old


def remove(db: Session, ctx: WorkspaceContext, user_id) -> str:
    """Remove member ``user_id`` from the workspace and end all their sessions; their email.

    NotAllowed for non-owners; PeopleError for an unknown member or the last owner. Their
    session version is bumped, so every browser of theirs is logged out at its next request
    (they log in again to reach their other workspaces). Audited; the caller commits.
    """
    _check_owner(ctx)
    membership, user = _membership(db, ctx, user_id)
    if membership.role == Role.OWNER.value and _owner_count(db, ctx.workspace.id) <= 1:
        raise PeopleError("The workspace needs at least one owner: it cannot lose its last one.")
    db.delete(membership)
    end_sessions(user)
    audit.record_for(db, ctx, "member_removed", detail=f"{user.email} ({membership.role})")
    db.flush()
    return user.email
