"""Fake HubSpot CRM v3: deals list, deals search, deal pipelines.

* ``GET /crm/v3/objects/deals``: ``limit`` (max 100), opaque ``after`` cursor, ``properties``.
* ``POST /crm/v3/objects/deals/search``: ``filterGroups`` (GTE/LTE/GT/LT/EQ on a property),
  ``sorts``, ``limit`` (max 200), numeric ``after``; like HubSpot it refuses ``after`` >= 10,000.
* ``GET /crm/v3/pipelines/deals``: pipelines with stage labels and closed/probability metadata.

Every property value is a string; ``paging.next.after`` is present only when more pages exist.
Auth is a bearer token; failures use HubSpot's ``{status, message, correlationId, category}``.
"""

from __future__ import annotations

import base64
import datetime as dt

from ._base import FakeServer, Recorded, Reply

DEFAULT_PIPELINES = [
    {
        "id": "default",
        "label": "Sales Pipeline",
        "stages": [
            {
                "id": "appointmentscheduled",
                "label": "Appointment Scheduled",
                "metadata": {"isClosed": "false", "probability": "0.2"},
            },
            {
                "id": "closedwon",
                "label": "Closed Won",
                "metadata": {"isClosed": "true", "probability": "1.0"},
            },
            {
                "id": "closedlost",
                "label": "Closed Lost",
                "metadata": {"isClosed": "true", "probability": "0.0"},
            },
        ],
    }
]


def _ms(text: str) -> int:
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


class FakeHubSpot(FakeServer):
    """HubSpot deals over in-memory data; build deals with :func:`deal`."""

    def __init__(self, token: str = "pat-na1-11111111-2222-3333-4444-555555555555"):
        super().__init__()
        self.token = token
        self.deals: list[dict] = []
        self.pipelines = DEFAULT_PIPELINES
        self.pipelines_status = 200
        self.route("GET", "/crm/v3/objects/deals", self._list)
        self.route("POST", "/crm/v3/objects/deals/search", self._search)
        self.route("GET", "/crm/v3/pipelines/deals", self._pipelines)

    def _denied(self, request: Recorded) -> Reply | None:
        if request.bearer() != self.token:
            return Reply(
                401,
                {
                    "status": "error",
                    "message": "Authentication credentials not found. This API supports OAuth 2.0 authentication "
                    "and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                    "correlationId": "4d3c2b1a-0000-4000-8000-000000000000",
                    "category": "INVALID_AUTHENTICATION",
                },
            )
        return None

    def _page(self, deals: list[dict], start: int, limit: int, cursor) -> dict:
        body: dict = {"results": deals[start : start + limit]}
        if start + limit < len(deals):
            body["paging"] = {"next": {"after": cursor(start + limit), "link": "https://api.hubapi.com/..."}}
        return body

    def _list(self, request: Recorded) -> Reply:
        if denied := self._denied(request):
            return denied
        limit = int(request.param("limit") or 10)
        if limit > 100:
            return Reply(
                400, {"status": "error", "message": "limit must be <= 100", "category": "VALIDATION_ERROR"}
            )
        after = request.param("after")
        start = int(base64.urlsafe_b64decode(after).decode()) if after else 0
        deals = sorted(self.deals, key=lambda d: int(d["id"]))
        return Reply(
            200, self._page(deals, start, limit, lambda i: base64.urlsafe_b64encode(str(i).encode()).decode())
        )

    def _search(self, request: Recorded) -> Reply:
        if denied := self._denied(request):
            return denied
        body = request.json()
        limit = int(body.get("limit") or 10)
        after = int(body.get("after") or 0)
        if limit > 200:
            return Reply(
                400, {"status": "error", "message": "limit must be <= 200", "category": "VALIDATION_ERROR"}
            )
        if after >= 10_000:
            return Reply(
                400,
                {"status": "error", "message": "paging beyond 10000 results", "category": "VALIDATION_ERROR"},
            )
        deals = list(self.deals)
        ops = {
            "GTE": lambda a, b: a >= b,
            "GT": lambda a, b: a > b,
            "LTE": lambda a, b: a <= b,
            "LT": lambda a, b: a < b,
            "EQ": lambda a, b: a == b,
        }
        for group in body.get("filterGroups") or []:
            for flt in group.get("filters") or []:
                prop, op, value = flt["propertyName"], flt["operator"], int(flt["value"])
                deals = [d for d in deals if ops[op](_ms(d["properties"][prop]), value)]
        for sort in reversed(body.get("sorts") or []):
            deals.sort(
                key=lambda d: d["properties"][sort["propertyName"]],
                reverse=sort.get("direction") == "DESCENDING",
            )
        result = self._page(deals, after, limit, str)
        result["total"] = len(deals)
        return Reply(200, result)

    def _pipelines(self, request: Recorded) -> Reply:
        if denied := self._denied(request):
            return denied
        if self.pipelines_status == 403:
            return Reply(
                403, {"status": "error", "message": "This app hasn't been granted all required scopes"}
            )
        return Reply(200, {"results": self.pipelines})


def deal(id: str | int, **properties: str | None) -> dict:
    """A deal as the API returns it: every property a string (or null)."""
    props = {
        "dealname": f"Deal {id}",
        "amount": None,
        "dealstage": "appointmentscheduled",
        "pipeline": "default",
        "closedate": None,
        "createdate": "2024-01-01T00:00:00Z",
        "hs_lastmodifieddate": "2024-01-01T00:00:00Z",
        "hs_object_id": str(id),
        **properties,
    }
    return {
        "id": str(id),
        "properties": props,
        "createdAt": props["createdate"],
        "updatedAt": props["hs_lastmodifieddate"],
        "archived": False,
    }
