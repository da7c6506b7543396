"""Shape checks on Dash callback requests before Dash reads them.

Dash trusts the browser to send well-formed ``/_dash-update-component`` bodies; a hand-made
one (``{}``, a number where the URL's ``search`` string belongs ...) makes Dash's own code
raise and answer 500. This check refuses such bodies with a 400 and a message first. It only
checks the envelope and the URL properties Dash's page router parses; our callbacks validate
their own inputs.
"""

from __future__ import annotations

from flask import jsonify, request

UPDATE_PATH = "/_dash-update-component"
#: dcc.Location properties Dash's page router parses as strings.
URL_PROPS = frozenset({"pathname", "search", "hash", "href"})


def check_update_request():
    """A 400 response for a malformed callback request, else None (Flask before_request hook)."""
    if request.path != UPDATE_PATH or request.method != "POST":
        return None
    body = request.get_json(silent=True)
    problem = envelope_problem(body)
    if problem:
        return jsonify(error=f"malformed callback request: {problem}"), 400
    return None


def envelope_problem(body) -> str | None:
    """What is wrong with a callback request body, or None when its shape is usable."""
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    if not isinstance(body.get("output"), str) or "outputs" not in body:
        return "output/outputs missing"
    for section in ("inputs", "state"):
        items = body.get(section, [])
        if not isinstance(items, list):
            return f"{section} is not a list"
        for item in _flatten(items):
            if not isinstance(item, dict) or "id" not in item or not isinstance(item.get("property"), str):
                return f"an entry of {section} has no id/property"
            if item["property"] in URL_PROPS and not isinstance(item.get("value"), str | None):
                return f"{item['property']} must be a string"
    return None


def _flatten(items: list):
    for item in items:
        if isinstance(item, list):  # pattern-matching ALL inputs: a list per dependency
            yield from item
        else:
            yield item
