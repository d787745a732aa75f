"""``critmin registry merge DIR``: load the Parquet output of ``critmin ingest --engine spark``
into the agreements registry, idempotently.

Reads with DuckDB (no Spark or Java needed). Documents are taken in input order (the order the
local ``critmin ingest`` reads them in); a document whose sha256 is already in the registry is
skipped, so merging twice, or merging output that overlaps earlier ingests, adds nothing. Each
document is written in its own transaction with the same rows :func:`critmin.agreements.store.
store` writes, so the registry equals the one the local engine builds from the same inputs.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from critmin.errors import ConfigError

_EMPTY = {
    "agreements": "(SELECT NULL::VARCHAR AS sha256, NULL::INTEGER AS agreement_no, "
    "NULL::VARCHAR AS instrument, NULL::VARCHAR AS status, NULL::VARCHAR AS signed_on, "
    "NULL::VARCHAR[] AS parties, NULL::VARCHAR[] AS countries, NULL::VARCHAR[] AS minerals, "
    "NULL::VARCHAR[] AS stages, NULL::VARCHAR[] AS sectors, NULL::VARCHAR AS clauses, "
    "NULL::INTEGER AS year LIMIT 0)",
    "evidence": "(SELECT NULL::VARCHAR AS sha256, NULL::INTEGER AS agreement_no, "
    "NULL::INTEGER AS evidence_no, NULL::VARCHAR AS field, NULL::VARCHAR AS value, "
    "NULL::VARCHAR AS sentence, NULL::INTEGER AS start_char, NULL::INTEGER AS end_char, "
    "NULL::INTEGER AS year LIMIT 0)",
}


@dataclass(frozen=True)
class MergeResult:
    """What a merge added."""

    documents: int
    skipped: int
    failed: int
    agreements: int


def _table(out: Path, name: str) -> str:
    d = out / name
    if (
        name in ("agreements", "evidence")
        and (d / "_SUCCESS").exists()
        and not any(d.rglob("*.parquet"))
    ):  # Spark writes no file for an empty partitioned table
        return f"(SELECT * FROM {_EMPTY[name]})"
    if not d.is_dir() or not any(d.rglob("*.parquet")):
        raise ConfigError(
            f"{out} has no {name} table ({d}/…parquet). Fix: pass the --out folder of "
            f"`critmin ingest --engine spark`"
        )
    return f"read_parquet('{(d / '**' / '*.parquet').as_posix()}', hive_partitioning = true)"


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    cols = [c[0] for c in cur.description or []]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def merge(con: duckdb.DuckDBPyConnection, out: Path) -> MergeResult:
    """Add the documents of ``out`` that the registry ``con`` does not have yet."""
    docs = _rows(
        con,
        f"SELECT * EXCLUDE (year) FROM {_table(out, 'documents')} ORDER BY ordinal, entry",
    )
    gaz = _rows(con, f"SELECT id, name_en, name_ko, iso3, kind FROM {_table(out, 'organizations')}")
    agreements: dict[str, list[dict[str, Any]]] = {}
    for a in _rows(
        con,
        f"SELECT * EXCLUDE (year) FROM {_table(out, 'agreements')} ORDER BY sha256, agreement_no",
    ):
        agreements.setdefault(a["sha256"], []).append(a)
    evidence: dict[tuple[str, int], list[tuple[Any, ...]]] = {}
    for e in con.execute(
        f"SELECT sha256, agreement_no, field, value, sentence, start_char, end_char "
        f"FROM {_table(out, 'evidence')} ORDER BY sha256, agreement_no, evidence_no"
    ).fetchall():
        evidence.setdefault((e[0], e[1]), []).append(e[2:])
    orgs = {g["id"]: tuple(g.values()) for g in gaz}
    for d in docs:  # the union the local engine stores, written once (not once per document)
        if d["error"] is None:
            orgs.update((o[0], tuple(o)) for o in json.loads(d["organizations"]))
    con.executemany(
        "INSERT OR REPLACE INTO organizations VALUES (?, ?, ?, ?, ?)", list(orgs.values())
    )
    added = skipped = n_agreements = 0
    for d in docs:
        if d["error"] is not None:
            continue
        if con.execute("SELECT 1 FROM documents WHERE sha256 = ?", [d["sha256"]]).fetchone():
            skipped += 1
            continue
        n_agreements += _store(con, d, agreements.get(d["sha256"], []), evidence)
        added += 1
    failed = sum(1 for d in docs if d["error"] is not None)
    return MergeResult(added, skipped, failed, n_agreements)


def _store(
    con: duckdb.DuckDBPyConnection,
    d: dict[str, Any],
    agreements: list[dict[str, Any]],
    evidence: dict[tuple[str, int], list[tuple[Any, ...]]],
) -> int:
    con.execute("BEGIN TRANSACTION")
    try:
        row = con.execute(
            "INSERT INTO documents (sha256, path, title, date, language, publisher, url, "
            "document_count, document_count_evidence, text, ingested_at) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING doc_id",
            [
                d["sha256"],
                d["path"],
                d["title"],
                d["date"],
                d["language"],
                d["publisher"],
                d["url"],
                d["document_count"],
                d["document_count_evidence"],
                d["text"],
                dt.datetime.now(dt.UTC),
            ],
        ).fetchone()
        assert row is not None
        for a in agreements:
            r = con.execute(
                "INSERT INTO agreements (doc_id, instrument, status, signed_on, parties, "
                "countries, minerals, stages, sectors, clauses) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?) RETURNING agreement_id",
                [
                    row[0],
                    a["instrument"],
                    a["status"],
                    a["signed_on"],
                    list(a["parties"]),
                    list(a["countries"]),
                    list(a["minerals"]),
                    list(a["stages"]),
                    list(a["sectors"]),
                    a["clauses"],
                ],
            ).fetchone()
            assert r is not None
            ev = evidence.get((d["sha256"], a["agreement_no"]), [])
            if ev:
                con.executemany(
                    "INSERT INTO evidence VALUES (?, ?, ?, ?, ?, ?)", [(r[0], *e) for e in ev]
                )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(agreements)
