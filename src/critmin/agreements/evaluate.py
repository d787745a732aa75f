"""Score extracted agreements against hand annotations (``eval/agreements/gold.json``).

Matching: within one document, a predicted and a gold agreement match when their party sets
are equal (among several of the same parties, the same instrument, then status, first);
remaining ones match when they share at least one party and the predicted countries are among
the gold ones. Each gold agreement matches at most one prediction (greedy, best
overlap first), so a second prediction for one gold agreement is a false positive (and is
also counted as a duplicate).

Parties are compared by name, not only by id: a gold party is a gazetteer id or
``name:Full Name|ACRONYM`` for an organisation outside the gazetteer; a predicted party
matches when its id is equal or one of its names (the gazetteer's names, or the names the
text used for a recognised organisation) equals one of the gold names after normalisation
(Unicode NFKC, case, punctuation, spaces and legal suffixes such as Ltd or ㈜ removed).

- agreement precision = matched / predicted, recall = matched / gold, F1 their harmonic mean
- mineral and stage F1: micro-averaged over (document, agreement, value) triples, where the
  values of unmatched predictions are false positives and those of unmatched gold agreements
  false negatives
- status and instrument accuracy over matched pairs; document-count accuracy over documents
- historical accuracy: gold agreements with status ``historical`` that are matched by a
  prediction labelled ``historical``, over all gold historical agreements
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_LEGAL = re.compile(
    r"\b(?:co|ltd|limited|inc|corp|corporation|plc|llc|sa|se|ag|gmbh|pty|jsc)\b|㈜|\(주\)|주식회사"
)


def normalise_name(name: str) -> str:
    """Name key for comparison: NFKC, lower case, no legal suffix, letters and digits only."""
    n = unicodedata.normalize("NFKC", name).lower()
    n = _LEGAL.sub(" ", n)
    return "".join(re.findall(r"\w", n))


def party_keys(party: str, names: Mapping[str, list[str]]) -> set[str]:
    """A party's comparison keys: its id and its normalised names."""
    if party.startswith("name:"):
        return {normalise_name(n) for n in party[5:].split("|") if normalise_name(n)}
    return {party} | {normalise_name(n) for n in names.get(party, []) if normalise_name(n)}


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
    historical_gold: int = 0
    historical_correct: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)
    per_document: list[dict[str, Any]] = field(default_factory=list)

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
            "historical": {
                "gold": self.historical_gold,
                "labelled_historical": self.historical_correct,
                "accuracy": (
                    self.historical_correct / self.historical_gold if self.historical_gold else None
                ),
            },
            "duplicate_predictions": self.duplicates,
            "per_document": self.per_document,
        }


def _add(c: Counts, pred: set[str], gold: set[str]) -> None:
    c.tp += len(pred & gold)
    c.fp += len(pred - gold)
    c.fn += len(gold - pred)


def _overlap(p: list[set[str]], g: list[set[str]]) -> int:
    """Gold parties matched one-to-one by predicted parties (greedy)."""
    used: set[int] = set()
    n = 0
    for keys in g:
        for i, pk in enumerate(p):
            if i not in used and keys & pk:
                used.add(i)
                n += 1
                break
    return n


def _match(
    pred: list[Mapping[str, Any]],
    gold: list[Mapping[str, Any]],
    names: Mapping[str, list[str]],
) -> list[tuple[int | None, int | None]]:
    pairs: list[tuple[int | None, int | None]] = []
    used_p: set[int] = set()
    used_g: set[int] = set()
    cands = []
    for i, p in enumerate(pred):
        pnames = {**names, **p.get("party_names", {})}
        pk = [party_keys(x, pnames) for x in p["parties"]]
        for j, g in enumerate(gold):
            gk = [party_keys(x, names) for x in g["parties"]]
            n = _overlap(pk, gk)
            if n == len(gk) == len(pk):
                # equal parties; ties (two agreements of the same parties) go to the same
                # instrument, then the same status
                tie = 0.5 * (p["instrument"] == g["instrument"])
                tie += 0.25 * (p["status"] == g["status"])
                cands.append((2.0 + tie, i, j))
            elif n and set(p["countries"]) <= set(g["countries"]):
                cands.append((n / (len(pk) + len(gk) - n), i, j))
    for _, i, j in sorted(cands, key=lambda c: -c[0]):
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            pairs.append((i, j))
    pairs += [(i, None) for i in range(len(pred)) if i not in used_p]
    pairs += [(None, j) for j in range(len(gold)) if j not in used_g]
    return pairs


def score(
    predicted: Mapping[str, Mapping[str, Any]],
    gold: Mapping[str, Mapping[str, Any]],
    names: Mapping[str, list[str]] | None = None,
) -> Report:
    """Compare {document name: {"agreements": [...], "document_count": n}} mappings.

    ``names`` maps gazetteer ids to their names, so that gold ``name:`` parties can match.
    """
    names = names or {}
    rep = Report()
    for doc, g in gold.items():
        rep.documents += 1
        p = predicted.get(doc, {"agreements": [], "document_count": None})
        rep.count_correct += p.get("document_count") == g.get("document_count")
        row: dict[str, Any] = {
            "document": doc,
            "gold": len(g["agreements"]),
            "predicted": len(p["agreements"]),
        }
        row.update(matched=0, extra=0, missed=0, duplicates=0)
        pairs = _match(p["agreements"], g["agreements"], names)
        matched_gold = [j for i, j in pairs if i is not None and j is not None]
        for i, j in pairs:
            pa = p["agreements"][i] if i is not None else None
            ga = g["agreements"][j] if j is not None else None
            if ga is not None and ga["status"] == "historical":
                rep.historical_gold += 1
                rep.historical_correct += pa is not None and pa["status"] == "historical"
            if pa is not None and ga is not None:
                rep.agreements.tp += 1
                row["matched"] += 1
                rep.status_correct += pa["status"] == ga["status"]
                rep.instrument_correct += pa["instrument"] == ga["instrument"]
            elif pa is not None:
                rep.agreements.fp += 1
                row["extra"] += 1
                pn = {**names, **pa.get("party_names", {})}
                pk = [party_keys(x, pn) for x in pa["parties"]]
                if any(
                    _overlap(pk, [party_keys(x, names) for x in g["agreements"][k]["parties"]])
                    for k in matched_gold
                    if k is not None
                ):
                    rep.duplicates += 1
                    row["duplicates"] += 1
                rep.errors.append(f"{doc}: extra {pa['parties']} {pa['instrument']}")
            elif ga is not None:
                rep.agreements.fn += 1
                row["missed"] += 1
                rep.errors.append(f"{doc}: missed {ga['parties']} {ga['instrument']}")
            _add(
                rep.minerals,
                set(pa["minerals"]) if pa else set(),
                set(ga["minerals"]) if ga else set(),
            )
            _add(rep.stages, set(pa["stages"]) if pa else set(), set(ga["stages"]) if ga else set())
        rep.per_document.append(row)
    return rep
