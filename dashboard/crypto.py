"""Encryption of stored connector credentials, and their masked display form.

Credentials are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under a key derived with
HKDF-SHA256 from the installation's secret key (``settings.effective_secret_key``) and a
fixed ``info`` string, so the session-signing key is never used directly for encryption.
Changing the secret key makes stored credentials unreadable: :class:`CredentialsUnreadable`
says so (and to enter them again) without ever including a secret.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: HKDF ``info``: binds the derived key to this one purpose (and version of the format).
HKDF_INFO = b"pulseboard/connection-credentials/v1"
MASK = "…"


class CredentialsUnreadable(ValueError):
    """Stored credentials cannot be decrypted (the secret key changed, or the data is damaged)."""


@lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    if not secret_key:
        raise ValueError("a secret key is needed to encrypt credentials")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
        secret_key.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_credentials(secret_key: str, credentials: Mapping[str, str]) -> str:
    """The encrypted token (ASCII) of a credentials dict of strings."""
    payload = json.dumps({str(k): str(v) for k, v in credentials.items()}, sort_keys=True)
    return _fernet(secret_key).encrypt(payload.encode("utf-8")).decode("ascii")


def decrypt_credentials(secret_key: str, token: str) -> dict[str, str]:
    """The credentials dict in ``token``; CredentialsUnreadable if it cannot be decrypted."""
    try:
        data = json.loads(_fernet(secret_key).decrypt(token.encode("ascii")))
    except (InvalidToken, ValueError, UnicodeError):
        raise CredentialsUnreadable(
            "the stored credentials cannot be decrypted (was the secret key changed?): enter them again"
        ) from None
    if not isinstance(data, dict):
        raise CredentialsUnreadable("the stored credentials are damaged: enter them again")
    return {str(k): str(v) for k, v in data.items()}


def mask_value(value: str | None) -> str:
    """A recognisable but useless form of a secret: ``sk_…1234``; short secrets show only dots."""
    if not value:
        return ""
    value = str(value)
    if len(value) >= 12:
        return f"{value[:3]}{MASK}{value[-4:]}"
    return "••••"


def masked(credentials: Mapping[str, str], fields: Iterable) -> dict[str, str]:
    """Display values for a connector form: secret fields masked, other fields as they are.

    ``fields`` are the connector's ``CREDENTIAL_FIELDS`` (objects with ``name`` and ``secret``).
    Keys not declared as fields are left out (they may be internal, e.g. a base URL override).
    """
    out: dict[str, str] = {}
    for field in fields:
        value = credentials.get(field.name)
        if not value:
            continue
        out[field.name] = mask_value(value) if field.secret else str(value)
    return out
