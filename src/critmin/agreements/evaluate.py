"""Score extracted agreements against hand annotations (``eval/agreements/gold.json``).

Matching: within one document, a predicted and a gold agreement match when their party sets
are equal; remaining ones match when they share at least one party and the same countries.
Each gold agreement matches at most one prediction (greedy, best overlap first).

- agreement precision = matched / predicted, recall = matched / gold, F1 their harmonic mean
- mineral and stage F1: micro-averaged over (document, agreement, value) triples, where the
  values of unmatched predictions are false positives and those of unmatched gold agreements
  false negatives
- status and instrument accuracy over matched pairs; document-count accuracy over documents
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Counts:
    """True positives, false positives, false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    """Evaluation results, with the per-document errors for inspection."""

    agreements: Counts = field(default_factory=Counts)
    minerals: Counts = field(default_factory=Counts)
    stages: Counts = field(default_factory=Counts)
    status_correct: int = 0
    instrument_correct: int = 0
    count_correct: int = 0
    documents: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        m = self.agreements.tp or 1
        return {
            "documents": self.documents,
            "agreements": {
                "gold": self.agreements.tp + self.agreements.fn,
                "predicted": self.agreements.tp + self.agreements.fp,
                "matched": self.agreements.tp,
                "precision": self.agreements.precision,
                "recall": self.agreements.recall,
                "f1": self.agreements.f1,
            },
            "mineral_f1": self.minerals.f1,
            "stage_f1": self.stages.f1,
            "status_accuracy": self.status_correct / m,
            "instrument_accuracy": self.instrument_correct / m,
            "document_count_accuracy": self.count_correct / max(self.documents, 1),
        }


def _add(c: Counts, pred: set[str], gold: set[str]) -> None:
    c.tp += len(pred & gold)
    c.fp += len(pred - gold)
    c.fn += len(gold - pred)


def _match(
    pred: list[Mapping[str, Any]], gold: list[Mapping[str, Any]]
) -> list[tuple[int | None, int | None]]:
    pairs: list[tuple[int | None, int | None]] = []
    used_p: set[int] = set()
    used_g: set[int] = set()
    cands = []
    for i, p in enumerate(pred):
        for j, g in enumerate(gold):
            ps, gs = set(p["parties"]), set(g["parties"])
            if ps == gs:
                cands.append((2.0, i, j))
            elif ps & gs and set(p["countries"]) == set(g["countries"]):
                cands.append((len(ps & gs) / len(ps | gs), i, j))
    for _, i, j in sorted(cands, key=lambda c: -c[0]):
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            pairs.append((i, j))
    pairs += [(i, None) for i in range(len(pred)) if i not in used_p]
    pairs += [(None, j) for j in range(len(gold)) if j not in used_g]
    return pairs


def score(
    predicted: Mapping[str, Mapping[str, Any]], gold: Mapping[str, Mapping[str, Any]]
) -> Report:
    """Compare {document name: {"agreements": [...], "document_count": n}} mappings."""
    rep = Report()
    for doc, g in gold.items():
        rep.documents += 1
        p = predicted.get(doc, {"agreements": [], "document_count": None})
        rep.count_correct += p.get("document_count") == g.get("document_count")
        for i, j in _match(p["agreements"], g["agreements"]):
            pa = p["agreements"][i] if i is not None else None
            ga = g["agreements"][j] if j is not None else None
            if pa is not None and ga is not None:
                rep.agreements.tp += 1
                rep.status_correct += pa["status"] == ga["status"]
                rep.instrument_correct += pa["instrument"] == ga["instrument"]
            elif pa is not None:
                rep.agreements.fp += 1
                rep.errors.append(f"{doc}: extra {pa['parties']} {pa['instrument']}")
            elif ga is not None:
                rep.agreements.fn += 1
                rep.errors.append(f"{doc}: missed {ga['parties']} {ga['instrument']}")
            _add(
                rep.minerals,
                set(pa["minerals"]) if pa else set(),
                set(ga["minerals"]) if ga else set(),
            )
            _add(rep.stages, set(pa["stages"]) if pa else set(), set(ga["stages"]) if ga else set())
    return rep
