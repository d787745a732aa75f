"""The agreements registry: its own DuckDB file (``CRITMIN_REGISTRY``, default
``~/.local/share/critmin/agreements.duckdb``), so it survives rebuilds of the warehouse.

Tables: ``documents`` (one row per sha256: ingesting the same file twice adds nothing),
``organizations`` (the gazetteer at ingest time), ``agreements`` (instrument, status, date,
parties, countries, minerals, stages, sectors, clauses) and ``evidence`` (one row per field and
value: the sentence and its character span in the document text).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from critmin.agreements.model import Agreement, Extraction, Organization
from critmin.errors import NotFoundError

SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS doc_seq;
CREATE SEQUENCE IF NOT EXISTS agreement_seq;
CREATE TABLE IF NOT EXISTS documents (
    doc_id BIGINT PRIMARY KEY DEFAULT nextval('doc_seq'), sha256 VARCHAR UNIQUE NOT NULL,
    path VARCHAR, title VARCHAR, date DATE, language VARCHAR, publisher VARCHAR, url VARCHAR,
    document_count INTEGER, document_count_evidence JSON, text VARCHAR,
    ingested_at TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS organizations (
    id VARCHAR PRIMARY KEY, name_en VARCHAR, name_ko VARCHAR, iso3 VARCHAR, kind VARCHAR);
CREATE TABLE IF NOT EXISTS agreements (
    agreement_id BIGINT PRIMARY KEY DEFAULT nextval('agreement_seq'), doc_id BIGINT,
    instrument VARCHAR, status VARCHAR, signed_on DATE, parties VARCHAR[],
    countries VARCHAR[], minerals VARCHAR[], stages VARCHAR[], sectors VARCHAR[],
    clauses JSON);
CREATE TABLE IF NOT EXISTS evidence (
    agreement_id BIGINT, field VARCHAR, value VARCHAR, sentence VARCHAR, start_char INTEGER,
    end_char INTEGER);
"""


