"""Trade coverage of the product map, honest gaps, and divergences between trade sources.

- :func:`coverage`: for every product in ``tidy.hs_products``, its code in each HS revision
  (``tidy.hs_codes``) and, per loaded trade source, the years with flows; a product without
  flows says why (not in any loaded source, or only under a code not attributed to it) and how
  to fill it.
- :func:`gaps`: the mineral × stage cells an importer's exposure cannot compute for a year —
  the codes looked for, what the loaded sources hold, and how to fill them. A share without
  data is ``None`` ("n/a"), never 0.
- :func:`divergence`: flows (year, exporter, importer, product) held by two sources, with the
  relative difference ``(v_other − v_basis) / v_basis`` of value and of quantity against the
  product's default source (``tidy.trade_basis``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

#: how a user fills codes no loaded source holds (README "Loading a full BACI release")
FILL = (
    "load CEPII's full BACI release: download BACI_HS17_V202601.zip from "
    "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37 and run "
    "`critmin fetch --source baci --release HS17_V202601 --from PATH_OR_URL`"
)

_CODES_SQL = """
SELECT p.hs6, p.mineral_id, p.stage, p.bundle, p.description,
       list(DISTINCT c.revision || ' ' || coalesce(c.code, '—') || ' (' || c.relation || ')'
            ORDER BY c.revision || ' ' || coalesce(c.code, '—') || ' (' || c.relation || ')')
         AS codes,
       list(DISTINCT c.code ORDER BY c.code) FILTER (WHERE c.revision = 'HS17'
            AND c.attributable) AS hs17
  FROM tidy.hs_products p JOIN tidy.hs_codes c USING (hs6)
 WHERE ($mineral IS NULL OR p.mineral_id = $mineral OR list_contains(p.bundle, $mineral))
 GROUP BY ALL ORDER BY p.hs6
"""


def _held(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, list[int]]]:
    rows = con.execute(
        "SELECT hs6, source_id, list(DISTINCT year ORDER BY year) FROM tidy.trade_flows "
        "GROUP BY ALL"
    ).fetchall()
    out: dict[str, dict[str, list[int]]] = {}
    for hs6, src, years in rows:
        out.setdefault(str(hs6), {})[str(src)] = [int(y) for y in years]
    return out


def _span(years: list[int]) -> str:
    return (
        f"{years[0]}–{years[-1]}"
        if len(years) > 1 and years[-1] - years[0] == len(years) - 1
        else ", ".join(map(str, years))
    )


def _reason(hs17: list[str], bundle: list[str]) -> str:
    if not hs17:
        return (
            "no loaded trade source holds this product, and no HS17 code has its exact scope "
            "(HS17 splits or merges it; see its codes). Fix: load an HS92 BACI release "
            "(`critmin fetch --source baci --release HS92_V202601 --from PATH_OR_URL`) or use "
            "the HS17 products that replace it"
        )
    codes = ", ".join(hs17)
    why = "no loaded trade source holds this product"
    if bundle:
        why += f" (a bundle of {', '.join(bundle)}, never attributed to one mineral)"
    return f"{why}. HS17 code(s) to load: {codes}. Fix: {FILL}"


def coverage(
    con: duckdb.DuckDBPyConnection, *, source: str | None = None, mineral: str | None = None
) -> list[dict[str, Any]]:
    """One row per product: codes per revision, sources with flows (years), or the reason."""
    held = _held(con)
    out = []
    for hs6, mid, stage, bundle, desc, codes, hs17 in con.execute(
        _CODES_SQL, {"mineral": mineral}
    ).fetchall():
        by_src = {s: _span(y) for s, y in held.get(str(hs6), {}).items() if source in (None, s)}
        out.append(
            {
                "hs6": hs6,
                "mineral": mid,
                "stage": stage,
                "bundle": list(bundle),
                "description": desc,
                "codes": list(codes),
                "sources": by_src,
                "has_flows": bool(by_src),
                "reason": None if by_src else _reason(list(hs17 or []), list(bundle)),
            }
        )
    return out


def gaps(
    con: duckdb.DuckDBPyConnection,
    importers: Sequence[str],
    *,
    mineral_id: str | None,
    year: int,
    stage: str | None = None,
    have: set[tuple[str, str]] | None = None,
) -> list[dict[str, Any]]:
    """Mineral × stage cells without exposure data for ``importers`` in ``year``.

    ``have`` holds the (mineral, stage) cells that do have data (from :func:`exposure`).
    Each gap lists the products looked for with their codes per revision and, per product,
    what the loaded sources hold; ``share`` fields are ``None`` (n/a).
    """
    have = have or set()
    held = _held(con)
    imported = {
        str(h)
        for (h,) in con.execute(
            "SELECT DISTINCT hs6 FROM tidy.trade_flows WHERE year = ? AND importer IN "
            "(SELECT unnest(?::VARCHAR[])) AND exporter NOT IN (SELECT unnest(?::VARCHAR[]))",
            [year, list(importers), list(importers)],
        ).fetchall()
    }
    cells: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for hs6, mid, stg, bundle, _desc, codes, hs17 in con.execute(
        _CODES_SQL, {"mineral": mineral_id}
    ).fetchall():
        m = mineral_id or str(mid)
        if (stage and stg != stage) or (m, str(stg)) in have:
            continue
        src = held.get(str(hs6), {})
        if bundle:
            note = (
                f"bundle of {', '.join(bundle)}: not attributed to one mineral (see --by product)"
            )
        elif str(hs6) in imported:
            note = "flows exist but outside the default basis (see --by product)"
        elif any(year in y for y in src.values()):
            note = f"the loaded sources hold this code in {year} but record no imports"
        elif src:
            note = "no flows in {}; held for {}".format(
                year, "; ".join(f"{s} {_span(y)}" for s, y in src.items())
            )
        else:
            note = _reason(list(hs17 or []), [])
        cells.setdefault((m, str(stg)), []).append(
            {"hs6": hs6, "codes": list(codes), "bundle": list(bundle), "note": note}
        )
    return [
        {
            "mineral": m,
            "stage": s,
            "year": year,
            "share": None,
            "status": "no trade data",
            "products": prods,
            "fix": FILL if any("Fix:" in p["note"] for p in prods) else "see the notes per product",
        }
        for (m, s), prods in sorted(cells.items())
    ]


_DIV_SQL = """
WITH f AS (
    SELECT f.*, b.source_id AS basis FROM tidy.trade_flows f
      JOIN tidy.trade_basis b USING (hs6, year)
     WHERE ($year IS NULL OR f.year = $year) AND ($hs6 IS NULL OR f.hs6 = $hs6)
       AND ($importer IS NULL OR f.importer = $importer)
       AND ($exporter IS NULL OR f.exporter = $exporter))
