"""``critmin ingest --engine spark`` + ``critmin registry merge`` equal the local ingest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from conftest import REPO, Tiny
from critmin.cli import cli

pytestmark = pytest.mark.spark

CORPUS = REPO.parent / "shared" / "corpus"
if not CORPUS.is_dir():
    CORPUS = REPO / "eval" / "agreements"
TABLES = {
    "documents": "* EXCLUDE (ingested_at)",
    "organizations": "*",
    "agreements": "*",
    "evidence": "*",
}


def _registry(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            t: con.execute(f"SELECT {cols} FROM {t} ORDER BY ALL").fetchall()
            for t, cols in TABLES.items()
        }


def _ok(args: list[str]) -> Any:
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, (res.stdout, res.stderr, res.exception)
    return res


def test_spark_ingest_and_merge_give_the_local_registry(
    spark: Any, tiny_built: Tiny, tmp_path: Path
) -> None:
    db = ["--db", str(tiny_built.db)]
    local, merged, out = tmp_path / "local.duckdb", tmp_path / "merged.duckdb", tmp_path / "out"
    _ok([*db, "-q", "ingest", str(CORPUS), "--registry", str(local)])
    res = _ok(
        [*db, "ingest", "--engine", "spark", str(CORPUS), "--out", str(out), "--format", "json"]
    )
    summary = json.loads(res.stdout)
    assert summary["failed"] == [] and summary["documents"] > 0
    for table in ("documents", "agreements", "parties", "evidence"):
        years = {p.name for p in (out / table).glob("year=*")}
        assert years and all(y.split("=")[1].isdigit() or "DEFAULT" in y for y in years)
    first = json.loads(
        _ok(["registry", "merge", str(out), "--registry", str(merged), "--format", "json"]).stdout
    )
    assert first["added"] == summary["documents"] and first["agreements"] == summary["agreements"]
    again = json.loads(
        _ok(["registry", "merge", str(out), "--registry", str(merged), "--format", "json"]).stdout
    )
    assert again == {**first, "added": 0, "already_ingested": first["added"], "agreements": 0}
    want, got = _registry(local), _registry(merged)
    assert {t: len(r) for t, r in got.items()} == {t: len(r) for t, r in want.items()}
    assert want["agreements"], "the corpus has agreements"
    for table in TABLES:
        assert got[table] == want[table], table  # ids too: same order of insertion


def test_records_are_extracted_like_the_plain_loop(
    spark: Any, tiny_built: Tiny, tmp_path: Path
) -> None:
    """JSON Lines records (text, HTML, a bad one) on Spark equal a plain loop, row for row."""
    from critmin.cli.agreements import _extractor
    from critmin.spark import rows as R
    from critmin.spark.ingest import extracted

    files = sorted(CORPUS.rglob("*.md"))[:4]
    records: list[dict[str, Any]] = [
        {"path": str(f), "text": f.read_text(encoding="utf-8"), "language": None} for f in files
    ]
    records.append(
        {
            "url": "https://example.org/a",
            "html": "<html><head><title>Korea and Chile sign lithium MOU</title></head><body>"
            "<p>Korea and Chile signed a memorandum of understanding on lithium supply "
            "on 3 May 2023.</p></body></html>",
            "date": "2023-05-04",
        }
    )
    records.append({"path": "empty-record", "text": "   "})
    src = tmp_path / "news.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    import click

    ctx = click.Context(cli, obj={"db": str(tiny_built.db)})
    ex = _extractor(ctx)
    got = extracted(spark, [src], ex, max_bytes=2_000_000, partitions=2).toPandas()
    got = got.sort_values(["ordinal", "entry"]).to_dict("records")
    want = [r for n, rec in enumerate(records) for r in R.record_rows(_extractor(ctx), rec, n)]
    assert len(got) == len(want) == len(records)
    for g, w in zip(got, want, strict=True):
        g = {k: (None if v is None or v != v else v) for k, v in g.items()}
        g["date"] = R.as_date(g["date"])
        assert {k: v for k, v in g.items() if k != "ordinal"} == {
            k: v for k, v in w.items() if k != "ordinal"
        }
    assert got[-1]["error"] and "no text or html" in got[-1]["error"]
    assert json.loads(got[-2]["payload"]), "the HTML record's agreement is found"


def test_a_bad_file_is_reported_and_the_rest_merged(
    spark: Any, tiny_built: Tiny, tmp_path: Path
) -> None:
    news = tmp_path / "news"
    news.mkdir()
    good = sorted(CORPUS.rglob("*.md"))[1]
    (news / "a.md").write_bytes(good.read_bytes())
    (news / "b.md").write_bytes(b"\xff\xfe not utf-8")
    (news / "c.md").write_bytes(good.read_bytes())  # same bytes as a.md: stored once
    out, reg = tmp_path / "out", tmp_path / "reg.duckdb"
    db = ["--db", str(tiny_built.db)]
    res = CliRunner().invoke(
        cli, [*db, "ingest", "--engine", "spark", str(news), "--out", str(out)]
    )
    assert res.exit_code == 1
    assert "b.md" in res.stdout and "not UTF-8" in res.stdout and "1 failed" in res.stderr
    merged = json.loads(
        _ok(["registry", "merge", str(out), "--registry", str(reg), "--format", "json"]).stdout
    )
    assert merged["added"] == 1 and merged["already_ingested"] == 1
    assert merged["failed_in_output"] == 1
    local = tmp_path / "local.duckdb"
    res = CliRunner().invoke(cli, [*db, "-q", "ingest", str(news), "--registry", str(local)])
    assert res.exit_code == 1
    assert _registry(reg) == _registry(local)


def test_parquet_records_equal_json_lines(spark: Any, tiny_built: Tiny, tmp_path: Path) -> None:
    import click
    import pyarrow as pa
    import pyarrow.parquet as pq

    from critmin.cli.agreements import _extractor
    from critmin.spark.ingest import extracted

    files = sorted(CORPUS.rglob("*.md"))[:3]
    recs = [{"path": str(f), "text": f.read_text(encoding="utf-8")} for f in files]
    (tmp_path / "n.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs), "utf-8")
    (tmp_path / "pq").mkdir()
    pq.write_table(pa.Table.from_pylist(recs), tmp_path / "pq" / "part-0.parquet")
    ex = _extractor(click.Context(cli, obj={"db": str(tiny_built.db)}))

    def rows(path: Path) -> list[dict[str, Any]]:
        df = extracted(spark, [path], ex, max_bytes=2_000_000, partitions=1).toPandas()
        return list(df.drop(columns=["ordinal"]).sort_values("path").to_dict("records"))

    a, b = rows(tmp_path / "n.jsonl"), rows(tmp_path / "pq")
    assert len(a) == 3 and all(r["error"] is None for r in a)
    assert json.dumps(a, default=str) == json.dumps(b, default=str)
