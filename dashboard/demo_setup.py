"""Seed the demo workspace: generate vendor-format files and import them like a user would."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import select

from dashboard.accounts import create_user, ensure_workspace, to_ref
from dashboard.models import User
from dashboard.services import Services
from data.importer import import_file

DEMO_NAME = "Northwind Studio"


def seed_demo(
    services: Services,
    slug: str,
    *,
    seed: int = 7,
    years: int = 2,
    if_empty: bool = False,
    owner: str | None = None,
    owner_password: str = "",
) -> dict:
    """Fill ``slug`` with the demo business; optionally create its owner account if missing.

    The files go through the same detection, parsers and ingest path as a user's upload, so the
    demo exercises the real import code. Returns a summary for the CLI.
    """
    from data.demo import generate_demo_files

    services.db.upgrade()
    with services.db.session() as session:
        workspace = ensure_workspace(
            session,
            slug,
            name=DEMO_NAME if slug == "demo" else None,
            currency="USD",
            timezone=services.settings.default_timezone,
            country="US",
        )
        ref = to_ref(workspace)
        owner_created = False
        if owner and session.scalar(select(User).where(User.email == owner.lower())) is None:
            create_user(session, owner, owner_password, workspace=workspace, role="owner")
            owner_created = True
    outcome: dict = {"workspace": slug, "skipped": False, "files": [], "owner_created": owner_created}
    if owner_created:
        outcome["owner_password"] = owner_password
    scoped = services.warehouse.scoped(ref)
    if if_empty and any(scoped.row_counts().values()):
        outcome["skipped"] = True
        return outcome
    with tempfile.TemporaryDirectory(prefix="pulseboard-demo-") as tmp:
        for path in generate_demo_files(Path(tmp), seed=seed, years=years):
            outcome["files"].append(import_file(services.warehouse, ref, path))
    return outcome
