"""Score critmin's agreement extraction on the evaluation set and the real corpus article.

    .venv/bin/python eval/agreements/score.py [--json] [--errors]

Reads the documents in this folder (and ../shared/corpus when present), extracts agreements
with the warehouse at CRITMIN_DB, compares them with gold.json, and prints agreement precision,
recall and F1, mineral and stage F1, status/instrument accuracy and document-count accuracy.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[2] / "shared" / "corpus"


def predictions(gold: dict[str, Any]) -> dict[str, Any]:
    """Extract every document named in gold.json."""
    from critmin import settings
    from critmin.agreements.documents import read_document
    from critmin.agreements.extract import Extractor
    from critmin.agreements.resources import load_resources
    from critmin.warehouse import connect

    with connect(settings.db_path()) as con:
        ex = Extractor(load_resources(con))
    out = {}
    for name in gold:
        path = HERE / name if (HERE / name).is_file() else CORPUS / name
        if not path.is_file():
            continue
        x = ex.extract(read_document(path))
        out[name] = {
            "document_count": x.document_count,
            "agreements": [
                {
                    "parties": a.parties,
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


def main() -> int:
    from critmin.agreements.evaluate import score

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    ap.add_argument("--errors", action="store_true", help="list missed and extra agreements")
    args = ap.parse_args()
    gold = json.loads((HERE / "gold.json").read_text(encoding="utf-8"))
    available = {k: v for k, v in gold.items() if (HERE / k).is_file() or (CORPUS / k).is_file()}
    rep = score(predictions(available), available)
    d = rep.as_dict()
    if args.json:
        print(json.dumps(d, indent=2))
    else:
        a = d["agreements"]
        print(
            f"documents {d['documents']}: agreements gold {a['gold']}, predicted "
            f"{a['predicted']}, matched {a['matched']}"
        )
        print(
            f"agreement precision {a['precision']:.3f}  recall {a['recall']:.3f}  F1 {a['f1']:.3f}"
        )
        print(
            f"mineral F1 {d['mineral_f1']:.3f}  stage F1 {d['stage_f1']:.3f}  status accuracy "
            f"{d['status_accuracy']:.3f}  instrument accuracy {d['instrument_accuracy']:.3f}  "
            f"document-count accuracy {d['document_count_accuracy']:.3f}"
        )
    if args.errors:
        print("\n".join(rep.errors), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
