"""Fake Google OAuth token endpoint shared by the Google Ads and GA4 fakes.

``POST /token``: refresh-token grant (form body) -> ``{access_token, expires_in}``; a wrong
refresh token gets Google's 400 ``invalid_grant``, a wrong client 401 ``invalid_client``.
JWT bearer grant (service accounts, RFC 7523): the RS256 assertion must verify with the
service account's public key and carry iss, scope, aud = this endpoint's URL and a lifetime of
at most an hour; otherwise 400 ``invalid_grant`` with Google's descriptions.
``GET /auth``: the consent screen, where the user always agrees: 302 to ``redirect_uri`` with a
one-time ``code`` and the ``state``; the authorization-code grant trades that code (same client
and redirect URI) for a refresh token and an access token.
Errors of the Google APIs themselves use ``{"error": {"code", "message", "status"}}``.
"""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import urlencode

from ._base import FakeServer, Recorded, Reply

VALID_ACCESS_TOKEN = "ya29.fake-access-token-0123456789"


def unauthenticated() -> Reply:
    return Reply(
        401,
        {
            "error": {
                "code": 401,
                "message": "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                "login cookie or other valid authentication credential.",
                "status": "UNAUTHENTICATED",
            }
        },
    )


class GoogleOAuthServer(FakeServer):
    """Token endpoint shared by the Google fakes."""

    def __init__(self, refresh_token: str, client_id: str, client_secret: str):
        super().__init__()
        self.refresh_token = refresh_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.access_token = VALID_ACCESS_TOKEN
        self.route("POST", "/token", self._token)
        #: service accounts this endpoint knows: email -> (cryptography public key, allowed scope)
        self.service_accounts: dict[str, tuple[object, str]] = {}
        self.route("GET", "/auth", self._consent)
        #: authorization codes not used yet: code -> (client_id, redirect_uri, scope)
        self.codes: dict[str, tuple[str, str, str]] = {}

    def credentials(self) -> dict[str, str]:
        """OAuth credential fields that this fake accepts."""
        return {
            "refresh_token": self.refresh_token,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }

    def add_service_account(self, email: str, public_key, scope: str) -> None:
        """Accept JWT assertions signed by ``public_key``'s private half for ``email``."""
        self.service_accounts[email] = (public_key, scope)

    def _token(self, request: Recorded) -> Reply:
        form = request.form()
        if form.get("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self._jwt_grant(form.get("assertion") or "")
        if form.get("grant_type") == "authorization_code":
            return self._code_grant(form)
        if form.get("grant_type") != "refresh_token":
            return Reply(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"})
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return Reply(
                401, {"error": "invalid_client", "error_description": "The OAuth client was not found."}
            )
        if form.get("refresh_token") != self.refresh_token:
            return Reply(
                400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
            )
        return Reply(200, {"access_token": self.access_token, "expires_in": 3599, "token_type": "Bearer"})

    def _consent(self, request: Recorded) -> Reply:
        q = {k: v[0] for k, v in request.query.items()}
        if q.get("client_id") != self.client_id:
            return Reply(
                401, {"error": "invalid_client", "error_description": "The OAuth client was not found."}
            )
        if q.get("response_type") != "code" or not q.get("redirect_uri") or not q.get("scope"):
            return Reply(
                400, {"error": "invalid_request", "error_description": "Missing required parameter."}
            )
        code = f"4/0A{len(self.codes):04d}-fake-code"
        self.codes[code] = (q["client_id"], q["redirect_uri"], q["scope"])
        location = f"{q['redirect_uri']}?{urlencode({'state': q.get('state', ''), 'code': code, 'scope': q['scope']})}"
        return Reply(302, raw=b"", headers={"Location": location})

    def _code_grant(self, form: dict[str, str]) -> Reply:
        issued = self.codes.pop(form.get("code", ""), None)  # one use only
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return Reply(
                401, {"error": "invalid_client", "error_description": "The OAuth client was not found."}
            )
        if issued is None or issued[1] != form.get("redirect_uri"):
            return Reply(400, {"error": "invalid_grant", "error_description": "Bad Request"})
        return Reply(
            200,
            {
                "access_token": self.access_token,
                "expires_in": 3599,
                "refresh_token": self.refresh_token,
                "scope": issued[2],
                "token_type": "Bearer",
            },
        )

    def _jwt_grant(self, assertion: str) -> Reply:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        def invalid(description: str) -> Reply:
            return Reply(400, {"error": "invalid_grant", "error_description": description})

        try:
            head_b64, claims_b64, sig_b64 = assertion.split(".")
            header = json.loads(_unb64(head_b64))
            claims = json.loads(_unb64(claims_b64))
            signature = _unb64(sig_b64)
        except ValueError:
            return invalid("Invalid JWT: Token must be a short-lived token and in a reasonable timeframe")
        if header.get("alg") != "RS256":
            return invalid("Invalid JWT: unsupported algorithm")
        account = self.service_accounts.get(claims.get("iss"))
        if account is None:
            return invalid("Invalid grant: account not found")
        public_key, scope = account
        try:
            public_key.verify(
                signature, f"{head_b64}.{claims_b64}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            return invalid("Invalid JWT Signature.")
        now = time.time()
        if claims.get("aud") != f"{self.url}/token":
            return invalid("Invalid JWT: Failed audience check.")
        if (
            not (claims.get("iat", 0) - 300 <= now < claims.get("exp", 0))
            or claims["exp"] - claims["iat"] > 3600
        ):
            return invalid("Invalid JWT: Token must be a short-lived token and in a reasonable timeframe")
        if scope not in str(claims.get("scope", "")).split():
            return invalid("Invalid JWT: scope not allowed for this account")
        return Reply(200, {"access_token": self.access_token, "expires_in": 3599, "token_type": "Bearer"})


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
