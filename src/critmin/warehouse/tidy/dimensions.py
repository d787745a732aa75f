"""Tidy dimension tables built from the project's reference data: countries, minerals,
critical_lists and hs_products. Each row keeps its ``citation_id``, a readable ``citation``
and a ``lineage`` naming the reference snapshot it came from."""

from __future__ import annotations

import duckdb

from critmin.errors import RegistryError, UnmappedValueError

HS_STAGES = (
    "ore_concentrate",
    "intermediate",
    "refined_chemical",
    "metal",
    "scrap",
    "component",
)
HS_REVISIONS = ("HS92", "HS17")
RELATIONS = ("native", "1:1", "1:n", "n:1", "n:n", "none", "unverified")
CITATION = (
    "(SELECT cit.title || ' (' || cit.publisher || ', ' || cit.year || ')' || "
    "CASE WHEN coalesce(cit.url, '') <> '' THEN ' ' || cit.url ELSE '' END "
    "FROM meta.ref_citations_all cit WHERE cit.citation_id = {t}.citation_id)"
)


def _cite(alias: str) -> str:
    return CITATION.format(t=alias)


def _unique(con: duckdb.DuckDBPyConnection, table: str, key: str, label: str) -> None:
    dup = con.execute(
        f"SELECT {key} FROM {table} GROUP BY ALL HAVING count(*) > 1 LIMIT 5"
    ).fetchall()
    if dup:
        raise RegistryError(f"{label}: duplicate keys {[d for d in dup]}")


def _citations_view(con: duckdb.DuckDBPyConnection) -> None:
    parts = [
        f"SELECT citation_id, title, publisher, year, url FROM {t}"
        for (t,) in con.execute(
            "SELECT 'meta.' || table_name FROM information_schema.tables WHERE table_schema='meta' "
            "AND table_name LIKE 'ref_citations%' ORDER BY 1"
        ).fetchall()
    ]
    con.execute("CREATE OR REPLACE VIEW meta.ref_citations_all AS " + " UNION ALL ".join(parts))


def build_dimensions(con: duckdb.DuckDBPyConnection) -> None:
    """Create tidy.countries, tidy.regions, tidy.minerals, tidy.critical_lists and
    tidy.hs_products."""

    _citations_view(con)
    con.execute(f"""
        CREATE OR REPLACE TABLE tidy.countries AS
        SELECT c.iso3, c.iso2, TRY_CAST(c.iso_numeric AS INTEGER) AS iso_numeric,
               CASE WHEN coalesce(c.baci_codes, '') = '' THEN []::VARCHAR[]
                    ELSE string_split(c.baci_codes, ';') END AS baci_codes,
               c.name_en, c.name_ko, c.kind,
               coalesce((SELECT list(a.alias ORDER BY a.alias) FROM meta.ref_country_aliases a
                         WHERE a.iso3 = c.iso3), []) AS aliases,
               c.citation_id, {_cite("c")} AS citation, c.snapshot_id AS lineage
          FROM meta.ref_countries c""")
    _unique(con, "tidy.countries", "iso3", "countries.csv")
    codes = con.execute(
        "SELECT code, list(iso3) FROM (SELECT unnest(baci_codes) AS code, iso3 "
        "FROM tidy.countries) GROUP BY code HAVING count(*) > 1"
    ).fetchall()
    if codes:
        raise RegistryError(f"countries.csv: BACI codes assigned to several countries: {codes}")

    con.execute(f"""
        CREATE OR REPLACE TABLE tidy.regions AS
        SELECT r.region_id, r.name_en, r.name_ko, r.iso3, r.citation_id,
               {_cite("r")} AS citation, r.snapshot_id AS lineage
          FROM meta.ref_regions r""")
    stray = con.execute(
        "SELECT region_id, iso3 FROM tidy.regions WHERE iso3 NOT IN "
        "(SELECT iso3 FROM tidy.countries) OR region_id NOT IN (SELECT iso3 FROM tidy.countries)"
    ).fetchall()
    if stray:
        raise RegistryError(
            f"regions.csv: region or member codes missing from countries.csv: {stray}"
        )

    con.execute(f"""
        CREATE OR REPLACE TABLE tidy.minerals AS
        SELECT m.id, m.name_en, m.name_ko, nullif(m.symbol, '') AS symbol,
               nullif(m.parent_id, '') AS parent_id, m.kind, m.citation_id,
               {_cite("m")} AS citation, m.snapshot_id AS lineage
          FROM meta.ref_minerals m""")
    _unique(con, "tidy.minerals", "id", "minerals.csv")
    orphans = con.execute(
        "SELECT id, parent_id FROM tidy.minerals m WHERE parent_id IS NOT NULL "
        "AND parent_id NOT IN (SELECT id FROM tidy.minerals)"
    ).fetchall()
    if orphans:
        raise RegistryError(f"minerals.csv: parent_id not defined: {orphans}")

    con.execute(f"""
        CREATE OR REPLACE TABLE tidy.critical_lists AS
        SELECT l.list_id, l.country, l.mineral_id, l.tier, l.name_as_listed,
               nullif(l.grade_or_form, '') AS grade_or_form, l.citation_id, l.locator,
               {_cite("l")} AS citation, l.snapshot_id AS lineage
          FROM meta.ref_critical_lists l""")
    _check_ids(con, "tidy.critical_lists", "mineral_id", "critical_lists.csv")

    con.execute(f"""
        CREATE OR REPLACE TABLE tidy.hs_products AS
        SELECT h.hs6, h.hs_revision, h.mineral_id,
               lower(h.specific) IN ('true', '1', 'yes') AS specific,
               h.stage, h.form, h.quantity_basis,
               TRY_CAST(nullif(h.contained_factor, '') AS DOUBLE) AS contained_factor,
               h.description,
               CASE WHEN coalesce(h.bundle, '') = '' THEN []::VARCHAR[]
                    ELSE string_split(h.bundle, ';') END AS bundle,
               lower(h.in_bundled_trade) IN ('true', '1', 'yes')
                 AS in_bundled_trade, h.citation_id, {_cite("h")} AS citation,
               h.snapshot_id AS lineage
          FROM meta.ref_hs_products h""")
    _unique(con, "tidy.hs_products", "hs6", "hs_products.csv")
    _check_ids(con, "tidy.hs_products", "mineral_id", "hs_products.csv")
    bad = con.execute(
        f"SELECT DISTINCT stage FROM tidy.hs_products WHERE stage NOT IN {HS_STAGES}"
    ).fetchall()
    if bad:
        raise RegistryError(f"hs_products.csv: unknown stages {bad}; allowed {HS_STAGES}")
    _check_bundles(con)
    build_hs_codes(con)


