"""Connect a Google account through the consent screen (against the fake Google OAuth server)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from dashboard import connections
from dashboard.accounts import WorkspaceContext
from dashboard.models import Role
from tests.fakes.ga4 import FakeGa4

pytestmark = pytest.mark.usefixtures("workspace")


@pytest.fixture
def google():
    with FakeGa4() as fake:
        yield fake


def _save_client(services, workspace, google, **extra):
    owner = WorkspaceContext(user_id=1, role=Role.OWNER, workspace=workspace)
    values = {
        "property_id": google.property_id,
        "client_id": google.client_id,
        "client_secret": google.client_secret,
    }
    connections.save_connection(services, owner, "ga4", {**values, **extra}, base_url=google.url)


def _consent(location: str) -> str:
    """Follow the redirect to the (fake) consent screen, where the user agrees; where it sends us back."""
    answer = httpx.get(location, follow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_goa001_owner_connects_a_google_account_and_the_refresh_token_is_stored(
    client, auth, services, workspace, google
):
    _save_client(services, workspace, google)
    auth.login()
    start = client.get("/oauth/google/start/ga4")
    assert start.status_code == 302
    location = start.headers["Location"]
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(f"{google.url}/auth?")
    assert query["scope"] == ["https://www.googleapis.com/auth/analytics.readonly"]
    assert query["access_type"] == ["offline"] and query["redirect_uri"] == [
        "http://localhost/oauth/google/callback"
    ]

    back = client.get(_path(_consent(location)))
    assert back.status_code == 302 and back.headers["Location"].endswith("/sources?connected=ga4")
    stored = connections.stored_credentials(services, workspace.id, "ga4")
    assert stored["refresh_token"] == google.refresh_token
    assert stored["client_id"] == google.client_id  # the rest of the connection is kept
    # the token never reaches the browser
    assert google.refresh_token not in back.get_data(as_text=True)
    ok, message = connections.test_connection(services, WorkspaceContext(1, Role.OWNER, workspace), "ga4")
    assert ok, message


def test_goa002_a_forged_or_replayed_state_changes_nothing(client, auth, services, workspace, google):
    _save_client(services, workspace, google)
    auth.login()
    location = client.get("/oauth/google/start/ga4").headers["Location"]
    returned = _consent(location)
    forged = returned.replace("state=", "state=x")
    answer = client.get(_path(forged))
    assert "oauth_error=" in answer.headers["Location"]
    assert "refresh_token" not in connections.stored_credentials(services, workspace.id, "ga4")
    # the pending state was used up by the failed attempt: the genuine answer no longer works either
    assert "oauth_error=" in client.get(_path(returned)).headers["Location"]
    assert "refresh_token" not in connections.stored_credentials(services, workspace.id, "ga4")


def test_goa003_only_owners_start_the_flow(client, auth, services, workspace, google):
    _save_client(services, workspace, google)
    auth.login("analyst@acme.test")
    assert client.get("/oauth/google/start/ga4").status_code == 403
    auth.logout()
    assert client.get("/oauth/google/start/ga4").status_code in (302, 401)  # anonymous: to the login


def test_goa004_missing_client_or_refusal_comes_back_as_a_message(client, auth, services, workspace, google):
    auth.login()
    answer = client.get("/oauth/google/start/ga4")  # nothing saved yet
    assert "oauth_error=save+the+OAuth+client+ID" in answer.headers["Location"]
    assert client.get("/oauth/google/start/stripe").status_code == 404
    _save_client(services, workspace, google)
    location = client.get("/oauth/google/start/ga4").headers["Location"]
    state = parse_qs(urlsplit(location).query)["state"][0]
    denied = client.get(f"/oauth/google/callback?error=access_denied&state={state}")
    assert "oauth_error=Google+said%3A+access_denied" in denied.headers["Location"]
    assert "refresh_token" not in connections.stored_credentials(services, workspace.id, "ga4")


def test_goa005_sources_page_says_how_the_round_trip_ended():
    from components.sources import connector_form, oauth_notice

    assert "Google account connected" in str(oauth_notice({"connected": "ga4"}).children)
    failed = oauth_notice({"oauth_error": "Google said: access_denied", "source": "google_ads"})
    assert failed.color == "danger" and "Google Ads" in failed.children and "access_denied" in failed.children
    assert oauth_notice({}) is None and oauth_notice({"connected": "<script>"}) is None
    spec = {"source": "ga4", "fields": [], "oauth_start": "/oauth/google/start/ga4"}
    button = [c for c in connector_form(spec, {}).children[1].children if "Connect Google" in str(c)]
    assert button and button[0].disabled  # enabled once the OAuth client is saved
    ready = connector_form(spec, {"client_id": "1234.apps", "client_secret": "…xyz"}).children[1].children
    assert not [c for c in ready if "Connect Google" in str(c)][0].disabled
