"""Invitations by email link: an owner invites an address into the workspace with a role.

The link carries a 256-bit random token; only its SHA-256 is stored. A link works once and for
:data:`INVITE_TTL`; inviting the same address again replaces (revokes) the earlier link. The
person opening it sets a name and password (a new account) or, already having an account,
logs in and joins (the logged-in email must be the invited one: a forwarded link does not let
someone else in).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import audit
from dashboard.accounts import (
    AccountError,
    WorkspaceContext,
    check_password_policy,
    hash_password,
    normalise_email,
)
from dashboard.models import Invitation, Membership, Role, User, Workspace, as_utc
from dashboard.people import PEOPLE_ROLE, NotAllowed, PeopleError
from dashboard.single_use_links import LinkError, LinkKind, new_token, usable

INVITE_TTL = timedelta(days=7)
MAX_NAME_LENGTH = 200


#: An invitation link that cannot be used, with ``status`` for the page (invalid/expired/used).
InvitationError = LinkError

_LINK = LinkKind(
    model=Invitation,
    used_column="accepted_at",
    invalid="This invitation link is not valid.",
    used="This invitation link has already been used.",
    expired="This invitation link has expired; ask for a new one.",
    revoked_column="revoked_at",
    revoked="This invitation was withdrawn; ask for a new one.",
)


@dataclass(frozen=True)
class Pending:
    """An invitation not yet accepted, as the People section lists it."""

    id: int
    email: str
    role: str
    expires_at: datetime


@dataclass(frozen=True)
class Opened:
    """A valid invitation as the accept page needs it."""

    id: int
    email: str
    role: str
    workspace_id: int
    workspace_name: str
    has_account: bool


def create(
    db: Session, ctx: WorkspaceContext, email, role, *, now: datetime | None = None
) -> tuple[Invitation, str]:
    """A new invitation and its token (shown or mailed once). Owners only (NotAllowed).

    PeopleError for a bad address or role, or an address that is already a member.
    """
    if not ctx.can(PEOPLE_ROLE):
        raise NotAllowed(f"Only owners manage people; you are {ctx.role.value}.")
    try:
        email = normalise_email(email if isinstance(email, str) else "")
    except AccountError:
        raise PeopleError("Enter the email address of the person to invite.") from None
    try:
        role = Role(role).value
    except ValueError:
        raise PeopleError(f"Pick a role: {', '.join(r.value for r in Role)}.") from None
    member = db.scalar(
        select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(User.email == email, Membership.workspace_id == ctx.workspace.id)
    )
    if member is not None:
        raise PeopleError(f"{email} is already a member; change their role in the list.")
    now = now or datetime.now(UTC)
    for earlier in _open_for(db, ctx.workspace.id, email):
        earlier.revoked_at = now  # one live link per address: the newest
    token, token_hash = new_token()
    invitation = Invitation(
        workspace_id=ctx.workspace.id,
        email=email,
        role=role,
        token_hash=token_hash,
        invited_by=ctx.user_id if ctx.user_id > 0 else None,
        created_at=now,
        expires_at=now + INVITE_TTL,
    )
    db.add(invitation)
    audit.record_for(db, ctx, "invitation_created", detail=f"{email} as {role}")
    db.flush()
    return invitation, token


def _open_for(db: Session, workspace_id: int, email: str) -> list[Invitation]:
    return list(
        db.scalars(
            select(Invitation).where(
                Invitation.workspace_id == workspace_id,
                Invitation.email == email,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
        )
    )


def pending(db: Session, ctx: WorkspaceContext, *, now: datetime | None = None) -> list[Pending]:
    """The workspace's invitations neither accepted, revoked nor expired (owners only)."""
    if not ctx.can(PEOPLE_ROLE):
        raise NotAllowed(f"Only owners manage people; you are {ctx.role.value}.")
    now = now or datetime.now(UTC)
    rows = db.scalars(
        select(Invitation)
        .where(
            Invitation.workspace_id == ctx.workspace.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .order_by(Invitation.created_at.desc())
    )
    return [Pending(i.id, i.email, i.role, as_utc(i.expires_at)) for i in rows if as_utc(i.expires_at) > now]


def revoke(db: Session, ctx: WorkspaceContext, invitation_id) -> str | None:
    """Revoke a pending invitation of the caller's workspace; its email, or None if none matched."""
    if not ctx.can(PEOPLE_ROLE):
        raise NotAllowed(f"Only owners manage people; you are {ctx.role.value}.")
    try:
        invitation_id = int(invitation_id)
    except (TypeError, ValueError):
        return None
    invitation = db.scalar(
        select(Invitation).where(
            Invitation.id == invitation_id,
            Invitation.workspace_id == ctx.workspace.id,  # from the session, never the browser
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    )
    if invitation is None:
        return None
    invitation.revoked_at = datetime.now(UTC)
    audit.record_for(db, ctx, "invitation_revoked", detail=invitation.email)
    db.flush()
    return invitation.email


def _usable(db: Session, token, now: datetime) -> Invitation:
    return usable(db, _LINK, token, now)


def open_invitation(db: Session, token, *, now: datetime | None = None) -> Opened:
    """The invitation behind ``token``; InvitationError (invalid, expired, used) otherwise."""
    invitation = _usable(db, token, now or datetime.now(UTC))
    workspace = db.get(Workspace, invitation.workspace_id)
    has_account = db.scalar(select(User.id).where(User.email == invitation.email)) is not None
    return Opened(
        invitation.id,
        invitation.email,
        invitation.role,
        workspace.id,
        workspace.name or workspace.slug,
        has_account,
    )


def _join(db: Session, invitation: Invitation, user: User, now: datetime) -> None:
    membership = db.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.workspace_id == invitation.workspace_id
        )
    )
    if membership is None:
        db.add(Membership(user_id=user.id, workspace_id=invitation.workspace_id, role=invitation.role))
    invitation.accepted_at = now
    invitation.accepted_by = user.id
    audit.record(
        db,
        "invitation_accepted",
        actor=user.email,
        user_id=user.id,
        workspace_id=invitation.workspace_id,
        detail=f"joined as {invitation.role}",
    )
    db.flush()


