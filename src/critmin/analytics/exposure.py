"""Importer exposure by mineral × supply-chain stage × year, from BACI bilateral trade.

For importer c, the HS6 codes of mineral m at stage s (``tidy.hs_products``), year y:

    F_i       = Σ_k quantity (t) of flows i → c,  V_i = Σ_k value (USD)
    s^q_i     = F_i / Σ_j F_j,   s^v_i = V_i / Σ_j V_j       supplier shares by quantity, value
    HHI^q     = Σ_i (s^q_i)²,    HHI^v = Σ_i (s^v_i)²        import concentration
    low-gov   = Σ_{i: WGI_i < θ} s_i                          share from weakly governed suppliers

WGI_i is the supplier's World Bank WGI estimate for ``indicator`` (default ``pv``, Political
Stability and Absence of Violence) in year y, or its latest earlier year (at most 3 years back)
when y is not covered; θ defaults to 0 (the cross-country mean of the WGI scale). Suppliers
without a WGI value are reported, not counted as weakly governed. Flows whose quantity BACI
does not report are in the value shares only; their value is reported separately.

Basis: per mineral × stage the flows come from ``tidy.trade`` (one trade source per
mineral × stage × year, chosen by the rule in :mod:`critmin.warehouse.tidy.trade`); codes that
bundle
several minerals (``hs_products.bundle``, e.g. HS17 811292) are never counted in a mineral's
figures. With ``by="product"`` each HS6 product is its own row, bundles included and flagged,
from the product's source in ``tidy.trade_basis``. Every row names its ``source_id``,
``release`` (e.g. ``BACI HS17 V202601``) and ``hs_revision``.

Net import reliance (USGS MCS definition, Appendix: NIR = (imports − exports) / apparent
consumption, apparent consumption = production + imports − exports) is computed only where the
production and trade bases agree: mining stage with ore/concentrate codes against production in
gross weight. Otherwise the reason is stated. An importer absent from a production source is
taken as producing 0, which the result states.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb

from critmin.analytics.concentration import NoDataError

WGI_LOOKBACK_YEARS = 3


@dataclass(frozen=True)
class SupplierFlow:
    """One supplier's imports into the importer."""

    iso3: str
    quantity_t: float | None
    value_usd: float
    share_quantity: float | None
    share_value: float
    wgi: float | None
    wgi_year: int | None


@dataclass(frozen=True)
class Reliance:
    """Basis: per mineral × stage the flows come from ``tidy.trade`` (one trade source per
    mineral × stage × year, chosen by the rule in :mod:`critmin.warehouse.tidy.trade`); codes that
    bundle
    several minerals (``hs_products.bundle``, e.g. HS17 811292) are never counted in a mineral's
    figures. With ``by="product"`` each HS6 product is its own row, bundles included and flagged,
    from the product's source in ``tidy.trade_basis``. Every row names its ``source_id``,
    ``release`` (e.g. ``BACI HS17 V202601``) and ``hs_revision``.

    Net import reliance at the mining stage, or why it is not computable."""

    value: float | None
    production_t: float | None
    imports_t: float | None
    exports_t: float | None
    source_id: str | None
    note: str


@dataclass(frozen=True)
class Exposure:
    """An importer's sourcing of one mineral at one HS stage in one year."""

    importer: str
    mineral_id: str
    stage: str
    year: int
    hs6: list[str]
    total_quantity_t: float | None
    total_value_usd: float
    value_without_quantity_usd: float
    hhi_quantity: float | None
    hhi_value: float
    low_governance_share_quantity: float | None
    low_governance_share_value: float
    suppliers_without_wgi: list[str]
    suppliers: list[SupplierFlow] = field(default_factory=list)
    lineage: list[str] = field(default_factory=list)
    source_id: str = ""
    release: str = ""
    hs_revision: str = ""
    product: str | None = None
    bundle: list[str] = field(default_factory=list)


_CODES = {
    "stage": """SELECT hs6, mineral_id, stage, stage AS grp FROM tidy.hs_products
     WHERE ($mineral IS NULL OR mineral_id = $mineral) AND array_length(bundle) = 0
       AND ($stage IS NULL OR stage = $stage)""",
    "product": """SELECT hs6, CAST($mineral AS VARCHAR) AS mineral_id, stage, hs6 AS grp
      FROM tidy.hs_products
     WHERE ($mineral IS NULL OR mineral_id = $mineral OR list_contains(bundle, $mineral))
       AND ($stage IS NULL OR stage = $stage)""",
}
_TRADE = {
    "stage": "tidy.trade",
    "product": """(SELECT f.* FROM tidy.trade_flows f JOIN tidy.trade_basis b
        ON b.hs6 = f.hs6 AND b.year = f.year AND b.source_id = f.source_id)""",
}

