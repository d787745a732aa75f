"""Read-only access to a built warehouse.

Readers (the CLI's ``sql`` and ``summary``, later the API and web server) open the DuckDB file
with ``read_only=True``: DuckDB then rejects every write, so a query can never change the
warehouse. Only :mod:`critmin.build` writes, atomically.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from critmin.errors import QueryError, WarehouseMissingError


@contextlib.contextmanager
def connect(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse read-only (WarehouseMissingError if there is none)."""
    if not db.is_file():
        raise WarehouseMissingError(
            f"no warehouse at {db}. Fix: run `critmin build` (or "
            f"`make run`), or pass --db / set CRITMIN_DB"
        )
    try:
        con = duckdb.connect(str(db), read_only=True)
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
