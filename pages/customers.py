"""Customers: who buys and who is at risk — active/new/returning, RFM, geography, pipeline, lead scoring.

The page is defined once, by ``callbacks.customers.SPEC``: its panels, their titles and rows, and the
callbacks that fill them.
"""

import dash

import callbacks.customers as spec_module
from callbacks._analytics import prefill
from components.analytics import analytics_page

dash.register_page(__name__, path="/customers", title="Customers · Pulseboard", name="Customers", order=3)


def layout(**kwargs):
    """The customers page for the filters in the query string."""
    # read at call time: building an app re-imports the callback modules (app._register_callbacks)
    # what the cache already holds is rendered now: a revisit needs no callback round trip
    return analytics_page(spec_module.SPEC, kwargs, prefill(spec_module.SPEC, kwargs, "/customers"))