@contextmanager
def open_registry(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open (and create if needed) the registry."""
    if read_only and not path.is_file():
        from critmin.errors import WarehouseMissingError

        raise WarehouseMissingError(
            f"no agreements registry at {path}. Fix: run "
            f"`critmin ingest PATH...` first, or pass --registry"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        if not read_only:
            con.execute(SCHEMA)
        yield con
    finally:
        con.close()


def party_json(org: Organization, surface: str | None = None) -> dict[str, Any]:
    """A party as the dry-run JSON shows it."""
    return {
        "id": org.id,
        "name": surface or org.name_en,
        "name_en": org.name_en,
        "name_ko": org.name_ko,
        "country": org.iso3 or None,
        "kind": org.kind,
    }


def agreement_json(a: Agreement, orgs: dict[str, Organization]) -> dict[str, Any]:
    """One agreement in the issue's JSON shape."""
    return {
        "parties": [party_json(orgs[p]) for p in a.parties],
        "countries": a.countries,
        "instrument": a.instrument,
        "status": a.status,
        "signed_on": a.signed_on,
        "minerals": a.minerals,
        "stages": a.stages,
        "sectors": a.sectors,
        "clauses": [{k: v for k, v in c.items() if k != "evidence"} for c in a.clauses],
        "evidence": {**a.evidence, "clauses": {c["type"]: c["evidence"] for c in a.clauses}},
    }


def extraction_json(x: Extraction, orgs: dict[str, Organization]) -> dict[str, Any]:
    """A document and its agreements, as ``critmin ingest --dry-run --format json`` prints."""
    orgs = {**orgs, **x.organizations}
    return {
        "document": {
            **x.document.as_dict(),
            "document_count": x.document_count,
            "document_count_evidence": x.document_count_evidence,
        },
        "agreements": [agreement_json(a, orgs) for a in x.agreements],
    }


def _evidence_rows(agreement_id: int, ev: dict[str, Any]) -> list[tuple[Any, ...]]:
    rows = []
    for field_name, val in ev.items():
        if isinstance(val, dict) and "sentence" in val:
            rows.append((agreement_id, field_name, None, val["sentence"], val["start"], val["end"]))
        elif isinstance(val, dict):
            for key, span in val.items():
                rows.append(
                    (agreement_id, field_name, key, span["sentence"], span["start"], span["end"])
                )
    return rows


def store(
    con: duckdb.DuckDBPyConnection, x: Extraction, orgs: dict[str, Organization]
) -> tuple[bool, int]:
    """Write one extraction; returns (new document?, agreements written). Idempotent."""
    doc = x.document
    orgs = {**orgs, **x.organizations}
    if con.execute("SELECT 1 FROM documents WHERE sha256 = ?", [doc.sha256]).fetchone():
        return False, 0
    con.execute("BEGIN TRANSACTION")
    try:
        con.executemany(
            "INSERT OR REPLACE INTO organizations VALUES (?, ?, ?, ?, ?)",
            [(o.id, o.name_en, o.name_ko, o.iso3, o.kind) for o in orgs.values()],
        )
        row = con.execute(
            "INSERT INTO documents (sha256, path, title, date, language, publisher, url, "
            "document_count, document_count_evidence, text, ingested_at) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING doc_id",
            [
                doc.sha256,
                doc.path,
                doc.title,
                doc.date,
                doc.language,
                doc.publisher,
                doc.url,
                x.document_count,
                json.dumps(x.document_count_evidence, ensure_ascii=False),
                doc.text,
                dt.datetime.now(dt.UTC),
            ],
        ).fetchone()
        assert row is not None
        doc_id = int(row[0])
        for a in x.agreements:
            r = con.execute(
                "INSERT INTO agreements (doc_id, instrument, status, signed_on, parties, "
                "countries, minerals, stages, sectors, clauses) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?) RETURNING agreement_id",
                [
                    doc_id,
                    a.instrument,
                    a.status,
                    a.signed_on,
                    a.parties,
                    a.countries,
                    a.minerals,
                    a.stages,
                    a.sectors,
                    json.dumps(
                        [{k: v for k, v in c.items() if k != "evidence"} for c in a.clauses],
                        ensure_ascii=False,
                    ),
                ],
            ).fetchone()
            assert r is not None
            aid = int(r[0])
            ev = {**a.evidence, "clauses": {c["type"]: c["evidence"] for c in a.clauses}}
            con.executemany(
                "INSERT INTO evidence VALUES (?, ?, ?, ?, ?, ?)", _evidence_rows(aid, ev)
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return True, len(x.agreements)


def list_agreements(
    con: duckdb.DuckDBPyConnection,
    *,
    country: str | None = None,
    mineral: str | None = None,
    agreement_id: int | None = None,
) -> list[dict[str, Any]]:
    """Registry rows with their document and evidence, filtered by country, mineral or id."""
    rows = con.execute(
        """
        SELECT a.agreement_id, d.title, d.path, d.date, d.language, a.instrument, a.status,
               a.signed_on, a.parties, a.countries, a.minerals, a.stages, a.sectors, a.clauses,
               (SELECT list(struct_pack(field := e.field, value := e.value,
                                        sentence := e.sentence, start := e.start_char,
                                        "end" := e.end_char)) FROM evidence e
                 WHERE e.agreement_id = a.agreement_id) AS evidence
          FROM agreements a JOIN documents d USING (doc_id)
         WHERE ($country IS NULL OR list_contains(a.countries, $country))
           AND ($mineral IS NULL OR list_contains(a.minerals, $mineral))
           AND ($id IS NULL OR a.agreement_id = $id)
         ORDER BY d.date NULLS LAST, a.agreement_id""",
        {"country": country, "mineral": mineral, "id": agreement_id},
    ).fetchall()
    keys = [
        "agreement_id",
        "title",
        "path",
        "date",
        "language",
        "instrument",
        "status",
        "signed_on",
        "parties",
        "countries",
        "minerals",
        "stages",
        "sectors",
        "clauses",
        "evidence",
    ]
    out = []
    for r in rows:
        d = dict(zip(keys, r, strict=True))
        d["clauses"] = json.loads(d["clauses"]) if d["clauses"] else []
        for k in ("date", "signed_on"):
            d[k] = d[k].isoformat() if d[k] else None
        out.append(d)
    return out


def get_agreement(con: duckdb.DuckDBPyConnection, agreement_id: int) -> dict[str, Any]:
    """One agreement with its evidence and the full text of its document.

    Each evidence item's ``start``/``end`` are character offsets into ``text``, so a reader
    can highlight the sentence in place.
    """
    rows = list_agreements(con, agreement_id=agreement_id)
    if not rows:
        ids = [
            r[0] for r in con.execute("SELECT agreement_id FROM agreements ORDER BY 1").fetchall()
        ]
        raise NotFoundError(
            f"no agreement {agreement_id} in the registry (ids: "
            f"{', '.join(map(str, ids[:20])) or 'none'}). Fix: see `critmin agreements`"
        )
    (a,) = rows
    row = con.execute(
        "SELECT d.text, d.publisher, d.url FROM agreements a JOIN documents d USING (doc_id) "
        "WHERE a.agreement_id = ?",
        [agreement_id],
    ).fetchone()
    assert row is not None
    return {**a, "text": row[0], "publisher": row[1], "url": row[2]}
