"""Revenue: where the money came from — trend, MRR movements, splits, cohorts, top customers.

The page is defined once, by ``callbacks.revenue.SPEC``: its panels, their titles and rows, and the
callbacks that fill them.
"""

import dash

import callbacks.revenue as spec_module
from callbacks._analytics import prefill
from components.analytics import analytics_page

dash.register_page(__name__, path="/revenue", title="Revenue · Pulseboard", name="Revenue", order=1)


def layout(**kwargs):
    """The revenue page for the filters in the query string."""
    # read at call time: building an app re-imports the callback modules (app._register_callbacks)
    # what the cache already holds is rendered now: a revisit needs no callback round trip
    return analytics_page(spec_module.SPEC, kwargs, prefill(spec_module.SPEC, kwargs, "/revenue"))
