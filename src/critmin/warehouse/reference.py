"""Reference tables authored by the project (``critmin/reference/*.csv``).

Each CSV becomes ``meta.ref_<stem>`` (all text, as written) and is registered as a snapshot of
the ``critmin_reference`` source so tidy rows derived from it resolve to a checksum. Every row
must carry a ``citation_id`` that resolves to a ``citations_*.csv`` entry, else the build stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from critmin.errors import RegistryError
from critmin.settings import reference_dir

SOURCE_ID = "critmin_reference"
# (file stem, required columns)
TABLES: dict[str, tuple[str, ...]] = {
    "countries": ("iso3", "iso_numeric", "baci_codes", "name_en", "name_ko", "kind", "citation_id"),
    "country_aliases": ("alias", "iso3", "scope", "citation_id"),
    "minerals": ("id", "name_en", "name_ko", "symbol", "parent_id", "kind", "citation_id"),
    "critical_lists": (
        "list_id",
        "country",
        "mineral_id",
        "tier",
        "name_as_listed",
        "citation_id",
        "locator",
    ),
    "hs_products": (
        "hs6",
        "hs_revision",
        "mineral_id",
        "specific",
        "stage",
        "form",
        "quantity_basis",
        "description",
        "bundle",
        "in_bundled_trade",
        "citation_id",
    ),
    "hs_revisions": ("hs6", "revision", "code", "relation", "attributable", "citation_id"),
    "commodity_map": (
        "source_id",
        "provider_label",
        "sub_label",
        "mineral_id",
        "stage",
        "basis",
        "unit",
        "include",
        "citation_id",
    ),
    "regions": ("region_id", "name_en", "name_ko", "iso3", "citation_id"),
    "units": ("unit", "kind", "factor_to_t", "citation_id"),
    "corrections": (
        "correction_id",
        "table",
        "source_id",
        "match",
        "column",
        "old_value",
        "new_value",
        "status",
        "reason",
        "citation_id",
    ),
}


@dataclass(frozen=True)
class ReferenceFile:
    """One reference CSV and its snapshot id."""

    stem: str
    path: Path

    @property
    def snapshot_id(self) -> str:
        return f"{SOURCE_ID}/{self.path.name}"


def reference_files(directory: Path | None = None) -> list[ReferenceFile]:
    """All reference CSVs (tables and citations), sorted by name."""
    d = directory or reference_dir()
    files = [ReferenceFile(p.stem, p) for p in sorted(d.glob("*.csv"))]
    missing = [t for t in TABLES if t not in {f.stem for f in files}]
    if missing:
        raise RegistryError(f"reference directory {d} lacks {[m + '.csv' for m in missing]}")
    return files


def _q(path: Path) -> str:
    return str(path).replace("'", "''")


def load_reference(con: duckdb.DuckDBPyConnection, files: list[ReferenceFile]) -> None:
    """Load every reference CSV into ``meta`` and check columns and citations."""
    for f in files:
        table = f"meta.ref_{f.stem}"
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT *, '{f.snapshot_id}' AS snapshot_id "
            f"FROM read_csv('{_q(f.path)}', header=true, all_varchar=true, quote='\"', "
            f"delim=',', auto_detect=true)"
        )
        cols = {d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description}
        if f.stem.startswith("citations"):
            need: tuple[str, ...] = ("citation_id", "title", "publisher", "year", "url")
        else:
            need = TABLES.get(f.stem, ("citation_id",))
        lacking = [c for c in need if c not in cols]
        if lacking:
            raise RegistryError(f"{f.path.name}: missing columns {lacking}")
    cites = [
        f"SELECT citation_id, snapshot_id FROM meta.ref_{f.stem}"
        for f in files
        if f.stem.startswith("citations")
    ]
    con.execute("CREATE OR REPLACE TABLE meta.citations AS " + " UNION ALL ".join(cites))
    dup = con.execute(
        "SELECT citation_id FROM meta.citations GROUP BY 1 HAVING count(*) > 1"
    ).fetchall()
    if dup:
        raise RegistryError(f"citation ids defined more than once: {[d[0] for d in dup]}")
    for f in files:
        if f.stem.startswith("citations"):
            continue
        bad = con.execute(
            f"SELECT DISTINCT coalesce(r.citation_id, '<empty>') FROM meta.ref_{f.stem} r "
            f"LEFT JOIN meta.citations c USING (citation_id) WHERE c.citation_id IS NULL "
            f"LIMIT 5"
        ).fetchall()
        if bad:
            raise RegistryError(
                f"{f.path.name}: rows cite unknown citation ids "
                f"{[b[0] for b in bad]}. Fix: add them to a citations_*.csv"
            )
