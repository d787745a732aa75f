"""Load a full CEPII BACI release (``critmin fetch --source baci --release HS17_V202601
--from PATH_OR_URL``).

A release as CEPII distributes it (``BACI_HS17_V202601.zip``, or the folder it extracts to)
holds one CSV per year, ``BACI_HS17_Y{year}_V202601.csv`` with header ``t,i,j,k,v,q`` (year,
exporter and importer BACI numeric country codes, HS6 product code — which spreadsheet-style
readers turn into an integer without its leading zero —, value in thousand USD, quantity in
metric tonnes, missing as ``NA`` possibly space-padded), plus ``country_codes_V202601.csv``
(``country_code,country_name,country_iso2,country_iso3``) and
``product_codes_HS17_V202601.csv`` (``code,description``).

Loading: the archive's sha256 is recorded; zip members are extracted one at a time to a
temporary directory (their CRC is checked while copying, so a corrupted or truncated archive
stops the load naming the member); the yearly CSVs are streamed by DuckDB
(``read_csv`` → ``COPY … TO parquet``, memory limit :data:`MEMORY_LIMIT`) keeping the product
map's codes (every code with ``all_products``). The result is a source directory
``DATA/baci_<rev>_<version>/`` (``trade.parquet``, ``country_codes.parquet``,
``release.json`` with the hashes and row counts) that
:func:`critmin.warehouse.staging.baci.discover` turns into a registry
:class:`~critmin.sources.catalog.Source`; the build then maps countries with the release's own
country-code file (:mod:`critmin.warehouse.tidy.trade`). Nothing is written where the build reads
until
every check passed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shutil
import tempfile
import urllib.request
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from critmin.errors import CritminError
from critmin.sources.fetch import sha256_file

log = logging.getLogger(__name__)

MEMORY_LIMIT = "1GB"
SUPPORTED = ("HS92", "HS17")
_RELEASE = re.compile(r"^(HS\d\d)_(V\d{6}[a-z]?)$")
TRADE_HEADER = ["t", "i", "j", "k", "v", "q"]
COUNTRY_HEADER = ["country_code", "country_name", "country_iso2", "country_iso3"]


class ReleaseError(CritminError, ValueError):
    """A BACI release could not be loaded; nothing was changed."""


@dataclass(frozen=True)
class LoadedRelease:
    """What a load wrote."""

    source_id: str
    directory: Path
    archive_sha256: str
    rows_kept: int
    years: list[int]


def parse_release(release: str) -> tuple[str, str]:
    """``HS17_V202601`` → (``HS17``, ``V202601``); ReleaseError otherwise."""
    m = _RELEASE.match(release)
    if not m or m.group(1) not in SUPPORTED:
        raise ReleaseError(
            f"release {release!r} is not a supported BACI release name; expected e.g. "
            f"HS17_V202601 with revision one of {SUPPORTED} (the product map's revisions)"
        )
    return m.group(1), m.group(2)


def source_id(release: str) -> str:
    """The registry id of a release: ``baci_hs17_v202601``."""
    rev, ver = parse_release(release)
    return f"baci_{rev.lower()}_{ver.lower()}"


def _fetch_to(src: str, tmp: Path) -> Path:
    if "://" not in src:
        p = Path(src).expanduser()
        if not p.exists():
            raise ReleaseError(f"{src} does not exist. Fix: pass the downloaded .zip or its folder")
        return p
    out = tmp / Path(src.split("?")[0]).name
    try:
        with urllib.request.urlopen(src, timeout=120) as resp, out.open("wb") as fh:
            shutil.copyfileobj(resp, fh, 1 << 20)
    except OSError as exc:
        raise ReleaseError(f"cannot download {src}: {exc}. Fix: download it and pass PATH") from exc
    return out


def _members(rev: str, ver: str, names: list[str], where: str) -> tuple[list[str], str]:
    pat = re.compile(rf"(^|/)BACI_{rev}_Y(\d{{4}})_{ver}\.csv$")
    trade = sorted(n for n in names if pat.search(n))
    countries = [n for n in names if re.search(rf"(^|/)country_codes_{ver}\.csv$", n)]
    if not trade or len(countries) != 1:
        raise ReleaseError(
            f"{where} is not a BACI {rev} {ver} release: expected BACI_{rev}_Y<year>_{ver}.csv "
            f"files and one country_codes_{ver}.csv, found {sorted(names)[:8]}. Fix: pass the "
            f"archive BACI_{rev}_{ver}.zip as downloaded from CEPII, or its extracted folder"
        )
    return trade, countries[0]


def _extract(src: Path, rev: str, ver: str, tmp: Path) -> tuple[list[Path], Path]:
    """The release's trade CSVs and country file as local paths (zip members extracted)."""
    if src.is_dir():
        names = [str(p.relative_to(src)) for p in src.rglob("*.csv")]
        trade, countries = _members(rev, ver, names, str(src))
        return [src / n for n in trade], src / countries
    try:
        zf = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ReleaseError(
            f"{src.name}: not a readable zip archive ({exc}); the download is truncated or "
            f"corrupted. Fix: download it again; nothing was loaded"
        ) from exc
    with zf:
        trade, countries = _members(rev, ver, zf.namelist(), src.name)
        out = []
        for name in [*trade, countries]:
            target = tmp / Path(name).name
            try:
                with zf.open(name) as fin, target.open("wb") as fout:
                    shutil.copyfileobj(fin, fout, 1 << 20)
            except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
                raise ReleaseError(
                    f"{src.name}: member {name} is corrupted or truncated ({exc}). Fix: "
                    f"download the archive again; nothing was loaded"
                ) from exc
            out.append(target)
    return out[:-1], out[-1]


