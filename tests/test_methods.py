"""The worked examples in docs/methods.md: the code must reproduce the hand-computed numbers
in the page's machine-readable block, on the tiny native-format fixture."""

from __future__ import annotations

import json
import re
from typing import Any

import duckdb
import pytest

from conftest import REPO, Tiny
from critmin.analytics.concentration import concentration
from critmin.analytics.eu_supply_risk import eu_supply_risk
from critmin.analytics.exposure import exposure
from critmin.analytics.geopolrisk import geopolrisk_grid


def _examples() -> dict[str, Any]:
    text = (REPO / "docs" / "methods.md").read_text(encoding="utf-8")
    block = re.search(r"## Worked examples \(machine-readable\)\s*```json\n(.*?)```", text, re.S)
    assert block is not None, "docs/methods.md lost its worked-example block"
    return json.loads(block.group(1))  # type: ignore[no-any-return]


EX = _examples()
approx = pytest.approx


@pytest.fixture
def con(tiny_built: Tiny) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(tiny_built.db), read_only=True)


def test_concentration_example(con: duckdb.DuckDBPyConnection) -> None:
    ex = EX["concentration_bgs_chromium_2021"]
    (c,) = concentration(
        con, ex["mineral"], stage=ex["stage"], year=ex["year"], source=ex["source"]
    )
    assert {s.iso3: s.share for s in c.suppliers} == approx(ex["shares"], rel=1e-12)
    assert c.hhi == approx(ex["hhi"], rel=1e-12) and c.cr3 == approx(ex["cr3"])
    assert c.hhi_points == approx(ex["hhi"] * 10_000, rel=1e-12)


def test_exposure_example(con: duckdb.DuckDBPyConnection) -> None:
    ex = EX["exposure_kor_chromium_2022"]
    (e,) = exposure(
        con, [ex["importer"]], mineral_id=ex["mineral"], year=ex["year"], stage=ex["stage"]
    )
    assert {s.iso3: s.share_quantity for s in e.suppliers} == approx(ex["share_quantity"])
    assert e.hhi_quantity == approx(ex["hhi_quantity"], rel=1e-12)
    assert e.hhi_value == approx(ex["hhi_value"], rel=1e-12)
    assert e.hs6 == ["261000"]


@pytest.mark.parametrize("profile", ["critmin", "geopolrisk-py"])
def test_geopolrisk_example(con: duckdb.DuckDBPyConnection, profile: str) -> None:
    ex = EX["geopolrisk_kor_chromite_2022"]
    (cell,) = geopolrisk_grid(
        con,
        {ex["importer"]: ex["codes"]},
        materials=[ex["material"]],
        years=[ex["year"]],
        profile=profile,
    )  # type: ignore[arg-type]
    assert cell.status == "ok"
    for key in ("hhi", "numerator", "total_trade", "import_risk", "score", "price", "cf"):
        assert getattr(cell, key) == approx(ex[key], rel=1e-12), key


def test_eu_supply_risk_example(con: duckdb.DuckDBPyConnection) -> None:
    ex = EX["eu_supply_risk_kor_chromium_2022"]
    r = eu_supply_risk(con, [ex["importer"]], ex["mineral"], year=ex["year"])
    (stage,) = r.stages
    assert stage.hhi_wgi_t_global == approx(ex["hhi_wgi_t_global"], rel=1e-12)
    assert stage.hhi_wgi_t_sourcing == approx(ex["hhi_wgi_t_sourcing"], rel=1e-12)
    assert stage.import_reliance == ex["import_reliance"] and r.eol_rir == ex["eol_rir"]
    assert r.supply_risk == approx(ex["supply_risk"], rel=1e-12)
    assert r.bottleneck_stage == ex["bottleneck_stage"]


def test_eu_supply_risk_options_move_the_score(con: duckdb.DuckDBPyConnection) -> None:
    base = eu_supply_risk(con, ["KOR"], "chromium", year=2022)
    half = eu_supply_risk(con, ["KOR"], "chromium", year=2022, si_sr=0.5)
    assert half.supply_risk == approx(base.supply_risk / 2)
    no_ir = eu_supply_risk(con, ["KOR"], "chromium", year=2022, ir_default=0.0)
    (s,) = no_ir.stages
    assert no_ir.supply_risk == approx(s.hhi_wgi_t_sourcing * (1 - no_ir.eol_rir))
    assert half.assumptions["si_sr"] == 0.5
