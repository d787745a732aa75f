"""Agreements: the real corpus article, the evaluation set's target, the registry, formats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import REPO, Tiny
from critmin.cli import cli

CORPUS = REPO.parent / "shared" / "corpus" / "000_f42e243d2f5ce90f.md"
needs_corpus = pytest.mark.skipif(not CORPUS.is_file(), reason="../shared/corpus not present")


def _run(tiny: Tiny, *args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(cli, ["--db", str(tiny.db), *args])
    return res.exit_code, res.stdout, res.stderr


def _by_parties(data: dict[str, Any]) -> dict[frozenset[str], list[dict[str, Any]]]:
    out: dict[frozenset[str], list[dict[str, Any]]] = {}
    for a in data["agreements"]:
        out.setdefault(frozenset(p["id"] for p in a["parties"]), []).append(a)
    return out


@needs_corpus
def test_korea_kazakhstan_article(tiny_built: Tiny) -> None:
    code, out, err = _run(tiny_built, "ingest", str(CORPUS), "--dry-run", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["document"]["language"] == "ko" and data["document"]["document_count"] == 37
    found = _by_parties(data)
    govs = found[frozenset({"gov_kor", "gov_kaz"})]
    minerals_mou = next(a for a in govs if "critical_minerals" in a["sectors"])
    assert {"exploration", "development", "refining", "smelting", "processing"} <= set(
        minerals_mou["stages"]
    )
    assert "priority_participation" in {c["type"] for c in minerals_mou["clauses"]}
    assert minerals_mou["instrument"] == "mou" and minerals_mou["status"] == "signed"
    assert any("power" in a["sectors"] for a in govs)  # the power-industry MOU
    expected = {
        ("doosan_enerbility", "samruk_energy"): "power",
        ("hyundai_engineering", "kazmunaygas"): "oil_gas",
        ("kia", "nazarbayev_university"): "automotive",
        ("k_sure", "kazakhexport"): "finance",
        ("development_bank_of_kazakhstan", "kexim"): "finance",
    }
    text = CORPUS.read_text(encoding="utf-8")
    for pair, sector in expected.items():
        (a,) = found[frozenset(pair)]
        assert sector in a["sectors"], (pair, a["sectors"])
        assert a["countries"] == ["KAZ", "KOR"]
        for p in a["parties"]:
            assert {"name", "name_en", "name_ko", "country", "kind"} <= set(p)
        ev = a["evidence"]["agreement"]
        assert ev["sentence"] in text  # the evidence is the article's own sentence
    assert {p["kind"] for a in data["agreements"] for p in a["parties"]} >= {
        "government",
        "company",
        "university",
        "bank",
        "export_credit_agency",
    }


def test_evidence_spans_point_into_the_normalised_text(tiny_built: Tiny) -> None:
    from critmin.agreements.documents import read_document
    from critmin.agreements.extract import Extractor
    from critmin.agreements.resources import load_resources
    from critmin.warehouse.db import connect

    with connect(tiny_built.db) as con:
        ex = Extractor(load_resources(con))
    for path in sorted((REPO / "eval" / "agreements").glob("*_0[1-4].md")):
        x = ex.extract(read_document(path))
        for a in x.agreements:
            for value in a.evidence.values():
                spans = [value] if "sentence" in value else list(value.values())
                for sp in spans:
                    assert x.document.text[sp["start"] : sp["end"]] == sp["sentence"]


def test_evaluation_set_meets_the_target(
    tiny_built: Tiny, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import runpy
    import sys

    monkeypatch.setenv("CRITMIN_DB", str(tiny_built.db))
    monkeypatch.setattr(sys, "argv", ["score.py", "--json"])
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(REPO / "eval" / "agreements" / "score.py"), run_name="__main__")
    assert done.value.code == 0
    reports = json.loads(capsys.readouterr().out)
    report = reports["synthetic"]
    assert report["documents"] >= 24
    assert report["agreements"]["gold"] >= 48
    assert report["agreements"]["f1"] >= 0.9  # the target
    assert report["mineral_f1"] > 0.5 and report["stage_f1"] > 0.5
    news = reports.get("news")
    if news is not None and news["documents"] == 27:  # ../shared/corpus/news is present
        assert news["agreements"]["f1"] >= 0.9
        assert news["duplicate_predictions"] == 0
        assert news["mineral_f1"] > 0.5 and news["stage_f1"] > 0.5


def test_ingest_is_idempotent_and_listable(tiny_built: Tiny, tmp_path: Path) -> None:
    reg = str(tmp_path / "agreements.duckdb")
    docs = str(REPO / "eval" / "agreements")
    code, out, err = _run(tiny_built, "ingest", docs, "--registry", reg, "--format", "json")
    assert code == 0, err
    first = json.loads(out)
    # every article of the folder and its held-out subfolder, not its README
    n = len([p for p in (REPO / "eval" / "agreements").rglob("*.md") if p.stem != "README"])
    assert n == 24 + 18 and len(first) == n and all(r["status"] == "added" for r in first)
    code, out, _ = _run(tiny_built, "ingest", docs, "--registry", reg, "--format", "json")
    assert {r["status"] for r in json.loads(out)} == {"already ingested"}
    assert sum(r["agreements"] for r in json.loads(out)) == 0
    code, out, _ = _run(tiny_built, "agreements", "--registry", reg, "--format", "json")
    rows = json.loads(out)
    assert len(rows) == sum(r["agreements"] for r in first)
    assert all(any(e["field"] == "agreement" for e in r["evidence"]) for r in rows)
    code, out, _ = _run(
        tiny_built, "agreements", "--registry", reg, "--country", "카자흐스탄", "--format", "json"
    )
    kaz = json.loads(out)
    assert kaz and all("KAZ" in r["countries"] for r in kaz) and len(kaz) < len(rows)
    code, out, _ = _run(
        tiny_built, "agreements", "--registry", reg, "--mineral", "lithium", "--format", "json"
    )
    assert all("lithium" in r["minerals"] for r in json.loads(out))


def test_html_and_text_documents(tiny_built: Tiny, tmp_path: Path) -> None:
    html = tmp_path / "news.html"
    html.write_text(
        "<html><head><title>Korea and Chile</title>"
        "<meta property='article:published_time' content='2024-03-05'></head><body>"
        "<p>POSCO Holdings signed a lithium offtake agreement with SQM on March 4.</p>"
        "<script>var x = 'MOU signed';</script></body></html>",
        encoding="utf-8",
    )
    txt = tmp_path / "note.txt"
    txt.write_text(
        "Korea Zinc and Glencore agreed to form a joint venture for nickel refining.\n",
        encoding="utf-8",
    )
    code, out, err = _run(
        tiny_built, "ingest", str(html), str(txt), "--dry-run", "--format", "json"
    )
    assert code == 0, err
    html_doc, txt_doc = json.loads(out)
    assert html_doc["document"]["date"] == "2024-03-05"
    (a,) = html_doc["agreements"]
    assert {p["id"] for p in a["parties"]} == {"posco_holdings", "sqm"}
    assert a["instrument"] == "offtake" and a["minerals"] == ["lithium"]
    assert a["signed_on"] == "2024-03-04"
    (b,) = txt_doc["agreements"]
    assert b["instrument"] == "joint_venture" and "refining" in b["stages"]


def test_bad_documents_are_one_line_errors(tiny_built: Tiny, tmp_path: Path) -> None:
    bad = tmp_path / "latin1.md"
    bad.write_bytes("caf\xe9 MOU".encode("latin-1"))
    code, out, err = _run(tiny_built, "ingest", str(bad), "--dry-run")
    assert code == 1 and "failed" in out and "UTF-8" in out and "1 failed" in err
    code, _, err = _run(tiny_built, "ingest", str(tmp_path / "missing.md"), "--dry-run")
    assert code != 0 and "does not exist" in err
