"""Load the extraction resources: the organisation gazetteer (``organizations.csv``), country
names and aliases (``tidy.countries``) and mineral names (``tidy.minerals``) from the warehouse."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

import duckdb

from critmin.agreements.model import Organization, Resources, government_id
from critmin.agreements.text import Gazetteer, terms
from critmin.errors import RegistryError
from critmin.settings import reference_dir

# English mineral names that are ordinary words in news text
_AMBIGUOUS_EN = {"lead", "salt", "iron", "gold", "silver", "tin", "potash", "aggregates"}


def organizations(directory: Path | None = None) -> dict[str, Organization]:
    """The gazetteer, by id."""
    path = (directory or reference_dir()) / "organizations.csv"
    if not path.is_file():
        raise RegistryError(f"organisation gazetteer {path} is missing")
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {
        r["id"]: Organization(r["id"], r["name_en"], r["name_ko"], r["iso3"], r["kind"])
        for r in rows
    }


def governments(countries: Iterable[tuple[str, str, str | None]]) -> dict[str, Organization]:
    """A government for every country, ``(iso3, name_en, name_ko)``, all made up front so
    a document's parties never depend on the documents read before it. A gazetteer row for
    the same id (with aliases) takes precedence."""
    return {
        government_id(iso3): Organization(
            government_id(iso3), f"Government of {en}", f"{ko} 정부" if ko else "", iso3,
            "government",
        )
        for iso3, en, ko in sorted(countries)
    }  # fmt: skip


def _org_names(directory: Path | None) -> list[tuple[str, str]]:
    path = (directory or reference_dir()) / "organizations.csv"
    with path.open(encoding="utf-8") as fh:
        out = []
        for r in csv.DictReader(fh):
            for name in [r["name_en"], r["name_ko"], *(r.get("aliases") or "").split(";")]:
                if name.strip():
                    out.append((name.strip(), r["id"]))
        return out


def load_resources(con: duckdb.DuckDBPyConnection, directory: Path | None = None) -> Resources:
    """Resources from a warehouse connection and the reference directory."""
    orgs = organizations(directory)
    countries = con.execute(
        "SELECT iso3, name_en, name_ko, aliases FROM tidy.countries "
        "WHERE kind IN ('country', 'territory', 'supranational')"
    ).fetchall()
    country_names: list[tuple[str, str]] = []
    made = governments((iso3, en, ko) for iso3, en, ko, _ in countries)
    orgs.update({k: v for k, v in made.items() if k not in orgs})
    for iso3, en, ko, aliases in countries:
        for n in [en, ko, *(aliases or [])]:
            if n and (len(n) > 2 or not n.isascii()):
                country_names.append((n, iso3))
    minerals = con.execute(
        "SELECT id, name_en, name_ko FROM tidy.minerals WHERE kind <> 'fuel'"
    ).fetchall()
    mineral_names: list[tuple[str, str]] = []
    for mid, en, ko in minerals:
        if en and en.lower() not in _AMBIGUOUS_EN and not _is_sector(en, "en", directory):
            mineral_names += [(en, mid), (en + "s", mid)]
        if ko and not _is_sector(ko, "ko", directory):
            mineral_names.append((ko, mid))
    products: dict[str, tuple[str | None, str | None]] = {}
    for n, r in enumerate(_rows(directory, "agreement_products.csv")):
        key = f"product:{n}"
        products[key] = (r["mineral_id"] or None, r["stage"] or None)
        mineral_names.append((r["term"], key))
    demonyms = [(r["adjective"], r["iso3"]) for r in _rows(directory, "demonyms.csv")]
    return Resources(
        orgs,
        Gazetteer(_org_names(directory)),
        Gazetteer(country_names),
        Gazetteer(mineral_names),
        directory,
        Gazetteer(demonyms, min_length=1),
        products,
    )


def _is_sector(name: str, language: str, directory: Path | None) -> bool:
    """A mineral name that is wholly a sector word other than minerals (hydrogen, 수소:
    an energy carrier in agreements) names the sector, not a mineral."""
    return any(
        t.regex.fullmatch(name)
        for t in terms("sector", language, directory)
        if t.label != "critical_minerals"
    )


def _rows(directory: Path | None, name: str) -> list[dict[str, str]]:
    path = (directory or reference_dir()) / name
    if not path.is_file():
        raise RegistryError(f"extraction resource {path} is missing")
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
