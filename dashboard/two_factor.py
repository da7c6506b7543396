"""Optional TOTP two-factor authentication (pyotp) with one-time recovery codes.

The TOTP secret is stored encrypted with the app's secret key (:mod:`dashboard.crypto`); it
is shown once, while enrolling, as text, an ``otpauth://`` URI and a QR code (SVG drawn by
``qrcode``, no network). Two-factor turns on only after a code from the app confirms the
secret; then 10 recovery codes are shown once and stored as SHA-256 hashes (80 random bits
each, so a fast hash is enough). A TOTP code works once: the last accepted time step is kept.
"""

from __future__ import annotations

import io
import secrets
from datetime import UTC, datetime

import pyotp
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dashboard import audit
from dashboard.api.tokens import hash_token
from dashboard.crypto import CredentialsUnreadable, decrypt_credentials, encrypt_credentials
from dashboard.models import RecoveryCode, User

ISSUER = "Pulseboard"
RECOVERY_CODES = 10
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper without doubt


class TwoFactorError(ValueError):
    """A wrong code, or a two-factor step out of order (message for the form)."""


def is_enabled(user: User) -> bool:
    """True when the user confirmed two-factor authentication."""
    return user.totp_enabled_at is not None


def _secret(user: User, secret_key: str) -> str | None:
    if not user.totp_secret_encrypted:
        return None
    try:
        return decrypt_credentials(secret_key, user.totp_secret_encrypted).get("totp")
    except CredentialsUnreadable:
        return None


def start(db: Session, user: User, secret_key: str) -> tuple[str, str]:
    """A new pending secret for ``user`` (not yet required at log-in): (secret, otpauth URI).

    Refused while two-factor is on: turn it off first (with a code) to change the app.
    """
    if is_enabled(user):
        raise TwoFactorError("two-factor authentication is already on")
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = encrypt_credentials(secret_key, {"totp": secret})
    user.totp_last_step = None
    db.flush()
    return secret, provisioning_uri(user.email, secret)


def pending_secret(user: User, secret_key: str) -> tuple[str, str] | None:
    """(secret, URI) of an enrolment started and not yet confirmed, else None."""
    if is_enabled(user):
        return None
    secret = _secret(user, secret_key)
    return (secret, provisioning_uri(user.email, secret)) if secret else None


def provisioning_uri(email: str, secret: str) -> str:
    """The ``otpauth://totp/...`` URI authenticator apps read."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as a QR code in SVG (an ``<svg>`` element, no XML declaration)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out)
    text = out.getvalue().decode("utf-8")
    return text[text.index("<svg") :]


def _check_totp(user: User, secret: str, code: str, now: datetime) -> bool:
    totp = pyotp.TOTP(secret)
    step = int(now.timestamp()) // totp.interval
    for offset in (0, -1, 1):  # one step either side: clocks drift, people type slowly
        candidate = step + offset
        if user.totp_last_step is not None and candidate <= user.totp_last_step:
            continue  # this code (or an older one) was used already
        if secrets.compare_digest(totp.at(candidate * totp.interval), code):
            user.totp_last_step = candidate
            return True
    return False


def _clean(code) -> str:
    return "".join(ch for ch in (code if isinstance(code, str) else "") if ch.isalnum()).upper()[:64]


def confirm(db: Session, user: User, code, secret_key: str, *, now: datetime | None = None) -> list[str]:
    """Turn two-factor on if ``code`` matches the pending secret; the 10 recovery codes (shown once)."""
    secret = None if is_enabled(user) else _secret(user, secret_key)
    if secret is None:
        raise TwoFactorError("start the set-up first")
    if not _check_totp(user, secret, _clean(code), now or datetime.now(UTC)):
        raise TwoFactorError("that code is not right; type the 6 digits your app shows now")
    user.totp_enabled_at = now or datetime.now(UTC)
    codes = _new_recovery_codes(db, user)
    audit.record(db, "two_factor_enabled", actor=user.email, user_id=user.id)
    db.flush()
    return codes


def _new_recovery_codes(db: Session, user: User) -> list[str]:
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))  # 80 bits
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
        db.add(RecoveryCode(user_id=user.id, code_hash=hash_token(raw)))
    return codes


def verify(db: Session, user: User, code, secret_key: str, *, now: datetime | None = None) -> str | None:
    """How ``code`` proved the second factor: "totp", "recovery" (now spent), or None."""
    if not is_enabled(user):
        return None
    cleaned = _clean(code)
    if not cleaned:
        return None
    secret = _secret(user, secret_key)
    if secret and cleaned.isdigit() and _check_totp(user, secret, cleaned, now or datetime.now(UTC)):
        return "totp"
    row = db.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == hash_token(cleaned),
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        return None
    row.used_at = now or datetime.now(UTC)
    audit.record(db, "recovery_code_used", actor=user.email, user_id=user.id)
    return "recovery"


def recovery_codes_left(db: Session, user: User) -> int:
    """How many recovery codes are still unused."""
    return len(
        db.scalars(
            select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ).all()
    )


def disable(db: Session, user: User, code, secret_key: str) -> None:
    """Turn two-factor off after a valid code (TOTP or recovery); the secret and codes are deleted."""
    if verify(db, user, code, secret_key) is None:
        raise TwoFactorError("that code is not right")
    user.totp_enabled_at = None
    user.totp_secret_encrypted = None
    user.totp_last_step = None
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(db, "two_factor_disabled", actor=user.email, user_id=user.id)
    db.flush()
