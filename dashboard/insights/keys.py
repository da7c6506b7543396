"""AI provider settings per workspace: keys stored encrypted in the app DB, never shown again.

An owner stores a key (and optionally a model and base URL) for ``openai`` or ``anthropic``;
it is encrypted with the install's secret key (:mod:`dashboard.crypto`) in the ``connections``
table under the source ``ai:<provider>``. Without a stored key the ``PULSEBOARD_*`` settings
apply. Nothing here returns a key to a caller that renders it: :func:`describe` masks it.
"""

from __future__ import annotations

from sqlalchemy import select

from dashboard.accounts import WorkspaceContext
from dashboard.auth import PermissionDenied
from dashboard.crypto import CredentialsUnreadable, decrypt_credentials, encrypt_credentials, mask_value
from dashboard.insights.providers import PROVIDERS, ProviderConfig
from dashboard.models import Connection, Role
from dashboard.services import Services

AI_SOURCE = "ai:{}"


def _check_provider(provider: str) -> None:
    if provider not in PROVIDERS or provider == "offline":
        raise ValueError(f"unknown AI provider {provider!r}; accepted: openai, anthropic")


def store_key(
    services: Services,
    ctx: WorkspaceContext,
    provider: str,
    api_key: str,
    *,
    model: str | None = None,
    base_url: str | None = None,
) -> None:
    """Save (or replace) the workspace's key for ``provider``, encrypted (owners only)."""
    if not ctx.can(Role.OWNER):
        raise PermissionDenied(f"storing AI keys needs the owner role; you are {ctx.role.value}")
    _check_provider(provider)
    if not api_key or not api_key.strip():
        raise ValueError("the API key is empty")
    if base_url and not base_url.startswith(("http://", "https://")):
        raise ValueError(f"the base URL must start with http:// or https://, got {base_url!r}")
    payload = {"api_key": api_key.strip(), "model": model or "", "base_url": base_url or ""}
    token = encrypt_credentials(services.settings.effective_secret_key, payload)
    with services.db.session() as db:
        row = db.scalar(
            select(Connection).where(
                Connection.workspace_id == ctx.workspace.id, Connection.source == AI_SOURCE.format(provider)
            )
        )
        if row is None:
            row = Connection(
                workspace_id=ctx.workspace.id,
                source=AI_SOURCE.format(provider),
                created_by=ctx.user_id or None,
            )
            db.add(row)
        row.credentials_encrypted = token
        row.status = "ok"
        db.commit()


def _stored(services: Services, workspace_id: int, provider: str) -> dict[str, str]:
    with services.db.session() as db:
        row = db.scalar(
            select(Connection).where(
                Connection.workspace_id == workspace_id, Connection.source == AI_SOURCE.format(provider)
            )
        )
        if row is None:
            return {}
        try:
            return decrypt_credentials(services.settings.effective_secret_key, row.credentials_encrypted)
        except CredentialsUnreadable:
            return {}  # the secret key changed: fall back to the settings


def provider_config(services: Services, workspace_id: int, provider: str) -> ProviderConfig:
    """The workspace's stored settings for ``provider``, completed from ``PULSEBOARD_*``."""
    _check_provider(provider)
    settings = services.settings
    stored = _stored(services, workspace_id, provider)
    return ProviderConfig(
        provider=provider,
        model=stored.get("model") or getattr(settings, f"{provider}_model"),
        api_key=stored.get("api_key") or getattr(settings, f"{provider}_api_key"),
        base_url=stored.get("base_url") or getattr(settings, f"{provider}_base_url"),
        timeout=settings.ai_timeout,
    )


def describe(config: ProviderConfig) -> dict[str, str]:
    """What a page may show about a provider setup: model, endpoint and a masked key hint."""
    return {
        "provider": config.provider,
        "model": config.model,
        "base_url": config.base_url or "default",
        "key": mask_value(config.api_key) if config.api_key else "not set",
    }
