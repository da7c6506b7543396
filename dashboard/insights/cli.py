"""``pulseboard insights`` and ``pulseboard insights-key``: the insights engine from the terminal.

Registered on the main group at the end of :mod:`dashboard.cli` (which this module imports
for its helpers, so it is imported from there, after the group exists).
"""

from __future__ import annotations

import json
from functools import partial

import click

from dashboard.accounts import WorkspaceContext
from dashboard.cli import BadInput, _parse_date, _services, _workspace_ref, needs_warehouse
from dashboard.insights.engine import DEFAULT_LIMIT, InsightsError
from dashboard.insights.events import record
from dashboard.insights.keys import provider_config, store_key
from dashboard.insights.providers import PROVIDERS
from dashboard.insights.service import generate
from dashboard.insights.source import CachedSource
from dashboard.models import Role
from data.metrics import MetricError


@click.command("insights")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--from", "start", required=True, help="First day of the period to explain, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Last day of the period to explain, YYYY-MM-DD.")
@click.option(
    "--provider",
    type=click.Choice(PROVIDERS),
    default=None,
    help="Who writes the text (default PULSEBOARD_AI_PROVIDER, offline).",
)
@click.option(
    "--limit", default=DEFAULT_LIMIT, show_default=True, type=click.IntRange(1, 100), help="Insights shown."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
@needs_warehouse
def insights(ctx, slug, start, end, provider, limit, as_json) -> None:
    """What changed in [--from, --to] and why, ranked by severity; history before it is the baseline."""
    services = _services(ctx)
    start_date, end_date = _parse_date("--from", start), _parse_date("--to", end)
    if start_date > end_date:
        raise BadInput(f"the date range is reversed: --from {start} is after --to {end}")
    workspace = _workspace_ref(services, slug)
    # The CLI runs as the machine's operator: the owner's view of the workspace.
    context = WorkspaceContext(user_id=0, role=Role.OWNER, workspace=workspace)
    provider = provider or services.settings.ai_provider
    config = None if provider == "offline" else provider_config(services, workspace.id, provider)
    try:
        result = generate(
            CachedSource(services, context),
            start_date,
            end_date,
            config=config,
            limit=limit,
            prices=services.settings.ai_prices,
            recorder=partial(record, services.warehouse, workspace),
        )
    except (InsightsError, MetricError) as exc:
        raise BadInput(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        return
    if result.note:
        click.echo(f"note: {result.note}", err=True)
    if not result.insights:
        click.echo(f"nothing notable in {slug} from {start_date} to {end_date}")
    for n, item in enumerate(result.insights, 1):
        click.echo(f"{n}. {item.headline}\n   {item.text}\n   Next: {item.action}\n")


@click.command("insights-key")
@click.argument("provider", type=click.Choice(["openai", "anthropic"]))
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--model", default=None, help="Model name (default from the settings).")
@click.option("--base-url", default=None, help="An OpenAI-compatible or proxy endpoint.")
@click.option(
    "--key",
    "api_key",
    prompt=True,
    hide_input=True,
    envvar="PULSEBOARD_AI_KEY",
    help="The API key (asked if absent).",
)
@click.pass_context
def insights_key(ctx, provider, slug, model, base_url, api_key) -> None:
    """Store a workspace's AI provider key, encrypted (it is never printed or sent to a browser)."""
    services = _services(ctx)
    workspace = _workspace_ref(services, slug)
    try:
        store_key(
            services,
            WorkspaceContext(user_id=0, role=Role.OWNER, workspace=workspace),
            provider,
            api_key,
            model=model,
            base_url=base_url,
        )
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    click.echo(f"stored the {provider} key for {slug} (encrypted)")
