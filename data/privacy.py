"""One customer's data in one workspace: find it, export it, erase it (GDPR access and erasure).

A customer is named by an email address. Their rows are found in two ways:

* **Linked rows**, by identity: ``customers`` rows with that email (trimmed, any case) or its
  hash; then, until nothing new turns up, the vendor customer ids and email hashes those rows
  and the ``payments``/``subscriptions`` rows carrying any of them link to (a Stripe customer
  id found through the email leads to the payments that carry only the id, and so on). The
  ``customer_keys`` row numbering each of those keys belongs to them too.
* **Mentions** in free text: every other text column of every workspace table (descriptions,
  deal names, quarantined raw rows, run errors ...) that contains the email, one of the ids or
  hashes (6+ characters), or one of the customer's names (5+ characters), as whole words.

Erasure *pseudonymises* rather than deletes: the identifying values (email, name, email hash,
vendor customer id) become ``erased-<16 hex>``, an HMAC-like hash of the value under a salt
drawn for that erasure and never stored, so the same value gets the same pseudonym in every
table (a subscription still joins its payments, a customer keeps their number and their
rollups) while nobody can recompute it from the email. Money, dates and statuses stay, so
every revenue and customer-count metric answers as before. Everything runs in one warehouse
transaction: on any error the warehouse is exactly as it was. A second erasure of the same
email finds nothing and changes nothing.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb
import polars as pl

from data import rollups
from data.warehouse import Warehouse, WorkspaceRef

PSEUDONYM_PREFIX = "erased-"
#: hex characters of a pseudonym's hash (64 bits: no collision among a workspace's customers)
PSEUDONYM_HEX = 16
#: the longest email accepted (RFC 5321's path limit)
MAX_EMAIL = 320
#: free-text mentions are searched only for terms at least this long (a 3-character id or a
#: first name alone would match unrelated words)
MIN_ID_TERM = 6
MIN_NAME_TERM = 5
#: rounds of following ids to hashes to ids (a chain longer than this is not a plausible customer)
MAX_LINK_ROUNDS = 6
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

#: Linked rows per table: the SQL condition that selects them, and how each identifying column
#: is rewritten (``{p}`` is replaced by the pseudonym expression of the column's value).
LINKED = {
    "customers": (
        "(lower(trim(email)) IN (SELECT unnest($emails)) OR email_hash IN (SELECT unnest($keys)) "
        "OR source_id IN (SELECT unnest($keys)))",
        {
            "email": "lower(trim(email))",
            "email_hash": "email_hash",
            "source_id": "source_id",
            "name": "trim(name)",
        },
    ),
    "payments": (
        "(customer_email_hash IN (SELECT unnest($keys)) OR customer_id IN (SELECT unnest($keys)))",
        {
            "customer_id": "customer_id",
            "customer_email_hash": "customer_email_hash",
            "customer_name": "trim(customer_name)",
        },
    ),
    "subscriptions": (
        "(customer_email_hash IN (SELECT unnest($keys)) OR customer_id IN (SELECT unnest($keys)))",
        {"customer_id": "customer_id", "customer_email_hash": "customer_email_hash"},
    ),
    "customer_keys": ("customer_key IN (SELECT unnest($keys))", {"customer_key": "customer_key"}),
}
#: Tables whose rows are derived from others (rollups by customer number): exported so the
#: customer sees them, never rewritten (they hold no identifying value), rebuilt after an erasure.
DERIVED_BY_NUMBER = (
    "customer_first",
    "customer_daily",
    "customer_refunds_daily",
    "customer_weekly",
    "customer_monthly",
    "customer_monthly_dim",
    "customer_monthly_dim_totals",
)


#: Tables rebuilt from payments (data.rollups): their text (channel, product, country) is copied
#: from payments, so an erasure rewrites payments and rebuilds them rather than scanning them.
ROLLUP_TABLES = frozenset({"payments_daily", "customer_weekly_dim_counts", *DERIVED_BY_NUMBER})
#: Columns that hold codes, never free text (validated at import: ISO codes, enumerations, the
#: connector's name), so a mention cannot hide there and scanning them only costs time.
CODE_COLUMNS = frozenset({"source", "currency", "status", "kind", "interval", "platform", "country"})


class PrivacyError(ValueError):
    """A request that cannot be answered (a malformed email address)."""


@dataclass
class Subject:
    """Everything that identifies one customer in one workspace."""

    email: str
    #: vendor customer ids and email hashes linked to the email
    keys: set[str] = field(default_factory=set)
    #: other email addresses of the same customer (a changed address at the vendor)
    emails: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)

    def terms(self) -> list[str]:
        """The values searched for in free text, longest first (an email before its local part)."""
        found = {self.email, *self.emails}
        found |= {k for k in self.keys if len(k) >= MIN_ID_TERM}
        found |= {n for n in self.names if len(n) >= MIN_NAME_TERM}
        return sorted(found, key=lambda t: (-len(t), t))


@dataclass
class Found:
    """The rows about one customer: per table, a polars frame (tables without rows left out)."""

    subject: Subject
    tables: dict[str, pl.DataFrame]
    #: tables whose rows an erasure does not rewrite (rollups derived from the others)
    derived: frozenset[str] = frozenset()

    def rows_to_change(self) -> int:
        """How many rows an erasure rewrites."""
        return sum(f.height for name, f in self.tables.items() if name not in self.derived)

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {name: frame.height for name, frame in self.tables.items()}


@dataclass(frozen=True)
class Erasure:
    """What an erasure changed."""

    rows: int
    tables: dict[str, int]
    rollups_rebuilt: bool


def normalise_email(email) -> str:
    """The email trimmed and lower-cased; PrivacyError unless it looks like an address."""
    text = email.strip().lower() if isinstance(email, str) else ""
    if not text or len(text) > MAX_EMAIL or not _EMAIL_RE.match(text):
        shown = email[:80] if isinstance(email, str) else email
        raise PrivacyError(f"{shown!r} is not an email address (expected name@example.com)")
    return text


def email_hash(email: str) -> str:
    """The hash the connectors store for an address (sha256 hex of the trimmed lower-case text)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def find(warehouse: Warehouse, workspace: WorkspaceRef, email: str) -> Found:
    """Every row of ``workspace`` about the customer with ``email`` (read only)."""
    address = normalise_email(email)
    return _find(warehouse.cursor(), workspace.id, address, include_derived=True)


