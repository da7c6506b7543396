"""Fake Google OAuth token endpoint shared by the Google Ads and GA4 fakes.

``POST /token``: refresh-token grant (form body) -> ``{access_token, expires_in}``; a wrong
refresh token gets Google's 400 ``invalid_grant``, a wrong client 401 ``invalid_client``.
Errors of the Google APIs themselves use ``{"error": {"code", "message", "status"}}``.
"""

from __future__ import annotations

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

    def credentials(self) -> dict[str, str]:
        """OAuth credential fields that this fake accepts."""
        return {
            "refresh_token": self.refresh_token,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }

    def _token(self, request: Recorded) -> Reply:
        form = request.form()
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
