"""Supply concentration by mineral × stage × year, for production and reserves.

For each (source, basis, stage, year) — quantities are only ever compared within one source
and one basis (gross weight, contained metal, oxide content or share):

    s_i   = q_i / Σ_j q_j                      country share (Σ over all reported rows)
    HHI   = Σ_i s_i²  (0–1) and HHI × 10,000   (Herfindahl 1950; US DoJ/FTC 2023 §2.1)
    CR3   = s_(1) + s_(2) + s_(3)              top-3 share (IEA CMDE ``top3Share``)

Rows a provider reports as "Other countries" (ISO3 ``XOT``) stay in the denominator but are
not a supplier in HHI and CR3: an unallocated residual is many small producers, so the HHI is a
lower bound (within 1/n of the true value when the residual is split n ways). EU CRM 2023 rows
are reported shares (basis ``share``) and are used as given, without renormalising.

The SQL here is the engine; :mod:`critmin.analytics.indices` is the plain-array reference and
the tests check they agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import duckdb

from critmin.errors import CritminError

Measure = Literal["production", "reserves"]
Stage = Literal["mining", "refining"]
RESIDUAL = "XOT"


class NoDataError(CritminError, LookupError):
    """The warehouse holds no data for the requested selection."""


@dataclass(frozen=True)
class Supplier:
    """One country's share of a supply total."""

    iso3: str
    quantity: float
    share: float


@dataclass(frozen=True)
class Concentration:
    """Concentration of one (source, basis, stage, year) supply total."""

    mineral_id: str
    measure: str
    stage: str
    year: int
    period: str
    source_id: str
    basis: str
    unit: str
    total: float | None
    n_suppliers: int
    hhi: float
    hhi_points: float
    cr3: float
    residual_share: float
    suppliers: list[Supplier] = field(default_factory=list)
    lineage: list[str] = field(default_factory=list)


_SQL = """
WITH base AS (
    SELECT source_id, basis, stage, year, any_value(period) AS period, iso3,
           sum(CASE WHEN basis = 'share' THEN share ELSE quantity_t END) AS q,
           list(DISTINCT lineage) AS lineage
      FROM {table}
     WHERE mineral_id = $mineral AND ($stage IS NULL OR stage = $stage)
       AND ($source IS NULL OR source_id = $source)
       AND (CASE WHEN basis = 'share' THEN share ELSE quantity_t END) IS NOT NULL
     GROUP BY source_id, basis, stage, year, iso3),
latest AS (SELECT source_id, basis, stage, max(year) AS year FROM base GROUP BY ALL),
chosen AS (
    SELECT b.* FROM base b
      JOIN latest l USING (source_id, basis, stage)
     WHERE {year_filter}),
totals AS (
    SELECT source_id, basis, stage, year, sum(q) AS total FROM chosen GROUP BY ALL
    HAVING sum(q) > 0),
shared AS (
    SELECT c.*, t.total,
           CASE WHEN c.basis = 'share' THEN c.q ELSE c.q / nullif(t.total, 0) END AS s
      FROM chosen c JOIN totals t USING (source_id, basis, stage, year)),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY source_id, basis, stage, year
                                 ORDER BY (iso3 = '{residual}'), s DESC, iso3) AS rk
      FROM shared)
SELECT source_id, basis, stage, year, any_value(period), any_value(total),
       count(*) FILTER (WHERE iso3 <> '{residual}'),
       coalesce(sum(s * s) FILTER (WHERE iso3 <> '{residual}'), 0),
       coalesce(sum(s) FILTER (WHERE iso3 <> '{residual}' AND rk <= 3), 0),
       coalesce(sum(s) FILTER (WHERE iso3 = '{residual}'), 0),
       list_sort(list(struct_pack(rk := rk, iso3 := iso3, q := q, s := s))),
       list_sort(list_distinct(flatten(list(lineage))))
  FROM ranked
 GROUP BY source_id, basis, stage, year
 ORDER BY stage, source_id, basis, year
"""