def erase(warehouse: Warehouse, workspace: WorkspaceRef, email: str) -> Erasure:
    """Pseudonymise the customer with ``email`` in every table of ``workspace``, in one transaction.

    Rollups of the payments touched are rebuilt and the workspace's data version is bumped (so
    cached answers are dropped). Returns the rows rewritten per table (none the second time).
    """
    from data.ingest import bump_data_version  # ingest imports much; only an erasure needs it

    address = normalise_email(email)
    salt = secrets.token_hex(16)
    with warehouse.transaction() as cur:
        found = _find(cur, workspace.id, address, include_derived=False)
        if not found.tables:
            return Erasure(rows=0, tables={}, rollups_rebuilt=False)
        payments = found.tables.get("payments")
        params = {**_params(workspace.id, found.subject), "salt": salt}
        for table, (condition, columns) in LINKED.items():
            if table not in found.tables:
                continue
            sets = ", ".join(f"{col} = {_pseudonym_sql(expr)}" for col, expr in columns.items())
            sql = f"UPDATE {table} SET {sets} WHERE workspace_id = $ws AND {condition}"
            cur.execute(sql, _used(sql, params))
        terms = found.subject.terms()
        for table, columns in _text_columns(cur).items():
            columns = [c for c in columns if c not in LINKED.get(table, ("", {}))[1]]
            if columns and table in found.tables:
                _replace_mentions(cur, workspace.id, table, columns, terms, salt)
        rebuilt = False
        if payments is not None and payments.height:
            span = (payments["created"].min(), payments["created"].max())
            rollups.refresh(cur, workspace, ["payments"], {"payments": span})
            rebuilt = True
        bump_data_version(cur, workspace)
        counts = {name: n for name, n in found.counts().items()}
        return Erasure(rows=sum(counts.values()), tables=counts, rollups_rebuilt=rebuilt)


def pseudonym(value: str, salt: str) -> str:
    """The pseudonym of ``value`` under ``salt`` (the same as the SQL of :func:`_pseudonym_sql`)."""
    return PSEUDONYM_PREFIX + hashlib.sha256((salt + value).encode()).hexdigest()[:PSEUDONYM_HEX]


# -- internals -----------------------------------------------------------------------------------


def _pseudonym_sql(expr: str) -> str:
    """SQL for the pseudonym of ``expr`` under ``$salt`` (NULL stays NULL, '' stays '')."""
    return (
        f"CASE WHEN {expr} IS NULL OR {expr} = '' THEN {expr} "
        f"ELSE '{PSEUDONYM_PREFIX}' || left(sha256($salt || {expr}), {PSEUDONYM_HEX}) END"
    )


def _find(cur: duckdb.DuckDBPyConnection, workspace_id: int, address: str, *, include_derived: bool) -> Found:
    subject = _subject(cur, workspace_id, address)
    params = _params(workspace_id, subject)
    pattern = _mention_pattern(subject.terms())
    tables: dict[str, pl.DataFrame] = {}
    text_columns = _text_columns(cur)
    for table in sorted(set(text_columns) | set(LINKED)):
        conditions = []
        if table in LINKED:
            conditions.append(LINKED[table][0])
        mention_columns = [c for c in text_columns.get(table, []) if c not in LINKED.get(table, ("", {}))[1]]
        conditions += [f"regexp_matches({_quote(c)}, $pattern)" for c in mention_columns]
        if not conditions:
            continue
        sql = f"SELECT * FROM {_quote(table)} WHERE workspace_id = $ws AND ({' OR '.join(conditions)})"
        frame = cur.execute(sql, _used(sql, {**params, "pattern": pattern})).pl()
        if frame.height:
            tables[table] = frame
    derived: set[str] = set()
    if include_derived and "customer_keys" in tables:
        numbers = tables["customer_keys"]["customer_no"].to_list()
        for table in DERIVED_BY_NUMBER:
            frame = cur.execute(
                f"SELECT * FROM {table} WHERE workspace_id = $ws AND customer_no IN (SELECT unnest($nos))",
                {"ws": workspace_id, "nos": numbers},
            ).pl()
            if frame.height:
                tables[table] = frame
                derived.add(table)
    return Found(subject, tables, frozenset(derived))


