"""Credential encryption: round trip, key separation, tamper detection, masking."""

from __future__ import annotations

import pytest

from dashboard.crypto import (
    CredentialsUnreadable,
    decrypt_credentials,
    encrypt_credentials,
    mask_value,
    masked,
)
from data.connectors.api.connector import CredentialField

SECRET = "s3cret-key-for-tests-only-0123456789"
CREDS = {"secret_key": "sk_live_51AbCdEfGhIjKl1234", "account_id": "act_42"}


def test_cry001_round_trip_and_the_token_hides_the_values():
    token = encrypt_credentials(SECRET, CREDS)
    assert decrypt_credentials(SECRET, token) == CREDS
    assert "sk_live" not in token and "act_42" not in token
    assert token.isascii()


def test_cry002_each_encryption_is_fresh():
    assert encrypt_credentials(SECRET, CREDS) != encrypt_credentials(SECRET, CREDS)


def test_cry003_another_secret_key_cannot_decrypt_and_the_error_has_no_secret():
    token = encrypt_credentials(SECRET, CREDS)
    with pytest.raises(CredentialsUnreadable, match="secret key") as info:
        decrypt_credentials("another-secret-key-entirely-different", token)
    assert "sk_live" not in str(info.value) and SECRET not in str(info.value)


def test_cry004_tampered_or_garbage_tokens_are_refused():
    token = encrypt_credentials(SECRET, CREDS)
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    for bad in (tampered, "not a token", ""):
        with pytest.raises(CredentialsUnreadable):
            decrypt_credentials(SECRET, bad)


def test_cry005_key_is_derived_not_the_raw_secret():
    import base64

    from cryptography.fernet import Fernet, InvalidToken

    raw = Fernet(base64.urlsafe_b64encode(SECRET.encode()[:32].ljust(32, b"0")))
    with pytest.raises(InvalidToken):
        raw.decrypt(encrypt_credentials(SECRET, CREDS).encode())


def test_cry006_masking():
    assert mask_value("sk_live_51AbCdEfGhIjKl1234") == "sk_…1234"
    assert mask_value("short") == "••••"
    assert mask_value("") == "" and mask_value(None) == ""
    fields = (
        CredentialField("secret_key", "Secret key"),
        CredentialField("account_id", "Account", secret=False),
        CredentialField("unused", "Unused"),
    )
    shown = masked({**CREDS, "__base_url": "http://127.0.0.1:1"}, fields)
    assert shown == {"secret_key": "sk_…1234", "account_id": "act_42"}
