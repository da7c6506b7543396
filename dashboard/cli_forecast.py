"""``pulseboard forecast``: a metric's forecast with its backtest, from the terminal.

Registered on the main CLI by one ``cli.add_command(forecast)`` line in :mod:`dashboard.cli`;
it uses the same conventions: ``--json`` prints one document, bad input prints one line
``error: ...`` and exits 2, and a warehouse held by the running server is delegated to it.
"""

from __future__ import annotations

import json
import sys

import click

from dashboard.accounts import WorkspaceContext
from dashboard.cli import BadInput, _parse_date, _services, _workspace_ref, needs_warehouse
from dashboard.forecast.choices import CHOICES
from dashboard.forecast.series import GRAINS, ForecastError
from dashboard.models import Role


@click.command("forecast")
@click.argument("metric")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--horizon", required=True, help="How many periods to forecast (1-1000).")
@click.option("--grain", default="day", show_default=True, help=f"One of: {', '.join(GRAINS)}.")
@click.option(
    "--train-until",
    "train_until",
    default=None,
    help="Fit on data up to and including this day (YYYY-MM-DD); default: the last whole day.",
)
@click.option("--model", default="auto", show_default=True, help=f"One of: {', '.join(CHOICES)}.")
@click.option("--interval", default="0.8", show_default=True, help="Coverage of the band, 0.5-0.99.")
@click.option("--by", "by", default=None, help="Forecast only the rows where this dimension ...")
@click.option("--value", "value", default=None, help="... has this value (with --by).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
@needs_warehouse
def forecast(
    ctx: click.Context,
    metric: str,
    slug: str,
    horizon: str,
    grain: str,
    train_until: str | None,
    model: str,
    interval: str,
    by: str | None,
    value: str | None,
    as_json: bool,
) -> None:
    """Forecast METRIC for a workspace, with the backtest of each model on its own history."""
    # Here, not at the top: the models load scipy (~0.8 s), which every other command would pay.
    from dashboard.forecast.service import ForecastRequest, cli_payload, run_forecast

    services = _services(ctx)
    request = ForecastRequest(
        metric=metric,
        grain=grain,
        horizon=_int("--horizon", horizon),
        model=model,
        interval=_float("--interval", interval),
        train_until=_parse_date("--train-until", train_until) if train_until else None,
        where=_where(by, value),
    )
    workspace = _workspace_ref(services, slug)
    # The terminal user can read the data dir, i.e. everything: the CLI acts as the owner.
    context = WorkspaceContext(user_id=0, role=Role.OWNER, workspace=workspace)
    try:
        payload = run_forecast(
            services, context, request, origin="cli", on_step=_progress(enabled=not as_json)
        )
    except ForecastError as exc:
        raise BadInput(str(exc)) from None
    if as_json:
        click.echo(json.dumps(cli_payload(payload), indent=2))
        return
    _print_text(payload)


def _int(option: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise BadInput(f"{option} {text!r} is not a whole number") from None


def _float(option: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise BadInput(f"{option} {text!r} is not a number; use e.g. 0.8 for an 80% band") from None


def _where(by: str | None, value: str | None) -> dict[str, str]:
    if (by is None) != (value is None):
        raise BadInput("--by and --value go together: --by channel --value Email")
    return {by: value} if by is not None and value is not None else {}


def _progress(*, enabled: bool):
    """Progress lines on stderr while models are tested (only on a terminal)."""
    if not enabled or not sys.stderr.isatty():
        return None

    def step(done: int, total: int, what: str) -> None:
        click.echo(f"[{done + 1}/{total}] {what} ...", err=True)

    return step


def _in_band(score: dict) -> str:
    """The share of tested periods inside the calibrated band, "rough" where it could not be checked."""
    if score.get("coverage_rough"):
        return "rough (too little history to check it)"
    if score.get("coverage_checked") is False:
        return "not checked (only when chosen)"
    coverage = score.get("coverage")
    return "n/a" if coverage is None else f"{coverage:.0%}"


def _print_text(payload: dict) -> None:
    unit = payload["unit"]
    currency = f", {payload['currency']}" if unit == "currency" else ""
    click.echo(
        f"{payload['label']} ({unit}{currency}) by {payload['grain']}, fitted up to {payload['train_until']}"
    )
    click.echo(f"Model: {payload['model_label']}. {payload['reason']}")
    click.echo(payload["accuracy"])
    band = f"{payload['interval']:.0%} band"
    if payload["backtest"]:
        click.echo(f"Backtest (sMAPE, MASE: lower is better; in {band}: share of actual periods inside it):")
        for name, score in payload["backtest"].items():
            mase = "n/a" if score["mase"] is None else f"{score['mase']:.2f}"
            click.echo(
                f"  {name:<8} sMAPE {score['smape']:6.1f}%   MASE {mase:<5}   in {band} {_in_band(score)}"
            )
    click.echo(f"{'period':<12} {'forecast':>14} {'low (' + band + ')':>22} {'high':>14}")
    for row in payload["rows"]:
        click.echo(f"{row['period']:<12} {row['yhat']:>14,.2f} {row['lower']:>22,.2f} {row['upper']:>14,.2f}")


__all__ = ["forecast"]
