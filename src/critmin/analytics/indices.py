"""Concentration indices on plain arrays (NumPy), the reference for the SQL versions.

- Shares: s_i = q_i / Σ_j q_j.
- Herfindahl–Hirschman index: HHI = Σ_i s_i², in [1/n, 1] for n suppliers with positive
  shares (Hirschman 1945; Herfindahl 1950); on the 0–10,000 scale used by competition
  authorities, HHI × 10,000 (U.S. DoJ/FTC Merger Guidelines 2023, §2.1).
- Concentration ratio CR_k = sum of the k largest shares; CR3 is the "top-3 share" the IEA uses
  for mining and refining concentration (IEA, Global Critical Minerals Outlook 2024, Fig. 1.x;
  IEA CMDE ``top3Share``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from critmin.errors import CritminError


class EmptySupplyError(CritminError, ValueError):
    """Shares are undefined: there is no positive quantity."""


def shares(quantities: ArrayLike) -> NDArray[np.float64]:
    """s_i = q_i / Σ q. Raises EmptySupplyError if Σ q ≤ 0 or any q is negative or NaN."""
    q = np.asarray(quantities, dtype=np.float64)
    if q.size == 0 or np.isnan(q).any() or (q < 0).any():
        raise EmptySupplyError(f"shares need non-negative quantities, got {q.tolist()[:10]}")
    total = q.sum()
    if total <= 0:
        raise EmptySupplyError("shares are undefined: total quantity is zero")
    return np.asarray(q / total, dtype=np.float64)


def hhi(quantities: ArrayLike) -> float:
    """HHI = Σ s_i² on the 0–1 scale, from quantities or shares (normalised here)."""
    s = shares(quantities)
    return float(np.dot(s, s))


def hhi_points(quantities: ArrayLike) -> float:
    """HHI on the 0–10,000 scale (HHI × 10,000)."""
    return hhi(quantities) * 10_000.0


def concentration_ratio(quantities: ArrayLike, k: int = 3) -> float:
    """CR_k = sum of the k largest shares (CR3 for k = 3)."""
    if k < 1:
        raise ValueError(f"k must be ≥ 1, got {k}")
    s = np.sort(shares(quantities))[::-1]
    return float(s[:k].sum())


def grouped_hhi(groups: Sequence[object], quantities: ArrayLike) -> dict[object, float]:
    """HHI per group, vectorised: Σ q² / (Σ q)² for each group label."""
    labels, inverse = np.unique(np.asarray(groups, dtype=object), return_inverse=True)
    q = np.asarray(quantities, dtype=np.float64)
    total = np.bincount(inverse, weights=q)
    squares = np.bincount(inverse, weights=q * q)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = squares / (total * total)
    return {labels[i]: float(out[i]) for i in range(len(labels))}