def _subject(cur: duckdb.DuckDBPyConnection, workspace_id: int, address: str) -> Subject:
    """The customer's ids, hashes, other addresses and names, following links until none is new."""
    subject = Subject(address, keys={email_hash(address)})
    for _ in range(MAX_LINK_ROUNDS):
        before = (len(subject.keys), len(subject.emails), len(subject.names))
        params = _params(workspace_id, subject)
        for source_id, hashed, email, name in cur.execute(
            f"SELECT source_id, email_hash, email, name FROM customers WHERE workspace_id = $ws "
            f"AND {LINKED['customers'][0]}",
            params,
        ).fetchall():
            subject.keys |= {k for k in (source_id, hashed) if k}
            if email and email.strip():
                subject.emails.add(email.strip().lower())
            _add_name(subject, name)
        for table, name_col in (("payments", "customer_name"), ("subscriptions", "NULL")):
            for customer_id, hashed, name in cur.execute(
                f"SELECT DISTINCT customer_id, customer_email_hash, {name_col} FROM {table} "
                f"WHERE workspace_id = $ws AND {LINKED[table][0]}",
                {k: v for k, v in params.items() if k != "emails"},
            ).fetchall():
                subject.keys |= {k for k in (customer_id, hashed) if k}
                _add_name(subject, name)
        subject.keys |= {email_hash(e) for e in subject.emails}
        if (len(subject.keys), len(subject.emails), len(subject.names)) == before:
            break
    subject.emails.discard(address)
    return subject


def _params(workspace_id: int, subject: Subject) -> dict:
    """The query parameters naming the subject: workspace, every address, every key."""
    return {
        "ws": workspace_id,
        "emails": sorted({subject.email, *subject.emails}),
        "keys": sorted(subject.keys),
    }


def _add_name(subject: Subject, name) -> None:
    if isinstance(name, str) and name.strip():
        subject.names.add(name.strip())


def _text_columns(cur: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The free-text columns of every table that has a workspace_id, per table (this database's own).

    Rollups and code columns are left out (see :data:`ROLLUP_TABLES`, :data:`CODE_COLUMNS`).
    """
    rows = cur.execute(
        """
        SELECT table_name, column_name, data_type FROM information_schema.columns
        WHERE table_catalog = current_database() AND table_schema = 'main'
          AND table_name IN (
              SELECT table_name FROM information_schema.columns
              WHERE table_catalog = current_database() AND table_schema = 'main'
                AND column_name = 'workspace_id')
        ORDER BY table_name, ordinal_position
        """
    ).fetchall()
    out: dict[str, list[str]] = {}
    for table, column, dtype in rows:
        if dtype == "VARCHAR" and table not in ROLLUP_TABLES and column not in CODE_COLUMNS:
            out.setdefault(table, []).append(column)
    return out


def _mention_pattern(terms: Iterable[str]) -> str:
    """One case-insensitive RE2 pattern matching any term as a whole word."""
    return "(?i)(" + "|".join(_term_regex(t) for t in terms) + ")"


def _term_regex(term: str) -> str:
    # \b only where the term begins or ends with a word character ("jane@x.com" ends with "m").
    start = r"\b" if re.match(r"\w", term[0]) else ""
    end = r"\b" if re.match(r"\w", term[-1]) else ""
    return start + re.sub(r"([\\.^$|?*+()\[\]{}\-])", r"\\\1", term) + end


def _replace_mentions(
    cur: duckdb.DuckDBPyConnection,
    workspace_id: int,
    table: str,
    columns: list[str],
    terms: list[str],
    salt: str,
) -> None:
    """Replace every mention of ``terms`` in ``columns`` of the workspace's rows by its pseudonym."""
    pattern = _mention_pattern(terms)
    sets = []
    for column in columns:
        expr = _quote(column)
        for term in terms:  # longest first: an email is replaced before a name inside it
            expr = (
                f"regexp_replace({expr}, '{_sql_text(_term_regex(term))}', '{pseudonym(term, salt)}', 'gi')"
            )
        sets.append(
            f"{_quote(column)} = CASE WHEN regexp_matches({_quote(column)}, $pattern) THEN {expr} "
            f"ELSE {_quote(column)} END"
        )
    where = " OR ".join(f"regexp_matches({_quote(c)}, $pattern)" for c in columns)
    cur.execute(
        f"UPDATE {_quote(table)} SET {', '.join(sets)} WHERE workspace_id = $ws AND ({where})",
        {"ws": workspace_id, "pattern": pattern},
    )


def _sql_text(text: str) -> str:
    return text.replace("'", "''")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _used(sql: str, params: dict) -> dict:
    """Only the named parameters ``sql`` mentions (DuckDB refuses the others)."""
    return {k: v for k, v in params.items() if f"${k}" in sql}
