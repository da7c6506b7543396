"""/healthz, /readyz and /metrics over HTTP: who may ask, what they answer, what they never say."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from dashboard.settings import Settings
from tests.smtp import free_port

TOKEN = "metrics-token-0123456789abcdef"


def _app(settings: Settings, **changes):
    from app import create_app

    return create_app(settings.model_copy(update=changes))


def test_ops001_healthz_answers_anonymous_without_touching_a_store(app, client, monkeypatch):
    services = app.server.extensions["pulseboard"]

    def broken(*_args, **_kwargs):
        raise AssertionError("/healthz touched the app DB")

    monkeypatch.setattr(services.db, "session", broken)
    monkeypatch.setattr(services.db.engine, "connect", broken)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert services._warehouse is None  # the warehouse was not opened either


def test_ops002_readyz_reports_every_check_when_ready(client, settings):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"app_db": "ok", "warehouse": "ok", "redis": "not configured"},
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_ops003_readyz_is_503_naming_the_warehouse_when_it_cannot_be_opened(settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the warehouse's folder should be")
    app = _app(settings, warehouse_url=f"duckdb:///{blocker}/warehouse.duckdb")
    response = app.server.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not ready"
    assert body["failing"] == ["warehouse"]
    assert body["checks"]["app_db"] == "ok"
    assert body["checks"]["warehouse"].startswith("unreachable (")
    text = response.get_data(as_text=True)
    assert str(tmp_path) not in text and "not-a-directory" not in text  # no paths in the answer


def test_ops004_readyz_is_503_naming_redis_when_it_does_not_answer(settings):
    port = free_port()  # nothing listens there
    secret = "hunter2-redis-password"
    app = _app(settings, redis_url=f"redis://:{secret}@127.0.0.1:{port}/0")
    response = app.server.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["redis"]
    assert body["checks"]["redis"] == "unreachable (ConnectionError)"
    text = response.get_data(as_text=True)
    assert secret not in text and str(port) not in text


def _local_redis() -> str | None:
    import os

    import redis

    url = os.environ.get("PULSEBOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        return None
    return url


def test_ops005_readyz_pings_a_real_redis(settings):
    url = _local_redis()
    if url is None:
        pytest.skip("no Redis reachable (set PULSEBOARD_TEST_REDIS_URL)")
    response = _app(settings, redis_url=url).server.test_client().get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["checks"]["redis"] == "ok"


def test_ops006_readyz_is_503_while_shutting_down(client):
    from dashboard import jobs

    jobs.REGISTRY.close()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["failing"] == ["shutdown"]


def test_ops007_metrics_do_not_exist_without_a_token(client, auth, workspace):
    assert client.get("/metrics").status_code == 404
    auth.login()  # a log-in is not a way in either
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer anything-at-all-0123"}).status_code == 404


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer wrong-token-0123456789", f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN],
)
def test_ops008_metrics_refuse_a_missing_or_wrong_token(settings, header):
    client = _app(settings, metrics_token=TOKEN).server.test_client()
    response = client.get("/metrics", headers={"Authorization": header} if header is not None else {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "pulseboard_" not in response.get_data(as_text=True)


def test_ops009_metrics_with_the_token_parse_as_prometheus_text(settings):
    client = _app(settings, metrics_token=TOKEN).server.test_client()
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    names = {family.name for family in text_string_to_metric_families(response.get_data(as_text=True))}
    assert {
        "pulseboard_http_request_duration_seconds",
        "pulseboard_callback_duration_seconds",
        "pulseboard_ingest_rows",
        "pulseboard_ingest_runs",
        "pulseboard_jobs",
        "pulseboard_jobs_running",
        "pulseboard_ai_calls",
        "pulseboard_ai_call_duration_seconds",
    } <= names


def test_ops010_a_short_metrics_token_is_refused_with_a_reason(settings):
    with pytest.raises(ValidationError, match="at least 16 characters"):
        Settings(data_dir=settings.data_dir, metrics_token="short")


def test_ops011_request_id_is_echoed_or_made(client):
    given = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
    assert given.headers["X-Request-ID"] == "lb-7f3a.42"
    for bad in ("has spaces in it", "x" * 129, '"quoted"', "new\\nline"):
        made = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert made != bad and len(made) == 32 and int(made, 16) >= 0
    first, second = (client.get("/login").headers["X-Request-ID"] for _ in range(2))
    assert first != second
