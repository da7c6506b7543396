"""HTTP machinery shared by every API connector: one client factory, one retry loop, one error model.

Everything that talks to a vendor goes through :class:`HttpClient`, so retries, time-outs,
error messages and credential masking behave the same for Stripe as for GA4:

* 429 and 5xx answers (and time-outs / dropped connections) are retried with exponential
  backoff and jitter; a ``Retry-After`` header (seconds or an HTTP date) is honoured exactly.
* 401/403 raise :class:`AuthError`, which stops the sync with a message that says which
  credential to fix ("Stripe rejected the API key (401): check the secret key in Data sources").
* Any other failure raises :class:`ConnectorError`.
* Secrets never reach an exception, a log line or a repr: messages pass through
  :meth:`HttpClient.redact`, and transport exceptions are re-raised ``from None`` because
  httpx exceptions carry the request (and with it the Authorization header).
"""

from __future__ import annotations

import base64
import email.utils
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger("pulseboard.connectors.api")

#: Connect quickly or give up; vendors' report endpoints (GA4, searchStream) can take a while to answer.
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=90.0, write=30.0, pool=10.0)
USER_AGENT = "Pulseboard/1.0 (+self-hosted analytics)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class ConnectorError(Exception):
    """A vendor API call failed for a reason other than bad credentials.

    ``status`` is the HTTP status when there was an answer (None for network failures);
    ``retry_after`` is set when the vendor asked us to come back later than we are willing to wait.
    """

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message


class AuthError(ConnectorError):
    """The vendor refused our credentials (401/403, or its equivalent); the sync must stop."""


@dataclass(frozen=True)
class RetryPolicy:
    """How persistent we are with a struggling vendor.

    Backoff for attempt n (1-based) is ``min(max_delay, base_delay * 2**(n-1))`` with "equal
    jitter" (half fixed, half random) so that many workspaces syncing at once do not retry in
    lock-step, yet a retry never fires immediately. A ``Retry-After`` longer than
    ``max_retry_after`` is not slept through: the sync fails with the time to come back.
    """

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 300.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``attempt`` (1 = first retry) without Retry-After."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date; None if absent/bad."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def mask(secret: str | None) -> str:
    """A display form of a secret: enough to recognise which key it is, never enough to use it."""
    if not secret:
        return ""
    if len(secret) >= 16:
        return f"{secret[:3]}…{secret[-4:]}"
    return "****"