_SQL = """
WITH codes AS ({codes}),
flows AS (
    SELECT coalesce(c.mineral_id, h.mineral_id) AS mineral_id, c.stage, c.grp, t.year,
           t.exporter AS iso3, list(DISTINCT t.hs6) AS hs6,
           sum(t.quantity_t) AS q, sum(t.value_usd) AS v,
           sum(t.value_usd) FILTER (WHERE t.quantity_t IS NULL) AS v_noq,
           list(DISTINCT t.lineage) AS lineage, any_value(t.source_id) AS src,
           any_value(t.release) AS rel, any_value(t.hs_revision) AS rev
      FROM {trade} t JOIN codes c USING (hs6) JOIN tidy.hs_products h USING (hs6)
     WHERE t.importer IN (SELECT unnest($importers::VARCHAR[]))
       AND t.exporter NOT IN (SELECT unnest($importers::VARCHAR[]))
       AND ($year IS NULL OR t.year = $year)
     GROUP BY ALL),
wgi AS (
    SELECT f.mineral_id, f.grp, f.year, f.iso3,
           arg_max(g.estimate, g.year) AS wgi, max(g.year) AS wgi_year
      FROM flows f JOIN tidy.governance g
        ON g.iso3 = f.iso3 AND g.indicator = $indicator
       AND g.year BETWEEN f.year - {lookback} AND f.year
     GROUP BY ALL),
tot AS (
    SELECT mineral_id, grp, year, sum(q) AS tq, sum(v) AS tv, coalesce(sum(v_noq), 0) AS vnq
      FROM flows GROUP BY ALL HAVING sum(v) > 0),
sh AS (
    SELECT f.*, t.tq, t.tv, t.vnq, f.q / nullif(t.tq, 0) AS sq, f.v / nullif(t.tv, 0) AS sv, w.wgi,
           w.wgi_year
      FROM flows f JOIN tot t USING (mineral_id, grp, year)
      LEFT JOIN wgi w USING (mineral_id, grp, year, iso3))
SELECT mineral_id, any_value(stage), year, list_sort(list_distinct(flatten(list(hs6)))),
       any_value(tq), any_value(tv), any_value(vnq),
       sum(sq * sq), sum(sv * sv),
       coalesce(sum(sq) FILTER (WHERE wgi < $threshold), 0),
       coalesce(sum(sv) FILTER (WHERE wgi < $threshold), 0),
       coalesce(list_sort(list(iso3) FILTER (WHERE wgi IS NULL)), []),
       list_sort(list(struct_pack(neg_sv := -sv, iso3 := iso3, q := q, v := v, sq := sq,
                                  sv := sv, wgi := wgi, wgi_year := wgi_year))),
       list_sort(list_distinct(flatten(list(lineage)))), any_value(src), any_value(rel),
       any_value(rev), grp
  FROM sh GROUP BY mineral_id, grp, year
 ORDER BY mineral_id, year, any_value(stage), grp
"""


def exposure(
    con: duckdb.DuckDBPyConnection,
    importers: Sequence[str],
    *,
    mineral_id: str | None = None,
    year: int | None = None,
    stage: str | None = None,
    indicator: str = "pv",
    governance_threshold: float = 0.0,
    label: str | None = None,
    by: str = "stage",
) -> list[Exposure]:
    """Exposure of ``importers`` (ISO3; several form a region whose internal trade is
    excluded) to each mineral × HS stage × year (``by="stage"``) or each HS6 product × year
    (``by="product"``). Raises NoDataError when nothing matches."""
    if by not in _CODES:
        raise ValueError(f"by must be one of {sorted(_CODES)}, got {by!r}")
    params = {
        "importers": list(importers),
        "mineral": mineral_id,
        "year": year,
        "stage": stage,
        "indicator": indicator,
        "threshold": governance_threshold,
    }
    sql = _SQL.format(lookback=WGI_LOOKBACK_YEARS, codes=_CODES[by], trade=_TRADE[by])
    rows = con.execute(sql, params).fetchall()
    who = label or "+".join(importers)
    if not rows:
        years = con.execute(
            "SELECT min(year), max(year) FROM tidy.trade WHERE importer IN "
            "(SELECT unnest(?::VARCHAR[]))",
            [list(importers)],
        ).fetchone()
        span = f"; {who} has trade in {years[0]}–{years[1]}" if years and years[0] else ""
        raise NoDataError(
            f"no imports of {mineral_id or 'any mapped mineral'} by {who}"
            + (f" in {year}" if year else "")
            + span
        )
    used = [
        str(x)
        for (x,) in con.execute(
            "SELECT DISTINCT lineage FROM tidy.hs_products UNION "
            "SELECT DISTINCT lineage FROM tidy.governance WHERE indicator = ?",
            [indicator],
        ).fetchall()
    ]
    bundles = dict(
        con.execute("SELECT hs6, bundle FROM tidy.hs_products WHERE len(bundle) > 0").fetchall()
    )
    out = []
    for row in rows:
        mineral, stg, yr, hs6, tq, tv, vnq, hq, hv, lq, lv, nowgi, sup, lineage = row[:14]
        src, rel, rev, grp = row[14:]
        has_q = tq is not None and float(tq) > 0
        out.append(
            Exposure(
                who,
                str(mineral),
                str(stg),
                int(yr),
                [str(h) for h in hs6],
                float(tq) if tq is not None else None,
                float(tv),
                float(vnq),
                float(hq) if has_q else None,
                float(hv),
                float(lq) if has_q else None,
                float(lv),
                [str(x) for x in nowgi],
                [
                    SupplierFlow(
                        d["iso3"],
                        d["q"],
                        float(d["v"]),
                        d["sq"],
                        float(d["sv"]),
                        d["wgi"],
                        d["wgi_year"],
                    )
                    for d in sup
                ],
                sorted({*(str(x) for x in lineage), *used}),
                str(src),
                str(rel),
                str(rev),
                str(grp) if by == "product" else None,
                list(bundles.get(grp, [])) if by == "product" else [],
            )
        )
    return out


