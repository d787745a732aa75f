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
    from critmin.cli_agreements import _extractor
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
