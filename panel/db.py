"""Database helpers Django lacks: bulk writes, and prepared statements for the hot paths."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


@contextmanager
def prepared_cursor() -> Iterator[CursorWrapper]:
    """A cursor for the few statements every request runs (placing an order, the API's key
    lookup and status): on PostgreSQL it binds parameters on the server, so psycopg prepares a
    statement once it has seen it `prepare_threshold` times on the connection (settings) and
    PostgreSQL stops parsing and planning it on every call. The placement statement costs
    about half the server time prepared (docs/benchmarks.md).

    Django's own cursors bind on the client and never prepare. This one is still wrapped by
    Django: queries are logged and counted, errors become django.db errors, and the health
    check and thread checks run as for any cursor. Elsewhere (SQLite) it is a plain cursor.

    What breaks it: a pooler that hands a session's statements to another server connection.
    PgBouncer in transaction mode supports prepared statements from version 1.21 on, with
    `max_prepared_statements` set; with an older one, or any other such pooler, set
    DB_PREPARE_THRESHOLD=off (settings): the statements then bind on the server unprepared.
    tests/panel/test_db_prepared.py checks that they are prepared, and that off means off.
    """
    db = connections[DEFAULT_DB_ALIAS]  # once: each attribute of `connection` is a lookup
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            yield cursor
        return
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_thread_sharing()
    raw = psycopg.Cursor(db.connection)  # server-side binding, unlike Django's
    wrapped = _PreparedDebugWrapper(raw, db) if db.queries_logged else CursorWrapper(raw, db)
    with wrapped as cursor:
        yield cursor


class _PreparedDebugWrapper(CursorDebugWrapper):
    """Logs the statement as written: psycopg has no query text to report for a statement it
    ran by its prepared name, which Django's wrapper would log as None."""

    def execute(self, sql, params=None):
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)


def bulk_update_values(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]
) -> int:
    """Set `fields` on many rows of `model` from (pk, value, value, ...) tuples.

    One `WITH v AS (VALUES …) UPDATE … FROM v` per chunk: Django's bulk_update builds a
    CASE per column and row, about seven times slower on large batches (docs/benchmarks.md).
    Returns the number of rows updated.
    """
    if not rows:
        return 0
    meta = model._meta
    columns = [meta.pk.column] + [meta.get_field(name).column for name in fields]
    qn = connection.ops.quote_name
    is_postgres = connection.vendor == "postgresql"

    def value(name: str, column: str) -> str:
        if not is_postgres:
            return f"v.{qn(column)}"
        # VALUES literals carry no column types on PostgreSQL: cast to the column's type.
        return f"CAST(v.{qn(column)} AS {meta.get_field(name).db_type(connection)})"

    assignments = ", ".join(
        f"{qn(column)} = {value(name, column)}"
        for name, column in zip(fields, columns[1:], strict=True)
    )
    pk_match = f"{qn(meta.db_table)}.{qn(meta.pk.column)} = {value(meta.pk.name, meta.pk.column)}"
    # SQLite caps the parameters of a statement; PostgreSQL (client-side binding) does not.
    max_params = connection.features.max_query_params
    chunk = max(1, max_params // len(columns)) if max_params else len(rows)
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
            # Identifiers come from the model's meta, values are parameters.
            names = ", ".join(qn(c) for c in columns)
            values = ", ".join([placeholder] * len(part))
            table = qn(meta.db_table)
            sql = f"WITH v ({names}) AS (VALUES {values}) UPDATE {table} SET {assignments} FROM v WHERE {pk_match}"  # noqa: S608
            cursor.execute(sql, [item for row in part for item in row])
            updated += cursor.rowcount
    return updated
