"""deploy/: the gunicorn config, docker-compose file and Kubernetes manifests of docs/deploy.md.

Docker and Kubernetes cannot run on the development machine: these tests parse the files and
check what must agree with the app (probe paths, grace periods, settings names, commands).
The gunicorn config is run for real in tests/integration/test_gunicorn.py.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
import yaml

from dashboard.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SETTINGS = {f"PULSEBOARD_{name.upper()}" for name in Settings.model_fields}
#: variables the deploy files may set besides Pulseboard's own
OTHER_VARIABLES = {"GUNICORN_WORKERS", "FORWARDED_ALLOW_IPS"}


def _manifests() -> list[dict]:
    docs = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def _of_kind(kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in _manifests() if d["kind"] == kind}


def _config() -> dict:
    return _of_kind("ConfigMap")["pulseboard"]["data"]


def test_every_manifest_parses_and_names_its_api():
    docs = _manifests()
    assert {d["kind"] for d in docs} >= {
        "Deployment",
        "Service",
        "Ingress",
        "ConfigMap",
        "Job",
        "PersistentVolumeClaim",
    }
    for doc in docs:
        assert doc["apiVersion"] and doc["metadata"]["name"].startswith("pulseboard")


def test_web_probes_and_grace_match_the_app():
    web = _of_kind("Deployment")["pulseboard-web"]["spec"]
    pod = web["template"]["spec"]
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["command"] == ["gunicorn", "-c", "deploy/gunicorn.conf.py", "app:server"]
    pause = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    grace = float(_config()["PULSEBOARD_SHUTDOWN_GRACE"])
    assert pod["terminationGracePeriodSeconds"] > pause + grace
    assert web["replicas"] >= 2
    assert web["selector"]["matchLabels"].items() <= web["template"]["metadata"]["labels"].items()


def test_worker_runs_pulseboard_worker_with_the_shared_settings():
    worker = _of_kind("Deployment")["pulseboard-worker"]["spec"]["template"]["spec"]
    (container,) = worker["containers"]
    assert container["command"] == ["pulseboard", "worker"]
    assert {"configMapRef": {"name": "pulseboard"}} in container["envFrom"]
    assert {"secretRef": {"name": "pulseboard"}} in container["envFrom"]
    assert worker["terminationGracePeriodSeconds"] > float(_config()["PULSEBOARD_SHUTDOWN_GRACE"])


def test_service_and_ingress_reach_the_web_pods():
    service = _of_kind("Service")["pulseboard-web"]["spec"]
    web = _of_kind("Deployment")["pulseboard-web"]["spec"]["template"]
    assert service["selector"].items() <= web["metadata"]["labels"].items()
    backend = _of_kind("Ingress")["pulseboard"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "pulseboard-web"


def test_configmap_sets_only_known_settings_and_the_celery_queue():
    config = _config()
    assert set(config) <= SETTINGS | OTHER_VARIABLES, set(config) - SETTINGS - OTHER_VARIABLES
    assert config["PULSEBOARD_JOB_QUEUE"] == "celery"
    Settings(**{k.removeprefix("PULSEBOARD_").lower(): v for k, v in config.items() if k in SETTINGS})


def test_compose_file_has_two_webs_a_worker_postgres_and_redis():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web-1", "web-2", "worker", "postgres", "redis", "migrate", "proxy"} <= set(services)
    for name in ("web-1", "web-2"):
        assert services[name]["command"] == ["gunicorn", "-c", "deploy/gunicorn.conf.py", "app:server"]
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"])
    assert services["worker"]["command"] == ["pulseboard", "worker"]
    env = services["worker"]["environment"]
    assert set(env) <= SETTINGS
    assert env["PULSEBOARD_JOB_QUEUE"] == "celery" and env["PULSEBOARD_REDIS_URL"].startswith("redis://")
    assert env["PULSEBOARD_WAREHOUSE_URL"].startswith("postgresql://")  # celery needs a shared warehouse
    assert services["web-1"]["environment"] == env  # one set of settings for every process
    assert services["migrate"]["build"]["dockerfile"] == "deploy/Dockerfile"
    assert (DEPLOY / "Dockerfile").read_text().count("FROM ") == 1
    init = services["postgres"]["volumes"][1].split(":")[0]
    assert (DEPLOY / init).exists()


def _gunicorn_config(monkeypatch, **env) -> dict:
    for key in ("PULSEBOARD_WAREHOUSE_URL", "GUNICORN_WORKERS", "PULSEBOARD_SHUTDOWN_GRACE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))


def test_gunicorn_config_keeps_one_process_on_the_duckdb_file(monkeypatch):
    config = _gunicorn_config(monkeypatch, PULSEBOARD_SHUTDOWN_GRACE="41.5")
    assert config["workers"] == 1 and config["worker_class"] == "gthread"
    assert config["graceful_timeout"] == 42 and isinstance(config["graceful_timeout"], int)
    assert config["preload_app"] is False


@pytest.mark.parametrize("warehouse", ["postgresql://db/warehouse"])
def test_gunicorn_config_scales_with_a_shared_warehouse(monkeypatch, warehouse):
    import os

    config = _gunicorn_config(monkeypatch, PULSEBOARD_WAREHOUSE_URL=warehouse)
    assert config["workers"] == (os.cpu_count() or 1)
    assert (
        _gunicorn_config(monkeypatch, PULSEBOARD_WAREHOUSE_URL=warehouse, GUNICORN_WORKERS="3")["workers"]
        == 3
    )
