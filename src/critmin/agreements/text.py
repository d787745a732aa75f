"""Sentences with character spans and word boundaries, and the whole-word dictionary matcher.

Korean text is split into sentences and morphemes by kiwipiepy (its model ships on PyPI in
kiwipiepy_model; nothing is downloaded at run time); English by punctuation with an
abbreviation guard, including a full stop with no space after it ("reports.A memorandum").
Both splitters are linear in the input. Every span refers to
:attr:`critmin.agreements.documents.Document.text`.

Dictionary names (organisations, countries, minerals, product words) match whole words in
English and whole morphemes in Korean, never inside a longer word: 소금 ("salt") does not
match inside 희소금속 ("rare metals") because kiwipiepy puts no morpheme boundary there.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from critmin.errors import RegistryError
from critmin.settings import reference_dir


@dataclass(frozen=True)
class Token:
    """A morpheme (Korean) or word (English): surface span relative to its sentence and tag."""

    form: str
    tag: str
    start: int
    end: int


@dataclass(frozen=True)
class Sentence:
    """A sentence, its span in the document text, its paragraph number and its tokens."""

    text: str
    start: int
    end: int
    paragraph: int
    tokens: tuple[Token, ...] = field(default=(), compare=False, repr=False)

    @functools.cached_property
    def bounds(self) -> tuple[frozenset[int], frozenset[int]]:
        """Positions (relative to :attr:`text`) where a whole word or morpheme may start/end."""
        if not self.tokens:
            return word_bounds(self.text)
        starts: set[int] = set()
        ends: set[int] = set()
        for t in self.tokens:
            starts.add(t.start)
            ends.add(t.end)
            # kiwipiepy joins compounds into one form with a space ("수산화 리튬" for
            # 수산화리튬): its parts are morphemes too
            if " " in t.form and t.form.replace(" ", "") == self.text[t.start : t.end]:
                pos = t.start
                for part in t.form.split(" ")[:-1]:
                    pos += len(part)
                    starts.add(pos)
                    ends.add(pos)
        return frozenset(starts), frozenset(ends)


@functools.lru_cache(maxsize=1)
def _kiwi() -> object:
    from kiwipiepy import Kiwi  # imported lazily: loading the model takes a second

    return Kiwi()


_WORD = re.compile(r"[A-Za-z0-9]+|[^\sA-Za-z0-9]")


def word_bounds(text: str) -> tuple[frozenset[int], frozenset[int]]:
    """Word starts and ends: runs of ASCII letters and digits, and every other character."""
    starts, ends = set(), set()
    for m in _WORD.finditer(text):
        starts.add(m.start())
        ends.add(m.end())
    return frozenset(starts), frozenset(ends)


# A sentence ends at . ! ? (and closing quotes) followed by space and a capital, or — with no
# space — by a capital after a lower-case word of two or more letters ("reports.A").
_EN_END = re.compile(r"[.!?]+[\"”’')\]]*")
_EN_ABBR = frozenset(
    [
        "mr",
        "ms",
        "mrs",
        "dr",
        "prof",
        "co",
        "corp",
        "inc",
        "ltd",
        "no",
        "st",
        "jr",
        "sr",
        "vs",
        "gov",
        "gen",
        "sen",
        "rep",
        "dept",
        "est",
        "approx",
        "fig",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "e.g",
        "i.e",
        "u.s",
        "u.k",
        "u.n",
    ]
)
_LOOKBACK = 24


def _en_spans(chunk: str) -> list[tuple[int, int]]:
    spans, start, n = [], 0, len(chunk)
    for m in _EN_END.finditer(chunk):
        end = m.end()
        if end >= n:
            break
        nxt = chunk[end]
        back = chunk[max(start, m.start() - _LOOKBACK) : m.start()]
        word = back.rsplit(None, 1)[-1] if back.split() else ""
        if nxt.isspace():
            j = end
            while j < n and j - end < _LOOKBACK and chunk[j].isspace():
                j += 1
            if j >= n or not (chunk[j].isupper() or chunk[j] in "\"“'‘(0123456789"):
                continue
            if m.group(0)[0] == "." and (
                word.lower().rstrip(".") in _EN_ABBR or re.fullmatch(r"(?:[A-Z]\.)*[A-Z]", word)
            ):
                continue
        elif not (
            nxt.isupper() and m.group(0)[0] == "." and re.search(r"[a-z]{2}$", word) is not None
        ):
            continue
        spans.append((start, end))
        start = end
    spans.append((start, n))
    return spans


def _paragraphs(text: str) -> Iterator[tuple[int, int, int]]:
    for i, m in enumerate(re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]+)*", text)):
        yield i, m.start(), m.end()


def _en_tokens(text: str) -> tuple[Token, ...]:
    return tuple(Token(m.group(0), "W", m.start(), m.end()) for m in _WORD.finditer(text))


def sentences(text: str, language: str) -> list[Sentence]:
    """Split ``text`` into sentences with spans and tokens."""
    out: list[Sentence] = []
    for para, p0, p1 in _paragraphs(text):
        chunk = text[p0:p1]
        if language == "ko":
            parts = [
                (s.start, s.end, s.tokens)
                for s in _kiwi().split_into_sents(chunk, return_tokens=True)  # type: ignore[attr-defined]
            ]
        else:
            parts = [(a, b, None) for a, b in _en_spans(chunk)]
        for a, b, toks in parts:
            while a < b and chunk[a].isspace():
                a += 1
            while b > a and chunk[b - 1].isspace():
                b -= 1
            if b <= a:
                continue
            s_text = chunk[a:b]
            if toks is None:
                tokens = _en_tokens(s_text)
            else:
                tokens = tuple(
                    Token(t.form, t.tag, t.start - a, t.start - a + t.len)
                    for t in toks
                    if t.start >= a and t.start + t.len <= b
                )
            out.append(Sentence(s_text, p0 + a, p0 + b, para, tokens))
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
        rows = list(csv.DictReader(fh))
    out = []
    for n, r in enumerate(rows, start=2):
        try:
            rx = re.compile(r["pattern"], re.I if r["language"] == "en" else 0)
        except (re.error, TypeError) as exc:
            raise RegistryError(
                f"{path}:{n}: the pattern of {r.get('category')}/{r.get('label')} does not "
                f"compile ({exc}). Fix: quote a pattern that contains commas, check brackets"
            ) from exc
        out.append(Term(r["category"], r["label"], r["language"], rx))
    return tuple(out)


@functools.lru_cache(maxsize=256)
def _terms(category: str, language: str, directory: Path | None) -> tuple[Term, ...]:
    return tuple(t for t in lexicon(directory) if t.category == category and t.language == language)


def terms(category: str, language: str, directory: Path | None = None) -> list[Term]:
    """Lexicon terms of one category and language."""
    return list(_terms(category, language, directory))


@dataclass(frozen=True)
class Mention:
    """A dictionary or recognised hit: the entity id and where it is."""

    id: str
    start: int
    end: int
    surface: str


_END = ""


class Gazetteer:
    """Longest whole-word (or whole-morpheme) dictionary lookup of names → ids.

    Matching is case-insensitive and walks a character trie from each word start, so it is
    linear in the text for a fixed longest name; a hit must end on a word or morpheme end.
    """

    def __init__(self, names: Iterable[tuple[str, str]], *, min_length: int = 2) -> None:
        self._trie: dict[str, object] = {}
        self.ids: dict[str, str] = {}
        for name, ident in names:
            key = name.strip().lower()
            if len(key) < min_length or key in self.ids:
                continue
            self.ids[key] = ident
            node = self._trie
            for ch in key:
                node = node.setdefault(ch, {})  # type: ignore[assignment]
            node[_END] = ident

    def find(
        self,
        text: str,
        offset: int = 0,
        bounds: tuple[frozenset[int], frozenset[int]] | None = None,
    ) -> list[Mention]:
        """All non-overlapping whole-word mentions, the longest at each start."""
        if not self._trie:
            return []
        low = text.lower()
        if len(low) != len(text):
            low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        starts, ends = bounds or word_bounds(text)
        out: list[Mention] = []
        pos = 0
        for i in sorted(starts):
            if i < pos:
                continue
            node: dict[str, object] = self._trie
            best: tuple[int, str] | None = None
            j = i
            while j < len(low):
                nxt = node.get(low[j])
                if nxt is None:
                    break
                node = nxt  # type: ignore[assignment]
                j += 1
                if _END in node and j in ends:
                    best = (j, str(node[_END]))
            if best:
                out.append(Mention(best[1], offset + i, offset + best[0], text[i : best[0]]))
                pos = best[0]
        return out
