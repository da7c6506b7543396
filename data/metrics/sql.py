"""SQL fragments shared by the metric layer and the analytics built on it."""

from __future__ import annotations

import re
from datetime import date, datetime

#: How a missing dimension value is shown and filtered ("(none)" matches missing ones).
NONE_LABEL = "(none)"
#: What a person reads for a missing dimension value (a row whose country is not known).
UNKNOWN_LABEL = "Unknown"


def value_text(value: object) -> str:
    """A dimension value as a person reads it: ``Unknown`` for the none bucket, else the value.

    The one place the none bucket's words are chosen: the pages' charts, filters and chips, the
    reports' split tables and the insights all read "Unknown" for the rows that ``(none)``
    filters on (a manager comparing a report with a page sees one name for them).
    """
    return UNKNOWN_LABEL if value is None or value == NONE_LABEL else str(value)


def dimension_sql(
    where: dict[str, str] | None, columns: dict[str, str], prefix: str = "dim"
) -> tuple[str, dict]:
    """`` AND ...`` SQL conditions keeping rows whose dimension columns equal ``where``'s values.

    ``columns`` maps a dimension to its column (keys it lacks are ignored); the value ``(none)``
    matches missing ones, as in :func:`query_metric`. Returns the SQL and its parameters
    (``$<prefix>0``, ``$<prefix>1``...).
    """
    sql, params = "", {}
    for i, (key, value) in enumerate(sorted((where or {}).items())):
        if key in columns:
            sql += f" AND COALESCE(CAST({columns[key]} AS VARCHAR), '{NONE_LABEL}') = ${prefix}{i}"
            params[f"{prefix}{i}"] = str(value)
    return sql, params


def sql_literal(value) -> str:
    """``value`` as a DuckDB literal (for showing a statement with its parameters filled in)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def inline_params(sql: str, params: dict) -> str:
    """``sql`` with each ``$name`` parameter replaced by its literal value (unknown names kept)."""
    return re.sub(
        r"\$([A-Za-z_]\w*)",
        lambda m: sql_literal(params[m.group(1)]) if m.group(1) in params else m.group(0),
        sql,
    )
