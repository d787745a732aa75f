"""``critmin ingest --engine spark``: extract agreements from a news archive on Spark.

Input: a folder (or files) of news documents, listed on the driver in the same order as the
local ``critmin ingest`` and read on the executors (the folder must be visible at the same path
on every worker: local disk in local mode, a shared mount on a cluster), or JSON Lines /
Parquet records with columns ``path``/``url``, ``text`` or ``html``, ``date``, ``language``.

The extractor is built once on the driver from the warehouse, broadcast once, and run inside
``mapInPandas``; Kiwi (Korean morphology) loads once per Python worker (``lru_cache`` in
:mod:`critmin.agreements.text`). Output, under ``--out``: Parquet tables ``documents``,
``agreements``, ``parties`` and ``evidence`` partitioned by the document's publication year
(``year=__HIVE_DEFAULT_PARTITION__`` when undated), and ``organizations`` (the gazetteer).
``critmin registry merge DIR`` loads them into the agreements store
(:mod:`critmin.spark.merge`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from critmin.agreements.documents import document_files
from critmin.agreements.extract import Extractor
from critmin.errors import ConfigError
from critmin.spark import rows as R

log = logging.getLogger(__name__)

RECORD_SUFFIXES = {".jsonl": "json", ".ndjson": "json", ".json": "json", ".parquet": "parquet"}
TABLES = ("documents", "agreements", "parties", "evidence")


@dataclass(frozen=True)
class IngestResult:
    """What one Spark ingest wrote."""

    out: Path
    documents: int
    failed: list[tuple[str, str]]
    agreements: int


def input_kind(path: Path) -> str:
    """``files``, ``json`` or ``parquet`` for one INPUT argument."""
    if path.is_file():
        return RECORD_SUFFIXES.get(path.suffix.lower(), "files")
    if path.is_dir() and any(path.glob("*.parquet")) and not any(path.rglob("*.md")):
        return "parquet"
    if path.exists():
        return "files"
    raise ConfigError(f"input {path} does not exist. Fix: pass a folder, files, JSONL or Parquet")


def _file_mapper(bc: Any, max_bytes: int) -> Any:
    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pandas as pd

        ex: Extractor = bc.value  # deserialised once per Python worker
        for b in batches:
            out = [
                r
                for o, p in zip(b["ordinal"], b["path"], strict=True)
                for r in R.file_rows(ex, str(p), int(o), max_bytes)
            ]
            yield pd.DataFrame(out, columns=_names())

    return run


def _record_mapper(bc: Any) -> Any:
    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pandas as pd

        ex: Extractor = bc.value
        for b in batches:
            out = []
            for rec in b.to_dict("records"):
                rec = {k: (None if v is None or v != v else v) for k, v in rec.items()}
                if "date" in rec and rec["date"] is not None:
                    rec["date"] = str(rec["date"])[:10]
                out += R.record_rows(ex, rec, int(rec.pop("_ordinal")))
            yield pd.DataFrame(out, columns=_names())

    return run


def _names() -> list[str]:
    return [c.split()[0] for c in R.DOCUMENT_COLUMNS.split(", ")]


def extracted(
    spark: Any, inputs: list[Path], ex: Extractor, *, max_bytes: int, partitions: int | None
) -> Any:
    """A DataFrame of :data:`critmin.spark.rows.DOCUMENT_COLUMNS`, one row per document."""
    from pyspark.sql import functions as F

    kinds = {input_kind(p) for p in inputs}
    if len(kinds) > 1:
        raise ConfigError(
            f"inputs mix kinds {sorted(kinds)}: {[str(p) for p in inputs]}. Fix: ingest folders "
            "of files, JSON Lines and Parquet in separate runs"
        )
    (kind,) = kinds
    bc = spark.sparkContext.broadcast(ex)
    n = partitions or spark.sparkContext.defaultParallelism
    if kind == "files":
        files = document_files(list(inputs))
        listing = spark.createDataFrame(
            [(i, str(f)) for i, f in enumerate(files)], "ordinal long, path string"
        )
        listing = listing.repartition(max(1, min(n, len(files))), "ordinal")
        return listing.mapInPandas(_file_mapper(bc, max_bytes), R.DOCUMENT_COLUMNS)
    names = [str(p) for p in inputs]
    df = spark.read.json(names) if kind == "json" else spark.read.parquet(*names)
    missing = {"text", "html"} - set(df.columns)
    if len(missing) == 2:
        raise ConfigError(
            f"records in {[str(p) for p in inputs]} have columns {df.columns}, none of text or "
            "html. Fix: give each record a text (or html) column, with path or url, date, language"
        )
    for c in ("path", "url", "text", "html", "date", "language", "title", "publisher"):
        if c not in df.columns:
            df = df.withColumn(c, F.lit(None).cast("string"))
    df = df.select(
        F.monotonically_increasing_id().alias("_ordinal"),
        *[F.col(c).cast("string") for c in ("path", "url", "text", "html", "date")],
        *[F.col(c).cast("string") for c in ("language", "title", "publisher")],
    )
    return df.repartition(n).mapInPandas(_record_mapper(bc), R.DOCUMENT_COLUMNS)


def write_tables(spark: Any, docs: Any, out: Path, gazetteer: list[list[str]]) -> int:
    """Write the four year-partitioned tables (and the gazetteer) under ``out``; returns the
    number of agreements."""
    from pyspark.sql import functions as F

    docs = docs.persist()
    mode = "overwrite"
    docs.drop("payload").write.mode(mode).partitionBy("year").parquet(str(out / "documents"))
    ag = docs.where(F.col("error").isNull()).select(
        "sha256", "year", F.explode(F.from_json("payload", R.PAYLOAD_SCHEMA)).alias("a")
    )
    ag = ag.persist()
    ag.select(
        "sha256",
        "a.agreement_no",
        "a.instrument",
        "a.status",
        "a.signed_on",
        F.transform("a.parties", lambda p: p["id"]).alias("parties"),
        "a.countries",
        "a.minerals",
        "a.stages",
        "a.sectors",
        "a.clauses",
        "year",
    ).write.mode(mode).partitionBy("year").parquet(str(out / "agreements"))
    for table, col in (("parties", "a.parties"), ("evidence", "a.evidence")):
        ag.select("sha256", "a.agreement_no", "year", F.explode(col).alias("x")).select(
            "sha256", "agreement_no", "x.*", "year"
        ).write.mode(mode).partitionBy("year").parquet(str(out / table))
    spark.createDataFrame(
        gazetteer, "id string, name_en string, name_ko string, iso3 string, kind string"
    ).coalesce(1).write.mode(mode).parquet(str(out / "organizations"))
    n = int(ag.count())
    ag.unpersist()
    return n


def ingest(
    spark: Any,
    inputs: list[Path],
    out: Path,
    ex: Extractor,
    *,
    max_bytes: int = 2_000_000,
    partitions: int | None = None,
) -> IngestResult:
    """Extract ``inputs`` on Spark and write the Parquet tables under ``out``."""
    gazetteer = [R._org(o) for o in ex.res.orgs.values()]
    docs = extracted(spark, inputs, ex, max_bytes=max_bytes, partitions=partitions)
    n_agreements = write_tables(spark, docs, out, gazetteer)
    stats = spark.read.parquet(str(out / "documents")).select("path", "error", "sha256")
    rows = stats.collect()
    failed = sorted((r["path"], r["error"]) for r in rows if r["error"] is not None)
    docs.unpersist()
    (out / "_critmin.json").write_text(
        json.dumps({"tables": [*TABLES, "organizations"], "documents": len(rows)}) + "\n"
    )
    return IngestResult(out, len(rows) - len(failed), failed, n_agreements)
