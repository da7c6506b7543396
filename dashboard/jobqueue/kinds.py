"""The work of each kind of background job, the same whichever queue runs it.

Payloads carry ids, paths and parameters only: an upload is saved under the data dir before it
is queued and the payload names its files; a forecast carries its request's fields; insights
carry the range and the cache key. Each function reaches the stores through ``services``.
"""

from __future__ import annotations

import shutil
from datetime import date
from functools import partial
from pathlib import Path

from dashboard.jobqueue.tasks import task


class BadPayload(ValueError):
    """A queued payload that this release cannot run (a forged or stale message)."""


def _upload_files(services, payload: dict) -> tuple[Path, list[tuple[Path, str]]]:
    """The upload's folder and (path, display name) pairs, all inside the data dir's uploads."""
    root = (services.settings.data_path / "uploads").resolve()
    folder = Path(str(payload.get("folder", ""))).resolve()
    if not folder.is_relative_to(root) or folder == root:
        raise BadPayload("the upload folder is not under the data dir's uploads")
    files = []
    for path, display in payload.get("files") or []:
        resolved = Path(str(path)).resolve()
        if not resolved.is_relative_to(folder):
            raise BadPayload("an uploaded file is not inside its upload folder")
        files.append((resolved, str(display)))
    return folder, files


@task("upload")
def import_uploads(job, services, context, payload: dict) -> None:
    """Import the saved files of one upload, one after another; the folder is removed after."""
    from callbacks.sources import upload_summary
    from data.importer import import_file

    folder, files = _upload_files(services, payload)
    rows = 0
    try:
        for number, (path, display) in enumerate(files):
            job.step(current=display)
            result = import_file(
                services.warehouse,
                context.workspace,
                path,
                display_name=display,
                progress=lambda fraction, read, before=rows: job.step(partial=fraction, rows=before + read),
            )
            rows += result["rows_read"]
            job.step(done=number + 1, rows=rows, result=upload_summary(result, path, display))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    after_new_data(services, context)


@task("sync")
def sync_connector(job, services, context, payload: dict) -> None:
    """Run one connector's sync for the workspace."""
    from dashboard import connections as conn
    from data.connectors.api import API_CONNECTORS

    source = payload.get("source")
    if source not in API_CONNECTORS:
        raise BadPayload(f"unknown connector {source!r}")
    job.step(current="fetching")
    result = conn.run_sync(services, context.workspace, source, progress=lambda rows: job.step(rows=rows))
    after_new_data(services, context)
    job.step(
        done=1,
        rows=result.rows_read,
        result={
            "file": f"{API_CONNECTORS[source].LABEL} API",
            "source": source,
            **conn.sync_result(source, result),
        },
    )


def after_new_data(services, context) -> None:
    """New data: compute the pages' default views and the KPI cards' projections in the background.

    Before anyone asks; never fails the job (callbacks.page_warmup, callbacks.kpi_projections).
    """
    from callbacks import kpi_projections, page_warmup

    page_warmup.warm_pages_later(services, context.workspace)
    kpi_projections.warm(services, context)


def _step_then_yield(job, fraction: float, what: str) -> None:
    """Report a generation's progress, then let page loads go first (before its next detector).

    A page load starts the generation beside its own callbacks, and between two queries a
    detector computes for up to a second (bands, forecasts): without a break it took the cores
    the page's callbacks were waiting for (at 10M payments they answered in ~370 ms at the
    median instead of ~60). The bar shows the step it waits at.
    """
    from dashboard.ops.priority import yield_to_pages

    job.step(partial=fraction, current=what)
    yield_to_pages()


@task("insights")
def generate_insights(job, services, context, payload: dict) -> None:
    """Generate the insights panel of a range and keep it in the query cache under ``key``."""
    from dashboard.insights.events import record
    from dashboard.insights.keys import provider_config
    from dashboard.insights.service import generate
    from dashboard.insights.source import CachedSource
    from dashboard.queries import cache_for

    provider = payload.get("provider")
    # the provider's keys are read here, from the workspace's stored settings: never queued
    config = provider_config(services, context.workspace.id, provider) if provider else None
    generation = generate(
        CachedSource(services, context),
        date.fromisoformat(payload["start"]),
        date.fromisoformat(payload["end"]),
        config=config,
        limit=int(payload["limit"]),
        prices=services.settings.ai_prices,
        recorder=partial(record, services.warehouse, context.workspace),
        progress=partial(_step_then_yield, job),
    )
    cache_for(services).set(payload["key"], generation.to_json())
    job.step(result={"key": payload["key"]})


class ForecastCancelled(Exception):
    """The user cancelled the forecast."""


def forecast_payload(request) -> dict:
    """A forecast request as a queued payload (its fields; the series is read by the worker)."""
    return {
        "metric": request.metric,
        "grain": request.grain,
        "horizon": request.horizon,
        "model": request.model,
        "interval": request.interval,
        "train_until": request.train_until.isoformat() if request.train_until else None,
        "where": dict(request.where),
        "candidates": list(request.candidates),
    }


def forecast_request(payload: dict):
    """The :class:`ForecastRequest` of a payload, validated again (ForecastError if stale)."""
    from dashboard.forecast.service import ForecastRequest

    request = ForecastRequest(
        metric=str(payload["metric"]),
        grain=str(payload["grain"]),
        horizon=int(payload["horizon"]),
        model=str(payload["model"]),
        interval=float(payload["interval"]),
        train_until=date.fromisoformat(payload["train_until"]) if payload.get("train_until") else None,
        where={str(k): str(v) for k, v in (payload.get("where") or {}).items()},
        candidates=tuple(str(c) for c in payload["candidates"]),
    )
    request.validate()
    return request


@task("forecast")
def run_forecast_job(job, services, context, payload: dict) -> None:
    """Fit the forecast; the job's one result is ``{"payload"}``, ``{"error"}`` or ``{"cancelled"}``."""
    from dashboard.forecast.series import ForecastError
    from dashboard.forecast.service import run_forecast

    def step(done: int, total: int, what: str) -> None:
        if job.cancel_requested:
            raise ForecastCancelled
        job.step(done=done, current=what, total=total)

    try:
        result = run_forecast(services, context, forecast_request(payload), origin="page", on_step=step)
    except ForecastCancelled:
        job.step(result={"cancelled": True})
    except ForecastError as exc:
        job.step(result={"error": str(exc)})
    else:
        job.step(result={"payload": result})
