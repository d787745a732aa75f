"""Declarative corrections of known upstream errors, applied at the tidy layer only.

``critmin/reference/corrections.csv`` columns: ``correction_id, table, source_id, match,
column, old_value, new_value, status, reason, citation_id``. ``match`` is ``key=value`` pairs
joined by ``;`` over the tidy table's columns (``source_id`` is always added). Only rows with
status ``active`` are applied; ``documented`` records a known upstream error that harmonisation
already handles without changing a value (e.g. a wrong provider country code where rows resolve by
name); ``proposed``, ``resolved_upstream`` and ``rejected`` document decisions. A correction
whose ``old_value`` no longer matches the data stops the build (the upstream file changed and
the correction must be reviewed); one that matches no row warns.
Applied corrections are listed in ``meta.corrections_applied``.
"""

from __future__ import annotations

import logging

import duckdb

from critmin.errors import BuildError, RegistryError

log = logging.getLogger(__name__)
STATUSES = ("active", "documented", "proposed", "resolved_upstream", "rejected")
_TABLES = ("production", "reserves", "trade", "governance", "supply_outlook", "eu_crm_supply")


def _parse_match(cid: str, text: str) -> list[tuple[str, str]]:
    pairs = []
    for part in (p for p in text.split(";") if p.strip()):
        key, sep, value = part.partition("=")
        if not sep or not key.strip().isidentifier():
            raise RegistryError(
                f"corrections.csv {cid}: bad match clause {part!r}; "
                f"expected key=value pairs joined by ';'"
            )
        pairs.append((key.strip(), value.strip()))
    return pairs


def apply_corrections(con: duckdb.DuckDBPyConnection) -> int:
    """Apply active corrections; return how many rows they changed in total."""
    con.execute(
        "CREATE OR REPLACE TABLE meta.corrections_applied (correction_id VARCHAR, "
        "tidy_table VARCHAR, rows_changed BIGINT, reason VARCHAR)"
    )
    rows = con.execute(
        'SELECT correction_id, "table", source_id, match, "column", old_value, '
        "new_value, status, reason FROM meta.ref_corrections"
    ).fetchall()
    changed_total = 0
    for cid, table, source_id, match, column, old, new, status, reason in rows:
        if status not in STATUSES:
            raise RegistryError(f"corrections.csv {cid}: status {status!r} not in {STATUSES}")
        if status != "active":
            continue  # documented / proposed / resolved_upstream / rejected: kept as a record
        if table not in _TABLES:
            raise RegistryError(f"corrections.csv {cid}: table {table!r} not in {_TABLES}")
        cols = {d[0] for d in con.execute(f"SELECT * FROM tidy.{table} LIMIT 0").description}
        pairs = _parse_match(cid, match or "")
        if "source_id" in cols:
            pairs.append(("source_id", source_id))
        for key, _ in [*pairs, (column, "")]:
            if key not in cols:
                raise RegistryError(f"corrections.csv {cid}: tidy.{table} has no column {key!r}")
        where = " AND ".join(f"CAST({k} AS VARCHAR) = ?" for k, _ in pairs) or "true"
        params = [v for _, v in pairs]
        found = con.execute(
            f"SELECT DISTINCT CAST({column} AS VARCHAR) FROM tidy.{table} WHERE {where}", params
        ).fetchall()
        if not found:
            log.warning(
                "correction %s matches no row of tidy.%s (%s); review it", cid, table, match
            )
            continue
        stale = [f[0] for f in found if (f[0] or "") != (old or "") and not _same_number(f[0], old)]
        if stale:
            raise BuildError(
                f"correction {cid} expects {column} = {old!r} in tidy.{table} "
                f"where {match}, found {stale}; the upstream data changed. Fix: "
                f"review the correction in critmin/reference/corrections.csv"
            )
        n = con.execute(f"SELECT count(*) FROM tidy.{table} WHERE {where}", params).fetchone()
        con.execute(f"UPDATE tidy.{table} SET {column} = ? WHERE {where}", [new, *params])
        count = int(n[0]) if n else 0
        con.execute(
            "INSERT INTO meta.corrections_applied VALUES (?, ?, ?, ?)", [cid, table, count, reason]
        )
        changed_total += count
    return changed_total


def _same_number(a: str | None, b: str | None) -> bool:
    try:
        return a is not None and b is not None and float(a) == float(b)
    except ValueError:
        return False
