"""The audit log: who did what, when, from where, and whether it was allowed.

Security-relevant actions (log-ins and their failures, log-outs, exports and downloads, API
token and membership changes, connector changes) call :func:`record`. Owners read their
workspace's events on the Settings page (:func:`events`) and the CLI can too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import has_request_context, request
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dashboard.models import AuditEvent, Membership

#: The actions the product records; filters on Settings offer these.
ACTIONS = (
    "login",
    "login_failed",
    "login_locked",
    "logout",
    "password_changed",
    "download",
    "export_denied",
    "api_token_created",
    "api_token_revoked",
    "api_request_denied",
    "member_added",
    "member_removed",
    "role_changed",
    "connection_changed",
    "customer_exported",
    "customer_erased",
    "invitation_created",
    "invitation_revoked",
    "invitation_accepted",
    "password_reset_requested",
    "password_reset",
    "sessions_ended",
    "session_revoked",
    "two_factor_enabled",
    "two_factor_disabled",
    "two_factor_required",
    "recovery_code_used",
    "logo_changed",
    "number_locale_changed",
)


@dataclass(frozen=True)
class Event:
    """One audit event as shown to owners."""

    at: datetime
    actor: str
    action: str
    outcome: str
    detail: str
    ip: str | None


def record(
    db: Session,
    action: str,
    *,
    actor: str,
    user_id: int | None = None,
    workspace_id: int | None = None,
    outcome: str = "ok",
    detail: str = "",
) -> None:
    """Add one event; the client address and agent come from the current request, if any."""
    ip = agent = None
    if has_request_context():
        ip = request.remote_addr
        agent = (request.user_agent.string or "")[:300] or None
    db.add(
        AuditEvent(
            action=action,
            actor=(actor or "")[:320],
            user_id=user_id,
            workspace_id=workspace_id,
            outcome=outcome,
            detail=(detail or "")[:2000],
            ip=ip,
            user_agent=agent,
        )
    )


def events(
    db: Session,
    workspace_id: int,
    *,
    action: str | None = None,
    actor: str | None = None,
    limit: int = 200,
) -> list[Event]:
    """The workspace's events, newest first, optionally filtered by action and actor text.

    Log-ins belong to no workspace; an owner sees those of the workspace's members.
    """
    members = select(Membership.user_id).where(Membership.workspace_id == workspace_id)
    query = select(AuditEvent).where(
        or_(
            AuditEvent.workspace_id == workspace_id,
            (AuditEvent.workspace_id.is_(None)) & AuditEvent.user_id.in_(members),
        )
    )
    if action:
        query = query.where(AuditEvent.action == action)
    if actor:
        query = query.where(AuditEvent.actor.contains(actor.strip().lower(), autoescape=True))
    rows = db.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(max(1, min(limit, 1000)))
    )
    return [Event(r.at, r.actor, r.action, r.outcome, r.detail, r.ip) for r in rows]


def record_for(db: Session, ctx, action: str, *, outcome: str = "ok", detail: str = "") -> None:
    """:func:`record` for a member acting in their workspace context (a WorkspaceContext)."""
    from dashboard.models import User

    user = db.get(User, ctx.user_id) if ctx.user_id and ctx.user_id > 0 else None
    record(
        db,
        action,
        actor=user.email if user is not None else "(command line)",
        user_id=user.id if user is not None else None,
        workspace_id=ctx.workspace.id,
        outcome=outcome,
        detail=detail,
    )


def log_event(ctx, action: str, *, outcome: str = "ok", detail: str = "") -> None:
    """Record an event of the current request's member in its own app DB transaction."""
    from dashboard.services import current_services

    with current_services().db.session() as db:
        record_for(db, ctx, action, outcome=outcome, detail=detail)
