"""Engine parity: compare DuckDB and Spark answers.

:func:`join_diff` is the check the parity tests and ``make bench`` use on query rows: a full
outer join on key columns (no unmatched row on either side), the same NULLs, numbers within a
relative tolerance (default 1e-12) and list columns compared element by element, in order.
:func:`value_diff` does the same for nested JSON-like answers (``--format json``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

REL = 1e-12


def value_diff(a: Any, b: Any, rel: float = REL, where: str = "$") -> list[str]:
    """Differences between two nested answers (dicts, lists in order, numbers within ``rel``)."""
    if a is None or b is None:
        return [] if a is None and b is None else [f"{where}: {a!r} vs {b!r} (NULL on one side)"]
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{where}: keys {sorted(set(a) ^ set(b))} on one side only"]
        return [d for k in a for d in value_diff(a[k], b[k], rel, f"{where}.{k}")]
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if len(a) != len(b):
            return [f"{where}: {len(a)} vs {len(b)} items"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in value_diff(x, y, rel, f"{where}[{i}]")
        ]
    if (
        isinstance(a, bool)
        or isinstance(b, bool)
        or not (isinstance(a, int | float) and isinstance(b, int | float))
    ):
        return [] if a == b else [f"{where}: {a!r} vs {b!r}"]
    if math.isnan(a) or math.isnan(b):
        return [] if math.isnan(a) and math.isnan(b) else [f"{where}: {a!r} vs {b!r}"]
    if a == b or abs(a - b) <= rel * max(abs(a), abs(b)):
        return []
    return [f"{where}: {a!r} vs {b!r} (relative {abs(a - b) / max(abs(a), abs(b)):.2e} > {rel})"]


def join_diff(
    left: Sequence[Sequence[Any]],
    right: Sequence[Sequence[Any]],
    keys: Sequence[int],
    rel: float = REL,
) -> list[str]:
    """Full outer join of two row sets on the columns ``keys``: unmatched rows, duplicate keys
    and differing values (see :func:`value_diff`); empty when the engines agree."""
    out: list[str] = []
    sides = []
    for name, rows in (("duckdb", left), ("spark", right)):
        index: dict[tuple[Any, ...], Sequence[Any]] = {}
        for r in rows:
            k = tuple(r[i] for i in keys)
            if k in index:
                out.append(f"{name}: key {k} twice")
            index[k] = r
        sides.append(index)
    a, b = sides
    out += [f"key {k} only in duckdb" for k in a.keys() - b.keys()]
    out += [f"key {k} only in spark" for k in b.keys() - a.keys()]
    for k in a.keys() & b.keys():
        out += value_diff(list(a[k]), list(b[k]), rel, f"{k}")
    return out
