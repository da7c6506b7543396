"""Settings → Reports: the logo on the cover of PDF reports — a preview and the owner's controls (pure)."""

from __future__ import annotations

import base64

import dash
from dash import dcc, html

from components import ids


def logo_preview(png: bytes | None, workspace: str) -> html.Div:
    """The cover's brand as the PDF draws it: the workspace's logo, or the Pulseboard mark.

    On a white box whatever the theme: the PDF is printed on white, so that is what to judge.
    """
    if png:
        image = html.Img(
            src="data:image/png;base64," + base64.b64encode(png).decode("ascii"),
            alt=f"The report logo of {workspace}",
            className="pb-logo-image",
        )
        caption = "Shown on the cover of this workspace's PDF reports."
    else:
        image = html.Div(
            [
                html.Img(src=dash.get_asset_url("logo.svg"), height="28", alt="", className="me-2"),
                html.Span("Pulseboard", className="fw-semibold"),
            ],
            className="d-flex align-items-center",
        )
        caption = "No logo yet: PDF covers show the Pulseboard mark."
    return html.Div(
        [
            html.Div(image, className="pb-logo-box border rounded-2 p-2 d-inline-flex align-items-center"),
            html.Div(
                caption, className="small text-body-secondary mt-1", id=f"{ids.SETTINGS_LOGO_PREVIEW}-caption"
            ),
        ]
    )


def logo_controls(has_logo: bool) -> html.Div:
    """The owner's "Upload a logo" (a real button: keyboard and screen readers reach it) and "Remove".

    The button sits inside ``dcc.Upload``, whose click opens the file dialog; dropping a file on
    it works too. Both controls always exist for owners (Remove is disabled without a logo), so
    the callback never waits on a component that is missing.
    """
    return html.Div(
        [
            html.Div(
                [
                    dcc.Upload(
                        html.Button(
                            [
                                html.I(className="bi bi-upload me-2", **{"aria-hidden": "true"}),
                                "Upload a logo…",
                            ],
                            type="button",
                            className="btn btn-outline-primary",
                            id=f"{ids.SETTINGS_LOGO_UPLOAD}-button",
                            **{"aria-describedby": f"{ids.SETTINGS_LOGO_UPLOAD}-help"},
                        ),
                        id=ids.logo_control(ids.SETTINGS_LOGO_UPLOAD),
                        # No ``accept`` filter: the browser would drop an SVG or a PDF silently;
                        # the server reads every file and says why it refuses one.
                        multiple=False,
                        className="d-inline-block",
                    ),
                    html.Button(
                        [html.I(className="bi bi-trash me-2", **{"aria-hidden": "true"}), "Remove"],
                        id=ids.logo_control(ids.SETTINGS_LOGO_REMOVE),
                        n_clicks=0,
                        type="button",
                        disabled=not has_logo,
                        className="btn btn-outline-danger pb-logo-remove",
                        title="Take the logo off the PDF covers (the Pulseboard mark comes back)",
                    ),
                ],
                className="d-flex flex-wrap gap-2",
            ),
            html.Div(
                "PNG or JPEG, up to 2 MB. Drawn at most 60 x 16 mm on the cover: a wide logo on a "
                "transparent or white background reads best.",
                className="small text-body-secondary mt-2",
                id=f"{ids.SETTINGS_LOGO_UPLOAD}-help",
            ),
        ],
        className="mt-3",
    )


def logo_note(role: str) -> html.Div:
    """What non-owners see under the preview."""
    article = "an" if role[:1] in "aeiou" else "a"
    return html.Div(
        [
            html.I(className="bi bi-lock me-2", **{"aria-hidden": "true"}),
            f"Only owners can change the report logo; you are {article} {role}.",
        ],
        className="small text-body-secondary mt-3",
        id=f"{ids.SETTINGS_LOGO}-readonly",
    )


def logo_panel(png: bytes | None, workspace: str, *, can_edit: bool, role: str) -> list:
    """The section's body: the preview, then the controls (owners) or a note (everyone else)."""
    preview = html.Div(logo_preview(png, workspace), id=ids.SETTINGS_LOGO_PREVIEW)
    return [preview, logo_controls(png is not None) if can_edit else logo_note(role)]
