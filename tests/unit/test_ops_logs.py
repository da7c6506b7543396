"""Log lines: one JSON object each (when asked), carrying the id of the request they belong to."""

from __future__ import annotations

import io
import json
import logging

import pytest

from dashboard.ops import readiness
from dashboard.ops.logs import REQUEST_ID, JsonFormatter, configure_logging, make_handler


@pytest.fixture
def json_lines():
    """A JSON handler on the root logger; yields a function returning the lines logged so far."""
    stream = io.StringIO()
    handler = make_handler("json", stream)
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("pulseboard", "dashboard")}
    root.addHandler(handler)
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_log001_json_formatter_writes_one_object_per_line_with_extras_and_traceback():
    record = logging.makeLogRecord(
        {
            "name": "pulseboard.x",
            "levelname": "ERROR",
            "levelno": 40,
            "msg": "import of %s\nfailed",
            "args": ("a",),
        }
    )
    record.rows = 12
    record.where = {"not": "json-native"}
    try:
        raise ValueError("bad row 7")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    token = REQUEST_ID.set("req-1")
    try:
        line = JsonFormatter().format(record)
    finally:
        REQUEST_ID.reset(token)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "pulseboard.x"
    assert entry["message"] == "import of a\nfailed"
    assert entry["request_id"] == "req-1"
    assert entry["rows"] == 12 and entry["where"] == "{'not': 'json-native'}"
    assert "ValueError: bad row 7" in entry["exc_info"]
    assert entry["time"].endswith("+00:00")


def test_log002_every_line_of_a_request_carries_its_id(client, json_lines, monkeypatch):
    def down(_services):
        raise OSError("the disk went away")

    # A failing readiness check logs a warning from inside the request: it must carry the id too.
    monkeypatch.setitem(readiness.CHECKS, "warehouse", down)
    response = client.get("/readyz", headers={"X-Request-ID": "probe-0001"})
    assert response.status_code == 503 and response.headers["X-Request-ID"] == "probe-0001"
    mine = [line for line in json_lines() if line["request_id"] == "probe-0001"]
    loggers = {line["logger"] for line in mine}
    assert {"pulseboard.readiness", "pulseboard.access"} <= loggers
    access = next(line for line in mine if line["logger"] == "pulseboard.access")
    assert (access["method"], access["path"], access["route"], access["status"]) == (
        "GET",
        "/readyz",
        "/readyz",
        503,
    )
    client.get("/login?next=/revenue&secret=abc")
    later = [
        line for line in json_lines() if line["logger"] == "pulseboard.access" and line["path"] == "/login"
    ]
    assert later and later[-1]["request_id"] not in ("probe-0001", "-", None)
    assert "secret=abc" not in json.dumps(later)  # query strings are never logged
    assert REQUEST_ID.get() is None  # nothing leaks into the next request on this thread


def test_log003_a_job_keeps_the_request_id_that_started_it():
    from dashboard import jobs

    seen = []
    token = REQUEST_ID.set("req-job-9")
    try:
        job = jobs.REGISTRY.start(
            lambda job: seen.append(REQUEST_ID.get()), workspace_id=1, user_id=1, kind="upload", label="x"
        )
    finally:
        REQUEST_ID.reset(token)
    assert jobs.REGISTRY.wait(job)
    assert seen == ["req-job-9"]


def test_log004_configure_logging_twice_keeps_one_handler(settings):
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        stream = io.StringIO()
        configure_logging(settings.model_copy(update={"log_format": "json"}), stream)
        configure_logging(settings.model_copy(update={"log_format": "json"}), stream)
        added = [h for h in root.handlers if h not in before]
        assert len(added) == 1
        logging.getLogger("dashboard.jobs").info("hello")
        logging.getLogger("httpx").info("HTTP Request: noisy")  # other libraries: warnings only
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
        assert [(line["logger"], line["message"], line["request_id"]) for line in lines] == [
            ("dashboard.jobs", "hello", "-")
        ]
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)
        root.setLevel(level)


def test_log005_text_format_is_readable_and_names_the_request(settings):
    stream = io.StringIO()
    handler = make_handler("text", stream)
    logger = logging.getLogger("pulseboard.test-text")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    token = REQUEST_ID.set("abc123")
    try:
        logger.info("imported %d rows", 5)
    finally:
        REQUEST_ID.reset(token)
        logger.removeHandler(handler)
    assert stream.getvalue().rstrip().endswith("INFO pulseboard.test-text [abc123] imported 5 rows")


def test_log006_bad_log_settings_are_refused_with_the_accepted_values(settings):
    from pydantic import ValidationError

    from dashboard.settings import Settings

    with pytest.raises(ValidationError, match="accepted: text, json"):
        Settings(data_dir=settings.data_dir, log_format="xml")
    with pytest.raises(ValidationError, match="accepted: DEBUG, INFO"):
        Settings(data_dir=settings.data_dir, log_level="loud")
    assert Settings(data_dir=settings.data_dir, log_format="JSON", log_level="debug").log_format == "json"


def test_log007_a_job_started_in_a_request_does_not_hold_on_to_that_request(app):
    import flask

    from dashboard import jobs

    seen = {}

    def work(job):
        seen["request_id"] = REQUEST_ID.get()
        seen["has_request"] = flask.has_request_context()

    with app.server.test_request_context("/"):
        token = REQUEST_ID.set("req-in-flask")
        try:
            job = jobs.REGISTRY.start(work, workspace_id=1, user_id=1, kind="upload", label="x")
        finally:
            REQUEST_ID.reset(token)
    assert jobs.REGISTRY.wait(job)
    assert seen == {"request_id": "req-in-flask", "has_request": False}
