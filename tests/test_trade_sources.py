"""Second trade source, the full BACI release loader, coverage, divergence and gaps — on tiny
files in the providers' native layouts (tests/native_fixtures.py)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from conftest import Tiny
from critmin.cli import cli
from critmin.sources.releases import ReleaseError, install, product_codes
from native_fixtures import BACI_RELEASE_TRADE, add_atlas, write_baci_release


def _rows(db: Path, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


# hand-computed from native_fixtures.BACI_RELEASE_TRADE: v kUSD × 1000, q t ('NA' → NULL),
# numeric codes through the release's country file (490 'S19' → TWN), 010121 (horses) and
# nothing else dropped because it is not in the product map
EXPECTED = [
    (2022, "CHN", "KOR", "282520", 2_500_125.0, 100.0),
    (2022, "KAZ", "CHN", "720241", 900_000.0, 1000.0),
    (2022, "KAZ", "KOR", "810820", 36_000_500.0, 5290.25),
    (2022, "KAZ", "KOR", "811292", 7_000.0, 0.5),
    (2022, "TWN", "KOR", "261000", 10_000.0, None),
    (2023, "KAZ", "KOR", "810820", 40_000_000.0, 6000.0),
]
_FLOWS = (
    "SELECT year, exporter, importer, hs6, value_usd, quantity_t FROM tidy.trade_flows "
    "WHERE source_id = 'baci_hs17_v202601' ORDER BY ALL"
)


@pytest.mark.parametrize("zipped", [True, False])
def test_release_loads_to_the_hand_computed_rows(
    tiny_built: Tiny, tmp_path: Path, zipped: bool
) -> None:
    src = write_baci_release(tmp_path / "dl", zipped=zipped)
    res = install("HS17_V202601", str(src), tiny_built.data_dir, build=tiny_built.build)
    assert _rows(tiny_built.db, _FLOWS) == EXPECTED
    assert res.rows_kept == 6 and res.years == [2022, 2023]
    manifest = json.loads((res.directory / "release.json").read_text())
    assert manifest["archive_sha256"] == (_sha(src) if zipped else None)
    ((snap,),) = _rows(
        tiny_built.db,
        "SELECT sha256 FROM meta.snapshots WHERE snapshot_id = 'baci_hs17_v202601/trade.parquet'",
    )
    assert snap == _sha(res.directory / "trade.parquet")
    listed = CliRunner().invoke(
        cli, ["--data-dir", str(tiny_built.data_dir), "sources", "--format", "json"]
    )
    (rel_src,) = [s for s in json.loads(listed.stdout) if s["id"] == "baci_hs17_v202601"]
    assert (_sha(src) if zipped else "None") in rel_src["upstream"]
    # the release's own 810820 wins titanium metal over nothing; it is labelled by release
    ((rel, rev),) = _rows(
        tiny_built.db,
        "SELECT DISTINCT release, hs_revision FROM tidy.trade WHERE hs6 = '810820'",
    )
    assert (rel, rev) == ("BACI HS17 V202601", "HS17")


def test_all_products_keeps_codes_outside_the_map(tiny_built: Tiny, tmp_path: Path) -> None:
    src = write_baci_release(tmp_path / "dl")
    res = install(
        "HS17_V202601", str(src), tiny_built.data_dir, all_products=True, build=tiny_built.build
    )
    staged = _rows(tiny_built.db, "SELECT k FROM staging.baci_release_trade ORDER BY k")
    assert ("010121",) in staged  # leading zero restored
    assert len(staged) == sum(len(r) for r in BACI_RELEASE_TRADE.values())
    assert _rows(tiny_built.db, _FLOWS) == EXPECTED  # unmapped codes never reach tidy
    assert res.rows_kept == len(staged)


def _corrupt_member(archive: Path) -> None:
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo("BACI_HS17_Y2022_V202601.csv")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for k in range(start + 5, start + 15):
        data[k] ^= 0xFF
    archive.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("damage", "expect"),
    [
        (lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]), "not a readable zip"),
        (_corrupt_member, "BACI_HS17_Y2022_V202601.csv is corrupted or truncated"),
    ],
)
def test_damaged_archive_is_refused_and_nothing_changes(
    tiny_built: Tiny, tmp_path: Path, damage: object, expect: str
) -> None:
    src = write_baci_release(tmp_path / "dl")
    damage(src)  # type: ignore[operator]
    before = _sha(tiny_built.db)
    res = CliRunner().invoke(
        cli,
        [
            *("--db", str(tiny_built.db), "--data-dir", str(tiny_built.data_dir), "fetch"),
            *("--source", "baci", "--release", "HS17_V202601", "--from", str(src)),
        ],
    )
    assert res.exit_code != 0
    assert expect in res.stderr and src.name in res.stderr
    assert _sha(tiny_built.db) == before
    assert not list(tiny_built.data_dir.glob("*baci_hs17_v202601*"))
    assert not list(tiny_built.data_dir.glob(".release.*"))


def test_truncated_csv_in_a_folder_is_refused(tiny_built: Tiny, tmp_path: Path) -> None:
    folder = write_baci_release(tmp_path / "dl", zipped=False)
    f = folder / "BACI_HS17_Y2023_V202601.csv"
    f.write_text(f.read_text()[:-12], encoding="utf-8")  # cut inside the last row
    before = _sha(tiny_built.db)
    with pytest.raises(ReleaseError, match="truncated") as err:
        install("HS17_V202601", str(folder), tiny_built.data_dir, build=tiny_built.build)
    assert "BACI_HS17_Y2023_V202601.csv" in str(err.value)
    assert _sha(tiny_built.db) == before


def test_bad_release_name_and_unknown_country(tiny_built: Tiny, tmp_path: Path) -> None:
    with pytest.raises(ReleaseError, match="HS22_V202601"):
        install("HS22_V202601", str(tmp_path), tiny_built.data_dir)
    folder = write_baci_release(tmp_path / "dl", zipped=False)
    codes = folder / "country_codes_V202601.csv"
    codes.write_text(codes.read_text().replace("490,", "491,"), encoding="utf-8")
    before = _sha(tiny_built.db)
    with pytest.raises(Exception, match="490"):
        install("HS17_V202601", str(folder), tiny_built.data_dir, build=tiny_built.build)
    assert _sha(tiny_built.db) == before
    assert not (tiny_built.data_dir / "baci_hs17_v202601").exists()


def test_product_codes_are_the_attributable_map_codes() -> None:
    hs17 = product_codes("HS17")
    assert "810820" in hs17 and "810810" not in hs17  # HS92-only scope is not attributed
    assert "811292" in hs17 and "283329" not in hs17  # merged HS17 code is not attributed


def test_atlas_fixture_maps_taiwan_and_keeps_missing_quantity(tiny: Tiny) -> None:
    tiny.registry = add_atlas(tiny.mirror, tiny.registry)
    tiny.fetch()
    tiny.build()
    rows = _rows(
        tiny.db,
        "SELECT year, exporter, value_usd, quantity_t, release FROM tidy.trade_flows "
        "WHERE source_id = 'baci_hs17_atlas' ORDER BY ALL",
    )
    assert rows == [
        (2022, "KAZ", 30_000_000.0, None, "BACI HS17 V202601"),
        (2024, "KAZ", 35_979_129.0, 5289.913, "BACI HS17 V202601"),
        (2024, "TWN", 12_500.0, None, "BACI HS17 V202601"),
    ]


def test_atlas_csv_that_disagrees_with_the_parquet_stops_the_build(tiny: Tiny) -> None:
    tiny.registry = add_atlas(tiny.mirror, tiny.registry)
    c24 = tiny.mirror / "baci_hs17_atlas" / "baci_2024.csv"
    c24.write_text(c24.read_text().replace("35979129.0", "35979999.0"), encoding="utf-8")
    from dataclasses import replace

    from critmin.sources.catalog import SourceFile

    src = tiny.registry["baci_hs17_atlas"]
    files = tuple(
        SourceFile(f.name, _sha(c24), c24.stat().st_size) if f.name == c24.name else f
        for f in src.files
    )
    tiny.registry["baci_hs17_atlas"] = replace(src, files=files)
    tiny.fetch()
    with pytest.raises(Exception, match="disagree on 1 flows"):
        tiny.build()
