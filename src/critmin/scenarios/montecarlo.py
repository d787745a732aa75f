"""Monte-Carlo supply-at-risk.

Each supplier j is disrupted in a year with probability
    p_j = p_min + (p_max − p_min) · clip((2.5 − PV_j) / 5, 0, 1)
(PV = WGI political stability estimate; an assumption to calibrate, overridable), optionally
correlated through a one-factor Gaussian copula Z_j = √ρ·M + √(1−ρ)·ε_j, disrupted when
Φ(Z_j) < p_j. The shortfall of mineral × stage k in a scenario is Σ_j D_j · s_jk (import
shares lost). N scenarios run in batches (bounded memory) with ``random_state``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from math import sqrt
from statistics import NormalDist
from typing import Any

import duckdb
import numpy as np

from critmin.analytics.concentration import NoDataError


@dataclass(frozen=True)
class MonteCarloResult:
    """Supply-at-risk distribution per mineral × stage."""

    importer: str
    year: int
    n: int
    random_state: int | None
    rows: list[dict[str, Any]]
    assumptions: dict[str, Any] = field(default_factory=dict)


def disruption_probability(pv: np.ndarray, p_min: float = 0.01, p_max: float = 0.2) -> np.ndarray:
    """p = p_min + (p_max − p_min) · clip((2.5 − PV) / 5, 0, 1); missing PV → the midpoint."""
    x = np.clip((2.5 - np.nan_to_num(pv, nan=0.0)) / 5.0, 0.0, 1.0)
    return np.asarray(p_min + (p_max - p_min) * x, dtype=np.float64)


def montecarlo(
    con: duckdb.DuckDBPyConnection,
    importer: str,
    *,
    year: int,
    n: int,
    random_state: int | None = None,
    mineral_id: str | None = None,
    correlation: float = 0.0,
    p_min: float = 0.01,
    p_max: float = 0.2,
    threshold: float = 0.2,
    batch_size: int = 50_000,
    progress: Callable[[int], None] | None = None,
) -> MonteCarloResult:
    """N disruption scenarios for ``importer``'s suppliers (see the module docstring)."""
    if n < 1 or not 0 <= correlation < 1 or not 0 <= p_min <= p_max <= 1:
        raise ValueError("need n ≥ 1, 0 ≤ correlation < 1 and 0 ≤ p_min ≤ p_max ≤ 1")
    rows = con.execute(
        """
        WITH f AS (
            SELECT h.mineral_id, h.stage, t.exporter, sum(t.quantity_t) AS q
              FROM tidy.trade t JOIN tidy.hs_products h USING (hs6)
             WHERE t.importer = $c AND t.year = $y AND t.quantity_t > 0 AND h.specific
               AND ($m IS NULL OR h.mineral_id = $m)
             GROUP BY ALL)
        SELECT mineral_id, stage, exporter, q / sum(q) OVER (PARTITION BY mineral_id, stage),
               (SELECT arg_max(g.estimate, g.year) FROM tidy.governance g
                 WHERE g.iso3 = f.exporter AND g.indicator = 'pv' AND g.year <= $y)
          FROM f ORDER BY 1, 2, 3""",
        {"c": importer, "y": year, "m": mineral_id},
    ).fetchall()
    if not rows:
        raise NoDataError(
            f"no imports by {importer} in {year}" + (f" of {mineral_id}" if mineral_id else "")
        )
    combos = sorted({(r[0], r[1]) for r in rows})
    sup = sorted({r[2] for r in rows})
    ci, si = {c: i for i, c in enumerate(combos)}, {s: i for i, s in enumerate(sup)}
    shares = np.zeros((len(sup), len(combos)), dtype=np.float32)
    pv = np.full(len(sup), np.nan)
    for m, st, ex, s, g in rows:
        shares[si[ex], ci[(m, st)]] = s
        if g is not None:
            pv[si[ex]] = g
    p = disruption_probability(pv, p_min, p_max)
    z_p = np.array([NormalDist().inv_cdf(min(max(x, 1e-12), 1 - 1e-12)) for x in p])
    rng = np.random.default_rng(random_state)
    out = np.empty((n, len(combos)), dtype=np.float32)
    done = 0
    while done < n:
        b = min(batch_size, n - done)
        if correlation > 0:  # Φ(Z) < p  ⇔  Z < Φ⁻¹(p)
            z = sqrt(correlation) * rng.standard_normal((b, 1)) + sqrt(
                1 - correlation
            ) * rng.standard_normal((b, len(sup)))
            hit = z < z_p
        else:
            hit = rng.random((b, len(sup))) < p
        out[done : done + b] = hit.astype(np.float32) @ shares
        done += b
        if progress:
            progress(b)
    qs = np.quantile(out, [0.5, 0.95, 0.99], axis=0)
    res = [
        {
            "mineral": m,
            "stage": st,
            "mean": float(out[:, k].mean()),
            "p50": float(qs[0, k]),
            "p95": float(qs[1, k]),
            "p99": float(qs[2, k]),
            "prob_loss_above_threshold": float((out[:, k] > threshold).mean()),
            "suppliers": int((shares[:, k] > 0).sum()),
        }
        for k, (m, st) in enumerate(combos)
    ]
    return MonteCarloResult(
        importer,
        year,
        n,
        random_state,
        res,
        {
            "probability": f"p = {p_min} + ({p_max} − {p_min}) · clip((2.5 − PV)/5, 0, 1)",
            "correlation": correlation,
            "threshold": threshold,
            "batch_size": batch_size,
            "shortfall": "share of the importer's imports (by quantity) lost; no refill",
            "hs6": "mineral-specific codes only",
        },
    )
