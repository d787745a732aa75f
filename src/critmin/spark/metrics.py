"""Every metric query of :mod:`critmin.analytics`, with parameters to check it by.

:func:`metric_queries` is what ``--engine spark`` routes to Spark and what the portability
check (``tests/test_spark_sql.py``) transpiles and parses on Spark for each query. A query that
is not yet portable is listed in :data:`NOT_PORTABLE` with the reason, so the gap is visible.
"""

from __future__ import annotations

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
    out = [
        MetricQuery("exposure", X._SQL.format(lookback=X.WGI_LOOKBACK_YEARS), expo, (0, 1, 2)),
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
        MetricQuery("geopolrisk_critmin", G._grid_sql(False)),
        MetricQuery("geopolrisk_peer", G._grid_sql(True)),
    ]
    return out


NOT_PORTABLE = {
    "geopolrisk_critmin": "INT128 products for the peer's exact integer HHI, first(… ORDER BY), "
    "divisions without nullif, and session tables registered from Arrow; runs on DuckDB",
    "geopolrisk_peer": "as geopolrisk_critmin",
}


def portable_queries() -> list[MetricQuery]:
    """The metric queries ``--engine spark`` runs on Spark."""
    return [q for q in metric_queries() if q.name not in NOT_PORTABLE]
