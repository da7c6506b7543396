"""Changing a workspace's report logo on a member's behalf: owners only, every change audited.

Settings → Reports and ``pulseboard reports logo`` both come through here, so the role check and
the audit entry are the same wherever the logo changes (the command line acts as the owner and
is recorded as ``(command line)``). Storage and image checks live in :mod:`dashboard.logos`.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from dashboard import audit
from dashboard.accounts import WorkspaceContext
from dashboard.auth import PermissionDenied
from dashboard.logos import FORMATS, logo_png, remove_logo, save_logo
from dashboard.models import Role
from dashboard.services import Services

LOGO_ROLE = Role.OWNER
#: what the Settings page takes (the CLI also takes GIF and WebP, as it always has)
UPLOAD_FORMATS = ("PNG", "JPEG")
AUDIT_ACTION = "logo_changed"


def check_owner(services: Services, ctx: WorkspaceContext, what: str) -> None:
    """PermissionDenied (and a ``denied`` audit entry) unless ``ctx`` is an owner."""
    if ctx.can(LOGO_ROLE):
        return
    with services.db.session() as db:
        audit.record_for(db, ctx, AUDIT_ACTION, outcome="denied", detail=what)
    raise PermissionDenied(f"Only owners can change the report logo; you are {ctx.role.value}.")


def set_logo(
    services: Services,
    ctx: WorkspaceContext,
    content: bytes,
    *,
    filename: str = "",
    formats: tuple[str, ...] = FORMATS,
) -> Path:
    """Store ``content`` as the logo of ``ctx``'s workspace; returns the stored PNG's path.

    PermissionDenied for anyone but an owner; LogoError (with the reason) for a file that is
    not an accepted image, in which case the current logo is left as it was.
    """
    check_owner(services, ctx, f"set {filename[:200]}".strip())
    stored = save_logo(services.settings.data_path, ctx.workspace.id, content, formats=formats)
    with Image.open(stored) as kept:
        size = f"{kept.width} x {kept.height} px"
    with services.db.session() as db:
        detail = f"set from {filename[:200]!r} ({size})" if filename else f"set ({size})"
        audit.record_for(db, ctx, AUDIT_ACTION, detail=detail)
    return stored


def clear_logo(services: Services, ctx: WorkspaceContext) -> bool:
    """Remove the logo of ``ctx``'s workspace (owners only); False when it had none."""
    check_owner(services, ctx, "remove")
    removed = remove_logo(services.settings.data_path, ctx.workspace.id)
    if removed:
        with services.db.session() as db:
            audit.record_for(db, ctx, AUDIT_ACTION, detail="removed")
    return removed


def current_logo(services: Services, ctx: WorkspaceContext) -> bytes | None:
    """The PNG on the cover of ``ctx``'s workspace's PDF reports, or None (the Pulseboard mark)."""
    return logo_png(services.settings.data_path, ctx.workspace.id)
