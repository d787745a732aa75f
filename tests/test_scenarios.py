"""Scenario conservation properties, the Korea–Kazakhstan worked example, reproducibility."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from click.testing import CliRunner

from conftest import Tiny
from critmin.cli import cli
from critmin.scenarios import disruption_probability, montecarlo, partnership, shock
from test_methods import EX


@pytest.fixture
def con(tiny_built: Tiny) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(tiny_built.db), read_only=True)


def test_no_cut_no_shortfall(con: duckdb.DuckDBPyConnection) -> None:
    r = shock(con, ["KAZ"], year=2022, cut=0.0, mineral_id="chromium", importers=["KOR"])
    (row,) = r.rows
    assert row.lost_t == 0 and row.refill_t == 0 and row.shortfall_t == 0
    assert row.imports_t == pytest.approx(7200.0)


def test_full_cut_without_spare_capacity_loses_exactly_the_share(
    con: duckdb.DuckDBPyConnection,
) -> None:
    r = shock(
        con,
        ["KAZ"],
        year=2022,
        cut=1.0,
        mineral_id="chromium",
        importers=["KOR"],
        spare_capacity=0.0,
    )
    (row,) = r.rows
    assert row.lost_share == pytest.approx(4200 / 7200)
    assert row.refill_t == 0 and row.shortfall_share == pytest.approx(row.lost_share)


@pytest.mark.parametrize("spare", [0.05, 0.5, 1.0])
def test_refill_never_exceeds_spare_capacity(con: duckdb.DuckDBPyConnection, spare: float) -> None:
    r = shock(con, ["KAZ"], year=2022, cut=1.0, mineral_id="chromium", spare_capacity=spare)
    other = 3000.0  # South Africa's exports of HS 261000 in the fixture, the only other flow
    assert r.capacity_t == pytest.approx(spare * other)
    assert sum(x.refill_t for x in r.rows) <= r.capacity_t + 1e-9
    for x in r.rows:
        assert 0 <= x.refill_t <= x.lost_t + 1e-9
        assert x.shortfall_t == pytest.approx(x.lost_t - x.refill_t)


def test_zero_tonnes_changes_nothing(con: duckdb.DuckDBPyConnection) -> None:
    r = partnership(
        con, "KOR", "KAZ", "chromium", tonnes=0, year=2022, codes={"KOR": [410], "KAZ": [398]}
    )
    assert r.after["shares"] == r.before["shares"]
    assert r.after["geopolrisk"]["score"] == pytest.approx(r.before["geopolrisk"]["score"])
    assert r.after["eu_supply_risk"] == pytest.approx(r.before["eu_supply_risk"])
    assert all(v == pytest.approx(0) for v in r.change.values())


def test_korea_kazakhstan_chromium_example(con: duckdb.DuckDBPyConnection) -> None:
    ex = EX["partnership_kor_kaz_chromium_2022"]
    r = partnership(
        con,
        ex["importer"],
        ex["partner"],
        ex["mineral"],
        tonnes=ex["tonnes"],
        year=ex["year"],
        codes=ex["codes"],
    )
    approx = pytest.approx
    assert r.before["shares"]["KAZ"] == approx(ex["share_partner_before"], rel=1e-12)
    assert r.after["shares"]["KAZ"] == approx(ex["share_partner_after"], rel=1e-12)
    assert r.before["import_hhi"] == approx(ex["import_hhi_before"], rel=1e-12)
    assert r.after["import_hhi"] == approx(ex["import_hhi_after"], rel=1e-12)
    assert r.before["geopolrisk"]["score"] == approx(ex["geopolrisk_before"], rel=1e-12)
    assert r.after["geopolrisk"]["score"] == approx(ex["geopolrisk_after"], rel=1e-12)
    assert r.before["eu_supply_risk"] == approx(ex["eu_supply_risk_before"], rel=1e-12)
    assert r.after["eu_supply_risk"] == approx(ex["eu_supply_risk_after"], rel=1e-12)


def test_montecarlo_is_reproducible_monotone_and_batch_independent(
    con: duckdb.DuckDBPyConnection,
) -> None:
    a = montecarlo(con, "KOR", year=2022, n=20_000, random_state=7)
    b = montecarlo(con, "KOR", year=2022, n=20_000, random_state=7, batch_size=333)
    c = montecarlo(con, "KOR", year=2022, n=20_000, random_state=8)
    assert a.rows == b.rows  # same seed, any batching: same output
    assert a.rows != c.rows
    for r in a.rows:
        assert 0 <= r["p50"] <= r["p95"] <= r["p99"] <= 1
        assert 0 <= r["mean"] <= 1
    corr = montecarlo(con, "KOR", year=2022, n=20_000, random_state=7, correlation=0.6)
    for r, rc in zip(a.rows, corr.rows, strict=True):
        assert rc["mean"] == pytest.approx(r["mean"], abs=0.02)  # same marginals


def test_disruption_probability_mapping() -> None:
    p = disruption_probability(np.array([2.5, 0.0, -2.5, np.nan, 4.0]), 0.01, 0.2)
    assert p.tolist() == pytest.approx([0.01, 0.105, 0.2, 0.105, 0.01])


def test_scenario_cli(tiny_built: Tiny) -> None:
    run = CliRunner().invoke
    base = ["--db", str(tiny_built.db), "scenario"]
    res = run(
        cli,
        [
            *base,
            "shock",
            "--exporter",
            "KAZ",
            "--mineral",
            "chromium",
            "--cut",
            "0.5",
            "--importer",
            "KOR",
            "--year",
            "2022",
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.stderr
    assert '"spare_capacity": 0.1' in res.stdout
    res = run(
        cli,
        [*base, "montecarlo", "--importer", "KOR", "-n", "1000", "--seed", "3", "--year", "2022"],
    )
    assert res.exit_code == 0 and "p99" in res.stdout
    res = run(cli, [*base, "shock", "--exporter", "KAZ", "--mineral", "chromium", "--cut", "2"])
    assert res.exit_code == 2 and res.stderr.startswith("error: ")


def test_partnership_from_a_registry_agreement(tiny_built: Tiny, tmp_path: object) -> None:
    from pathlib import Path

    from critmin.service.agreements import offtake_tonnes

    assert offtake_tonnes("연간 5만 톤씩 5년간") == 50_000
    assert offtake_tonnes("up to 1,500 tonnes of NdPr oxide a year") == 1_500
    doc = Path(str(tmp_path)) / "deal.md"
    doc.write_text(
        "---\ntitle: deal\ndate: 2024-06-13\nlanguage: ko\n---\n\n"
        "한국광해광업공단은 12일 카자흐스탄 ERG와 크롬 광석을 연간 5만 톤씩 5년간 "
        "공급받는 장기 공급 계약을 체결했다.\n",
        encoding="utf-8",
    )
    reg = str(Path(str(tmp_path)) / "reg.duckdb")
    run = CliRunner().invoke
    base = ["--db", str(tiny_built.db)]
    res = run(cli, [*base, "ingest", str(doc), "--registry", reg])
    assert res.exit_code == 0, res.stderr
    res = run(
        cli,
        [
            *base,
            "scenario",
            "partnership",
            "--importer",
            "KOR",
            "--agreement",
            "1",
            "--registry",
            reg,
            "--year",
            "2022",
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.stderr
    import json

    data = json.loads(res.stdout)
    assert (data["partner"], data["mineral_id"], data["tonnes"]) == ("KAZ", "chromium", 50_000)
