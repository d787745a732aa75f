"""Worker side of ``critmin ingest --engine spark``: documents in, flat rows out.

Pure Python (no pyspark import), so the same functions run in the plain loop, in tests and
inside ``mapInPandas``. A file is read with :func:`critmin.agreements.documents.read_documents`
exactly as the local engine reads it; a record (a JSON Lines or Parquet row with a path or URL,
``text`` or ``html``, ``date``, ``language``, optional ``title``) is read like a file of the same
kind: HTML through the same page reader, text as Markdown with front matter. Each document
becomes one row of :data:`DOCUMENT_COLUMNS`, whose ``payload`` holds its agreements, parties and
evidence as JSON (split into Parquet tables by Spark) and whose ``organizations`` holds every
organisation the registry would store with it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from critmin.agreements import documents as D
from critmin.agreements.extract import Extractor
from critmin.agreements.model import Extraction, Organization
from critmin.agreements.store import _evidence_rows

DOCUMENT_COLUMNS = (
    "ordinal long, entry int, sha256 string, path string, title string, date date, "
    "language string, publisher string, url string, document_count int, "
    "document_count_evidence string, text string, organizations string, payload string, "
    "error string, year int"
)
PAYLOAD_SCHEMA = (
    "array<struct<agreement_no:int, instrument:string, status:string, signed_on:string, "
    "parties:array<struct<party_no:int, id:string, name_en:string, name_ko:string, iso3:string, "
    "kind:string>>, countries:array<string>, minerals:array<string>, stages:array<string>, "
    "sectors:array<string>, clauses:string, evidence:array<struct<evidence_no:int, "
    "field:string, value:string, sentence:string, start_char:int, end_char:int>>>>"
)


def _org(o: Organization) -> list[str]:
    return [o.id, o.name_en, o.name_ko, o.iso3, o.kind]


def record_document(rec: dict[str, Any], where: str) -> D.Document:
    """A Document from a record: ``path`` or ``url``, ``html`` or ``text``, optional ``date``,
    ``language``, ``title``, ``publisher``. Raises DocumentError like a bad file does."""
    html, text = rec.get("html"), rec.get("text")
    path = str(rec.get("path") or rec.get("url") or where)
    source = html if isinstance(html, str) and html.strip() else text
    if not isinstance(source, str) or not source.strip():
        raise D.DocumentError(f"{path}: the record has no text or html column with content")
    fields = {k: rec.get(k) for k in ("title", "date", "language", "publisher", "url")}
    return D.parse_document(source, path, source.encode(), is_html=source is html, fields=fields)


def _payload(x: Extraction, orgs: dict[str, Organization]) -> list[dict[str, Any]]:
    out = []
    for n, a in enumerate(x.agreements):
        ev = {**a.evidence, "clauses": {c["type"]: c["evidence"] for c in a.clauses}}
        out.append(
            {
                "agreement_no": n,
                "instrument": a.instrument,
                "status": a.status,
                "signed_on": a.signed_on,
                "parties": [
                    dict(
                        zip(
                            ("id", "name_en", "name_ko", "iso3", "kind"), _org(orgs[p]), strict=True
                        )
                    )
                    | {"party_no": k}
                    for k, p in enumerate(a.parties)
                ],
                "countries": a.countries,
                "minerals": a.minerals,
                "stages": a.stages,
                "sectors": a.sectors,
                "clauses": json.dumps(
                    [{k: v for k, v in c.items() if k != "evidence"} for c in a.clauses],
                    ensure_ascii=False,
                ),
                "evidence": [
                    dict(
                        zip(
                            ("field", "value", "sentence", "start_char", "end_char"),
                            r[1:],
                            strict=True,
                        )
                    )
                    | {"evidence_no": k}
                    for k, r in enumerate(_evidence_rows(0, ev))
                ],
            }
        )
    return out


def extract_row(ex: Extractor, doc: D.Document, ordinal: int, entry: int) -> dict[str, Any]:
    """Extract one document into its output row (see the module docstring)."""
    before = set(ex.res.orgs)
    try:
        x = ex.extract(doc)
    except Exception as exc:  # one bad document must not stop an archive
        return error_row(doc.path, ordinal, entry, f"extraction failed: {exc!r}")
    created = [o for k, o in ex.res.orgs.items() if k not in before]
    orgs = {**ex.res.orgs, **x.organizations}
    keep = {o.id: o for o in [*created, *x.organizations.values()]}
    return {
        "ordinal": ordinal,
        "entry": entry,
        "sha256": doc.sha256,
        "path": doc.path,
        "title": doc.title,
        "date": doc.date,
        "language": doc.language,
        "publisher": doc.publisher,
        "url": doc.url,
        "document_count": x.document_count,
        "document_count_evidence": json.dumps(x.document_count_evidence, ensure_ascii=False),
        "text": doc.text,
        "organizations": json.dumps([_org(o) for o in keep.values()], ensure_ascii=False),
        "payload": json.dumps(_payload(x, orgs), ensure_ascii=False),
        "error": None,
        "year": doc.date.year if doc.date else None,
    }


def error_row(path: str, ordinal: int, entry: int, message: str) -> dict[str, Any]:
    """The row of a document that could not be read or extracted."""
    row: dict[str, Any] = dict.fromkeys(c.split()[0] for c in DOCUMENT_COLUMNS.split(", "))
    return row | {"ordinal": ordinal, "entry": entry, "path": path, "error": message}


def file_rows(ex: Extractor, path: str, ordinal: int, max_bytes: int) -> list[dict[str, Any]]:
    """Every document of one file (a feed has several), as the local ``critmin ingest``
    reads it."""
    try:
        docs = D.read_documents(Path(path), max_bytes=max_bytes)
    except D.DocumentError as exc:
        return [error_row(path, ordinal, 0, str(exc))]
    return [extract_row(ex, d, ordinal, n) for n, d in enumerate(docs)]


def record_rows(ex: Extractor, rec: dict[str, Any], ordinal: int) -> list[dict[str, Any]]:
    """The document of one JSON Lines/Parquet record."""
    where = f"record {ordinal}"
    try:
        doc = record_document(rec, where)
    except D.DocumentError as exc:
        return [error_row(str(rec.get("path") or rec.get("url") or where), ordinal, 0, str(exc))]
    return [extract_row(ex, doc, ordinal, 0)]


def as_date(value: object) -> dt.date | None:
    """A date column value from Arrow/pandas (date, Timestamp or None)."""
    if value is None or value != value:  # None or NaT/NaN
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None
