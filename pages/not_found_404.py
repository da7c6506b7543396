"""Page not found: what happened and a link to every page, instead of Dash's bare "404".

Dash's router shows the page of the module named ``not_found_404`` for an address that is not
one of the pages.
"""

import dash
from dash import dcc, html

from components.shell import nav_pages, page_header

dash.register_page(
    __name__, path="/not-found", title="Page not found · Pulseboard", name="Page not found", nav=False
)


def layout(**kwargs):
    """The heading, a line on what to do, and a link to each page of the navbar."""
    return html.Div(
        [
            page_header("Page not found", "There is no page at this address."),
            html.P(
                "The link may be old or mistyped. These are the pages:",
                className="mt-3 mb-2",
            ),
            html.Ul(
                [html.Li(dcc.Link(p["name"], href=p["relative_path"])) for p in nav_pages()],
                className="mb-0",
            ),
        ]
    )
