"""The numbers /metrics serves move with the work the app does: requests, callbacks, imports, jobs."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from prometheus_client.parser import text_string_to_metric_families

from dashboard import jobs
from tests.conftest import load, payments_frame
from tests.integration.test_analytics_callbacks import panel_request

TOKEN = "metrics-token-0123456789abcdef"
DAY = f"{date.today() - timedelta(days=2)} 12:00"


@pytest.fixture
def app(settings, services):
    from app import create_app

    return create_app(settings.model_copy(update={"metrics_token": TOKEN}))


def scrape(client) -> dict[tuple[str, frozenset], float]:
    """Every sample of /metrics, parsed by prometheus_client: (name, labels) -> value."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    """One sample's value (0 when that series does not exist yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_opm001_requests_are_timed_by_route_template_and_status(client):
    before = scrape(client)
    assert client.get("/login").status_code == 200
    assert client.get("/no/such/page/at/all").status_code in (302, 401)  # the guard answers strangers
    assert client.open("/login", method="MADEUP").status_code == 405
    after = scrape(client)
    name = "pulseboard_http_request_duration_seconds_count"
    assert value(after, name, route="/login", method="GET", status="200") == (
        value(before, name, route="/login", method="GET", status="200") + 1
    )
    # Dash's catch-all page route, by its template: never one series per path a client makes up.
    assert value(after, name, route="/<path:path>", method="GET", status="302") == (
        value(before, name, route="/<path:path>", method="GET", status="302") + 1
    )
    assert not any("no/such/page" in str(labels) for _, labels in after)
    assert value(after, name, route="<unmatched>", method="other", status="405") == (
        value(before, name, route="<unmatched>", method="other", status="405") + 1
    )
    assert not any("MADEUP" in str(labels) for _, labels in after)


def test_opm002_callbacks_are_timed_by_their_declared_output(app, client, auth, workspace):
    auth.login()
    assert client.get("/_dash-dependencies").status_code == 200
    body = panel_request(app, "revenue", "kpis")
    before = scrape(client)
    assert client.post("/_dash-update-component", json=body).status_code == 200
    forged = {**body, "output": "made-up-output-1234.children"}
    assert client.post("/_dash-update-component", json=forged).status_code >= 400
    after = scrape(client)
    name = "pulseboard_callback_duration_seconds_count"
    output = body["output"]
    assert (
        value(after, name, output=output, status="200")
        == value(before, name, output=output, status="200") + 1
    )
    assert not any("made-up-output" in str(labels) for _, labels in after)  # bounded: <unknown>
    unknown = sum(v for (n, labels), v in after.items() if n == name and ("output", "<unknown>") in labels)
    assert unknown >= 1


def test_opm003_imports_count_rows_and_failures(client, services, workspace):
    before = scrape(client)
    frame = payments_frame(
        [
            {"id": "ch_1", "created": DAY, "amount": "10.00"},
            {"id": "ch_2", "created": DAY, "amount": "12.50"},
            {"id": "ch_3", "created": DAY, "amount": "1.00", "currency": "XXZ"},  # quarantined
        ]
    )
    result = load(services, workspace, "payments", frame)
    assert (result.inserted, result.quarantined) == (2, 1)
    with pytest.raises(Exception):  # noqa: B017 - any failure: the run is counted as failed
        load(services, workspace, "no_such_table", pl.DataFrame({"source": ["stripe"]}))
    after = scrape(client)
    rows, runs = "pulseboard_ingest_rows_total", "pulseboard_ingest_runs_total"
    assert (
        value(after, rows, source="stripe", outcome="inserted")
        - value(before, rows, source="stripe", outcome="inserted")
        == 2
    )
    assert (
        value(after, rows, source="stripe", outcome="quarantined")
        - value(before, rows, source="stripe", outcome="quarantined")
        == 1
    )
    for status in ("partial", "failed"):
        assert (
            value(after, runs, source="stripe", kind="file", status=status)
            - value(before, runs, source="stripe", kind="file", status=status)
            == 1
        )


def test_opm004_jobs_count_by_kind_and_outcome(client):
    before = scrape(client)
    done = jobs.REGISTRY.start(lambda job: None, workspace_id=1, user_id=1, kind="upload", label="ok")

    def fail(job):
        raise ValueError("the file is empty")

    failed = jobs.REGISTRY.start(fail, workspace_id=1, user_id=1, kind="upload", label="bad")
    assert jobs.REGISTRY.wait(done) and jobs.REGISTRY.wait(failed)
    after = scrape(client)
    name = "pulseboard_jobs_total"
    for status in ("done", "failed"):
        assert (
            value(after, name, kind="upload", status=status)
            - value(before, name, kind="upload", status=status)
            == 1
        )
    running = "pulseboard_jobs_running"
    assert value(after, running, kind="upload") == value(before, running, kind="upload")


def test_opm005_memory_by_part_moves_with_the_answer_cache(app, client, auth, workspace, services):
    """pulseboard_memory_bytes says where the memory is: the answer cache grows with the answers kept."""
    name = "pulseboard_memory_bytes"
    app_services = app.server.extensions["pulseboard"]
    app_services.query_cache.cache.clear()
    before = scrape(client)
    assert value(before, name, part="rss") > 10 * 2**20
    assert value(before, name, part="answer_cache") == 0
    auth.login()
    assert client.get("/_dash-dependencies").status_code == 200
    rows = [{"id": f"ch_{i}", "created": DAY, "amount": "10.00"} for i in range(3)]
    load(services, workspace, "payments", payments_frame(rows))
    assert (
        client.post("/_dash-update-component", json=panel_request(app, "revenue", "kpis")).status_code == 200
    )
    after = scrape(client)
    assert value(after, name, part="answer_cache") > 0
    # the page's queries opened the warehouse: DuckDB's memory is reported from then on
    assert (name, frozenset({("part", "warehouse")})) in after
    parts = {part for (n, labels) in after if n == name for _key, part in labels}
    assert parts == {"rss", "warehouse", "answer_cache"}