_NIR_SQL = """
WITH trade AS (
    SELECT sum(quantity_t) FILTER (WHERE importer IN (SELECT unnest($c::VARCHAR[]))
                                     AND exporter NOT IN (SELECT unnest($c::VARCHAR[]))) AS imp,
           sum(quantity_t) FILTER (WHERE exporter IN (SELECT unnest($c::VARCHAR[]))
                                     AND importer NOT IN (SELECT unnest($c::VARCHAR[]))) AS exp
      FROM tidy.trade t JOIN tidy.hs_products h USING (hs6)
     WHERE h.mineral_id = $mineral AND h.stage = 'ore_concentrate' AND h.specific
       AND t.year = $year),
prod AS (
    SELECT source_id, sum(quantity_t) FILTER (WHERE iso3 IN (SELECT unnest($c::VARCHAR[])))
             AS own, count(*) FILTER (WHERE iso3 IN (SELECT unnest($c::VARCHAR[]))) AS listed
      FROM tidy.production
     WHERE mineral_id = $mineral AND stage = 'mining' AND basis = 'gross_weight'
       AND year = $year AND quantity_t IS NOT NULL
     GROUP BY source_id)
SELECT p.source_id, coalesce(p.own, 0), p.listed, t.imp, t.exp
  FROM prod p, trade t
 ORDER BY CASE p.source_id WHEN 'bgs_wms' THEN 1 WHEN 'usgs_mcs' THEN 2 ELSE 3 END
 LIMIT 1
"""


def net_import_reliance(
    con: duckdb.DuckDBPyConnection, importers: Sequence[str], mineral_id: str, year: int
) -> Reliance:
    """NIR at the mining stage (USGS MCS definition), or the reason it cannot be computed."""
    row = con.execute(
        _NIR_SQL, {"c": list(importers), "mineral": mineral_id, "year": year}
    ).fetchone()
    if row is None:
        bases = [
            b
            for (b,) in con.execute(
                "SELECT DISTINCT basis FROM tidy.production WHERE mineral_id = ? AND stage = "
                "'mining' AND year = ?",
                [mineral_id, year],
            ).fetchall()
        ]
        why = (
            f"mine production of {mineral_id} in {year} is reported as "
            f"{', '.join(bases)}, not gross weight like ore trade"
            if bases
            else f"no mine production of {mineral_id} in {year} in the warehouse"
        )
        return Reliance(None, None, None, None, None, f"not computable: {why}")
    source, own, listed, imp, exp = row
    if imp is None:
        return Reliance(
            None,
            float(own),
            None,
            None,
            str(source),
            f"not computable: no ore/concentrate trade quantity for {year}",
        )
    imports, exports = float(imp), float(exp or 0)
    consumption = float(own) + imports - exports
    note = f"production from {source} (gross weight); ore/concentrate HS codes"
    if not listed:
        note += f"; {'+'.join(importers)} not listed by {source}, production taken as 0"
    if consumption <= 0:
        return Reliance(
            None,
            float(own),
            imports,
            exports,
            str(source),
            f"not computable: apparent consumption {consumption:.0f} t ≤ 0 (net exporter); {note}",
        )
    return Reliance(
        (imports - exports) / consumption, float(own), imports, exports, str(source), note
    )
