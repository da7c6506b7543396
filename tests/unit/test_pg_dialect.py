"""DuckDB SQL transpiled for a PostgreSQL warehouse (data/pg_dialect.py): no server needed."""

from __future__ import annotations

import pytest

from data.pg_dialect import bind, to_postgres
from data.warehouse import MIGRATIONS_DIR, _split_sql


def one(sql: str, booleans=frozenset()) -> str:
    ((text, _),) = to_postgres(sql, frozenset(booleans))
    return text


def test_pgd001_named_and_positional_parameters():
    statements = to_postgres(
        "SELECT a FROM t WHERE workspace_id = $ws AND b = $ws AND c IN (SELECT unnest($ids))"
    )
    assert statements == (
        (
            "SELECT a FROM t WHERE workspace_id = %(ws)s AND b = %(ws)s AND c IN (SELECT UNNEST(%(ids)s))",
            ("ws", "ids"),
        ),
    )
    ((text, names),) = to_postgres("SELECT coalesce(currency, '?') FROM t WHERE a = ? AND b = ?")
    assert text == "SELECT COALESCE(currency, '?') FROM t WHERE a = %(_p0)s AND b = %(_p1)s"
    assert bind(names, [7, "x"]) == {"_p0": 7, "_p1": "x"}
    assert bind(("ws",), {"ws": 1, "unused": 2}) == {"ws": 1}
    assert bind((), {"ws": 1}) is None


def test_pgd002_percent_signs_doubled_only_with_parameters():
    assert one("SELECT 'a%' AS p, x FROM t WHERE y = $ws") == "SELECT 'a%%' AS p, x FROM t WHERE y = %(ws)s"
    assert one("SELECT 'a%' AS p FROM t") == "SELECT 'a%' AS p FROM t"


def test_pgd003_group_by_all_lists_the_non_aggregate_columns():
    sql = one(
        "SELECT workspace_id, 'channel' AS dim, CAST(date_trunc('month', day) AS DATE) AS month, "
        "count(*), sum(gross) FROM customer_daily GROUP BY ALL"
    )
    assert sql.endswith("GROUP BY workspace_id, CAST(DATE_TRUNC('MONTH', day) AS DATE)")


def test_pgd004_subqueries_get_aliases_and_arg_min_null_becomes_array_agg():
    sql = one("SELECT count(*) FROM (SELECT a FROM t UNION ALL SELECT a FROM u) GROUP BY a")
    assert "AS _pb_sub0" in sql
    sql = one("SELECT arg_min_null(channel, row(day, channel, product)) FROM customer_daily GROUP BY x")
    assert "(ARRAY_AGG(channel ORDER BY day, channel, product))[1]" in sql


def test_pgd005_temp_table_replace_and_duckdb_catalogue():
    statements = [text for text, _ in to_postgres("CREATE OR REPLACE TEMP TABLE _t (n INTEGER)")]
    assert statements == ["DROP TABLE IF EXISTS _t", "CREATE TEMPORARY TABLE _t (n INT)"]
    sql = one("SELECT column_name FROM duckdb_columns() WHERE table_name = $table")
    assert "FROM information_schema.columns" in sql and "table_schema = CURRENT_SCHEMA" in sql


def test_pgd006_boolean_to_integer_goes_through_int():
    sql = one(
        'SELECT sum(CAST("t"."won" AS BIGINT)), sum(CAST(x IS NOT NULL AS BIGINT)), CAST(n AS BIGINT) FROM t',
        {"won"},
    )
    assert 'CAST(CAST("t"."won" AS INT) AS BIGINT)' in sql
    assert "CAST(CAST(NOT x IS NULL AS INT) AS BIGINT)" in sql
    assert "CAST(n AS BIGINT)" in sql  # not a boolean: left alone


@pytest.mark.parametrize("path", sorted(MIGRATIONS_DIR.glob("*.sql")), ids=lambda p: p.stem)
def test_pgd007_every_migration_transpiles(path):
    for statement in _split_sql(path.read_text()):
        for text, _ in to_postgres(statement):
            assert "GROUP BY ALL" not in text
            assert " DOUBLE," not in text and " DOUBLE)" not in text
