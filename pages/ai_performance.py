"""AI performance: how the workspace's own AI does, and AI-written content against human-written.

Generations, latency, cost, failures and feedback of the insights; CTR and conversion rate of
content tagged as AI-generated vs the rest.
"""

import dash
from dash import dcc, html

from callbacks.reports import report_links
from components import ids
from components.filter_bar import filter_bar, state_from_query
from components.shell import page_header

dash.register_page(
    __name__, path="/ai-performance", title="AI performance · Pulseboard", name="AI performance", order=5
)


def layout(**kwargs):
    """The page for the filters in the query string; callbacks.insights fills the body."""
    state = state_from_query(kwargs)
    return html.Div(
        [
            page_header("AI performance", "Your insights' AI: speed, cost, reliability and usefulness."),
            filter_bar(state, report_links("/ai-performance", kwargs)),
            dcc.Loading(html.Div(id=ids.AI_PERF_BODY, className="pb-ai-perf"), type="dot", delay_show=300),
        ]
    )
