"""Spark vs the embedded engine (issue #16), printed by ``make bench``; never a timed test.

1. Extraction: documents per second of the plain loop (one process) and of ``critmin ingest
   --engine spark`` on local[2] over the same records, with the N-core estimate worked out from
   the measured per-document cost.
2. Analytics: the exposure query and the GeoPolRisk grid on DuckDB and on Spark SQL (local[2])
   over ×10 synthetic trade tables (the real tidy.trade and staging.baci_trade ten times,
   values scaled per copy), each with the parity check.
On a 2-core machine shared with other work Spark is expected to lose; the numbers say by how much.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DOCS = int(os.environ.get("CRITMIN_BENCH_SPARK_DOCS", "240"))
COPIES = 10


def _records(n: int) -> list[dict[str, Any]]:
    corpus = REPO.parent / "shared" / "corpus"
    paths = sorted(corpus.rglob("*.md")) or sorted((REPO / "eval" / "agreements").glob("*.md"))
    paths = [p for p in paths if p.name.lower() != "readme.md"]
    texts = [(str(p), p.read_text(encoding="utf-8")) for p in paths]
    return [{"path": f"{texts[i % len(texts)][0]}#{i}", "text": texts[i % len(texts)][1]}
            for i in range(n)]  # fmt: skip


def _extraction(spark: Any, db: Path, tmp: Path) -> list[str]:
    from critmin.agreements.extract import Extractor
    from critmin.agreements.resources import load_resources
    from critmin.agreements.text import sentences
    from critmin.spark import rows as R
    from critmin.spark.ingest import extracted
    from critmin.warehouse.db import connect

    with connect(db) as con:
        ex = Extractor(load_resources(con))
    sentences("준비.", "ko")
    recs = _records(DOCS)
    src = tmp / "docs.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), "utf-8")
    t0 = time.perf_counter()
    for i, r in enumerate(recs):
        R.record_rows(ex, r, i)
    loop = time.perf_counter() - t0
    warm = src.with_name("warm.jsonl")
    warm.write_text("".join(src.read_text("utf-8").splitlines(True)[:8]), "utf-8")

    def spark_run(path: Path) -> float:
        t = time.perf_counter()
        extracted(spark, [path], ex, max_bytes=2_000_000, partitions=4).write.format("noop").mode(
            "overwrite"
        ).save()
        return time.perf_counter() - t

    cold = spark_run(warm)  # worker start, broadcast, Kiwi once per worker
    sp = spark_run(src)
    c = loop / DOCS  # measured per-document cost on one core
    rate1, rate2 = DOCS / loop, DOCS / sp
    eff = rate2 / (2 * rate1)
    per_core = rate1 * eff
    lines = [
        f"Spark: agreement extraction, {DOCS} documents (corpus copies), same records",
        f"  plain loop, 1 process                         {rate1:8.1f} docs/s"
        f" ({c * 1000:.1f} ms/doc)",
        f"  Spark local[2], mapInPandas (warm workers)     {rate2:8.1f} docs/s ({sp:.1f} s)",
        f"  Spark start-up on 8 documents (cold workers)   {cold:8.1f} s",
        f"  2-core efficiency = {rate2:.1f} / (2 × {rate1:.1f})           = {eff:8.2f}",
        f"  N cores ≈ N × {rate1:.1f} docs/s × {eff:.2f} = N × {per_core:.1f} docs/s;"
        f" e.g. 64 cores: {64 * per_core:,.0f} docs/s,",
        f"    10^6 documents = 10^6 × {c * 1000:.1f} ms / (64 × {eff:.2f}) ="
        f" {1e6 * c / (64 * eff) / 60:,.1f} min (vs {1e6 * c / 3600:,.1f} h on one core)",
    ]
    return lines


def _x10(db: Path, tmp: Path) -> tuple[Path, int, int]:
    """The warehouse's tables the metric queries read, with tidy.trade and staging.baci_trade
    ten times (quantities and values scaled per copy); their row counts."""
    import duckdb

    big = tmp / "x10.duckdb"
    with duckdb.connect(str(big)) as con:
        con.execute(f"ATTACH '{db}' AS wh (READ_ONLY)")
        con.execute("CREATE SCHEMA tidy; CREATE SCHEMA staging; CREATE SCHEMA meta")
        for t in ("hs_products", "governance", "production"):
            con.execute(f"CREATE TABLE tidy.{t} AS SELECT * FROM wh.tidy.{t}")
        for t in ("wmd_hs_map", "gpr_wgi", "wmd_production", "wmd_country_iso"):
            con.execute(f"CREATE TABLE staging.{t} AS SELECT * FROM wh.staging.{t}")
        con.execute(
            "CREATE TABLE meta.ref_commodity_map AS SELECT * FROM wh.meta.ref_commodity_map"
        )
        con.execute(
            "CREATE TABLE tidy.trade AS SELECT t.* REPLACE (t.value_usd * (1 + k / 100) AS "
            f"value_usd, t.quantity_t * (1 + k / 50) AS quantity_t) FROM wh.tidy.trade t, "
            f"range({COPIES}) r(k)"
        )
        con.execute(
            "CREATE TABLE staging.baci_trade AS SELECT b.* REPLACE (b.v * (1 + r.n / 100) AS v, "
            f"b.q * (1 + r.n / 50) AS q) FROM wh.staging.baci_trade b, range({COPIES}) r(n)"
        )
        trade, baci = (
            con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            for t in ("tidy.trade", "staging.baci_trade")
        )
        con.execute("DETACH wh")
    return big, trade, baci


def _timed(run: Any, times: int = 3) -> tuple[Any, list[float]]:
    out, dt = None, []
    for _ in range(times):
        t0 = time.perf_counter()
        out = run()
        dt.append(time.perf_counter() - t0)
    return out, dt


def _analytics(spark: Any, db: Path, tmp: Path) -> list[str]:
    import duckdb

    from critmin.analytics.geopolrisk import _grid_sql, geopolrisk_grid
    from critmin.spark.metrics import join_diff, portable_queries
    from critmin.spark.sql import SparkConnection, Tables

    big, trade_rows, baci_rows = _x10(db, tmp)
    q = next(q for q in portable_queries() if q.name == "exposure_by_stage")
    params = {**q.params, "mineral": None, "year": None}  # every mineral, every year
    lines: list[str] = []
    with duckdb.connect(str(big), read_only=True) as con:
        tables = Tables(spark, con, big, cache=tmp / "parquet")
        t0 = time.perf_counter()
        for name in ("tidy.trade", "tidy.hs_products", "tidy.governance"):
            tables[name]
        export = time.perf_counter() - t0
        want, dt = _timed(lambda: con.execute(q.sql, params).fetchall())
        sc = SparkConnection(con, spark, tables, [q.sql])
        got, st = _timed(lambda: sc.execute(q.sql, params).fetchall())
        lines += _report(
            f"exposure SQL, KOR × every mineral × every year, ×{COPIES} trade "
            f"({trade_rows:,} rows)",
            dt, st, export, len(want), join_diff(want, got, q.keys),
        )  # fmt: skip

        # GeoPolRisk: the peer's grid (every WMD country × every material × every production
        # year), critmin's profile, over ×10 BACI flows
        importers = {
            str(n): [int(c)]
            for c, n in con.execute(
                "SELECT iso_numeric, country FROM staging.wmd_country_iso"
            ).fetchall()
        }
        years = [y for (y,) in con.execute(
            "SELECT DISTINCT year FROM staging.wmd_production ORDER BY 1"
        ).fetchall()]  # fmt: skip
        t0 = time.perf_counter()
        for name in ("staging.baci_trade", "staging.gpr_wgi", "staging.wmd_production",
                     "staging.wmd_hs_map", "meta.ref_commodity_map"):  # fmt: skip
            tables[name]
        export = time.perf_counter() - t0

        def grid(c: Any) -> list[tuple[Any, ...]]:
            return [tuple(vars(x).values()) for x in geopolrisk_grid(c, importers, years=years)]

        want, dt = _timed(lambda: grid(con))
        sc = SparkConnection(con, spark, tables, [_grid_sql(False)])
        got, st = _timed(lambda: grid(sc))
        lines += _report(
            f"GeoPolRisk grid, {len(importers)} importers × {len(want) // len(importers)} "
            f"material-years, ×{COPIES} BACI ({baci_rows:,} rows)",
            dt, st, export, len(want), join_diff(want, got, (0, 1, 3)),
        )  # fmt: skip
    return lines


def _report(
    title: str, dt: list[float], st: list[float], export: float, rows: int, diff: list[str]
) -> list[str]:
    d, s = statistics.median(dt), statistics.median(st)
    return [
        f"Spark: {title}",
        f"  DuckDB (median of 3)                          {d:8.2f} s",
        f"  Spark SQL local[2] over Parquet (median of 3) {s:8.2f} s   (first run {st[0]:.2f} s;"
        f" Parquet export once {export:.1f} s)",
        f"  Spark / DuckDB                                {s / d:8.1f} x slower on 2 cores",
        f"  parity: {rows} rows, {len(diff)} differences (full outer join, 1e-12 relative)",
    ]


def run(db: Path) -> list[str]:
    """Both Spark benchmarks; report lines (a one-line note when Spark is not installed)."""
    try:
        from critmin.spark import session

        spark = session("local[2]", app="critmin-bench")
    except Exception as exc:  # pyspark or Java missing: the rest of make bench still runs
        return [f"Spark benchmarks skipped: {exc}"]
    with tempfile.TemporaryDirectory(prefix="critmin-spark-bench-") as d:
        return _extraction(spark, db, Path(d)) + _analytics(spark, db, Path(d))


if __name__ == "__main__":
    db = Path(os.environ.get("CRITMIN_DB", REPO / ".critmin" / "critmin.duckdb"))
    print("\n".join(run(db)))
