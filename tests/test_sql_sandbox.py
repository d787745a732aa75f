"""`critmin sql` is read-only for real: every escape from issue 15 is refused in one line and
the agreements store beside the warehouse is unchanged afterwards."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from conftest import REPO, Tiny
from critmin.cli import cli
from critmin.sources.fetch import sha256_file


@pytest.fixture
def store(tiny_built: Tiny, tmp_path: Path) -> Path:
    reg = tmp_path / "agreements.duckdb"
    article = str(REPO / "eval" / "agreements" / "en_02.md")
    res = CliRunner().invoke(
        cli, ["--db", str(tiny_built.db), "ingest", article, "--registry", str(reg)]
    )
    assert res.exit_code == 0, res.stderr
    return reg


def _count(reg: Path) -> int:
    with duckdb.connect(str(reg), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM agreements").fetchone()
    assert row is not None
    return int(row[0])


def _sql(tiny: Tiny, query: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(cli, ["--db", str(tiny.db), "sql", query])
    return res.exit_code, res.stdout, res.stderr


def test_every_escape_is_refused_and_the_store_is_unchanged(
    tiny_built: Tiny, store: Path, tmp_path: Path
) -> None:
    before, rows = sha256_file(store), _count(store)
    assert rows >= 1
    warehouse = sha256_file(tiny_built.db)
    out = tmp_path / "out.csv"
    escapes = {
        f"ATTACH '{store}' AS reg (READ_WRITE)": "ATTACH",
        f"ATTACH '{store}' AS reg (READ_WRITE); DELETE FROM reg.agreements": "ATTACH",
        f"COPY (SELECT * FROM tidy.trade) TO '{out}'": "COPY",
        f"EXPORT DATABASE '{tmp_path / 'export'}'": "EXPORT",
        "INSTALL httpfs": "LOAD",
        "LOAD httpfs": "LOAD",
        "SET enable_external_access = true": "SET",
        "SELECT 1; SET lock_configuration = false": "SET",
        "DETACH critmin": "DETACH",
        "CREATE TEMP TABLE t AS SELECT 1": "CREATE",
    }
    for query, kind in escapes.items():
        code, stdout, err = _sql(tiny_built, query)
        assert code != 0 and stdout == "", (query, stdout)
        assert err.startswith(f"error: refused: {kind} statement"), (query, err)
        assert err.count("\n") == 1 and "Traceback" not in err, err
        assert "Fix:" in err
    # SELECTs that reach outside the warehouse are stopped by DuckDB's own sandbox
    for query in (
        "SELECT * FROM read_csv('/etc/passwd', sep = ':')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM glob('/*')",
        f"SELECT * FROM read_parquet('{tmp_path}/*.parquet')",
    ):
        code, stdout, err = _sql(tiny_built, query)
        assert code != 0 and stdout == "", (query, stdout)
        assert err.startswith("error: refused: Permission Error"), (query, err)
        assert err.count("\n") == 1, err
    assert not out.exists() and not (tmp_path / "export").exists()
    assert sha256_file(store) == before and _count(store) == rows
    assert sha256_file(tiny_built.db) == warehouse


def test_reading_queries_still_work(tiny_built: Tiny) -> None:
    for query in (
        "SELECT count(*) FROM tidy.trade",
        "EXPLAIN SELECT * FROM tidy.trade",
        "SHOW TABLES",
        "DESCRIBE tidy.trade",
        "WITH t AS (SELECT 1 AS x) SELECT x FROM t",
        "SELECT current_setting('enable_external_access')",
    ):
        code, stdout, err = _sql(tiny_built, query)
        assert code == 0, (query, err)
        assert stdout.strip(), query
    code, stdout, _ = _sql(tiny_built, "SELECT current_setting('enable_external_access') AS x")
    assert stdout.split()[-1] == "False"


def test_the_server_connection_is_sandboxed_too(tiny_built: Tiny) -> None:
    from critmin.web.app import create_app

    con = create_app(tiny_built.db).state.con
    with pytest.raises(duckdb.PermissionException):
        con.cursor().execute("SELECT * FROM read_csv('/etc/passwd')").fetchall()
    with pytest.raises(duckdb.Error, match="locked"):
        con.cursor().execute("SET enable_external_access = true")
