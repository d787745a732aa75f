"""Spark is optional: the default engine never imports it, and a missing piece is one line
naming scripts/install_spark.sh."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from critmin.cli import cli
from critmin.spark import SparkUnavailableError, require


def test_the_default_engine_imports_neither_pyspark_nor_sqlglot() -> None:
    code = (
        "import sys, critmin.cli, critmin.service.session, critmin.web.app\n"
        "top = {m.split('.')[0] for m in sys.modules}\n"
        "bad = sorted(top & {'pyspark', 'sqlglot', 'py4j'})\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_missing_package_names_the_install_script() -> None:
    with pytest.raises(SparkUnavailableError, match=r"scripts/install_spark\.sh") as err:
        require("critmin_no_such_module")
    assert "critmin_no_such_module" in str(err.value)


@pytest.mark.parametrize(
    "args",
    [
        ["exposure", "KOR", "--mineral", "lithium", "--engine", "spark"],
        ["ingest", "--engine", "spark", "README.md", "--out", "unused"],
    ],
)
def test_engine_spark_without_pyspark_is_one_line(
    args: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from conftest import REPO

    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark -> ImportError
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    monkeypatch.chdir(REPO)
    res = CliRunner().invoke(cli, ["--db", str(_any_warehouse(tmp_path)), *args])
    assert res.exit_code == 2, (res.stderr, res.exception)
    line = res.stderr.strip()
    assert line.startswith("error: --engine spark needs the Python package 'pyspark'")
    assert "scripts/install_spark.sh" in line and "\n" not in line


def _any_warehouse(tmp_path: Path) -> Path:
    import os

    from conftest import REPO

    db = Path(os.environ.get("CRITMIN_DB", REPO / ".critmin" / "critmin.duckdb"))
    if not db.is_file():
        pytest.skip("needs a built warehouse (make build)")
    return db


def test_merge_of_a_folder_without_output_says_what_to_pass(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        cli, ["registry", "merge", str(tmp_path), "--registry", str(tmp_path / "r.duckdb")]
    )
    assert res.exit_code == 2
    assert "has no documents table" in res.stderr and "--out folder" in res.stderr
