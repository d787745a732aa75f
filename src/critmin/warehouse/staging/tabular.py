"""Staging for the delimited-text sources: BGS World Mineral Statistics, EU CRM 2023, WGI.

Files are read by DuckDB's CSV reader with every column as text, so nothing is coerced behind
the provider's back; numbers are parsed in SQL and unparseable values stop the build.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import duckdb

from critmin.errors import BuildError
from critmin.warehouse.staging import Snapshot, require_parsed


def _csv(path: Path, delim: str) -> str:
    p = str(path).replace("'", "''")
    return (
        f"read_csv('{p}', delim='{delim}', header=true, all_varchar=true, quote='\"', "
        f"strict_mode=false, null_padding=false)"
    )


def _columns(con: duckdb.DuckDBPyConnection, path: Path, delim: str) -> list[str]:
    return [d[0] for d in con.execute(f"SELECT * FROM {_csv(path, delim)} LIMIT 0").description]


def _expect_columns(
    con: duckdb.DuckDBPyConnection, snap: Snapshot, delim: str, expected: list[str]
) -> None:
    got = _columns(con, snap.path, delim)
    if got != expected:
        raise BuildError(
            f"{snap.snapshot_id}: expected columns {expected}, found {got}. Fix: "
            f"the file is not in the provider's documented format"
        )


def load_bgs(con: duckdb.DuckDBPyConnection, files: Mapping[str, Snapshot]) -> list[str]:
    """BGS WMS: ``Country;commodity_code;commodity_desc;Sub-commodity;year;value`` (tonnes)."""
    cols = ["Country", "commodity_code", "commodity_desc", "Sub-commodity", "year", "value"]
    parts = []
    for name, snap in sorted(files.items()):
        if not name.endswith(".csv"):
            continue
        _expect_columns(con, snap, ";", cols)
        sid = snap.snapshot_id.replace("'", "''")
        stem = Path(name).stem.replace("'", "''")
        parts.append(
            f"SELECT '{stem}' AS file, trim(Country) AS country, commodity_code, commodity_desc, "
            f"coalesce(trim(\"Sub-commodity\"), '') AS sub_commodity, year AS year_raw, "
            f"TRY_CAST(year AS INTEGER) AS year, value AS value_raw, "
            f"TRY_CAST(value AS DOUBLE) AS value, '{sid}' AS snapshot_id "
            f"FROM {_csv(snap.path, ';')}"
        )
    if not parts:
        raise BuildError("bgs_wms source has no CSV files")
    con.execute("CREATE OR REPLACE TABLE staging.bgs_wms AS " + " UNION ALL ".join(parts))
    require_parsed(con, "staging.bgs_wms", "year_raw", "year", label="BGS year")
    require_parsed(con, "staging.bgs_wms", "value_raw", "value", label="BGS value")
    return ["staging.bgs_wms"]


def _share_sql(col: str) -> str:
    """Parse '4%', '0.4%', '<0.1%' into a fraction; the qualifier is kept separately."""
    num = f"TRY_CAST(regexp_extract({col}, '([0-9]+(\\.[0-9]+)?)', 1) AS DOUBLE) / 100"
    return (
        f"CASE WHEN regexp_matches(trim({col}), '^[<>]?\\s*[0-9]+(\\.[0-9]+)?\\s*%$') "
        f"THEN {num} END"
    )


def load_eu_crm(con: duckdb.DuckDBPyConnection, files: Mapping[str, Snapshot]) -> list[str]:
    """EU CRM 2023 Appendix 7 supply shares (global and EU sourcing) with the trade variable t,
    Appendix 6 material use shares and the material groupings."""
    written = []
    supply_cols = ["Material", "Stage", "Country", "Share", "t"]
    for name, table in (
        ("global_supply_shares_t.csv", "staging.eu_crm_global_supply"),
        ("eu_supply_shares_t.csv", "staging.eu_crm_eu_sourcing"),
    ):
        if name not in files:
            raise BuildError(f"eu_crm source lacks {name}")
        snap = files[name]
        _expect_columns(con, snap, ",", supply_cols)
        sid = snap.snapshot_id.replace("'", "''")
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT trim(Material) AS material, "
            f"trim(Stage) AS stage, trim(Country) AS country, Share AS share_raw, "
            f"{_share_sql('Share')} AS share, "
            f"CASE WHEN trim(Share) LIKE '<%' THEN '<' WHEN trim(Share) LIKE '>%' THEN '>' "
            f"ELSE '' END AS share_qualifier, t AS t_raw, TRY_CAST(t AS DOUBLE) AS t, "
            f"'{sid}' AS snapshot_id FROM {_csv(snap.path, ',')}"
        )
        require_parsed(con, table, "share_raw", "share", label="EU CRM share", defer=True)
        require_parsed(con, table, "t_raw", "t", label="EU CRM trade variable t")
        written.append(table)
    if "material_use_shares.csv" in files:
        snap = files["material_use_shares.csv"]
        sid = snap.snapshot_id.replace("'", "''")
        con.execute(
            "CREATE OR REPLACE TABLE staging.eu_crm_material_use AS SELECT "
            "trim(Material) AS material, Application AS application, Share AS share_raw, "
            f"{_share_sql('Share')} AS share, "
            "regexp_replace(\"NACE sector\", '\\s+', ' ', 'g') AS nace_sector, "
            'TRY_CAST("VA in million €" AS DOUBLE) AS va_million_eur, '
            f"'{sid}' AS snapshot_id FROM {_csv(snap.path, ',')}"
        )
        written.append("staging.eu_crm_material_use")
    if "screened_material_groupings.csv" in files:
        snap = files["screened_material_groupings.csv"]
        sid = snap.snapshot_id.replace("'", "''")
        con.execute(
            "CREATE OR REPLACE TABLE staging.eu_crm_groupings AS SELECT *, "
            f"'{sid}' AS snapshot_id FROM {_csv(snap.path, ',')}"
        )
        written.append("staging.eu_crm_groupings")
    return written


_WGI = {
    "CC.EST": "cc",
    "GE.EST": "ge",
    "PV.EST": "pv",
    "RQ.EST": "rq",
    "RL.EST": "rl",
    "VA.EST": "va",
}


def load_wgi(con: duckdb.DuckDBPyConnection, files: Mapping[str, Snapshot]) -> list[str]:
    """World Bank WGI: ``country,iso3c,year`` and six ``*.EST`` estimates (``NA`` = missing)."""
    snaps = [s for n, s in files.items() if n.endswith(".csv")]
    if len(snaps) != 1:
        raise BuildError(f"wgi source must have exactly one CSV, found {sorted(files)}")
    snap = snaps[0]
    _expect_columns(con, snap, ",", ["country", "iso3c", "year", *_WGI])
    sid = snap.snapshot_id.replace("'", "''")
    unpivot = " UNION ALL ".join(
        f"SELECT country, iso3c, year AS year_raw, TRY_CAST(year AS INTEGER) AS year, "
        f"'{code}' AS indicator, \"{col}\" AS estimate_raw, "
        f"TRY_CAST(\"{col}\" AS DOUBLE) AS estimate, '{sid}' AS snapshot_id "
        f"FROM {_csv(snap.path, ',')}"
        for col, code in _WGI.items()
    )
    con.execute(f"CREATE OR REPLACE TABLE staging.wgi AS {unpivot}")
    require_parsed(con, "staging.wgi", "year_raw", "year", label="WGI year")
    require_parsed(
        con, "staging.wgi", "estimate_raw", "estimate", label="WGI estimate", allow=("NA",)
    )
    return ["staging.wgi"]
