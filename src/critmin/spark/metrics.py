"""Every metric query of :mod:`critmin.analytics`, with parameters to check it by, and the
engine-parity checks.

:func:`metric_queries` is what ``--engine spark`` routes to Spark and what the portability
check (``tests/test_spark_sql.py``) transpiles and parses on Spark for each query. A query that
is not yet portable is listed in :data:`NOT_PORTABLE` with the reason, so the gap is visible.

:func:`join_diff` is the check the parity tests and ``make bench`` use on query rows: a full
outer join on key columns (no unmatched row on either side), the same NULLs, numbers within a
relative tolerance (default 1e-12) and list columns compared element by element, in order.
:func:`value_diff` does the same for nested JSON-like answers (``--format json``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MetricQuery:
    """One metric query as the analytics module runs it, and sample parameters."""

    name: str
    sql: str
    params: dict[str, Any] = field(default_factory=dict)
    keys: tuple[int, ...] = (0,)  # the columns that identify a row (parity joins on them)


def metric_queries() -> list[MetricQuery]:
    """The metric queries (exposure, net import reliance, concentration HHI/CR3, EU supply
    risk, GeoPolRisk) in the text the analytics modules execute."""
    from critmin.analytics import concentration as C
    from critmin.analytics import eu_supply_risk as E
    from critmin.analytics import exposure as X
    from critmin.analytics import geopolrisk as G

    expo = {
        "importers": ["KOR"],
        "mineral": "lithium",
        "year": 2022,
        "stage": None,
        "indicator": "pv",
        "threshold": 0.0,
    }
    conc = {"mineral": "lithium", "stage": None, "source": None, "year": None}
    eu = {"mineral": "lithium", "wgi_year": 2022, "wgi_default": 5.0, "t_default": 1.0}
    # New Zealand / Asbestos / 2018 is the cell the peer scores NaN (an exporter's WGI 'nan');
    # 2030 has no production data
    gpr = {
        "cells": G._cells({"KOR": [410], "NZL": [554], "KOR+JPN": [410, 392]}),
        "materials": ["Asbestos", "Chromite", "Cobalt", "Lithium"],
        "years": [2018, 2022, 2030],
    }
    out = [
        *(
            MetricQuery(
                f"exposure_by_{by}",
                X._SQL.format(
                    lookback=X.WGI_LOOKBACK_YEARS, codes=X._CODES[by], trade=X._TRADE[by]
                ),
                {**expo, "stage": None},
                (0, 1, 2, 17),
            )
            for by in ("stage", "product")
        ),
        MetricQuery(
            "net_import_reliance", X._NIR_SQL, {"c": ["KOR"], "mineral": "graphite", "year": 2022}
        ),
        *(
            MetricQuery(f"concentration_{m}", C._sql(m, C._ONE_YEAR), conc, (0, 1, 2, 3))
            for m in ("production", "reserves")
        ),
        *(
            MetricQuery(
                f"concentration_series_{m}",
                C._sql(m, "TRUE"),
                {k: v for k, v in conc.items() if k != "year"},
                (0, 1, 2, 3),
            )
            for m in ("production", "reserves")
        ),
        MetricQuery("eu_wgi", E._WGI_SQL, {"wgi_year": 2022}),
        MetricQuery("eu_global", E._GLOBAL_SQL.format(wgi=E._WGI_SQL), {**eu, "scope": "global"}),
        MetricQuery(
            "eu_trade",
            E._TRADE_SQL,
            {"mineral": "lithium", "importers": ["KOR"], "year": 2022},
            (0, 1),
        ),
        MetricQuery("eu_t", E._T_SQL, {"mineral": "lithium"}, (0, 1)),
        *(
            MetricQuery(f"geopolrisk_{name}", G._grid_sql(peer), gpr, (0, 1, 3))
            for name, peer in (("critmin", False), ("peer", True))
        ),
    ]
    return out


# name -> why the query cannot run on Spark yet (it then stays on DuckDB with --engine spark);
# empty since GeoPolRisk became portable
NOT_PORTABLE: dict[str, str] = {}


def portable_queries() -> list[MetricQuery]:
    """The metric queries ``--engine spark`` runs on Spark."""
    return [q for q in metric_queries() if q.name not in NOT_PORTABLE]


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
