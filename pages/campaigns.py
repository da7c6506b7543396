"""Campaigns: which campaigns paid for themselves — ad KPIs, splits, grid, email, web, funnel, CAC.

The page is defined once, by ``callbacks.campaigns.SPEC``: its panels, their titles and rows, and the
callbacks that fill them.
"""

import dash

import callbacks.campaigns as spec_module
from callbacks._analytics import prefill
from components.analytics import analytics_page

dash.register_page(__name__, path="/campaigns", title="Campaigns · Pulseboard", name="Campaigns", order=2)


def layout(**kwargs):
    """The campaigns page for the filters in the query string."""
    # read at call time: building an app re-imports the callback modules (app._register_callbacks)
    # what the cache already holds is rendered now: a revisit needs no callback round trip
    return analytics_page(spec_module.SPEC, kwargs, prefill(spec_module.SPEC, kwargs, "/campaigns"))
