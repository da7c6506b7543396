"""``POST /privacy/export``: one customer's data as a ZIP, for the workspace's owners.

A form post (fields ``email`` and ``csrf_token``), not a GET link: the address never lands in
a URL, a proxy log or the browser's history. The workspace is the session's, never a parameter;
a member below owner gets 403 and the refusal is audited.
"""

from __future__ import annotations

import hmac
from io import BytesIO

from flask import Flask, abort, request, send_file, session

from dashboard.auth import CSRF_SESSION_KEY, PermissionDenied, current_context
from dashboard.privacy import export_customer
from dashboard.services import current_services
from data.privacy import PrivacyError


def install(server: Flask) -> None:
    """Register the export route on ``server``."""
    server.add_url_rule("/privacy/export", "privacy_export", export, methods=["POST"])


def export():
    """The ZIP for the posted email (owners of the session's workspace only)."""
    context = current_context()  # 401 without a session, 403 without a membership
    expected = session.get(CSRF_SESSION_KEY)
    if not expected or not hmac.compare_digest(expected, request.form.get("csrf_token", "")):
        abort(400)
    try:
        result = export_customer(current_services(), context, request.form.get("email", ""))
    except PermissionDenied:
        abort(403)
    except PrivacyError as exc:
        return {"error": str(exc)}, 400
    return send_file(
        BytesIO(result.content), mimetype="application/zip", as_attachment=True, download_name=result.filename
    )
