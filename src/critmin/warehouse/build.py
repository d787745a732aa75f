"""Build the DuckDB warehouse: ``meta`` (sources, snapshots, build runs), ``staging`` and
``tidy``.

The build is atomic: it writes ``.<name>.<pid>.building`` beside the target and renames it over
the target only after every table and check succeeded, so a failed or interrupted build leaves
the previous warehouse untouched. It is skipped when the input hash (every snapshot's sha256,
plus the code and reference data of this critmin version) equals that of the last successful
build; ``force=True`` rebuilds anyway. A lock file keeps two builds from racing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import duckdb

from critmin import __version__
from critmin.errors import BuildError, SourceUnavailableError
from critmin.sources.catalog import Source, load_registry
from critmin.sources.fetch import sha256_file, snapshot_path
from critmin.warehouse import harmonise, staging
from critmin.warehouse.reference import SOURCE_ID, ReferenceFile, load_reference, reference_files
from critmin.warehouse.staging import Snapshot
from critmin.warehouse.tidy import build_tidy, check_lineage

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    """What a build did."""

    db: Path
    input_hash: str
    skipped: bool
    seconds: float = 0.0
    tables: dict[str, int] = field(default_factory=dict)
    corrections: int = 0


@dataclass(frozen=True)
class _Located:
    source: Source
    snapshots: dict[str, Snapshot]
    hashes: dict[str, str]


def locate_snapshots(sources: dict[str, Source], data_dir: Path) -> list[_Located]:
    """Find and re-verify every snapshot of every source in ``data_dir``."""
    located = []
    for src in sources.values():
        snaps, hashes = {}, {}
        for f in src.files:
            path = snapshot_path(data_dir, src, f)
            if not path.is_file():
                raise SourceUnavailableError(
                    f"snapshot {src.id}/{f.name} is missing from {data_dir}. Fix: run "
                    f"`critmin fetch` (with --mirror ../shared/data where available)"
                )
            actual = sha256_file(path)
            if actual != f.sha256:
                raise BuildError(
                    f"snapshot {path} has sha256 {actual}, registry expects "
                    f"{f.sha256}. Fix: run `critmin fetch` to replace it"
                )
            sid = f"{src.id}/{f.name}"
            snaps[f.name] = Snapshot(sid, path)
            hashes[sid] = actual
        located.append(_Located(src, snaps, hashes))
    return located


def code_hash() -> str:
    """sha256 over critmin's own code, registry and reference files (this version's logic)."""
    h = hashlib.sha256(__version__.encode())
    root = Path(str(resources.files("critmin")))
    for p in sorted(root.rglob("*")):
        if p.suffix in {".py", ".toml", ".csv"} and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def input_hash(located: list[_Located], refs: list[ReferenceFile]) -> str:
    """Hash of everything a build reads."""
    items = sorted((sid, sha) for loc in located for sid, sha in loc.hashes.items())
    items += sorted((r.snapshot_id, sha256_file(r.path)) for r in refs)
    return hashlib.sha256(json.dumps([items, code_hash()]).encode()).hexdigest()


def last_build_hash(db: Path) -> str | None:
    """Input hash of the last successful build recorded in ``db``, if any."""
    if not db.exists():
        return None
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            row = con.execute(
                "SELECT input_hash FROM meta.build_runs WHERE status = 'ok' "
                "ORDER BY finished_at DESC LIMIT 1"
            ).fetchone()
    except duckdb.Error:
        return None
    return str(row[0]) if row else None


@contextlib.contextmanager
def _lock(db: Path) -> Iterator[None]:
    db.parent.mkdir(parents=True, exist_ok=True)
    with open(db.parent / f".{db.name}.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(
                f"another build of {db} is running (lock {fh.name}); wait for it to finish"
            ) from None
        yield


def _remove_stale_temps(db: Path) -> None:
    for p in db.parent.glob(f".{db.name}.*.building*"):
        log.info("removing leftover temporary file %s from an interrupted build", p)
        p.unlink(missing_ok=True)


def _write_meta(
    con: duckdb.DuckDBPyConnection, located: list[_Located], refs: list[ReferenceFile]
) -> None:
    con.execute("""CREATE TABLE meta.sources (id VARCHAR PRIMARY KEY, producer VARCHAR,
        title VARCHAR, edition VARCHAR, licence VARCHAR, licence_url VARCHAR,
        attribution VARCHAR, origin VARCHAR, doi VARCHAR, upstream VARCHAR, retrieved VARCHAR)""")
    con.execute("""CREATE TABLE meta.snapshots (snapshot_id VARCHAR PRIMARY KEY,
        source_id VARCHAR, file VARCHAR, sha256 VARCHAR, bytes BIGINT, member_of VARCHAR,
        url VARCHAR, citation VARCHAR)""")
    for loc in located:
        s = loc.source
        con.execute(
            "INSERT INTO meta.sources VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [
                s.id,
                s.producer,
                s.title,
                s.edition,
                s.licence,
                s.licence_url,
                s.attribution,
                s.origin,
                s.doi,
                s.upstream,
                s.retrieved,
            ],
        )
        for f in s.files:
            con.execute(
                "INSERT INTO meta.snapshots VALUES (?,?,?,?,?,?,?,?)",
                [
                    f"{s.id}/{f.name}",
                    s.id,
                    f.name,
                    f.sha256,
                    f.bytes,
                    f.member_of or None,
                    f.url or None,
                    s.citation_for(f),
                ],
            )
    con.execute(
        "INSERT INTO meta.sources VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [
            SOURCE_ID,
            "critmin project",
            "critmin reference tables (authored, one citation per row)",
            __version__,
            "CC BY 4.0",
            "https://creativecommons.org/licenses/by/4.0/",
            "critmin reference data; each row cites its own source in citation_id",
            "critmin/reference/",
            "",
            "",
            "",
        ],
    )
    for r in refs:
        con.execute(
            "INSERT INTO meta.snapshots VALUES (?,?,?,?,?,?,?,?)",
            [
                r.snapshot_id,
                SOURCE_ID,
                r.path.name,
                sha256_file(r.path),
                r.path.stat().st_size,
                None,
                None,
                "per-row citation_id",
            ],
        )


def _previous_runs(db: Path) -> list[tuple[object, ...]]:
    if not db.exists():
        return []
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            return con.execute("SELECT * FROM meta.build_runs").fetchall()
    except duckdb.Error:
        return []


def _populate(
    con: duckdb.DuckDBPyConnection, located: list[_Located], refs: list[ReferenceFile]
) -> tuple[dict[str, int], int]:
    for schema in ("meta", "staging", "tidy"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    _write_meta(con, located, refs)
    loaders = staging.registry()
    for loc in located:
        loader = loaders.get(loc.source.loader)
        if loader is None:
            raise BuildError(
                f"source {loc.source.id} names unknown loader "
                f"{loc.source.loader!r}; known: {sorted(loaders)}"
            )
        t0 = time.perf_counter()
        written = loader(con, loc.snapshots)
        log.info(
            "staged %s → %s (%.1fs)", loc.source.id, ", ".join(written), time.perf_counter() - t0
        )
    load_reference(con, refs)
    harmonise.prepare(con)
    corrections = build_tidy(con, [loc.source.loader for loc in located])
    harmonise.warn_unused_aliases(con)
    for t in [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema='main' AND table_type='LOCAL "
            "TEMPORARY'"
        ).fetchall()
    ]:
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return check_lineage(con), corrections


def build(
    *,
    db: Path,
    data_dir: Path,
    force: bool = False,
    sources: dict[str, Source] | None = None,
    reference: Path | None = None,
) -> BuildResult:
    """Build the warehouse at ``db`` from verified snapshots in ``data_dir``."""
    from critmin.warehouse.staging.baci import discover

    sources = {**(sources if sources is not None else load_registry()), **discover(data_dir)}
    located = locate_snapshots(sources, data_dir)
    refs = reference_files(reference)
    digest = input_hash(located, refs)
    with _lock(db):
        _remove_stale_temps(db)
        if not force and last_build_hash(db) == digest:
            log.info(
                "warehouse %s is up to date (input hash %s); use --force to rebuild",
                db,
                digest[:12],
            )
            return BuildResult(db, digest, skipped=True)
        tmp = db.parent / f".{db.name}.{os.getpid()}.building"
        started = dt.datetime.now(dt.UTC)
        t0 = time.perf_counter()
        history = _previous_runs(db)
        try:
            con = duckdb.connect(str(tmp))
            try:
                tables, corrections = _populate(con, located, refs)
                seconds = time.perf_counter() - t0
                con.execute("""CREATE TABLE meta.build_runs (started_at TIMESTAMPTZ,
                    finished_at TIMESTAMPTZ, status VARCHAR, input_hash VARCHAR,
                    critmin_version VARCHAR, duckdb_version VARCHAR, seconds DOUBLE,
                    tables JSON)""")
                for row in history:
                    con.execute("INSERT INTO meta.build_runs VALUES (?,?,?,?,?,?,?,?)", list(row))
                con.execute(
                    "INSERT INTO meta.build_runs VALUES (?,?,?,?,?,?,?,?)",
                    [
                        started,
                        dt.datetime.now(dt.UTC),
                        "ok",
                        digest,
                        __version__,
                        duckdb.__version__,
                        seconds,
                        json.dumps(tables),
                    ],
                )
                con.execute("CHECKPOINT")
            finally:
                con.close()
            os.replace(tmp, db)
        except duckdb.Error as exc:
            raise BuildError(
                f"warehouse build failed: {exc}; the previous warehouse at {db} is untouched"
            ) from exc
        finally:
            for leftover in db.parent.glob(f"{tmp.name}*"):
                leftover.unlink(missing_ok=True)
    return BuildResult(
        db, digest, skipped=False, seconds=seconds, tables=tables, corrections=corrections
    )
