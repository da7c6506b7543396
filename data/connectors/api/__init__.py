"""API connectors: pull canonical rows straight from vendor APIs (synchronous httpx).

Every connector is an :class:`ApiConnector` subclass registered in :data:`API_CONNECTORS` by
its ``SOURCE``. Typical use (the sync job)::

    cls = API_CONNECTORS["stripe"]
    with cls(credentials) as connector:
        connector.test_connection()                  # "Connected to Stripe (live mode)."
        chunks = connector.sync(state, SyncOptions(reporting_currency="EUR", timezone="Europe/Paris"))
        ingest(chunks)                               # one transaction
        save(connector.new_state)                    # only once the iterator is exhausted

Failures raise :class:`AuthError` (fix the credentials; stop) or :class:`ConnectorError`
(anything else; the message says what and where). Neither ever contains a secret.
"""

from __future__ import annotations

from .connector import ApiConnector, CredentialField, Credentials, SyncOptions
from .ga4 import Ga4Connector
from .google_ads import GoogleAdsConnector
from .http import AuthError, ConnectorError, RetryPolicy, make_client
from .hubspot import HubSpotConnector
from .mailchimp import MailchimpConnector
from .meta_ads import MetaAdsConnector
from .paypal import PayPalConnector
from .shopify import ShopifyConnector
from .square import SquareConnector
from .stripe import StripeConnector

API_CONNECTORS: dict[str, type[ApiConnector]] = {
    cls.SOURCE: cls
    for cls in (
        StripeConnector,
        MailchimpConnector,
        HubSpotConnector,
        GoogleAdsConnector,
        MetaAdsConnector,
        Ga4Connector,
        SquareConnector,
        ShopifyConnector,
        PayPalConnector,
    )
}

__all__ = [
    "API_CONNECTORS",
    "ApiConnector",
    "AuthError",
    "ConnectorError",
    "CredentialField",
    "Credentials",
    "RetryPolicy",
    "SyncOptions",
    "make_client",
]