def _header(path: Path, expected: list[str], where: str) -> None:
    with path.open("rb") as fh:
        raw = fh.readline()
    head = raw.decode("utf-8-sig", errors="replace").strip().replace('"', "")
    cols = [c.strip() for c in head.split(",")]
    if cols != expected:
        raise ReleaseError(
            f"{where}: header {cols} is not BACI's {expected}. Fix: pass the release's "
            f"files unchanged"
        )


def _q(p: Path) -> str:
    return str(p).replace("'", "''")


def convert(
    trade: list[Path],
    countries: Path,
    out_dir: Path,
    codes: list[str] | None,
    *,
    memory_limit: str = MEMORY_LIMIT,
    threads: int = 2,
) -> tuple[int, list[int]]:
    """Stream the yearly CSVs into ``out_dir/trade.parquet`` keeping ``codes`` (all if None)
    and copy the country file to ``country_codes.parquet``; returns (rows kept, years).

    Every row must parse (t, i, j, k, v; q numeric or NA), else ReleaseError."""
    for p in trade:
        _header(p, TRADE_HEADER, p.name)
    _header(countries, COUNTRY_HEADER, countries.name)
    files = "[" + ", ".join(f"'{_q(p)}'" for p in trade) + "]"
    # typed columns: a value that does not parse stops the read naming file and line;
    # k as an integer reads both '010121' and a spreadsheet's 10121
    src = (
        f"read_csv({files}, header = true, auto_detect = false, delim = ',', "
        "quote = '\"', filename = true, columns = {'t': 'INTEGER', 'i': 'INTEGER', "
        "'j': 'INTEGER', 'k': 'INTEGER', 'v': 'DOUBLE', 'q': 'VARCHAR'})"
    )
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET threads = {threads}")
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"SET temp_directory = '{_q(out_dir / '.tmp')}'")
        con.execute("CREATE TEMP TABLE keep (k INTEGER)")
        if codes:
            con.executemany("INSERT INTO keep VALUES (?)", [[int(c)] for c in codes])
        where = "" if codes is None else "WHERE k IN (SELECT k FROM keep)"
        con.execute(f"""
            COPY (SELECT t, CAST(i AS VARCHAR) AS i, CAST(j AS VARCHAR) AS j,
                         lpad(CAST(k AS VARCHAR), 6, '0') AS k, v,
                         TRY_CAST(CASE WHEN upper(trim(q)) IN ('NA', '') THEN NULL ELSE trim(q)
                                  END AS DOUBLE) AS q,
                         CASE WHEN upper(trim(q)) NOT IN ('NA', '')
                              AND TRY_CAST(trim(q) AS DOUBLE) IS NULL THEN q END AS q_bad,
                         parse_filename(filename) AS file
                    FROM {src} {where})
              TO '{_q(out_dir / "trade.parquet")}' (FORMAT parquet, COMPRESSION zstd)""")
        stats = con.execute(
            f"SELECT count(*), list(DISTINCT t ORDER BY t), count(*) FILTER (WHERE q_bad IS NOT "
            f"NULL OR t IS NULL OR v IS NULL OR i IS NULL OR j IS NULL OR k IS NULL), "
            f"any_value(file || ': ' || coalesce(q_bad, 'empty t/i/j/k/v')) FILTER (WHERE q_bad "
            f"IS NOT NULL OR t IS NULL OR v IS NULL OR i IS NULL OR j IS NULL OR k IS NULL), "
            f"count(*) FILTER (WHERE file NOT LIKE '%\\_Y' || t || '\\_%' ESCAPE '\\') "
            f"FROM '{_q(out_dir / 'trade.parquet')}'"
        ).fetchone()
        assert stats is not None
        kept, years, bad, example, wrong_year = stats
        if bad:
            raise ReleaseError(
                f"{bad} rows with unparseable values (e.g. {example}); nothing loaded"
            )
        if wrong_year:
            raise ReleaseError(f"{wrong_year} rows whose year t differs from their file's year")
        _countries(con, countries, out_dir / "country_codes.parquet")
    except duckdb.Error as exc:
        bad_file = _culprit(con, trade, src_for=lambda f: src.replace(files, f"['{_q(f)}']"))
        raise ReleaseError(
            f"{bad_file}: cannot be read ({str(exc).splitlines()[0]}); the file is truncated "
            f"or not in BACI's layout. Fix: download the release again; nothing was loaded"
        ) from exc
    finally:
        con.close()
    return int(kept), [int(y) for y in years]


