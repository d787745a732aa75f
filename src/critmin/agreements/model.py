"""The extractor's data: organisations, the resources it looks names up in, agreements and
extractions, and the lexicon-matching helpers every step shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from critmin.agreements.documents import Document
from critmin.agreements.text import Gazetteer, Sentence, Term, terms

INSTRUMENT_PRIORITY = (
    "offtake",
    "joint_venture",
    "loan",
    "mou",
    "financing",
    "roadmap",
    "partnership",
    "arrangement",
    "agreement",
)
GROUP_GAP = 16
RECENT = 64  # a follow-up refers to one of the last agreements named (and work stays linear)
GENERIC_MINERALS = ("critical_minerals", "rare_metals")


@dataclass(frozen=True)
class Organization:
    """A gazetteer entry, or an organisation recognised in a document (``org:`` ids)."""

    id: str
    name_en: str
    name_ko: str
    iso3: str
    kind: str


def government_id(iso3: str) -> str:
    """The organisation id of a country's government (``eu`` for the European Union)."""
    return "eu" if iso3 == "EUU" else f"gov_{iso3.lower()}"


@dataclass
class Resources:
    """What extraction looks names up in: organisations, countries, minerals, lexicon."""

    orgs: dict[str, Organization]
    org_names: Gazetteer
    country_names: Gazetteer
    mineral_names: Gazetteer
    lexicon_dir: Any = None
    demonyms: Gazetteer = field(default_factory=lambda: Gazetteer([]))
    products: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)

    def terms(self, category: str, language: str) -> list[Term]:
        """The lexicon's patterns of one category and language."""
        return terms(category, language, self.lexicon_dir)


@dataclass
class Agreement:
    """One extracted agreement."""

    parties: list[str]
    countries: list[str]
    instrument: str
    status: str
    signed_on: str | None
    minerals: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    clauses: list[dict[str, Any]] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    surfaces: dict[str, str] = field(default_factory=dict)
    headline: bool = False
    # the status comes from a verb or cue of its clause (not the default ``signed`` of a
    # descriptive mention such as "developed by a joint venture of A and B")
    status_stated: bool = True
    kinds: dict[str, str] = field(default_factory=dict)


@dataclass
class Extraction:
    """Everything extracted from one document."""

    document: Document
    agreements: list[Agreement]
    document_count: int | None
    document_count_evidence: dict[str, Any] | None
    organizations: dict[str, Organization] = field(default_factory=dict)


def span(s: Sentence) -> dict[str, Any]:
    """Evidence: the sentence and its offsets in the document text."""
    return {"sentence": s.text, "start": s.start, "end": s.end}


Hit = tuple[str, int, int, str]


def hits(ts: list[Term], text: str, lo: int = 0, hi: int | None = None) -> list[Hit]:
    """(label, start, end, surface) of every match of ``ts`` in text[lo:hi], in order."""
    out = []
    for t in ts:
        for m in t.regex.finditer(text, lo, len(text) if hi is None else hi):
            out.append((t.label, m.start(), m.end(), m.group(0)))
    return sorted(out, key=lambda h: (h[1], -h[2]))


def whole(ts: list[Term], s: Sentence, lo: int = 0, hi: int | None = None) -> list[str]:
    """Labels of terms that match whole words/morphemes of ``s`` within [lo, hi)."""
    starts, ends = s.bounds
    return sorted({lab for lab, a, b, _ in hits(ts, s.text, lo, hi) if a in starts and b in ends})
