"""Callbacks resolve the workspace from the session, never from (forgeable) inputs."""

from __future__ import annotations

import json
from datetime import date, timedelta

from tests.conftest import load, payments_frame


def _kpi_request(store: dict) -> dict:
    return {
        "output": "pb-overview-kpis.children",
        "outputs": {"id": "pb-overview-kpis", "property": "children"},
        "inputs": [
            {"id": "pb-filters", "property": "data", "value": store},
            {
                "id": {"type": "pb-fill", "page": "overview", "item": "kpis"},
                "property": "n_intervals",
                "value": 1,
            },
        ],
        "changedPropIds": ["pb-filters.data"],
        "state": [],
    }


def test_sec001_overview_shows_only_the_callers_workspace(client, auth, services, workspace, other_workspace):
    today = date.today()
    load(
        services,
        workspace,
        "payments",
        payments_frame(
            [
                {
                    "id": "a1",
                    "created": f"{today - timedelta(days=1)} 12:00",
                    "amount": "123.00",
                    "customer": "a",
                }
            ]
        ),
    )
    load(
        services,
        other_workspace,
        "payments",
        payments_frame(
            [
                {
                    "id": "g1",
                    "created": f"{today - timedelta(days=1)} 12:00",
                    "amount": "98765.00",
                    "currency": "EUR",
                    "customer": "g",
                }
            ]
        ),
    )
    auth.login("owner@acme.test")
    store = {
        "range": "last_7_days",
        "start": str(today - timedelta(days=6)),
        "end": str(today),
        "compare": None,
        "grain": "day",
        "workspace_id": other_workspace.id,
    }  # forged extra key
    response = client.post("/_dash-update-component", json=_kpi_request(store))
    assert response.status_code == 200
    body = json.dumps(response.get_json())
    assert "123" in body
    assert "98,765" not in body and "98765" not in body


def test_sec002_garbage_filter_store_falls_back_to_defaults(client, auth, workspace):
    auth.login()
    response = client.post("/_dash-update-component", json=_kpi_request({"start": "DROP TABLE", "end": 5}))
    assert response.status_code == 200


def test_sec003_global_filters_keep_the_pages_own_query_keys(app, auth, client, workspace):
    from callbacks.common import filters_to_url

    auth.login()
    with app.server.test_request_context("/"):
        from flask_login import login_user
        from sqlalchemy import select

        from dashboard.models import User
        from dashboard.services import current_services

        with current_services().db.session() as db:
            login_user(db.scalar(select(User).where(User.email == "owner@acme.test")))
        search = filters_to_url(
            "last_7_days",
            None,
            None,
            "none",
            "week",
            "?range=last_30_days&compare=none&grain=day&channel=Email",
        )
    assert search == "?range=last_7_days&compare=none&grain=week&channel=Email"
