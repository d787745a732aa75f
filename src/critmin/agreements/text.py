"""Sentences with character spans, and the gazetteer / lexicon matchers.

Korean text is split into sentences by kiwipiepy (its model ships on PyPI in kiwipiepy_model;
nothing is downloaded at run time); English by punctuation with an abbreviation guard. Every
span refers to :attr:`critmin.agreements.documents.Document.text`.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from critmin.reference import reference_dir


@dataclass(frozen=True)
class Sentence:
    """A sentence, its span in the document text and its paragraph number."""

    text: str
    start: int
    end: int
    paragraph: int


@functools.lru_cache(maxsize=1)
def _kiwi() -> object:
    from kiwipiepy import Kiwi  # imported lazily: loading the model takes a second

    return Kiwi()


_EN_SPLIT = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[A-Z\"“(0-9])")
_EN_ABBR = re.compile(r"(?:\b(?:Mr|Ms|Dr|Co|Corp|Inc|Ltd|No|St|Jr|vs|U\.S|e\.g|i\.e)|\b[A-Z])\.$")


def _paragraphs(text: str) -> Iterator[tuple[int, int, int]]:
    for i, m in enumerate(re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]+)*", text)):
        yield i, m.start(), m.end()


def sentences(text: str, language: str) -> list[Sentence]:
    """Split ``text`` into sentences with spans."""
    out: list[Sentence] = []
    for para, p0, p1 in _paragraphs(text):
        chunk = text[p0:p1]
        if language == "ko":
            spans = [(s.start, s.end) for s in _kiwi().split_into_sents(chunk)]  # type: ignore[attr-defined]
        else:
            spans, start = [], 0
            for m in _EN_SPLIT.finditer(chunk):
                if _EN_ABBR.search(chunk[start : m.start() + 1].rstrip()):
                    continue
                spans.append((start, m.start() + 1))
                start = m.end()
            spans.append((start, len(chunk)))
        for a, b in spans:
            while a < b and chunk[a].isspace():
                a += 1
            while b > a and chunk[b - 1].isspace():
                b -= 1
            if b > a:
                out.append(Sentence(chunk[a:b], p0 + a, p0 + b, para))
    return out


@dataclass(frozen=True)
class Term:
    """A lexicon pattern: category (instrument, stage, ...), label and compiled regex."""

    category: str
    label: str
    language: str
    regex: re.Pattern[str]


@functools.lru_cache(maxsize=4)
def lexicon(directory: Path | None = None) -> tuple[Term, ...]:
    """The extraction lexicon (``reference/agreement_lexicon.csv``)."""
    path = (directory or reference_dir()) / "agreement_lexicon.csv"
    with path.open(encoding="utf-8") as fh:
        return tuple(
            Term(
                r["category"],
                r["label"],
                r["language"],
                re.compile(r["pattern"], re.I if r["language"] == "en" else 0),
            )
            for r in csv.DictReader(fh)
        )


def terms(category: str, language: str, directory: Path | None = None) -> list[Term]:
    """Lexicon terms of one category and language."""
    return [t for t in lexicon(directory) if t.category == category and t.language == language]


@dataclass(frozen=True)
class Mention:
    """A gazetteer hit: the entity id and where it is."""

    id: str
    start: int
    end: int
    surface: str


class Gazetteer:
    """Longest-match dictionary lookup of names → ids, in both languages.

    English names match on word boundaries and case-insensitively; Korean names match inside
    words (particles attach to nouns: 카자흐스탄과, 한국무역보험공사는).
    """

    def __init__(self, names: Iterable[tuple[str, str]]) -> None:
        by_name: dict[str, str] = {}
        for name, ident in names:
            key = name.strip()
            if len(key) >= 2 and key.lower() not in by_name:
                by_name[key.lower()] = ident
        self._ids = by_name
        hangul = sorted(
            (n for n in by_name if re.search(r"[\uac00-\ud7a3]", n)), key=len, reverse=True
        )
        latin = sorted((n for n in by_name if n not in set(hangul)), key=len, reverse=True)
        parts = []
        if latin:
            # ASCII-only boundaries: Korean particles attach to Latin names ("JOGMEC와")
            parts.append(
                r"(?<![A-Za-z0-9])(?:" + "|".join(re.escape(n) for n in latin) + r")(?![A-Za-z0-9])"
            )

        if hangul:
            parts.append("(?:" + "|".join(re.escape(n) for n in hangul) + ")")
        self._re = re.compile("|".join(parts), re.I) if parts else None

    def find(self, text: str, offset: int = 0) -> list[Mention]:
        """All non-overlapping mentions, longest first at each position."""
        if self._re is None:
            return []
        return [
            Mention(self._ids[m.group(0).lower()], offset + m.start(), offset + m.end(), m.group(0))
            for m in self._re.finditer(text)
        ]