SELECT a.year, a.hs6, a.exporter, a.importer, a.source_id, a.code, a.value_usd, a.quantity_t,
       o.source_id, o.code, o.value_usd, o.quantity_t,
       (o.value_usd - a.value_usd) / nullif(a.value_usd, 0) AS dv,
       (o.quantity_t - a.quantity_t) / nullif(a.quantity_t, 0) AS dq,
       abs(o.value_usd - a.value_usd) AS gap
  FROM f a JOIN f o ON o.hs6 = a.hs6 AND o.year = a.year AND o.exporter = a.exporter
   AND o.importer = a.importer AND a.source_id = a.basis AND o.source_id <> a.source_id
"""


def divergence(
    con: duckdb.DuckDBPyConnection,
    *,
    year: int | None = None,
    hs6: str | None = None,
    importer: str | None = None,
    exporter: str | None = None,
    min_diff: float = 0.1,
    limit: int | None = 100,
) -> dict[str, Any]:
    """Flows held by two sources whose value or quantity differ by more than ``min_diff``."""
    p = {"year": year, "hs6": hs6, "importer": importer, "exporter": exporter}
    stats = con.execute(
        f"SELECT count(*), avg((abs(dv) <= 0.001)::INTEGER), median(dv) FROM ({_DIV_SQL})", p
    ).fetchone()
    rows = con.execute(
        f"SELECT * FROM ({_DIV_SQL}) WHERE abs(dv) > $d OR abs(dq) > $d ORDER BY gap DESC LIMIT $n",
        {**p, "d": min_diff, "n": limit if limit is not None else 2**62},
    ).fetchall()
    keys = [
        "year",
        "hs6",
        "exporter",
        "importer",
        "basis_source",
        "basis_code",
        "basis_value_usd",
        "basis_quantity_t",
        "other_source",
        "other_code",
        "other_value_usd",
        "other_quantity_t",
        "diff_value",
        "diff_quantity",
        "abs_diff_value_usd",
    ]
    n, within, med = stats or (0, None, None)
    return {
        "common_flows": int(n),
        "share_within_0_1pct": within,
        "median_diff_value": med,
        "min_diff": min_diff,
        "divergences": [dict(zip(keys, r, strict=True)) for r in rows],
    }
