"""One insights run: detect, narrate (offline or through a provider, grounded), record the call."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date

from components.formatting import current_locale
from dashboard.insights.engine import DEFAULT_LIMIT, Generation, detect, narrate_offline
from dashboard.insights.events import AiEvent, estimate_cost
from dashboard.insights.grounding import ungrounded
from dashboard.insights.model import Insight
from dashboard.insights.narrate import facts
from dashboard.insights.providers import ProviderConfig, ProviderError, call
from dashboard.insights.source import MetricSource

logger = logging.getLogger(__name__)


def generate(
    source: MetricSource,
    start: date,
    end: date,
    *,
    config: ProviderConfig | None = None,
    limit: int = DEFAULT_LIMIT,
    prices: dict[str, list[float]] | None = None,
    recorder: Callable[[AiEvent], object] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> Generation:
    """The ranked insights of [start, end], narrated by ``config``'s provider (offline when None).

    Each insight always gets the offline text first; a provider's text replaces it only when
    every number in it matches the insight's facts. Provider errors keep the offline texts and
    add a note for the reader. ``recorder`` receives the call's :class:`AiEvent`.
    """
    started = time.perf_counter()
    currency = source.workspace.currency
    insights = narrate_offline(detect(source, start, end, progress)[:limit], currency)
    if config is None or config.provider == "offline":
        event = AiEvent("insight", "offline", "templates", _ms(started), insights=len(insights))
        _record(recorder, event)
        return Generation("offline", insights)
    generation, event = _narrate(config, insights, currency, prices or {})
    _record(recorder, event)
    return generation


def _narrate(
    config: ProviderConfig, insights: list[Insight], currency: str, prices
) -> tuple[Generation, AiEvent]:
    event = AiEvent("insight", config.provider, config.model, 0.0, insights=len(insights))
    if not insights:
        return Generation(config.provider, []), event
    known = {i.id: facts(i, currency) for i in insights}
    # The facts are written in the current number locale (the workspace's): their numbers and
    # the provider's, asked to write them as given, are read in it
    locale = current_locale()
    started = time.perf_counter()
    try:
        reply = call(config, list(known.values()))
    except ProviderError as exc:
        event.latency_ms, event.outcome, event.fallback, event.note = (
            _ms(started),
            exc.outcome,
            True,
            str(exc),
        )
        logger.warning("AI provider %s failed (%s): %s", config.provider, exc.outcome, exc)
        note = f"{config.provider} was not available ({exc}); showing Pulseboard's own wording."
        return Generation("offline", insights, note), event
    event.latency_ms = _ms(started)
    event.input_tokens, event.output_tokens = reply.input_tokens, reply.output_tokens
    event.cost = estimate_cost(prices, config.model, reply.input_tokens, reply.output_tokens)
    if reply.malformed:
        event.outcome, event.fallback, event.note = "malformed", True, "the reply was not the JSON asked for"
        return Generation(
            "offline",
            insights,
            f"{config.provider} gave an unreadable answer; showing Pulseboard's own wording.",
        ), event
    used = 0
    for insight in insights:
        written = reply.texts.get(insight.id)
        if written is None:
            event.fallback = True
            continue
        bad = ungrounded(f"{written[0]}\n{written[1]}", known[insight.id], locale)
        if bad:
            # The provider stated a number that is not in the data: never show it.
            event.grounding_failures += 1
            event.fallback = True
            logger.warning(
                "grounding failure (%s %s): %s not in the facts of %s",
                config.provider,
                config.model,
                bad,
                insight.id,
            )
            continue
        insight.headline, insight.text = written
        used += 1
    if event.grounding_failures:
        event.outcome = "grounding_failure"
        event.note = f"{event.grounding_failures} text(s) stated numbers not in the data"
    note = None
    if used < len(insights):
        note = f"{len(insights) - used} of {len(insights)} insights use Pulseboard's own wording: the AI text was missing or stated a number not in the data."
    return Generation(config.provider if used else "offline", insights, note), event


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _record(recorder, event: AiEvent) -> None:
    if recorder is None:
        return
    try:
        recorder(event)
    except Exception:  # recording is bookkeeping; the reader still gets the insights
        logger.warning("could not record an AI call", exc_info=True)
