"""Monte-Carlo grids: per-task seeds from the user's seed; Spark equals the local run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from critmin.cli import cli
from critmin.scenarios import montecarlo
from critmin.spark import montecarlo as mc

pytestmark = [pytest.mark.spark, pytest.mark.warehouse]


def test_grid_on_spark_equals_the_local_run(spark: Any, real_warehouse: Path) -> None:
    with duckdb.connect(str(real_warehouse), read_only=True) as con:
        tasks = mc.plan(con, ["KOR", "JPN"], year=2022, seed=11, minerals=["lithium", "cobalt"])
        direct = montecarlo(
            con, "KOR", year=2022, n=3000, random_state=mc.task_seed(11, "KOR", "lithium"),
            mineral_id="lithium", correlation=0.3,
        )  # fmt: skip
    assert [(t.importer, t.mineral) for t in tasks] == [
        ("JPN", "cobalt"), ("JPN", "lithium"), ("KOR", "cobalt"), ("KOR", "lithium"),
    ]  # fmt: skip
    assert len({t.seed for t in tasks}) == 4
    opts = {"correlation": 0.3}
    local = mc.run_grid(tasks, year=2022, n=3000, options=opts)
    on_spark = mc.run_grid(tasks, year=2022, n=3000, options=opts, spark=spark)
    assert on_spark == local  # exactly: same code, same per-task seeds
    # a task equals montecarlo run on the warehouse with that task's seed
    kor_li = [{k: v for k, v in r.items() if k not in ("importer", "seed")} for r in local
              if r["importer"] == "KOR" and r["mineral"] == "lithium"]  # fmt: skip
    assert kor_li == direct.rows and kor_li
    # seeds depend on the user's seed only: another order or subset, same numbers
    again = mc.run_grid(list(reversed(tasks))[:1], year=2022, n=3000, options=opts)
    assert again == [r for r in local if (r["importer"], r["mineral"]) == ("KOR", "lithium")]
    with duckdb.connect(str(real_warehouse), read_only=True) as con:
        seed12 = mc.plan(con, ["KOR"], year=2022, seed=12, minerals=["lithium"])
    assert mc.run_grid(seed12, year=2022, n=3000, options=opts) != again


def test_grid_cli_reports_the_seed_and_agrees_across_engines(
    spark: Any, real_warehouse: Path
) -> None:
    args = ["--db", str(real_warehouse), "scenario", "montecarlo-grid", "KOR", "--mineral"]
    args += ["lithium", "--n", "2000", "--year", "2022", "--format", "json"]
    unseeded = CliRunner().invoke(cli, args)
    assert unseeded.exit_code == 0, unseeded.stderr
    seed = json.loads(unseeded.stdout)["seed"]
    local = CliRunner().invoke(cli, [*args, "--seed", str(seed)])
    on_spark = CliRunner().invoke(cli, [*args, "--seed", str(seed), "--engine", "spark"])
    assert on_spark.exit_code == 0, on_spark.stderr
    assert json.loads(local.stdout) == json.loads(on_spark.stdout) == json.loads(unseeded.stdout)
