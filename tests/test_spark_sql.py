"""The metric SQL on Spark: every query transpiles and parses; DuckDB and Spark agree on the
real warehouse, on the CLI's JSON and on hypothesis-generated tables."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from critmin.cli import cli
from critmin.spark.metrics import (
    NOT_PORTABLE,
    join_diff,
    metric_queries,
    portable_queries,
    value_diff,
)
from critmin.spark.sql import (
    NotPortableError,
    SparkConnection,
    Tables,
    portability_issues,
    spark_parses,
    to_spark,
)

pytestmark = pytest.mark.spark


class _Views(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "critmin_" + key.replace(".", "__")


def test_every_metric_query_transpiles_and_parses_on_spark(spark: Any) -> None:
    names = {q.name for q in metric_queries()}
    assert {
        "exposure_by_stage",
        "exposure_by_product",
        "net_import_reliance",
        "concentration_production",
        "eu_global",
        "geopolrisk_critmin",
        "geopolrisk_peer",
    } <= names
    for q in portable_queries():
        sql = to_spark(q.sql, q.params, _Views())
        spark_parses(spark, sql)  # Spark's parser, no tables or data needed
        assert "critmin_tidy__" in sql or "critmin_staging__" in sql, q.name
        assert not re.search(r"\b(tidy|staging|meta)\.", sql), q.name
        assert "$" not in sql and ":" + next(iter(q.params), "x") not in sql, q.name
    for q in metric_queries():
        assert bool(portability_issues(q.sql)) == (q.name in NOT_PORTABLE), q.name


@pytest.mark.parametrize(
    ("sql", "trap"),
    [
        ("SELECT list(x ORDER BY y) FROM t", "ordered aggregate"),
        ("SELECT first(x ORDER BY y) FROM t", "ordered aggregate"),
        ("SELECT CAST(x AS HUGEINT) FROM t", "128-bit"),
        ("SELECT x / y FROM t", "nullif"),
        ("SELECT x / (y - 1) FROM t", "nullif"),
    ],
)
def test_what_spark_would_change_is_refused_with_the_fix(sql: str, trap: str) -> None:
    with pytest.raises(NotPortableError, match=trap) as err:
        to_spark(sql, {})
    assert "Fix:" in str(err.value)


def test_portable_forms_pass() -> None:
    sql = (
        "SELECT list_sort(list(struct_pack(k := -v, x := x))), arg_max(x, y), "
        "x / nullif(y, 0), x / 2, x / CASE WHEN u = 'kg' THEN 1000 ELSE 1 END FROM t "
        "WHERE a = $a AND b IN (SELECT unnest($b::VARCHAR[])) AND c < $c"
    )
    out = to_spark(sql, {"a": "it's", "b": ["KOR", "JPN"], "c": 0.1})
    assert "SORT_ARRAY" in out.upper() or "ARRAY_SORT" in out.upper()
    assert "MAX_BY" in out and "'it''s'" in out.replace("\\'", "''")
    assert "CAST('0.1' AS DOUBLE)" in out and "ARRAY('KOR', 'JPN')" in out


def _both(con: duckdb.DuckDBPyConnection, spark: Any, cache: Path) -> SparkConnection:
    return SparkConnection(
        con, spark, Tables(spark, con, None, cache=cache), [q.sql for q in portable_queries()]
    )


@pytest.mark.warehouse
def test_metric_rows_equal_on_the_real_warehouse(
    spark: Any, real_warehouse: Path, tmp_path: Path
) -> None:
    with duckdb.connect(str(real_warehouse), read_only=True) as con:
        sc = _both(con, spark, tmp_path)
        for q in portable_queries():
            want = con.execute(q.sql, q.params).fetchall()
            got = sc.execute(q.sql, q.params).fetchall()
            assert want, f"{q.name}: the sample parameters select rows"
            assert join_diff(want, got, q.keys) == [], q.name
            if "ORDER BY" in q.sql.split(")")[-1]:  # the final ORDER BY: same order too
                assert [r[: len(q.keys)] for r in got] == [r[: len(q.keys)] for r in want]
        assert sc.ran_on_spark == len(portable_queries())


@pytest.mark.warehouse
def test_exposure_cli_on_spark_equals_duckdb(
    spark: Any, real_warehouse: Path, tmp_path: Path
) -> None:
    """The acceptance command: same rows, same order, values within 1e-12 relative."""
    args = ["--db", str(real_warehouse), "exposure", "KOR", "--mineral", "lithium"]
    args += ["--year", "2022", "--format", "json"]
    duck = CliRunner().invoke(cli, args)
    spk = CliRunner().invoke(cli, [*args, "--engine", "spark", "--spark-tables", str(tmp_path)])
    assert duck.exit_code == 0, duck.stderr
    assert spk.exit_code != 0 and "no Parquet for tidy." in spk.stderr  # an empty folder
    spk = CliRunner().invoke(cli, [*args, "--engine", "spark"])
    assert spk.exit_code == 0, (spk.stderr, spk.exception)
    assert "ran on Spark" in spk.stderr
    a, b = json.loads(duck.stdout), json.loads(spk.stdout)
    assert a["exposure"] and a["exposure"][0]["suppliers"]
    assert value_diff(a, b) == []
    order = [(e["stage"], [s["iso3"] for s in e["suppliers"]]) for e in a["exposure"]]
    assert order == [(e["stage"], [s["iso3"] for s in e["suppliers"]]) for e in b["exposure"]]


@pytest.mark.warehouse
@pytest.mark.parametrize(
    "command",
    [
        ["profile", "lithium"],
        ["profile", "cobalt", "--measure", "reserves"],
        ["risk", "KOR", "--mineral", "cobalt", "--year", "2022", "--method", "eu"],
    ],
)
def test_profile_and_eu_risk_on_spark_equal_duckdb(
    spark: Any, real_warehouse: Path, command: list[str]
) -> None:
    args = ["--db", str(real_warehouse), *command, "--format", "json"]
    duck, spk = (CliRunner().invoke(cli, a) for a in (args, [*args, "--engine", "spark"]))
    assert duck.exit_code == 0 and spk.exit_code == 0, (duck.stderr, spk.stderr)
    assert "ran on Spark" in spk.stderr
    assert value_diff(json.loads(duck.stdout), json.loads(spk.stdout)) == []


COUNTRIES = ["AUS", "CHL", "CHN", "ARG", "ZWE", "KOR", "JPN"]
_money = st.one_of(st.integers(0, 10**9).map(float), st.floats(0, 1e9, allow_nan=False))
_flow = st.tuples(
    st.sampled_from([2021, 2022]),
    st.sampled_from(COUNTRIES),
    st.sampled_from(["KOR", "JPN"]),
    st.sampled_from(["253090", "282520", "283691", "810520"]),
    _money,
    st.one_of(st.none(), _money),
)
_gov = st.tuples(
    st.sampled_from(COUNTRIES),
    st.sampled_from([2018, 2019, 2020, 2021, 2022]),
    st.floats(-2.5, 2.5, allow_nan=False),
)
_prod = st.tuples(
    st.sampled_from(["bgs_wms", "usgs_mcs"]),
    st.sampled_from(["AUS", "CHL", "CHN", "ARG", "XOT"]),
    st.sampled_from([2021, 2022]),
    st.one_of(st.none(), _money),
)


def _tables(flows: list[Any], gov: list[Any], prod: list[Any]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA tidy")
    con.execute(
        "CREATE TABLE tidy.trade (year INTEGER, exporter VARCHAR, importer VARCHAR, hs6 VARCHAR,"
        " value_usd DOUBLE, quantity_t DOUBLE, lineage VARCHAR, source_id VARCHAR, release VARCHAR,"
        " hs_revision VARCHAR)"
    )
    con.executemany(
        "INSERT INTO tidy.trade VALUES (?, ?, ?, ?, ?, ?, 'baci', 'baci_hs92', 'V1', 'HS92')", flows
    )
    con.execute(
        "CREATE TABLE tidy.hs_products AS SELECT * FROM (VALUES ('253090', 'lithium', "
        "'ore_concentrate', true, 'ref'), ('282520', 'lithium', 'refined_chemical', true, 'ref'),"
        " ('283691', 'lithium', 'refined_chemical', true, 'ref'), ('810520', 'cobalt', "
        "'intermediate', false, 'ref')) v(hs6, mineral_id, stage, specific, lineage)"
    )
    con.execute("ALTER TABLE tidy.hs_products ADD COLUMN bundle VARCHAR[] DEFAULT []")
    con.execute(
        "CREATE TABLE tidy.governance (iso3 VARCHAR, year INTEGER, indicator VARCHAR, "
        "estimate DOUBLE, lineage VARCHAR)"
    )
    if gov:
        con.executemany("INSERT INTO tidy.governance VALUES (?, ?, 'pv', ?, 'wgi')", gov)
    con.execute(
        "CREATE TABLE tidy.production (source_id VARCHAR, iso3 VARCHAR, year INTEGER, "
        "quantity_t DOUBLE, mineral_id VARCHAR DEFAULT 'lithium', stage VARCHAR DEFAULT "
        "'mining', basis VARCHAR DEFAULT 'gross_weight', share DOUBLE, period VARCHAR, "
        "lineage VARCHAR DEFAULT 'p')"
    )
    if prod:
        con.executemany(
            "INSERT INTO tidy.production (source_id, iso3, year, quantity_t) VALUES (?, ?, ?, ?)",
            prod,
        )
    return con


_counter = itertools.count()


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    flows=st.lists(_flow, min_size=1, max_size=25),
    gov=st.lists(_gov, max_size=15),
    prod=st.lists(_prod, max_size=10),
    threshold=st.sampled_from([0.0, -0.5]),
)
def test_generated_tables_give_the_same_metrics(
    spark: Any, tmp_path: Path, flows: list[Any], gov: list[Any], prod: list[Any], threshold: float
) -> None:
    con = _tables(flows, gov, prod)
    sc = _both(con, spark, tmp_path / str(next(_counter)))
    by_name = {q.name: q for q in portable_queries()}
    expo = by_name["exposure_by_stage"]
    checks = [
        (expo, {"importers": ["KOR"], "mineral": None, "year": None,
                               "stage": None, "indicator": "pv", "threshold": threshold}),
        (expo, {"importers": ["KOR", "JPN"], "mineral": "lithium", "year": 2022,
                               "stage": None, "indicator": "pv", "threshold": threshold}),
        (by_name["net_import_reliance"], {"c": ["KOR"], "mineral": "lithium", "year": 2022}),
        (by_name["concentration_production"], {"mineral": "lithium", "stage": None,
                                             "source": None, "year": None}),
    ]  # fmt: skip
    for q, params in checks:
        want = con.execute(q.sql, params).fetchall()
        got = sc.execute(q.sql, params).fetchall()
        assert join_diff(want, got, q.keys) == [], (q.name, params)
        assert [r[: len(q.keys)] for r in got] == [r[: len(q.keys)] for r in want]