def accept_new_user(db: Session, token, name, password, confirm, *, now: datetime | None = None) -> User:
    """Create the invited person's account (name + password) and add it to the workspace.

    InvitationError for an unusable link; AccountError (with a message for the form) for a
    missing name, a weak or mismatched password, or an address that already has an account.
    """
    now = now or datetime.now(UTC)
    invitation = _usable(db, token, now)
    name = (name if isinstance(name, str) else "").strip()
    password = password if isinstance(password, str) else ""
    if not name:
        raise AccountError("enter your name")
    if len(name) > MAX_NAME_LENGTH:
        raise AccountError(f"the name must have at most {MAX_NAME_LENGTH} characters")
    if password != (confirm if isinstance(confirm, str) else ""):
        raise AccountError("the password and its confirmation differ")
    check_password_policy(password, invitation.email)
    if db.scalar(select(User.id).where(User.email == invitation.email)) is not None:
        raise AccountError("this address already has an account: log in to accept the invitation")
    user = User(
        email=invitation.email,
        name=name,
        password_hash=hash_password(password),
        active=True,
        theme="light",
        last_login_at=now,
    )
    db.add(user)
    db.flush()
    _join(db, invitation, user, now)
    return user


def accept_existing(db: Session, token, user_id: int, *, now: datetime | None = None) -> int:
    """Add the logged-in user ``user_id`` to the invitation's workspace; the workspace id.

    InvitationError for an unusable link or when the logged-in email is not the invited one.
    """
    now = now or datetime.now(UTC)
    invitation = _usable(db, token, now)
    user = db.get(User, int(user_id))
    if user is None or user.email != invitation.email:
        raise InvitationError(
            "This invitation is for another email address: log out, then open the link again.", "other"
        )
    _join(db, invitation, user, now)
    return invitation.workspace_id
