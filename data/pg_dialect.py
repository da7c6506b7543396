"""DuckDB SQL to PostgreSQL SQL: the data layer's statements written once, transpiled here.

Every statement of the data layer (migrations, rollup refreshes, the metric layer's compiled
SQL and its hand-written fast paths) is DuckDB SQL with ``$name`` or ``?`` parameters. On a
PostgreSQL warehouse each one goes through :func:`to_postgres` the first time it runs: sqlglot
transpiles it (read="duckdb", write="postgres") and a few rewrites cover what sqlglot leaves
as DuckDB-only (each listed in :data:`REWRITES` and in docs/warehouse-postgres.md). There is
no second copy of any query.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import count

import sqlglot
from sqlglot import exp

#: what sqlglot cannot carry over and :func:`to_postgres` rewrites (documented for operators)
REWRITES = {
    "GROUP BY ALL": "PostgreSQL 15 has no GROUP BY ALL: grouped by the select list's "
    "non-aggregate expressions that read a column",
    "FROM (subquery) without alias": "PostgreSQL requires an alias: one is added",
    "arg_min_null(x, row(k1, k2 ...))": "(array_agg(x ORDER BY k1, k2 ...))[1]: DuckDB orders "
    "NULL fields of a row last, as PostgreSQL's ORDER BY does by default",
    "any_value(x)": "min(x) (any_value arrived in PostgreSQL 16)",
    "CREATE OR REPLACE TEMP TABLE t": "DROP TABLE IF EXISTS t; CREATE TEMPORARY TABLE t",
    "duckdb_columns()": "information_schema.columns of the current schema",
    "CAST(<boolean> AS BIGINT)": "CAST(CAST(<boolean> AS INT) AS BIGINT): PostgreSQL casts "
    "a boolean to int only (a boolean is a predicate or a column the warehouse declares BOOLEAN)",
    "ON CONFLICT ... SET c = c + 1": "SET c = <table>.c + 1 (a bare column there is ambiguous in PostgreSQL)",
}

# A parameter becomes this marker while sqlglot generates, so that literal % signs can be
# doubled for psycopg before the markers turn into %(name)s.
_MARK = "__pbparam_{}__"
_MARK_RE = re.compile(r"__pbparam_(\w+?)__")
# `?` outside single-quoted strings (reconcile.py selects the literal '?')
_POSITIONAL_RE = re.compile(r"'(?:[^']|'')*'|\?")


@lru_cache(maxsize=8192)
def to_postgres(sql: str, booleans: frozenset[str] = frozenset()) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``sql`` (DuckDB) as PostgreSQL statements, each with the parameter names it uses.

    ``$name`` parameters become ``%(name)s``; the i-th ``?`` becomes ``%(_p<i>)s`` (see
    :func:`bind`). One DuckDB statement may need two (a CREATE OR REPLACE of a temp table).
    ``booleans`` names the warehouse's BOOLEAN columns (for casts of them to integers).
    Cached: the data layer runs the same few hundred texts over and over.
    """
    positions = count()
    numbered = _POSITIONAL_RE.sub(lambda m: f"$_p{next(positions)}" if m.group(0) == "?" else m.group(0), sql)
    out: list[tuple[str, tuple[str, ...]]] = []
    for tree in sqlglot.parse(numbered, read="duckdb"):
        if tree is None:
            continue
        for statement in _rewrite(tree, booleans):
            out.append(_render(statement))
    return tuple(out)


def bind(names: tuple[str, ...], params) -> dict | None:
    """The psycopg parameters of one statement from DuckDB-style ``params`` (dict or sequence)."""
    if not names:
        return None
    if isinstance(params, dict):
        return {name: params[name] for name in names}
    return {name: params[int(name.removeprefix("_p"))] for name in names}


