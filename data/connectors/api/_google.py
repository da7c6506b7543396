"""Google OAuth for the Google Ads and GA4 connectors.

Two ways to authenticate, both as credential fields:

* ``refresh_token`` + ``client_id`` + ``client_secret`` (what an OAuth consent flow yields): we
  exchange them at the token endpoint for an access token, cached until shortly before expiry,
  so long syncs keep working past the one-hour token lifetime.
* ``access_token`` alone (short-lived; handy for a quick try or tests).
* ``service_account_key`` (GA4): the JSON key file of a Google Cloud service account that was
  added as a Viewer of the property. We sign a JWT with its private key (RS256) and trade it at
  the token endpoint for an access token (RFC 7523 JWT bearer grant), as Google's client
  libraries do; no consent screen and no refresh token to expire.
"""

from __future__ import annotations

import base64
import json
import time

from .connector import CredentialField, Credentials
from .http import AuthError, ConnectorError, HttpClient

TOKEN_URL = "https://oauth2.googleapis.com/token"
#: refresh this long before the token's stated expiry, so a request never carries a dead token
EXPIRY_MARGIN = 120.0

OAUTH_FIELDS = (
    CredentialField(
        "refresh_token",
        "OAuth refresh token",
        secret=True,
        required=False,
        help="From connecting the Google account.",
    ),
    CredentialField(
        "client_id", "OAuth client ID", secret=False, required=False, help="Google Cloud OAuth client."
    ),
    CredentialField("client_secret", "OAuth client secret", secret=True, required=False),
    CredentialField(
        "access_token",
        "Access token",
        secret=True,
        required=False,
        help="Instead of the three fields above: a short-lived OAuth access token.",
    ),
)


SERVICE_ACCOUNT_FIELD = CredentialField(
    "service_account_key",
    "Service account key (JSON)",
    secret=True,
    required=False,
    help="Instead of OAuth: paste the JSON key of a service account that is a Viewer of the property.",
)
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: Google caps a service-account assertion's lifetime at one hour
ASSERTION_SECONDS = 3600


class ServiceAccount:
    """A parsed service-account key: its email and RSA private key (errors name what is wrong)."""

    def __init__(self, text: str, vendor: str):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        try:
            info = json.loads(text)
        except ValueError:
            raise AuthError(
                f"{vendor}: the service account key is not valid JSON; paste the whole key file."
            ) from None
        if not isinstance(info, dict) or info.get("type") != "service_account":
            raise AuthError(
                f'{vendor}: the key is not a service account key (its "type" should be "service_account").'
            )
        missing = [k for k in ("client_email", "private_key") if not info.get(k)]
        if missing:
            raise AuthError(f"{vendor}: the service account key has no {' or '.join(missing)}.")
        try:
            key = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
        except (ValueError, TypeError):
            raise AuthError(f"{vendor}: the service account key's private_key cannot be read.") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise AuthError(f"{vendor}: the service account key should hold an RSA private key.")
        self.email: str = info["client_email"]
        self.key_id: str | None = info.get("private_key_id")
        self._key = key

    def assertion(self, audience: str, scope: str, now: float | None = None) -> str:
        """A signed JWT asking ``audience`` (the token endpoint) for an access token with ``scope``."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        issued = int(now if now is not None else time.time())
        header = {"alg": "RS256", "typ": "JWT", **({"kid": self.key_id} if self.key_id else {})}
        claims = {
            "iss": self.email,
            "scope": scope,
            "aud": audience,
            "iat": issued,
            "exp": issued + ASSERTION_SECONDS,
        }
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class GoogleAuth:
    """Supplies ``Authorization: Bearer …`` for Google APIs, refreshing the token when needed."""

    def __init__(
        self,
        http: HttpClient,
        credentials: Credentials,
        vendor: str,
        token_url: str = TOKEN_URL,
        scope: str | None = None,
    ):
        self.http = http
        self.credentials = credentials
        self.vendor = vendor
        self.token_url = token_url
        self.scope = scope
        self._token: str | None = None
        self._expires_at = 0.0
        self.service_account = (
            ServiceAccount(credentials["service_account_key"], vendor)
            if scope and "service_account_key" in credentials
            else None
        )
        self.uses_refresh = self.service_account is not None or all(
            k in credentials for k in ("refresh_token", "client_id", "client_secret")
        )
        if not self.uses_refresh and "access_token" not in credentials:
            alternative = ", a service account key" if scope else ""
            raise AuthError(
                f"{vendor}: connect a Google account (refresh token, client ID and client secret){alternative} "
                "or enter an access token in Data sources."
            )

    def __repr__(self) -> str:
        mode = "service-account" if self.service_account else "refresh" if self.uses_refresh else "token"
        return f"<GoogleAuth vendor={self.vendor!r} mode={mode}>"

    def header(self) -> str:
        """The Authorization header value, minting a fresh access token when the cached one is stale."""
        if not self.uses_refresh:
            return f"Bearer {self.credentials['access_token']}"
        if self._token is None or time.time() >= self._expires_at:
            self._refresh()
        return f"Bearer {self._token}"

    def _refresh(self) -> None:
        if self.service_account is not None:
            form = {
                "grant_type": JWT_BEARER,
                "assertion": self.service_account.assertion(self.token_url, self.scope or ""),
            }
            rejected = (
                f"Google rejected the service account {self.service_account.email} ({{status}}): check that "
                f"the key is current and the account may read this {self.vendor} property."
            )
        else:
            form = {
                "grant_type": "refresh_token",
                "refresh_token": self.credentials["refresh_token"],
                "client_id": self.credentials["client_id"],
                "client_secret": self.credentials["client_secret"],
            }
            rejected = (
                "Google rejected the OAuth refresh token or client ({status}): reconnect the Google account "
                f"for {self.vendor} in Data sources."
            )
        try:
            response = self.http.request("POST", self.token_url, data=form)
        except ConnectorError as exc:
            # The token endpoint answers 400 invalid_grant for a revoked/expired refresh token or a
            # bad assertion, 401 invalid_client for an unknown client.
            if exc.status in (400, 401, 403):
                raise AuthError(
                    f"{rejected.format(status=exc.status)} {exc.message}", status=exc.status
                ) from None
            raise
        body = self.http.decode(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise ConnectorError(f"Google's token endpoint gave no access token for {self.vendor}.")
        self._token = token
        self.http.add_secrets([token])
        self._expires_at = time.time() + float(body.get("expires_in") or 3600) - EXPIRY_MARGIN