def make_client(
    *,
    timeout: httpx.Timeout | float | None = None,
    transport: httpx.BaseTransport | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Client:
    """The one place an ``httpx.Client`` for vendor APIs is built.

    Credentials are deliberately NOT set on the client: connectors add them per request, so a
    test (or the app) can inject its own client and so a shared client never carries a key.
    Redirects are not followed: vendor APIs do not redirect, and following one could carry a
    bearer token to another host.
    """
    return httpx.Client(
        timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
        transport=transport,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
        follow_redirects=False,
    )


#: classify(response) -> "auth" | "retry" | None, for vendors whose status codes lie (Meta: 400 + code 190)
Classifier = Callable[[httpx.Response], str | None]


class HttpClient:
    """A vendor-labelled wrapper around an ``httpx.Client`` adding retries, error mapping and redaction.

    ``vendor`` names the vendor in messages ("Stripe"); ``auth_hint`` is ``(what, field)`` as in
    "rejected the {what} ... check the {field} in Data sources"; ``secrets`` are masked out of
    every message; ``sleep`` is injectable so tests record waits instead of waiting.
    """

    def __init__(
        self,
        vendor: str,
        *,
        client: httpx.Client | None = None,
        secrets: Iterable[str] = (),
        auth_hint: tuple[str, str] = ("credentials", "credentials"),
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        classify: Classifier | None = None,
        rng: random.Random | None = None,
    ):
        self.vendor = vendor
        self.owns_client = client is None
        self.client = client if client is not None else make_client()
        self.auth_hint = auth_hint
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.classify = classify
        self.rng = rng or random.Random()
        self._secrets: list[str] = []
        self.add_secrets(secrets)

    def __repr__(self) -> str:
        return f"<HttpClient vendor={self.vendor!r} attempts={self.retry.max_attempts}>"

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Register more values to mask (e.g. an OAuth access token minted during the sync)."""
        for secret in secrets:
            if secret and len(secret) >= 4 and secret not in self._secrets:
                self._secrets.append(secret)
                # Basic auth puts base64("user:secret") on the wire; an echoed header must be masked too.
                for user in ("", "anystring"):
                    encoded = base64.b64encode(f"{user}:{secret}".encode()).decode()
                    self._secrets.append(encoded)
        # Longest first so a secret containing another is masked whole.
        self._secrets.sort(key=len, reverse=True)

    def redact(self, text: str) -> str:
        """``text`` with every registered secret replaced by its mask."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, mask(secret))
        return text

    def close(self) -> None:
        """Close the underlying client if we created it."""
        if self.owns_client:
            self.client.close()

    # ----------------------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request, retrying transient failures; return the 2xx response or raise.

        Raises :class:`AuthError` on 401/403 (or what ``classify`` calls "auth") and
        :class:`ConnectorError` on anything else that is not a success after all attempts.
        """
        policy = self.retry
        path = httpx.URL(url).path
        last_problem = ""
        for attempt in range(1, policy.max_attempts + 1):
            try:
                response = self.client.request(
                    method, url, params=params, json=json, data=data, headers=headers
                )
            except httpx.TimeoutException as exc:
                last_problem = f"timed out ({type(exc).__name__})"
                response = None
            except httpx.TransportError as exc:
                # The exception text can include the URL; the type name is enough to act on.
                last_problem = f"network error ({type(exc).__name__})"
                response = None

            retry_after: float | None = None
            if response is not None:
                kind = self.classify(response) if self.classify else None
                status = response.status_code
                if kind == "auth" or (kind is None and status in (401, 403)):
                    raise self._auth_error(response)
                if kind is None and 200 <= status < 300:
                    return response
                if kind != "retry" and status not in RETRY_STATUSES:
                    raise self._error(response, path)
                last_problem = f"HTTP {status}"
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if retry_after is not None and retry_after > policy.max_retry_after:
                    raise ConnectorError(
                        f"{self.vendor} asked us to wait {retry_after:.0f} s before retrying ({last_problem} "
                        f"on {path}); the sync will resume next time.",
                        status=status,
                        retry_after=retry_after,
                    )
            if attempt == policy.max_attempts:
                break
            delay = retry_after if retry_after is not None else policy.backoff(attempt, self.rng)
            log.warning(
                "%s %s %s: %s; retry %d/%d in %.1f s",
                self.vendor,
                method,
                path,
                last_problem,
                attempt,
                policy.max_attempts - 1,
                delay,
            )
            self.sleep(delay)
        raise ConnectorError(
            f"{self.vendor} API still failing after {policy.max_attempts} attempts ({last_problem} on {path}).",
            status=response.status_code if response is not None else None,
        )

    def get_json(self, url: str, *, params: Any = None, headers: Mapping[str, str] | None = None) -> Any:
        """GET and decode JSON."""
        return self.decode(self.request("GET", url, params=params, headers=headers))

    def post_json(
        self, url: str, *, json: Any = None, params: Any = None, headers: Mapping[str, str] | None = None
    ) -> Any:
        """POST a JSON body and decode the JSON answer."""
        return self.decode(self.request("POST", url, json=json, params=params, headers=headers))

    def decode(self, response: httpx.Response) -> Any:
        """The response's JSON, or a ConnectorError naming the vendor if it is not JSON."""
        try:
            return response.json()
        except ValueError:
            raise ConnectorError(
                f"{self.vendor} answered {httpx.URL(str(response.request.url)).path} with something that is "
                f"not JSON (content-type {response.headers.get('content-type', '?')!r}).",
                status=response.status_code,
            ) from None

    # ----------------------------------------------------------------------------------------------
    def vendor_message(self, response: httpx.Response) -> str | None:
        """The human part of a vendor's error body, whichever of the common shapes it uses."""
        try:
            body = response.json()
        except ValueError:
            text = response.text.strip()
            return self.redact(text[:200]) if text else None
        if isinstance(body, list) and body:
            body = body[0]
        if not isinstance(body, dict):
            return None
        err = body.get("error")
        message = None
        # Square: {"errors": [{"detail": ...}]}; Shopify: {"errors": "..."} or {"errors": {field: [...]}}
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            message = errors[0].get("detail") or errors[0].get("message")
        elif isinstance(errors, str):
            message = errors
        if isinstance(err, dict):
            message = err.get("message") or err.get("error_user_msg")
        elif isinstance(err, str):
            message = body.get("error_description") or err
        message = message or body.get("message") or body.get("detail") or body.get("title")
        return self.redact(str(message)[:300]) if message else None

    def _auth_error(self, response: httpx.Response) -> AuthError:
        what, field = self.auth_hint
        message = (
            f"{self.vendor} rejected the {what} ({response.status_code}): check the {field} in Data sources."
        )
        said = self.vendor_message(response)
        if said:
            message += f" {self.vendor} said: {said}"
        return AuthError(message, status=response.status_code)

    def _error(self, response: httpx.Response, path: str) -> ConnectorError:
        said = self.vendor_message(response)
        message = f"{self.vendor} API error {response.status_code} on {path}"
        return ConnectorError(message + (f": {said}" if said else "."), status=response.status_code)
