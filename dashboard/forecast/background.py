"""Forecasts started from the web UI: run as a background job, polled, cancellable.

Why not a Dash background callback in another process: the server process owns the DuckDB
warehouse (one writing process per file), so a worker process could neither read the metric
series nor record the run. The app's job runner (:mod:`dashboard.jobs`) runs the work on a
thread of this process instead (or on a ``pulseboard worker`` with ``PULSEBOARD_JOB_QUEUE=celery``
and a shared warehouse), scoped to one workspace and user, and the page polls it for progress.
Cancelling sets the job's flag, which the forecast checks between two model fits.
"""

from __future__ import annotations

from dashboard import jobs
from dashboard.accounts import WorkspaceContext
from dashboard.forecast.service import ForecastRequest
from dashboard.jobqueue.kinds import ForecastCancelled, forecast_payload
from dashboard.services import Services

__all__ = ["ForecastCancelled", "cancel", "start", "state"]


def start(services: Services, ctx: WorkspaceContext, request: ForecastRequest) -> jobs.Job:
    """Start computing ``request`` for the caller's workspace; the job's result is the payload.

    The request is validated first (ForecastError for bad input); a finished job holds one
    result: ``{"payload": ...}``, ``{"error": message}`` or ``{"cancelled": True}``.
    """
    request.validate()
    return jobs.REGISTRY.submit(
        services,
        ctx,
        kind="forecast",
        label=f"Forecast of {request.metric}",
        payload=forecast_payload(request),
        total=6,
    )


def cancel(job_id, ctx: WorkspaceContext) -> bool:
    """Ask the caller's own running forecast to stop; False when there is no such job."""
    job = jobs.REGISTRY.get(job_id, workspace_id=ctx.workspace.id, user_id=ctx.user_id)
    if job is None or job.kind != "forecast" or not job.running:
        return False
    job.request_cancel()
    return True


def state(job_id, ctx: WorkspaceContext) -> dict | None:
    """The caller's forecast job as the page shows it (None for an unknown or foreign id)."""
    job = jobs.REGISTRY.get(job_id, workspace_id=ctx.workspace.id, user_id=ctx.user_id)
    if job is None or job.kind != "forecast":
        return None
    snap = job.snapshot()
    return {
        "running": snap["status"] == "running",
        "progress": snap["progress"],
        "current": snap["current"],
        "result": snap["results"][-1] if snap["results"] else None,
        "error": snap["error"],
    }