def _render(tree: exp.Expression) -> tuple[str, tuple[str, ...]]:
    names: list[str] = []

    def mark(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name:
            if node.name not in names:
                names.append(node.name)
            return exp.Var(this=_MARK.format(node.name))
        return node

    text = tree.transform(mark).sql(dialect="postgres")
    if names:  # psycopg reads % as a parameter marker only when parameters are passed
        text = _MARK_RE.sub(lambda m: f"%({m.group(1)})s", text.replace("%", "%%"))
    return text, tuple(names)


def _rewrite(tree: exp.Expression, booleans: frozenset[str] = frozenset()) -> list[exp.Expression]:
    """The DuckDB-only constructs of :data:`REWRITES` in PostgreSQL terms."""
    aliases = count()
    catalogue = []  # set when duckdb_columns() was replaced: that query needs the schema filter

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Group) and node.args.get("all"):
            return _group_by_select_list(node)
        if isinstance(node, exp.Subquery) and not node.alias and isinstance(node.parent, exp.From | exp.Join):
            node.set("alias", exp.TableAlias(this=exp.to_identifier(f"_pb_sub{next(aliases)}")))
            return node
        if isinstance(node, exp.Cast) and node.to.is_type(*_INTEGERS) and _is_boolean(node.this, booleans):
            return exp.cast(exp.cast(node.this.copy(), exp.DataType.Type.INT), node.to.copy())
        if isinstance(node, exp.IgnoreNulls) and isinstance(node.this, exp.AnyValue):
            return exp.Min(this=node.this.this)  # DuckDB's any_value skips nulls, as min does
        if isinstance(node, exp.AnyValue):
            return exp.Min(this=node.this)
        if isinstance(node, exp.Anonymous) and node.name.lower() == "arg_min_null":
            return _arg_min_null(node)
        if (
            isinstance(node, exp.Table)
            and isinstance(node.this, exp.Anonymous)
            and node.this.name.lower() == "duckdb_columns"
        ):
            catalogue.append(node)
            return exp.to_table("information_schema.columns")
        return node

    tree = tree.transform(fix)
    if isinstance(tree, exp.Insert) and tree.args.get("conflict") is not None:
        _qualify_conflict_update(tree)
    if catalogue and isinstance(tree, exp.Select):
        tree = tree.where("table_schema = current_schema()")
    if isinstance(tree, exp.Create) and tree.args.get("replace") and _is_temporary(tree):
        tree.set("replace", False)
        table = tree.this if isinstance(tree.this, exp.Table) else tree.this.find(exp.Table)
        return [exp.Drop(tables=[table.copy()], kind="TABLE", exists=True), tree]
    return [tree]


def _qualify_conflict_update(insert: exp.Insert) -> None:
    # DuckDB reads a bare column on the right of ON CONFLICT ... SET as the existing row's;
    # PostgreSQL calls it ambiguous (the existing row or EXCLUDED): name the target table.
    target = insert.this if isinstance(insert.this, exp.Table) else insert.this.find(exp.Table)
    for assignment in insert.args["conflict"].expressions:
        value = assignment.expression
        for column in [value] if isinstance(value, exp.Column) else list(value.find_all(exp.Column)):
            if not column.table:
                column.set("table", exp.to_identifier(target.name))


_INTEGERS = (exp.DataType.Type.BIGINT, exp.DataType.Type.SMALLINT, exp.DataType.Type.TINYINT)


def _is_boolean(node: exp.Expression, booleans: frozenset[str]) -> bool:
    if isinstance(node, exp.Paren):
        return _is_boolean(node.this, booleans)
    if isinstance(node, exp.Column):
        return node.name in booleans
    return isinstance(node, exp.Predicate | exp.Not | exp.Connector | exp.Boolean)


def _is_temporary(create: exp.Create) -> bool:
    properties = create.args.get("properties")
    return bool(properties) and any(isinstance(p, exp.TemporaryProperty) for p in properties.expressions)


def _group_by_select_list(group: exp.Group) -> exp.Group:
    select = group.parent
    keys = [
        projection.unalias().copy()
        for projection in select.expressions
        if projection.find(exp.Column) is not None
        and projection.find(exp.AggFunc) is None
        and projection.find(exp.Window) is None
    ]
    return exp.Group(expressions=keys)


def _arg_min_null(node: exp.Anonymous) -> exp.Expression:
    value, key = node.expressions
    fields = key.expressions if isinstance(key, exp.Anonymous | exp.Struct | exp.Tuple) else [key]
    keys = ", ".join(f"{f.sql(dialect='postgres')} NULLS LAST" for f in fields)
    return sqlglot.parse_one(
        f"(ARRAY_AGG({value.sql(dialect='postgres')} ORDER BY {keys}))[1]", read="postgres"
    )
