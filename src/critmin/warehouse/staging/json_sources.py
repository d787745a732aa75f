"""Staging for the JSON sources: USGS MCS 2026 extract and the IEA Critical Minerals Data
Explorer extract. Both are flattened in Python (their nesting is provider-specific) and written
as long tables in the provider's vocabulary."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import duckdb
import pyarrow as pa

from critmin.errors import BuildError
from critmin.warehouse.staging import Snapshot


def _single(files: Mapping[str, Snapshot], source: str) -> Snapshot:
    snaps = [s for n, s in files.items() if n.endswith(".json")]
    if len(snaps) != 1:
        raise BuildError(f"{source} source must have exactly one JSON file, found {sorted(files)}")
    return snaps[0]


def _json(snap: Snapshot) -> Any:
    try:
        return json.loads(snap.path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BuildError(f"{snap.snapshot_id}: not valid UTF-8 JSON: {exc}") from exc


def _write(
    con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]], schema: pa.Schema
) -> None:
    arrow = pa.Table.from_pylist(rows, schema=schema)
    con.register("_json_in", arrow)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _json_in")
    finally:
        con.unregister("_json_in")


_USGS_SCHEMA = pa.schema(
    [
        ("slug", pa.string()),
        ("name", pa.string()),
        ("kind", pa.string()),
        ("parent_slug", pa.string()),
        ("units_note", pa.string()),
        ("world_production_label", pa.string()),
        ("year_prev", pa.int32()),
        ("year_latest", pa.int32()),
        ("country", pa.string()),
        ("production_prev_year", pa.float64()),
        ("production_latest_year", pa.float64()),
        ("reserves", pa.float64()),
        ("capacity", pa.float64()),
        ("production_prev_raw", pa.string()),
        ("production_latest_raw", pa.string()),
        ("reserves_raw", pa.string()),
        ("note", pa.string()),
        ("source_url", pa.string()),
        ("pdf_sha256", pa.string()),
        ("snapshot_id", pa.string()),
    ]
)


def load_usgs(con: duckdb.DuckDBPyConnection, files: Mapping[str, Snapshot]) -> list[str]:
    """USGS MCS 2026: one row per (record, world-production table row)."""
    snap = _single(files, "usgs_mcs")
    doc = _json(snap)
    if not isinstance(doc, dict) or not isinstance(doc.get("elements"), list):
        raise BuildError(f"{snap.snapshot_id}: expected an object with an 'elements' list")
    rows: list[dict[str, Any]] = []
    for el in doc["elements"]:
        for r in el.get("world_production") or []:
            try:
                rows.append(
                    {
                        "slug": el["slug"],
                        "name": el.get("name"),
                        "kind": el.get("kind"),
                        "parent_slug": el.get("parent_slug"),
                        "units_note": el.get("units_note"),
                        "world_production_label": el.get("world_production_label"),
                        "year_prev": int(el["world_production_year_prev"]),
                        "year_latest": int(el["world_production_year_latest"]),
                        "country": r["country"],
                        **{
                            k: r.get(k)
                            for k in (
                                "production_prev_year",
                                "production_latest_year",
                                "reserves",
                                "capacity",
                                "production_prev_raw",
                                "production_latest_raw",
                                "reserves_raw",
                                "note",
                            )
                        },
                        "source_url": el.get("source_url"),
                        "pdf_sha256": el.get("pdf_sha256"),
                        "snapshot_id": snap.snapshot_id,
                    }
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise BuildError(
                    f"{snap.snapshot_id}: record {el.get('slug')!r} has a malformed "
                    f"world_production row {r!r}: {exc}"
                ) from exc
    _write(con, "staging.usgs_world_production", rows, _USGS_SCHEMA)
    return ["staging.usgs_world_production"]


_IEA_SCHEMA = pa.schema(
    [
        ("mineral", pa.string()),
        ("stage", pa.string()),
        ("country", pa.string()),
        ("year", pa.int32()),
        ("value_kt", pa.float64()),
        ("is_total", pa.bool_()),
        ("top3_share", pa.float64()),
        ("snapshot_id", pa.string()),
    ]
)


def load_iea(con: duckdb.DuckDBPyConnection, files: Mapping[str, Snapshot]) -> list[str]:
    """IEA CMDE ``supply``: mineral × stage × country × year (kt), plus totals and top-3 share."""
    snap = _single(files, "iea_cmde")
    doc = _json(snap)
    supply = doc.get("supply") if isinstance(doc, dict) else None
    if not isinstance(supply, dict):
        raise BuildError(f"{snap.snapshot_id}: expected a top-level 'supply' object")
    rows: list[dict[str, Any]] = []
    for mineral, stages in supply.items():
        for stage, block in stages.items():
            try:
                top3 = block.get("top3Share", {})
                for country, series in block["countries"].items():
                    for year, value in series.items():
                        rows.append(
                            {
                                "mineral": mineral,
                                "stage": stage,
                                "country": country,
                                "year": int(year),
                                "value_kt": value,
                                "is_total": False,
                                "top3_share": None,
                                "snapshot_id": snap.snapshot_id,
                            }
                        )
                for year, value in block["total"].items():
                    rows.append(
                        {
                            "mineral": mineral,
                            "stage": stage,
                            "country": "World",
                            "year": int(year),
                            "value_kt": value,
                            "is_total": True,
                            "top3_share": top3.get(year),
                            "snapshot_id": snap.snapshot_id,
                        }
                    )
            except (AttributeError, KeyError, TypeError, ValueError) as exc:
                raise BuildError(
                    f"{snap.snapshot_id}: malformed supply block {mineral}/{stage}: {exc}"
                ) from exc
    _write(con, "staging.iea_supply", rows, _IEA_SCHEMA)
    return ["staging.iea_supply"]
