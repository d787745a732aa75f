"""Corrections are data with a reason, applied at tidy only; unparsed values need one."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import Tiny
from critmin.errors import BuildError
from critmin.settings import reference_dir
from critmin.warehouse.build import build


def _refs_with(tmp_path: Path, rows: list[dict[str, str]] | None) -> Path:
    d = tmp_path / "reference"
    shutil.copytree(reference_dir(), d)
    path = d / "corrections.csv"
    with path.open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        existing = list(reader)
    keep = existing if rows is None else rows
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(keep)
    return d


def test_active_correction_is_applied_at_tidy_and_recorded(tiny_built: Tiny) -> None:
    with duckdb.connect(str(tiny_built.db), read_only=True) as con:
        share = con.execute(
            "SELECT share, share_raw FROM tidy.eu_crm_supply WHERE material = 'Silicon metal'"
        ).fetchall()
        staged = con.execute(
            "SELECT share FROM staging.eu_crm_eu_sourcing WHERE material = 'Silicon metal'"
        ).fetchall()
        applied = con.execute(
            "SELECT correction_id, rows_changed FROM meta.corrections_applied"
        ).fetchall()
    assert share == [(0.06, "6")]
    assert staged == [(None,)]  # staging keeps the provider's value untouched
    assert applied == [("EU-2023-001", 1)]


def test_unparsed_value_without_correction_stops_the_build(tiny: Tiny, tmp_path: Path) -> None:
    tiny.fetch()
    refs = _refs_with(tmp_path, [])
    with pytest.raises(BuildError, match=r"Silicon metal.*raw '6'.*corrections.csv"):
        build(db=tiny.db, data_dir=tiny.data_dir, sources=tiny.registry, reference=refs)
    assert not tiny.db.exists()


def test_stale_correction_stops_the_build(tiny: Tiny, tmp_path: Path) -> None:
    tiny.fetch()
    with (reference_dir() / "corrections.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    stale = dict(
        rows[0],
        correction_id="TEST-1",
        match="scope=global;iso3=ZAF;stage=mining",
        old_value="0.5",
        new_value="0.45",
    )
    refs = _refs_with(tmp_path, [*rows, stale])
    with pytest.raises(BuildError, match=r"TEST-1 expects share = '0.5'.*found \['0.44'\]"):
        build(db=tiny.db, data_dir=tiny.data_dir, sources=tiny.registry, reference=refs)


def test_unknown_status_is_rejected(tiny: Tiny, tmp_path: Path) -> None:
    from critmin.errors import RegistryError

    tiny.fetch()
    with (reference_dir() / "corrections.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    refs = _refs_with(tmp_path, [dict(rows[0], status="maybe")])
    with pytest.raises(RegistryError, match="status 'maybe'"):
        build(db=tiny.db, data_dir=tiny.data_dir, sources=tiny.registry, reference=refs)
