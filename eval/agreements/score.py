"""Score critmin's agreement extraction on its two development sets.

    .venv/bin/python eval/agreements/score.py [--set synthetic|news|all] [--json] [--errors]

- ``synthetic``: the project's own 24 articles in this folder and the seed corpus article
  (``gold.json``);
- ``news``: the 27 documents in ``../shared/corpus/news/`` written from real reports
  (``news_gold.json``; the documents stay in ``../shared``).

Extracts agreements with the warehouse at CRITMIN_DB, compares them with the gold files and
prints, per set: agreement precision, recall and F1, duplicates, mineral and stage F1,
status/instrument accuracy, historical-mention accuracy, document-count accuracy, and a
per-document table.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2] / "shared" / "corpus"
SETS = {
    "synthetic": ("gold.json", [HERE, SHARED]),
    "news": ("news_gold.json", [SHARED / "news"]),
    "heldout": ("heldout_gold.json", [HERE / "heldout"]),
}


def _extractor() -> Any:
    from critmin import settings
    from critmin.agreements.extract import Extractor
    from critmin.agreements.resources import load_resources
    from critmin.warehouse.db import connect

    with connect(settings.db_path()) as con:
        return Extractor(load_resources(con))


def predictions(ex: Any, gold: dict[str, Any], folders: list[Path]) -> dict[str, Any]:
    """Extract every document named in a gold file."""
    from critmin.agreements.documents import read_document

    out = {}
    for name in gold:
        path = next((f / name for f in folders if (f / name).is_file()), None)
        if path is None:
            continue
        x = ex.extract(read_document(path))
        orgs = {**ex.res.orgs, **x.organizations}
        out[name] = {
            "document_count": x.document_count,
            "agreements": [
                {
                    "parties": a.parties,
                    "party_names": {
                        p: [n for n in (orgs[p].name_en, orgs[p].name_ko) if n]
                        + x.organizations.get(p, orgs[p]).name_en.split("|")
                        for p in a.parties
                        if p in orgs
                    },
                    "countries": a.countries,
                    "instrument": a.instrument,
                    "status": a.status,
                    "minerals": a.minerals,
                    "stages": a.stages,
                }
                for a in x.agreements
            ],
        }
    return out


def gazetteer_names() -> dict[str, list[str]]:
    """Every gazetteer id's names and aliases."""
    import csv

    from critmin.settings import reference_dir

    out: dict[str, list[str]] = {}
    with (reference_dir() / "organizations.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            names = [r["name_en"], r["name_ko"], *(r.get("aliases") or "").split(";")]
            out[r["id"]] = [n.strip() for n in names if n.strip()]
    return out


def run(which: str) -> dict[str, Any]:
    """Score one set; the report as a dict."""
    from critmin.agreements.evaluate import score

    file, folders = SETS[which]
    gold = json.loads((HERE / file).read_text(encoding="utf-8"))
    available = {k: v for k, v in gold.items() if any((f / k).is_file() for f in folders)}
    rep = score(predictions(_extractor(), available, folders), available, gazetteer_names())
    return {**rep.as_dict(), "errors": rep.errors}


def _print(which: str, d: dict[str, Any], errors: bool) -> None:
    a, h = d["agreements"], d["historical"]
    print(f"== {which}: {d['documents']} documents")
    print(
        f"agreements gold {a['gold']}, predicted {a['predicted']}, matched {a['matched']}, "
        f"duplicates {d['duplicate_predictions']}"
    )
    print(f"agreement precision {a['precision']:.3f}  recall {a['recall']:.3f}  F1 {a['f1']:.3f}")
    hist = "n/a" if h["accuracy"] is None else f"{h['accuracy']:.3f}"
    print(
        f"mineral F1 {d['mineral_f1']:.3f}  stage F1 {d['stage_f1']:.3f}  status accuracy "
        f"{d['status_accuracy']:.3f}  instrument accuracy {d['instrument_accuracy']:.3f}  "
        f"historical {h['labelled_historical']}/{h['gold']} ({hist})  document-count accuracy "
        f"{d['document_count_accuracy']:.3f}"
    )
    print(f"{'document':62} gold pred match extra miss dup")
    for r in d["per_document"]:
        print(
            f"{r['document'][:62]:62} {r['gold']:4} {r['predicted']:4} {r['matched']:5} "
            f"{r['extra']:5} {r['missed']:4} {r['duplicates']:3}"
        )
    if errors:
        print("\n".join(d["errors"]), file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", choices=[*SETS, "all"], default="all")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    ap.add_argument("--errors", action="store_true", help="list missed and extra agreements")
    args = ap.parse_args()
    which = list(SETS) if args.set == "all" else [args.set]
    reports = {w: run(w) for w in which if (HERE / SETS[w][0]).is_file()}
    if args.json:
        print(json.dumps(reports, indent=2, ensure_ascii=False))
    else:
        for w, d in reports.items():
            _print(w, d, args.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