def _check_bundles(con: duckdb.DuckDBPyConnection) -> None:
    bad = con.execute(
        "SELECT hs6, b FROM (SELECT hs6, unnest(bundle) AS b FROM tidy.hs_products) "
        "WHERE b NOT IN (SELECT id FROM tidy.minerals) OR hs6 IN (SELECT hs6 FROM "
        "tidy.hs_products WHERE specific AND len(bundle) > 0) LIMIT 5"
    ).fetchall()
    if bad:
        raise RegistryError(
            f"hs_products.csv: bundle members must be mineral ids and bundles not specific; "
            f"offending (hs6, member): {bad}"
        )


def build_hs_codes(con: duckdb.DuckDBPyConnection) -> None:
    """``tidy.hs_codes``: each product's code(s) in each HS revision (``hs_revisions.csv``),
    and whether flows reported under that code are attributed to the product (only the
    product's own revision or a 1:1 correspondence). A (revision, code) may be attributed
    to one product at most, and every product needs a row for every revision."""
    con.execute(f"""
        CREATE OR REPLACE TABLE tidy.hs_codes AS
        SELECT r.hs6, r.revision, unnest(CASE WHEN coalesce(r.code, '') = '' THEN [NULL]
                    ELSE string_split(r.code, ';') END) AS code,
               r.relation, lower(r.attributable) IN ('true', '1', 'yes') AS attributable,
               r.note, r.citation_id, {_cite("r")} AS citation, r.snapshot_id AS lineage
          FROM meta.ref_hs_revisions r""")
    bad = con.execute(
        f"SELECT hs6, revision, relation FROM tidy.hs_codes WHERE revision NOT IN "
        f"{HS_REVISIONS} OR relation NOT IN {RELATIONS} OR hs6 NOT IN "
        f"(SELECT hs6 FROM tidy.hs_products) OR (attributable AND relation NOT IN "
        f"('native', '1:1')) LIMIT 5"
    ).fetchall()
    if bad:
        raise RegistryError(
            f"hs_revisions.csv: bad rows (hs6, revision, relation) {bad}; revisions "
            f"{HS_REVISIONS}, relations {RELATIONS}, attributable only when native or 1:1"
        )
    dup = con.execute(
        "SELECT revision, code, list(hs6) FROM tidy.hs_codes WHERE attributable "
        "GROUP BY ALL HAVING count(*) > 1 LIMIT 5"
    ).fetchall()
    lacking = con.execute(
        "SELECT p.hs6, v.revision FROM tidy.hs_products p CROSS JOIN (SELECT unnest(?) AS "
        "revision) v WHERE NOT EXISTS (SELECT 1 FROM tidy.hs_codes c WHERE c.hs6 = p.hs6 "
        "AND c.revision = v.revision) LIMIT 5",
        [list(HS_REVISIONS)],
    ).fetchall()
    if dup or lacking:
        raise RegistryError(
            f"hs_revisions.csv: codes attributed to several products {dup}; products "
            f"without a row per revision {lacking}. Fix: one attributable product per code, "
            f"and a row (relation 'none' if absent) for every product and revision"
        )


def _check_ids(con: duckdb.DuckDBPyConnection, table: str, col: str, label: str) -> None:
    bad = con.execute(
        f"SELECT DISTINCT {col} FROM {table} WHERE {col} NOT IN (SELECT id FROM tidy.minerals)"
    ).fetchall()
    if bad:
        raise UnmappedValueError(
            "mineral id",
            [(str(b[0]), label) for b in bad],
            "add the mineral to critmin/reference/minerals.csv",
        )
