"""HubSpot CRM v3 connector: deals -> deals.

Auth is a private-app bearer token. Every property value is a string (``"45362.12"``, ISO
dates); stages are internal ids (``closedwon``, or a number in custom pipelines). The pipelines
endpoint gives each stage's label and whether it is closed/won, so stages are stored as the same
display labels the Deals export shows ("Closed Won"), and ``won`` works for custom pipelines
too; without it we fall back to the ``closedwon``/``closedlost`` ids.

Paging is ``paging.next.after``. Incremental sync (state)::

    {"last_modified": "2024-06-01T12:00:00+00:00"}   # newest hs_lastmodifieddate seen

The first sync reads every deal through the list endpoint; later syncs use the search endpoint
filtered on ``hs_lastmodifieddate >= last_modified - OVERLAP`` sorted ascending. Search stops
paging at 10,000 results, so past that we restart the search from the newest date seen.
Deleted (archived) deals are not removed from the warehouse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from data.connectors.base import Chunk

from ._values import ChunkBuilder, currency_code, field, from_iso, money, text
from .connector import ApiConnector, CredentialField, SyncOptions
from .http import AuthError, ConnectorError

PROPERTIES = (
    "dealname",
    "amount",
    "dealstage",
    "pipeline",
    "closedate",
    "createdate",
    "hs_lastmodifieddate",
    "hubspot_owner_id",
    "deal_currency_code",
)
LIST_PAGE = 100
SEARCH_PAGE = 200
SEARCH_RESULT_CAP = 10_000
OVERLAP = dt.timedelta(minutes=5)


class HubSpotConnector(ApiConnector):
    """HubSpot: one canonical deals row per deal, incrementally by last-modified date."""

    SOURCE = "hubspot"
    LABEL = "HubSpot"
    DEFAULT_BASE_URL = "https://api.hubapi.com"
    AUTH_HINT = ("access token", "private app access token")
    TABLES = ("deals",)
    ACCOUNT_FIELDS = ("access_token",)
    CREDENTIAL_FIELDS = (
        CredentialField(
            "access_token",
            "Private app access token",
            secret=True,
            help="Settings → Integrations → Private apps; scopes crm.objects.deals.read (and "
            "crm.schemas.deals.read for stage labels). Starts with pat-.",
        ),
    )

    def auth_headers(self) -> dict[str, str]:
        """Bearer token."""
        return {"Authorization": f"Bearer {self.credentials['access_token']}"}

    def test_connection(self) -> str:
        """List one deal."""
        self.http.get_json(
            self.url("/crm/v3/objects/deals"), params={"limit": 1}, headers=self.auth_headers()
        )
        return "Connected to HubSpot."

    # ------------------------------------------------------------------------------------------
    def stages(self) -> dict[str, tuple[str, str, bool | None]]:
        """Stage id -> (stage label, pipeline label, won) from the deal pipelines; {} if not allowed."""
        try:
            body = self.http.get_json(self.url("/crm/v3/pipelines/deals"), headers=self.auth_headers())
        except AuthError as exc:
            if exc.status != 403:  # 403 = missing scope: labels are a nicety, ids still work
                raise
            return {}
        except ConnectorError:
            return {}
        result: dict[str, tuple[str, str, bool | None]] = {}
        for pipeline in body.get("results") or []:
            for stage in pipeline.get("stages") or []:
                meta = stage.get("metadata") or {}
                won: bool | None = None
                if str(meta.get("isClosed", "")).lower() == "true":
                    won = float(meta.get("probability") or 0) >= 1.0
                result[stage["id"]] = (stage.get("label") or stage["id"], pipeline.get("label") or "", won)
                result[f"pipeline:{pipeline.get('id')}"] = (pipeline.get("label") or "", "", None)
        return result

    def list_pages(self, page_size: int) -> Iterator[list[dict]]:
        """All deals through the list endpoint."""
        params: dict[str, Any] = {"limit": page_size, "properties": ",".join(PROPERTIES), "archived": "false"}
        while True:
            body = self.http.get_json(
                self.url("/crm/v3/objects/deals"), params=params, headers=self.auth_headers()
            )
            yield body.get("results") or []
            after = (((body.get("paging") or {}).get("next")) or {}).get("after")
            if not after:
                return
            params["after"] = after

    def search_pages(self, since: dt.datetime, page_size: int) -> Iterator[list[dict]]:
        """Deals modified since ``since`` through the search endpoint, oldest change first."""
        floor = since
        after: str | None = None
        newest = since
        while True:
            body: dict[str, Any] = {
                "filterGroups": [
                    {
                        "filters": [
                            {
                                "propertyName": "hs_lastmodifieddate",
                                "operator": "GTE",
                                "value": str(int(floor.replace(tzinfo=dt.UTC).timestamp() * 1000)),
                            }
                        ]
                    }
                ],
                "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
                "properties": list(PROPERTIES),
                "limit": page_size,
            }
            if after:
                body["after"] = after
            page = self.http.post_json(
                self.url("/crm/v3/objects/deals/search"), json=body, headers=self.auth_headers()
            )
            results = page.get("results") or []
            yield results
            for deal in results:
                modified = _modified(deal)
                if modified and modified > newest:
                    newest = modified
            after = (((page.get("paging") or {}).get("next")) or {}).get("after")
            if not after or not results:
                return
            if int(after) >= SEARCH_RESULT_CAP:
                if newest <= floor:  # 10,000 changes within one millisecond: cannot move on
                    raise ConnectorError(
                        "HubSpot search returned more than 10,000 deals modified at the same time."
                    )
                floor, after = newest, None

    def sync(self, state: Mapping[str, Any], options: SyncOptions) -> Iterator[Chunk]:
        """Yield deals chunks, one per page."""
        self.new_state = dict(state)
        stages = self.stages()
        last = state.get("last_modified")
        if last:
            pages = self.search_pages(from_iso(last) - OVERLAP, options.page(SEARCH_PAGE, SEARCH_PAGE))
        else:
            pages = self.list_pages(options.page(LIST_PAGE, LIST_PAGE))
        newest = from_iso(last) if last else None
        builder = ChunkBuilder("deals", self.SOURCE)

        def mapper(deal: dict) -> dict:
            return self.map_deal(deal, stages, options.reporting_currency)

        for page in pages:
            for deal in page:
                builder.add(deal.get("id"), mapper, deal, ("id", "properties"))
                modified = _modified(deal)
                if modified and (newest is None or modified > newest):
                    newest = modified
            if chunk := builder.flush():
                yield chunk
        if newest is not None:
            self.new_state = {**state, "last_modified": newest.replace(tzinfo=dt.UTC).isoformat()}

    @staticmethod
    def map_deal(
        deal: dict, stages: Mapping[str, tuple[str, str, bool | None]], default_currency: str
    ) -> dict:
        """One deal -> one canonical deals row. ``won`` is None while open; closed_at only once closed."""
        props = deal.get("properties") or {}
        stage_id = text(props.get("dealstage"))
        pipeline_id = text(props.get("pipeline"))
        if stage_id in stages:
            stage, _, won = stages[stage_id]
        else:
            stage = stage_id
            won = {"closedwon": True, "closedlost": False}.get(stage_id or "")
        pipeline = stages.get(f"pipeline:{pipeline_id}", (pipeline_id,))[0] or pipeline_id
        amount = field("amount", money, props.get("amount"))
        created = field("created_at", from_iso, props.get("createdate") or deal.get("createdAt"))
        return {
            "source_id": str(deal["id"]),
            "name": text(props.get("dealname")),
            "stage": stage,
            "pipeline": pipeline,
            "owner": text(props.get("hubspot_owner_id")),
            "amount": amount,
            # Deals without their own currency are in the account's; the workspace's is the best guess.
            "currency": currency_code(props.get("deal_currency_code"))
            or (default_currency if amount is not None else None),
            "created_at": created,
            # closedate on an open deal is only the expected close date.
            "closed_at": field("closed_at", from_iso, props.get("closedate")) if won is not None else None,
            "won": won,
        }


def _modified(deal: dict) -> dt.datetime | None:
    try:
        return from_iso((deal.get("properties") or {}).get("hs_lastmodifieddate") or deal.get("updatedAt"))
    except ValueError:
        return None
