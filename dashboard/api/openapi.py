"""The OpenAPI 3.0 document of ``/api/v1``, built from the metric catalogue."""

from __future__ import annotations

from data.metrics import CATALOGUE, GRAINS

_ERROR = {
    "description": "An error, with a message saying what to change.",
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
        }
    },
}
_DATE = {"type": "string", "format": "date", "example": "2026-01-31"}


def openapi_document() -> dict:
    """The API's OpenAPI document (metric names and grains enumerated from the code)."""
    row = {
        "type": "object",
        "properties": {
            "period": {"type": "string", "nullable": True},
            "value": {"type": "number", "nullable": True},
            "compare_value": {"type": "number", "nullable": True},
        },
        "additionalProperties": True,  # plus the `by` dimension's column when one is asked for
    }
    errors = {code: _ERROR for code in ("400", "401", "403", "404", "429")}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Pulseboard API",
            "version": "1",
            "description": (
                "Read-only access to one workspace's metrics. Authenticate with a personal API "
                "token: `Authorization: Bearer pbt_...` (create one with `pulseboard tokens create`)."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/api/v1/metrics": {
                "get": {
                    "operationId": "listMetrics",
                    "summary": "The metric catalogue",
                    "responses": {
                        "200": {
                            "description": "Every metric (as `pulseboard metrics --json`).",
                            "content": {
                                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}}
                            },
                        },
                        **errors,
                    },
                }
            },
            "/api/v1/metrics/{name}": {
                "get": {
                    "operationId": "getMetric",
                    "summary": "One metric for the token's workspace (as `pulseboard metric --json`)",
                    "parameters": [
                        {
                            "name": "name",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "enum": sorted(CATALOGUE)},
                        },
                        {
                            "name": "from",
                            "in": "query",
                            "schema": _DATE,
                            "description": "First day (default: 30 days before `to`).",
                        },
                        {
                            "name": "to",
                            "in": "query",
                            "schema": _DATE,
                            "description": "Last day (default: today).",
                        },
                        {"name": "grain", "in": "query", "schema": {"type": "string", "enum": list(GRAINS)}},
                        {
                            "name": "by",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "A dimension of the metric.",
                        },
                        {
                            "name": "compare",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["previous_period", "previous_year"]},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The metric's rows.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "metric": {"type": "string"},
                                            "label": {"type": "string"},
                                            "unit": {"type": "string"},
                                            "currency": {"type": "string"},
                                            "from": {"type": "string", "format": "date"},
                                            "to": {"type": "string", "format": "date"},
                                            "grain": {"type": "string"},
                                            "rows": {"type": "array", "items": row},
                                        },
                                        "required": [
                                            "metric",
                                            "label",
                                            "unit",
                                            "currency",
                                            "from",
                                            "to",
                                            "grain",
                                            "rows",
                                        ],
                                    }
                                }
                            },
                        },
                        **errors,
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": {"200": {"description": "The OpenAPI document."}, **errors},
                }
            },
        },
    }
