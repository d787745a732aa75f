"""Scenarios: supplier shocks and partnership what-ifs.

Shock (importer view of an export cut), for one product set (a mineral's HS codes at a stage,
or explicit HS6 codes) in one year, with F_jc the flow j → c (t):

    lost_c     = Σ_{j∈shocked} cut · F_jc                    lost share  = lost_c / Σ_j F_jc
    capacity   = spare · Σ_{j∉shocked} X_j                    X_j = j's exports of the product
    refill_c   = min(lost_c, capacity · lost_c / Σ_c' lost_c')   (rationed in proportion to losses)
    shortfall  = lost_c − refill_c

Partnership: Q extra tonnes a year from partner P to importer I; supplier shares, import HHI,
GeoPolRisk (numerator + Q·g_P, imports + Q; HHI and price unchanged: the tonnes come from
existing production and are assumed to trade at the importer's average import price) and EU
supply risk (sourcing shares with Q added) before and after.

Monte Carlo is in :mod:`critmin.scenarios.montecarlo`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np

from critmin.analytics.concentration import NoDataError


@dataclass(frozen=True)
class ShockRow:
    """One importer's exposure to a shock."""

    importer: str
    imports_t: float
    lost_t: float
    lost_value_usd: float
    lost_share: float
    refill_t: float
    shortfall_t: float
    shortfall_share: float


@dataclass(frozen=True)
class ShockResult:
    """A shock and its effect on each importer, with the assumptions used."""

    exporters: list[str]
    hs6: list[str]
    year: int
    cut: float
    spare_capacity: float
    capacity_t: float
    rows: list[ShockRow]
    assumptions: dict[str, Any] = field(default_factory=dict)


def latest_trade_year(con: duckdb.DuckDBPyConnection) -> int:
    """The latest year with trade in the warehouse (the scenarios' default baseline)."""
    row = con.execute("SELECT max(year) FROM tidy.trade").fetchone()
    if not row or row[0] is None:
        raise NoDataError("the warehouse holds no trade; pass the year explicitly")
    return int(row[0])


def _hs_codes(
    con: duckdb.DuckDBPyConnection,
    mineral_id: str | None,
    stage: str | None,
    hs6: Sequence[str] | None,
) -> list[str]:
    if hs6:
        return sorted(hs6)
    codes = [
        c
        for (c,) in con.execute(
            "SELECT hs6 FROM tidy.hs_products WHERE mineral_id = ? AND (? IS NULL OR stage = ?) "
            "AND array_length(bundle) = 0 ORDER BY hs6",
            [mineral_id, stage, stage],
        ).fetchall()
    ]
    if not codes:
        raise NoDataError(
            f"no HS6 codes for {mineral_id!r}" + (f" at stage {stage}" if stage else "")
        )
    return codes


def shock(
    con: duckdb.DuckDBPyConnection,
    exporters: Sequence[str],
    *,
    year: int,
    cut: float,
    mineral_id: str | None = None,
    stage: str | None = None,
    hs6: Sequence[str] | None = None,
    importers: Sequence[str] | None = None,
    spare_capacity: float = 0.1,
) -> ShockResult:
    """Cut ``exporters``' exports of the product by ``cut`` (0–1) in ``year``."""
    if not 0 <= cut <= 1 or not 0 <= spare_capacity <= 1:
        raise ValueError(
            f"cut and spare_capacity must be within [0, 1], got {cut}, {spare_capacity}"
        )
    codes = _hs_codes(con, mineral_id, stage, hs6)
    rows = con.execute(
        """
        SELECT importer, exporter IN (SELECT unnest($ex::VARCHAR[])) AS shocked,
               sum(coalesce(quantity_t, 0)) AS q, sum(value_usd) AS v
          FROM tidy.trade WHERE year = $year AND hs6 IN (SELECT unnest($codes::VARCHAR[]))
         GROUP BY ALL""",
        {"ex": list(exporters), "year": year, "codes": codes},
    ).fetchall()
    if not rows:
        raise NoDataError(f"no trade in HS {', '.join(codes)} in {year}")
    imp = sorted({r[0] for r in rows})
    idx = {c: i for i, c in enumerate(imp)}
    total = np.zeros(len(imp))
    shocked_q = np.zeros(len(imp))
    shocked_v = np.zeros(len(imp))
    for c, is_shocked, q, v in rows:
        total[idx[c]] += q
        if is_shocked:
            shocked_q[idx[c]] += q
            shocked_v[idx[c]] += v
    other_exports = con.execute(
        """
        SELECT coalesce(sum(quantity_t), 0) FROM tidy.trade
         WHERE year = $year AND hs6 IN (SELECT unnest($codes::VARCHAR[]))
           AND exporter NOT IN (SELECT unnest($ex::VARCHAR[]))""",
        {"ex": list(exporters), "year": year, "codes": codes},
    ).fetchone()
    capacity = spare_capacity * float(other_exports[0] if other_exports else 0.0)
    lost = cut * shocked_q
    lost_total = lost.sum()
    refill = np.minimum(lost, capacity * lost / lost_total) if lost_total > 0 else lost * 0
    with np.errstate(invalid="ignore", divide="ignore"):
        lost_share = np.where(total > 0, lost / total, 0.0)
        short_share = np.where(total > 0, (lost - refill) / total, 0.0)
    keep = [i for i, c in enumerate(imp) if importers is None or c in importers]
    out = [
        ShockRow(
            imp[i],
            float(total[i]),
            float(lost[i]),
            float(cut * shocked_v[i]),
            float(lost_share[i]),
            float(refill[i]),
            float(lost[i] - refill[i]),
            float(short_share[i]),
        )
        for i in keep
        if importers is not None or lost[i] > 0
    ]
    out.sort(key=lambda r: -r.lost_t)
    return ShockResult(
        sorted(exporters),
        codes,
        year,
        cut,
        spare_capacity,
        capacity,
        out,
        {
            "refill_rule": "remaining suppliers redirect up to spare_capacity × "
            "their exports of the product, shared among importers "
            "in proportion to their losses",
            "spare_capacity": spare_capacity,
            "quantities": "BACI gross weight; flows without quantity count 0",
        },
    )