def _culprit(
    con: duckdb.DuckDBPyConnection, trade: list[Path], *, src_for: Callable[[Path], str]
) -> str:
    """The first trade file that does not read on its own (only called after a failure)."""
    for f in trade:
        try:
            con.execute(f"SELECT count(*) FROM {src_for(f)}").fetchone()
        except duckdb.Error:
            return f.name
    return ", ".join(f.name for f in trade)


def _countries(con: duckdb.DuckDBPyConnection, path: Path, out: Path) -> None:
    """The country file, UTF-8 or (older releases) Latin-1, as parquet of text columns."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    tmp = out.with_suffix(".csv")
    tmp.write_text(text, encoding="utf-8")
    con.execute(
        f"COPY (SELECT * FROM read_csv('{_q(tmp)}', header = true, all_varchar = true)) "
        f"TO '{_q(out)}' (FORMAT parquet)"
    )
    tmp.unlink()


def product_codes(revision: str, reference: Path | None = None) -> list[str]:
    """The product map's codes attributable in ``revision`` (``hs_revisions.csv``)."""
    import csv

    from critmin.settings import reference_dir

    path = (reference or reference_dir()) / "hs_revisions.csv"
    with path.open(encoding="utf-8") as fh:
        return sorted(
            {
                code
                for r in csv.DictReader(fh)
                if r["revision"] == revision and r["attributable"].lower() == "true"
                for code in r["code"].split(";")
                if code
            }
        )


def load(release: str, src: str, *, codes: list[str] | None, staging: Path) -> LoadedRelease:
    """Convert the release at ``src`` into ``staging/<source id>`` (not yet in ``data_dir``)."""
    rev, ver = parse_release(release)
    sid = source_id(release)
    out_dir = staging / sid
    out_dir.mkdir(parents=True)
    with tempfile.TemporaryDirectory(dir=staging) as tmpdir:
        tmp = Path(tmpdir)
        path = _fetch_to(src, tmp)
        digest = sha256_file(path) if path.is_file() else ""
        trade, countries = _extract(path, rev, ver, tmp)
        kept, years = convert(trade, countries, out_dir, codes)
        shutil.rmtree(out_dir / ".tmp", ignore_errors=True)
    manifest = {
        "release": release,
        "source_id": sid,
        "from": src,
        "archive": path.name,
        "archive_sha256": digest or None,
        "files": {
            p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size}
            for p in (out_dir / "trade.parquet", out_dir / "country_codes.parquet")
        },
        "products": "all" if codes is None else f"{len(codes)} product-map codes",
        "rows_kept": kept,
        "years": years,
        "loaded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    (out_dir / "release.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    log.info("%s: %d rows kept (%s), years %s", release, kept, manifest["products"], years)
    return LoadedRelease(sid, out_dir, digest, kept, years)


def install(
    release: str,
    src: str,
    data_dir: Path,
    *,
    all_products: bool = False,
    build: Callable[[], object] | None = None,
) -> LoadedRelease:
    """Load a release into ``data_dir`` and (with ``build``) rebuild the warehouse; on any
    failure the data directory and the warehouse are left as they were."""
    rev, _ = parse_release(release)
    codes = None if all_products else product_codes(rev)
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".release.", dir=data_dir))
    target = data_dir / source_id(release)
    backup = data_dir / f".{target.name}.previous"
    try:
        loaded = load(release, src, codes=codes, staging=staging)
        if target.exists():
            shutil.rmtree(backup, ignore_errors=True)
            target.rename(backup)
        loaded.directory.rename(target)
        try:
            if build is not None:
                build()
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            if backup.exists():
                backup.rename(target)
            raise
        shutil.rmtree(backup, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return LoadedRelease(
        loaded.source_id, target, loaded.archive_sha256, loaded.rows_kept, loaded.years
    )
