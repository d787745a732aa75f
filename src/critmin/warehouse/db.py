"""Read-only access to a built warehouse.

Readers (the CLI's ``sql`` and ``summary``, the API and web server) open the DuckDB file with
``read_only=True`` *and* :data:`SANDBOX`: no file system or network access beyond the database
file (so no ``ATTACH`` of another file, no ``COPY``/``EXPORT``, no ``read_csv('/etc/passwd')``),
no extension install or load, and the configuration locked so no ``SET`` can undo it. A query
can therefore neither change the warehouse nor reach anything else. ``critmin sql`` also
refuses, before running anything, every statement that is not a ``SELECT`` or ``EXPLAIN``
(:func:`check_read_only`). Only :mod:`critmin.warehouse.build` writes, atomically.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from critmin.errors import QueryError, WarehouseMissingError

# DuckDB settings of every reader connection ("Securing DuckDB" in DuckDB's manual), applied
# with SET in this order: lock_configuration last, so that no query can change them back.
SANDBOX: dict[str, bool] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,
}
ALLOWED_STATEMENTS = ("SELECT", "EXPLAIN")


def _locked(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT current_setting('lock_configuration')").fetchone()
    return bool(row and row[0])


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the DuckDB file ``path`` inside :data:`SANDBOX`.

    The settings are applied with ``SET`` rather than ``config=`` because they are
    database-wide: every connection this process has to the same file shares them (so a plain
    read-only connection opened elsewhere in the process does not conflict, and is sandboxed
    too), and they last until the last connection to the file closes.
    """
    con = duckdb.connect(str(path), read_only=True)
    try:
        if not _locked(con):
            for name, value in SANDBOX.items():
                con.execute(f"SET {name} = {'true' if value else 'false'}")
    except duckdb.Error:
        if not _locked(con):  # not another thread having locked it first
            con.close()
            raise
    except BaseException:
        con.close()
        raise
    return con


def check_read_only(sql: str) -> None:
    """Raise QueryError unless every statement of ``sql`` is a SELECT or an EXPLAIN."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise QueryError(f"query failed: {first}") from exc
    for st in statements:
        kind = st.type.name
        if kind not in ALLOWED_STATEMENTS:
            words = " ".join(st.query.split())
            words = words if len(words) <= 60 else words[:59] + "…"
            raise QueryError(
                f"refused: {kind} statement ({words!r}); critmin sql runs read-only "
                f"{' and '.join(ALLOWED_STATEMENTS)} statements on the warehouse only, with "
                "no file, network, ATTACH, COPY, EXPORT, INSTALL/LOAD or SET. Fix: query the "
                "warehouse's tables with SELECT (e.g. SELECT * FROM tidy.trade LIMIT 5)"
            )


@contextlib.contextmanager
def connect(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse read-only (WarehouseMissingError if there is none)."""
    if not db.is_file():
        raise WarehouseMissingError(
            f"no warehouse at {db}. Fix: run `critmin build` (or "
            f"`make run`), or pass --db / set CRITMIN_DB"
        )
    try:
        con = open_read_only(db)
    except duckdb.Error as exc:
        raise WarehouseMissingError(f"cannot open warehouse {db}: {exc}") from exc
    try:
        yield con
    finally:
        con.close()


@dataclass(frozen=True)
class QueryResult:
    """Column names and rows of a query."""

    columns: list[str]
    rows: list[tuple[object, ...]]


def query(db: Path, sql: str, *, limit: int | None = None) -> QueryResult:
    """Run one read-only SQL statement; errors become QueryError with DuckDB's message."""
    if not sql.strip():
        raise QueryError(
            "empty query. Fix: pass a SELECT statement, e.g. "
            'critmin sql "SELECT count(*) FROM tidy.trade"'
        )
    check_read_only(sql)
    with connect(db) as con:
        try:
            rel = con.execute(sql)
            if rel.description is None:
                return QueryResult([], [])
            columns = [d[0] for d in rel.description]
            rows = rel.fetchmany(limit) if limit is not None else rel.fetchall()
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0]
            if "read-only" in first.lower():
                raise QueryError(
                    f"the warehouse is read-only here: {first}. Fix: data change "
                    f"through the sources and `critmin build`"
                ) from exc
            if isinstance(exc, duckdb.PermissionException) or "locked" in first:
                raise QueryError(
                    f"refused: {first}. critmin sql reads the warehouse only (no files, "
                    "network, extensions or settings). Fix: query the warehouse's tables"
                ) from exc
            raise QueryError(f"query failed: {first}") from exc
    return QueryResult(columns, rows)


@dataclass(frozen=True)
class Summary:
    """Tables with row counts, sources, and the last build."""

    tables: list[tuple[str, str, int]]
    sources: list[tuple[str, str, str]]
    last_build: tuple[object, ...] | None


def summary(db: Path) -> Summary:
    """Row counts of every meta/staging/tidy table, the sources and the last build run."""
    with connect(db) as con:
        names = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('meta', 'staging', 'tidy') AND "
            "table_type = 'BASE TABLE' ORDER BY 1, 2"
        ).fetchall()
        tables = []
        for schema, name in names:
            row = con.execute(f'SELECT count(*) FROM {schema}."{name}"').fetchone()
            tables.append((str(schema), str(name), int(row[0]) if row else 0))
        sources = [
            (str(a), str(b), str(c))
            for a, b, c in con.execute(
                "SELECT id, title, licence FROM meta.sources ORDER BY id"
            ).fetchall()
        ]
        last = con.execute(
            "SELECT finished_at, input_hash, seconds, critmin_version FROM "
            "meta.build_runs WHERE status = 'ok' ORDER BY finished_at DESC "
            "LIMIT 1"
        ).fetchone()
    return Summary(tables, sources, last)