_ONE_YEAR = "($year IS NULL AND b.year = l.year) OR b.year = $year"


def _sql(measure: str, year_filter: str) -> str:
    """The concentration query over ``tidy.<measure>`` (reserves have no share basis)."""
    if measure not in ("production", "reserves"):
        raise ValueError(f"measure must be 'production' or 'reserves', got {measure!r}")
    sql = _SQL.format(table=f"tidy.{measure}", residual=RESIDUAL, year_filter=year_filter)
    return sql.replace("THEN share ELSE", "THEN NULL ELSE") if measure == "reserves" else sql


def concentration(
    con: duckdb.DuckDBPyConnection,
    mineral_id: str,
    *,
    measure: Measure = "production",
    stage: Stage | None = None,
    year: int | None = None,
    source: str | None = None,
) -> list[Concentration]:
    """Concentration per (source, basis, stage, year) of ``mineral_id``.

    Without ``year``, each source's latest year is used. Raises NoDataError when nothing
    matches, naming the years that do exist.
    """
    sql = _sql(measure, _ONE_YEAR)
    table = f"tidy.{measure}"
    rows = con.execute(
        sql, {"mineral": mineral_id, "stage": stage, "year": year, "source": source}
    ).fetchall()
    if not rows:
        years = [
            y
            for (y,) in con.execute(
                f"SELECT DISTINCT year FROM {table} WHERE mineral_id = ? ORDER BY 1", [mineral_id]
            ).fetchall()
        ]
        raise NoDataError(
            f"no {measure} data for {mineral_id!r}"
            + (f" at stage {stage}" if stage else "")
            + (f" in {year}" if year else "")
            + (f" from {source}" if source else "")
            + (
                f"; years with data: {years[0]}–{years[-1]}"
                if years
                else "; the warehouse has none for this mineral"
            )
        )
    out = []
    for src, basis, stg, yr, period, total, n, h, cr3, resid, sup, lineage in rows:
        out.append(
            Concentration(
                mineral_id,
                measure,
                str(stg),
                int(yr),
                str(period),
                str(src),
                str(basis),
                "share" if basis == "share" else "t",
                None if basis == "share" else float(total),
                int(n),
                float(h),
                float(h) * 10_000.0,
                float(cr3),
                float(resid),
                [Supplier(d["iso3"], float(d["q"]), float(d["s"])) for d in sup],
                [str(x) for x in lineage],
            )
        )
    return out


@dataclass(frozen=True)
class SeriesPoint:
    """HHI and CR3 of one (source, basis, stage) supply total in one year."""

    source_id: str
    basis: str
    stage: str
    year: int
    n_suppliers: int
    hhi: float
    cr3: float
    total: float | None


def concentration_series(
    con: duckdb.DuckDBPyConnection,
    mineral_id: str,
    *,
    measure: Measure = "production",
    stage: Stage | None = None,
    source: str | None = None,
) -> tuple[list[SeriesPoint], list[str]]:
    """HHI and CR3 of ``mineral_id`` for every year each source covers, and the lineage.

    The same query as :func:`concentration` (HHI = Σ sᵢ², CR3 = sum of the three largest
    shares, residual rows excluded), run over all years instead of one.
    """
    rows = con.execute(
        _sql(measure, "TRUE"), {"mineral": mineral_id, "stage": stage, "source": source}
    ).fetchall()
    if not rows:
        raise NoDataError(
            f"no {measure} data for {mineral_id!r}" + (f" at stage {stage}" if stage else "")
        )
    points = [
        SeriesPoint(
            str(src),
            str(basis),
            str(stg),
            int(yr),
            int(n),
            float(h),
            float(cr3),
            None if basis == "share" else float(total),
        )
        for src, basis, stg, yr, _, total, n, h, cr3, _, _, _ in rows
    ]
    return points, sorted({str(x) for r in rows for x in r[-1]})