@dataclass(frozen=True)
class PartnershipResult:
    """Before/after metrics of a partnership what-if."""

    importer: str
    partner: str
    mineral_id: str
    stage: str
    year: int
    tonnes: float
    before: dict[str, Any]
    after: dict[str, Any]
    change: dict[str, float | None]
    assumptions: dict[str, Any] = field(default_factory=dict)


def _hhi(shares: dict[str, float]) -> float:
    return float(sum(v * v for v in shares.values()))


def partnership(
    con: duckdb.DuckDBPyConnection,
    importer: str,
    partner: str,
    mineral_id: str,
    *,
    tonnes: float,
    year: int,
    stage: str = "ore_concentrate",
    codes: dict[str, list[int]] | None = None,
) -> PartnershipResult:
    """Add ``tonnes`` a year from ``partner`` to ``importer`` and recompute the metrics."""
    from critmin.analytics.eu_supply_risk import eu_supply_risk
    from critmin.analytics.geopolrisk import geopolrisk_grid, list_materials

    if tonnes < 0:
        raise ValueError(f"tonnes must be ≥ 0, got {tonnes}")
    hs = _hs_codes(con, mineral_id, stage, None)
    flows = dict(
        con.execute(
            """
        SELECT exporter, sum(coalesce(quantity_t, 0)) FROM tidy.trade
         WHERE importer = ? AND year = ? AND hs6 IN (SELECT unnest(?::VARCHAR[]))
         GROUP BY exporter""",
            [importer, year, hs],
        ).fetchall()
    )
    after_flows = dict(flows)
    after_flows[partner] = after_flows.get(partner, 0.0) + tonnes

    def shares(f: dict[str, float]) -> dict[str, float]:
        t = sum(f.values())
        return {k: v / t for k, v in sorted(f.items())} if t > 0 else {}

    before: dict[str, Any] = {"imports_t": sum(flows.values()), "shares": shares(flows)}
    after: dict[str, Any] = {"imports_t": sum(after_flows.values()), "shares": shares(after_flows)}
    before["import_hhi"] = _hhi(before["shares"]) if flows else None
    after["import_hhi"] = _hhi(after["shares"]) if after_flows else None
    mats = [m for m, _, mid, _ in list_materials(con) if mid == mineral_id]
    if mats and codes:
        (cell,) = geopolrisk_grid(
            con, {importer: codes[importer]}, materials=mats[:1], years=[year]
        )
        g = con.execute(
            """
            SELECT coalesce(arg_min(value, source_row), 0.5) FROM staging.gpr_wgi
             WHERE wgi_table = 'Normalized' AND year = ?
               AND TRY_CAST(country_code AS INTEGER) IN (SELECT unnest(?::INTEGER[]))""",
            [year, codes.get(partner, [])],
        ).fetchone()
        g_p = float(g[0]) if g and g[0] is not None else 0.5
        if cell.status == "ok" and cell.hhi is not None:
            num, tt, pq = cell.numerator or 0.0, cell.total_trade or 0.0, cell.prod_qty or 0.0
            ir_after = (num + tonnes * g_p) / (tt + tonnes + pq) if tt + tonnes + pq else 0.0
            before["geopolrisk"] = {
                "material": mats[0],
                "score": cell.score,
                "import_risk": cell.import_risk,
                "hhi": cell.hhi,
            }
            after["geopolrisk"] = {
                "material": mats[0],
                "score": cell.hhi * ir_after,
                "import_risk": ir_after,
                "hhi": cell.hhi,
                "partner_wgi_normalized": g_p,
            }
    eu_stage = "mining" if stage == "ore_concentrate" else "refining"
    try:
        eu_b = eu_supply_risk(con, [importer], mineral_id, year=year)
        eu_a = eu_supply_risk(
            con, [importer], mineral_id, year=year, extra_sourcing={eu_stage: {partner: tonnes}}
        )
        before["eu_supply_risk"] = eu_b.supply_risk
        after["eu_supply_risk"] = eu_a.supply_risk
    except NoDataError:
        pass
    change: dict[str, float | None] = {
        "import_hhi": None
        if before["import_hhi"] is None
        else after["import_hhi"] - before["import_hhi"]
    }
    if "geopolrisk" in before:
        change["geopolrisk_score"] = after["geopolrisk"]["score"] - before["geopolrisk"]["score"]
    if "eu_supply_risk" in before:
        change["eu_supply_risk"] = after["eu_supply_risk"] - before["eu_supply_risk"]
    return PartnershipResult(
        importer,
        partner,
        mineral_id,
        stage,
        year,
        tonnes,
        before,
        after,
        change,
        {
            "hs6": hs,
            "price": "unchanged (added tonnes at the importer's average import price)",
            "production_hhi": "unchanged (supply from existing production)",
        },
    )
