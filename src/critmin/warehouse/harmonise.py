"""Harmonisation as data: provider spellings and labels → ISO3 codes and mineral ids.

Country spellings resolve through ``countries.csv`` (ISO3 code or English name) and the reviewed
``country_aliases.csv`` (optionally scoped to one source). Commodity labels resolve through
``commodity_map.csv`` and units through ``units.csv``. A value that does not resolve stops the
build with an :class:`UnmappedValueError` naming it and the file it came from; aliases that no
source used are reported so the table does not rot.
"""

from __future__ import annotations

import logging

import duckdb

from critmin.errors import RegistryError, UnmappedValueError

log = logging.getLogger(__name__)

NORM = "lower(regexp_replace(trim({x}), '\\s+', ' ', 'g'))"


def norm(expr: str) -> str:
    """SQL that normalises a spelling: trim, collapse whitespace, lower-case."""
    return NORM.format(x=expr)


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Build ``meta.country_lookup`` from the reference tables and check it is consistent."""
    bad = con.execute(
        "SELECT alias, iso3 FROM meta.ref_country_aliases a WHERE NOT EXISTS "
        "(SELECT 1 FROM meta.ref_countries c WHERE c.iso3 = a.iso3) LIMIT 5"
    ).fetchall()
    if bad:
        raise RegistryError(
            f"country_aliases.csv maps to ISO3 codes missing from countries.csv: {bad}"
        )
    con.execute(f"""
        CREATE OR REPLACE TABLE meta.country_lookup AS
        SELECT DISTINCT {norm("iso3")} AS key, iso3, '' AS scope, 'iso3' AS origin
          FROM meta.ref_countries
        UNION ALL
        SELECT DISTINCT {norm("name_en")}, iso3, '', 'name_en' FROM meta.ref_countries
        UNION ALL
        SELECT DISTINCT {norm("name_ko")}, iso3, '', 'name_ko' FROM meta.ref_countries
         WHERE name_ko IS NOT NULL
        UNION ALL
        SELECT {norm("alias")}, iso3, coalesce(scope, ''), 'alias:' || alias
          FROM meta.ref_country_aliases""")
    clash = con.execute(
        "SELECT key, scope, list(DISTINCT iso3) FROM meta.country_lookup GROUP BY key, scope "
        "HAVING count(DISTINCT iso3) > 1 LIMIT 5"
    ).fetchall()
    if clash:
        raise RegistryError(
            f"country spellings map to more than one ISO3 code: {clash}. Fix: "
            f"scope the alias to one source in country_aliases.csv"
        )
    con.execute("CREATE OR REPLACE TABLE meta.alias_usage (key VARCHAR, scope VARCHAR)")


def country_map(
    con: duckdb.DuckDBPyConnection, source_id: str, spellings_sql: str, name: str
) -> str:
    """Resolve every spelling produced by ``spellings_sql`` (columns ``spelling, file``).

    Creates table ``name`` (spelling, iso3) and returns its name. Scoped aliases win over global
    ones. Raises UnmappedValueError listing every spelling that does not resolve.
    """
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {name} AS
        WITH s AS (SELECT DISTINCT spelling, file FROM ({spellings_sql}) WHERE spelling IS NOT NULL)
        SELECT s.spelling, s.file, {norm("s.spelling")} AS key,
               coalesce(sc.iso3, gl.iso3) AS iso3, CASE WHEN sc.iso3 IS NOT NULL
               THEN '{source_id}' ELSE '' END AS scope
          FROM s
          LEFT JOIN meta.country_lookup sc ON sc.key = {norm("s.spelling")}
               AND sc.scope = '{source_id}'
          LEFT JOIN meta.country_lookup gl ON gl.key = {norm("s.spelling")} AND gl.scope = ''""")
    missing = con.execute(f"SELECT spelling, file FROM {name} WHERE iso3 IS NULL").fetchall()
    if missing:
        raise UnmappedValueError(
            "country spelling",
            [(str(s), str(f)) for s, f in missing],
            "add the spelling to critmin/reference/country_aliases.csv with its ISO3 code "
            f"(scope '{source_id}' if it is ambiguous elsewhere), citing where it was checked",
        )
    con.execute(f"INSERT INTO meta.alias_usage SELECT DISTINCT key, scope FROM {name}")
    return name


