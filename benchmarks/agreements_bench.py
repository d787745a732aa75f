"""Agreement extraction throughput (issue #4 target: ≥ 40 documents per second on 2 cores).

Documents: the evaluation set (24 articles), the real corpus article and the 27 news
documents of ../shared/corpus/news, read from disk and
extracted (sentence splitting, gazetteer, rules) repeatedly for at least 5 s. Model loading
(kiwipiepy) and resource loading are timed separately as start-up.
"""

from __future__ import annotations

import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(db: Path) -> list[str]:
    """Time extraction; return report lines."""
    from critmin.agreements.documents import read_document
    from critmin.agreements.extract import Extractor
    from critmin.agreements.resources import load_resources
    from critmin.agreements.text import sentences
    from critmin.warehouse.db import connect

    paths = sorted((REPO / "eval" / "agreements").glob("*.md"))
    corpus = REPO.parent / "shared" / "corpus"
    paths += [p for p in sorted(corpus.glob("*.md")) if p.name.lower() != "readme.md"]
    paths += sorted((corpus / "news").glob("[0-9]*.md"))  # the real-news development set
    paths = [p for p in paths if p.name.lower() != "readme.md"]
    t0 = time.perf_counter()
    with connect(db) as con:
        ex = Extractor(load_resources(con))
    sentences("준비.", "ko")  # load the Korean model
    startup = time.perf_counter() - t0
    done, t1 = 0, time.perf_counter()
    while time.perf_counter() - t1 < 5.0:
        for p in paths:
            ex.extract(read_document(p))
            done += 1
    rate = done / (time.perf_counter() - t1)
    return [
        f"Agreement extraction ({len(paths)} documents, Korean and English)",
        f"  start-up (gazetteer, lexicon, Korean model)  {startup:8.2f} s",
        f"  documents per second                          {rate:8.1f}   (target ≥ 40)",
    ]
