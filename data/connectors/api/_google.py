"""Google OAuth for the Google Ads and GA4 connectors.

Two ways to authenticate, both as credential fields:

* ``refresh_token`` + ``client_id`` + ``client_secret`` (what an OAuth consent flow yields): we
  exchange them at the token endpoint for an access token, cached until shortly before expiry,
  so long syncs keep working past the one-hour token lifetime.
* ``access_token`` alone (short-lived; handy for a quick try or tests).

Service-account JSON keys (JWT bearer grant) are not supported yet.
"""

from __future__ import annotations

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


class GoogleAuth:
    """Supplies ``Authorization: Bearer …`` for Google APIs, refreshing the token when needed."""

    def __init__(self, http: HttpClient, credentials: Credentials, vendor: str, token_url: str = TOKEN_URL):
        self.http = http
        self.credentials = credentials
        self.vendor = vendor
        self.token_url = token_url
        self._token: str | None = None
        self._expires_at = 0.0
        self.uses_refresh = all(k in credentials for k in ("refresh_token", "client_id", "client_secret"))
        if not self.uses_refresh and "access_token" not in credentials:
            raise AuthError(
                f"{vendor}: connect a Google account (refresh token, client ID and client secret) "
                "or enter an access token in Data sources."
            )

    def __repr__(self) -> str:
        return f"<GoogleAuth vendor={self.vendor!r} refresh={self.uses_refresh}>"

    def header(self) -> str:
        """The Authorization header value, minting a fresh access token when the cached one is stale."""
        if not self.uses_refresh:
            return f"Bearer {self.credentials['access_token']}"
        if self._token is None or time.time() >= self._expires_at:
            self._refresh()
        return f"Bearer {self._token}"

    def _refresh(self) -> None:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self.credentials["refresh_token"],
            "client_id": self.credentials["client_id"],
            "client_secret": self.credentials["client_secret"],
        }
        try:
            response = self.http.request("POST", self.token_url, data=form)
        except ConnectorError as exc:
            # The token endpoint answers 400 invalid_grant for a revoked/expired refresh token.
            if exc.status in (400, 401, 403):
                raise AuthError(
                    f"Google rejected the OAuth refresh token or client ({exc.status}): reconnect the Google "
                    f"account for {self.vendor} in Data sources. {exc.message}",
                    status=exc.status,
                ) from None
            raise
        body = self.http.decode(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise ConnectorError(f"Google's token endpoint gave no access token for {self.vendor}.")
        self._token = token
        self.http.add_secrets([token])
        self._expires_at = time.time() + float(body.get("expires_in") or 3600) - EXPIRY_MARGIN
