"""Clues read from a clause or sentence: the signing date, a date before the article's,
nouns a follow-up refers back to, and instrument acronyms a document defines."""

from __future__ import annotations

import datetime as dt
import itertools
import re

from critmin.agreements.documents import Document
from critmin.agreements.model import hits
from critmin.agreements.text import Sentence, Term

_KO_DATE = re.compile(r"(?:(\d{4})년\s*)?(?:(\d{1,2})월\s*)?(\d{1,2})일")
_MONTHS = "january february march april may june july august september october november december"
_EN_MONTHS = {m: i for i, m in enumerate(_MONTHS.split(), start=1)}
_EN_DATE = re.compile(r"\b(" + "|".join(_EN_MONTHS) + r")\s+(\d{1,2})(?:,\s*(\d{4}))?", re.I)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_KO_YM = re.compile(r"(?<!\d)((?:19|20)\d{2})년\s*(\d{1,2})월")
_EN_MY = re.compile(r"\b(" + "|".join(_EN_MONTHS) + r")\s+(?:\d{1,2},\s*)?((?:19|20)\d{2})\b", re.I)


def signed_on(text: str, doc: Document) -> str | None:
    """The ISO date a clause gives (2024년 6월 2일, 2일, June 2, 2024), the article's year and
    month filling what it omits; ``None`` when it gives none or an impossible one."""
    year, month, day = None, None, None
    m = _KO_DATE.search(text)
    if m and (m.group(2) or (doc.date and m.group(3))):
        year = int(m.group(1)) if m.group(1) else (doc.date.year if doc.date else None)
        month = int(m.group(2)) if m.group(2) else (doc.date.month if doc.date else None)
        day = int(m.group(3))
    else:
        e = _EN_DATE.search(text)
        if e:
            month, day = _EN_MONTHS[e.group(1).lower()], int(e.group(2))
            year = int(e.group(3)) if e.group(3) else (doc.date.year if doc.date else None)
    if year and month and day:
        try:
            return dt.date(year, month, day).isoformat()
        except ValueError:
            return None
    return None


def earlier(scope: str, doc: Document) -> bool:
    """The clause dates the agreement before the article: an earlier year, or month."""
    if not doc.date:
        return False
    d = doc.date
    for y, mo in _KO_YM.findall(scope):
        if (int(y), int(mo)) < (d.year, d.month):
            return True
    for mo, y in _EN_MY.findall(scope):
        if (int(y), _EN_MONTHS[mo.lower()]) < (d.year, d.month):
            return True
    return any(int(y) < d.year for y in _YEAR.findall(scope))


_EN_DEFINITE = re.compile(r"\b(?:the|these|those|this|that)\s+(?:[\w-]+\s+){0,2}?([a-z]{4,})\b")
# nouns too general to pick out the agreement's object
_GENERAL_NOUNS = frozenset(
    {"countries", "country", "government", "governments", "sides", "side", "world"}
    | {"officials", "official", "leaders", "leader", "ministry", "minister"}
    | {"year", "years", "month", "time", "people"}
)


def _noun_key(word: str) -> str:
    return (
        word.lower().removesuffix("es")
        if word.lower().endswith("ses")
        else word.lower().rstrip("s")
    )


def nouns(s: Sentence) -> set[str]:
    """The sentence's common nouns (Korean NNG morphemes, English lower-case words)."""
    if any(t.tag.startswith("NN") for t in s.tokens):
        return {t.form for t in s.tokens if t.tag == "NNG" and len(t.form) >= 2}
    return {_noun_key(w) for w in re.findall(r"\b[a-z]{4,}\b", s.text)} - _GENERAL_NOUNS


def definite_nouns(s: Sentence) -> set[str]:
    """Nouns after a determiner: "the (five) projects", "이/해당/그 사업"."""
    toks = list(s.tokens)
    if any(t.tag.startswith("NN") for t in toks):
        return {
            b.form
            for a, b in itertools.pairwise(toks)
            if a.tag == "MM" and a.form in ("이", "그", "해당", "이들") and b.tag == "NNG"
        }
    found = {_noun_key(m.group(1)) for m in _EN_DEFINITE.finditer(s.text)}
    return found - {_noun_key(w) for w in _GENERAL_NOUNS}


_ACRONYM_AFTER = re.compile(r"\s*\(\s*([A-Z][A-Z0-9]{1,7})\s*\)")


def defined_acronyms(inst_t: list[Term], sents: list[Sentence], lang: str) -> list[Term]:
    """Instrument acronyms a document defines ("경제동반자협정(EPA)", "Economic Partnership
    Agreement (EPA)"): later uses of the acronym name that instrument."""
    out: dict[str, Term] = {}
    for s in sents:
        for label, _, end, _ in hits(inst_t, s.text):
            m = _ACRONYM_AFTER.match(s.text, end)
            if m and m.group(1) not in out:
                rx = re.compile(r"(?<![A-Za-z0-9])" + re.escape(m.group(1)) + r"(?![A-Za-z0-9])")
                out[m.group(1)] = Term("instrument", label, lang, rx)
    return list(out.values())