def warn_unused_aliases(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Aliases that no source spelling used (user-facing spellings are expected to be unused
    by the data; only scoped aliases are reported, since they exist for one source)."""
    rows = con.execute(f"""
        SELECT a.alias, a.scope FROM meta.ref_country_aliases a
        WHERE coalesce(a.scope, '') <> '' AND NOT EXISTS (
          SELECT 1 FROM meta.alias_usage u WHERE u.key = {norm("a.alias")}
             AND u.scope = a.scope)""").fetchall()
    unused = [f"{alias!r} (scope {scope})" for alias, scope in rows]
    if unused:
        log.warning(
            "country_aliases.csv: %d scoped aliases unused by their source: %s",
            len(unused),
            ", ".join(unused[:10]),
        )
    return unused


def commodity_rows(
    con: duckdb.DuckDBPyConnection, source_id: str, labels_sql: str, name: str
) -> str:
    """Join provider labels (``label, sub_label, file``) to ``commodity_map.csv``.

    A row with a specific ``sub_label`` wins over the label's catch-all row (empty sub_label).
    Creates temp table ``name`` with mineral_id, stage, basis, unit, include, factor_to_t.
    """
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {name} AS
        WITH l AS (SELECT DISTINCT label, coalesce(sub_label, '') AS sub_label, file
                     FROM ({labels_sql})),
        m AS (SELECT provider_label, coalesce(sub_label, '') AS sub_label, mineral_id, stage,
                     basis, unit, lower(include) IN ('true', '1', 'yes') AS include
                FROM meta.ref_commodity_map WHERE source_id = '{source_id}')
        SELECT l.label, l.sub_label, l.file,
               coalesce(ms.mineral_id, mg.mineral_id) AS mineral_id,
               coalesce(ms.stage, mg.stage) AS stage, coalesce(ms.basis, mg.basis) AS basis,
               coalesce(ms.unit, mg.unit) AS unit, coalesce(ms.include, mg.include) AS include,
               (ms.provider_label IS NOT NULL OR mg.provider_label IS NOT NULL) AS mapped
          FROM l
          LEFT JOIN m ms ON ms.provider_label = l.label AND ms.sub_label = l.sub_label
               AND l.sub_label <> ''
          LEFT JOIN m mg ON mg.provider_label = l.label AND mg.sub_label = ''""")
    missing = con.execute(
        f"SELECT label || CASE WHEN sub_label <> '' THEN ' / ' || sub_label "
        f"ELSE '' END, file FROM {name} WHERE NOT mapped"
    ).fetchall()
    if missing:
        raise UnmappedValueError(
            f"{source_id} commodity label",
            [(str(a), str(b)) for a, b in missing],
            "add a row to critmin/reference/commodity_map.csv (mineral_id, stage, basis, unit, "
            "include) citing the provider's documentation",
        )
    bad = con.execute(f"""
        SELECT DISTINCT n.mineral_id, n.label FROM {name} n
        WHERE n.include AND NOT EXISTS (SELECT 1 FROM meta.ref_minerals m
                                        WHERE m.id = n.mineral_id)""").fetchall()
    if bad:
        raise UnmappedValueError(
            "mineral id",
            [(str(a), f"commodity_map.csv ({b})") for a, b in bad],
            "add the mineral to critmin/reference/minerals.csv",
        )
    units = con.execute(f"""
        SELECT DISTINCT n.unit, n.label FROM {name} n
        WHERE n.include AND NOT EXISTS (SELECT 1 FROM meta.ref_units u WHERE u.unit = n.unit)
        """).fetchall()
    if units:
        raise UnmappedValueError(
            "unit",
            [(str(a), f"commodity_map.csv ({b})") for a, b in units],
            "add the unit and its factor to critmin/reference/units.csv",
        )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {name} AS SELECT n.*,
               TRY_CAST(u.factor_to_t AS DOUBLE) AS factor_to_t
          FROM {name} n LEFT JOIN meta.ref_units u USING (unit)""")
    return name
