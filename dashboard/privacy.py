"""GDPR requests for one customer: export their data as a ZIP, or erase (pseudonymise) them.

Only owners may do either; the role is checked here, so the CLI, the Settings card and the
download route share one gate. Every export and erasure, and every refused attempt, goes to the
audit log. The log never holds the email itself (it would outlive the erasure): it names the
customer by ``sha256:<first 12 hex of the email hash>``, enough to show a given request was
handled, not enough to read an address back.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from dashboard import audit
from dashboard.accounts import WorkspaceContext
from dashboard.auth import PermissionDenied
from dashboard.csv_safe import safe_frame
from dashboard.models import Role
from data import privacy
from data.privacy import Erasure, Found, PrivacyError

#: who may export or erase a customer (docs/security.md's permission matrix)
PRIVACY_ROLE = Role.OWNER
EXPORT_FORMAT = "pulseboard-customer-export"


@dataclass(frozen=True)
class Export:
    """A finished export: the ZIP's bytes, a file name, and what it holds."""

    content: bytes
    filename: str
    rows: int
    tables: dict[str, int]


def subject_ref(email: str) -> str:
    """How the audit log names a customer (never the address itself)."""
    return "sha256:" + privacy.email_hash(email)[:12]


def check_owner(services, ctx: WorkspaceContext, action: str) -> None:
    """PermissionDenied (and an audited refusal) unless ``ctx`` is an owner."""
    if ctx.can(PRIVACY_ROLE):
        return
    with services.db.session() as db:
        audit.record_for(db, ctx, action, outcome="denied", detail=f"needs owner; role {ctx.role.value}")
    raise PermissionDenied(f"Only owners can export or erase a customer's data; you are {ctx.role.value}.")


def preview(services, ctx: WorkspaceContext, email) -> Found:
    """What an erasure would rewrite (owners only; reading counts is not audited)."""
    if not ctx.can(PRIVACY_ROLE):
        raise PermissionDenied(f"Only owners can erase a customer's data; you are {ctx.role.value}.")
    return privacy.find(services.warehouse, ctx.workspace, email)


def export_customer(services, ctx: WorkspaceContext, email) -> Export:
    """The customer's rows as a ZIP (one CSV per table and manifest.json); audited."""
    check_owner(services, ctx, "customer_exported")
    address = privacy.normalise_email(email)
    found = privacy.find(services.warehouse, ctx.workspace, address)
    content = archive(found, ctx.workspace.slug)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    export = Export(
        content, f"{ctx.workspace.slug}-customer-{stamp}.zip", sum(found.counts().values()), found.counts()
    )
    with services.db.session() as db:
        audit.record_for(
            db,
            ctx,
            "customer_exported",
            detail=f"customer {subject_ref(address)}: {export.rows} rows in {len(export.tables)} tables",
        )
    return export


def erase_customer(services, ctx: WorkspaceContext, email) -> Erasure:
    """Pseudonymise the customer in every warehouse table (one transaction); audited either way."""
    check_owner(services, ctx, "customer_erased")
    address = privacy.normalise_email(email)
    try:
        result = privacy.erase(services.warehouse, ctx.workspace, address)
    except Exception as exc:
        with services.db.session() as db:
            audit.record_for(
                db,
                ctx,
                "customer_erased",
                outcome="failed",
                detail=f"customer {subject_ref(address)}: rolled back ({type(exc).__name__})",
            )
        raise
    with services.db.session() as db:
        audit.record_for(
            db,
            ctx,
            "customer_erased",
            detail=f"customer {subject_ref(address)}: {result.rows} rows in {len(result.tables)} tables pseudonymised",
        )
    return result


def archive(found: Found, workspace_slug: str) -> bytes:
    """The ZIP: ``manifest.json`` and ``<table>.csv`` per table (cells escaped against formulas)."""
    buffer = io.BytesIO()
    subject = found.subject
    manifest = {
        "format": EXPORT_FORMAT,
        "version": 1,
        "workspace": workspace_slug,
        "email": subject.email,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "linked": {
            "other_emails": sorted(subject.emails),
            "customer_keys": sorted(subject.keys),
            "names": sorted(subject.names),
        },
        "tables": {
            name: {"file": f"{name}.csv", "rows": frame.height, "derived": name in found.derived}
            for name, frame in sorted(found.tables.items())
        },
    }
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, indent=2))
        for name, frame in sorted(found.tables.items()):
            zf.writestr(f"{name}.csv", _csv(frame))
    return buffer.getvalue()


def _csv(frame: pl.DataFrame) -> bytes:
    # A BOM so Excel reads UTF-8 names right, as the product's other CSVs do.
    return b"\xef\xbb\xbf" + safe_frame(frame).write_csv().encode()


__all__ = [
    "PRIVACY_ROLE",
    "Export",
    "PrivacyError",
    "archive",
    "check_owner",
    "erase_customer",
    "export_customer",
    "preview",
    "subject_ref",
]
