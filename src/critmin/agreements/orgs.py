"""Organisation recognition beyond the gazetteer, and a party's nationality.

The gazetteer (``reference/organizations.csv``) is a prior, not the gate. A document's
organisations are, in order of preference:

1. gazetteer names, matched as whole words/morphemes;
2. acronyms defined in parentheses, in either order ("Khanij Bidesh India Limited (KABIL)",
   "KABIL (Khanij Bidesh India Limited)"), then every later use of the acronym;
3. English capitalised spans ending in a corporate or public head (Ltd, Corp, Mining,
   Resources, Metals, Ministry …) or starting with a head-first public noun ("Ministry of
   Mines"); Korean proper-noun compounds (kiwipiepy NNP/SL morphemes written together) ending
   in an organisation head (공사, 공단, 부, 청, 그룹, 에너지 …), a name quoted after a company
   noun (호주 에너지 기업 '아이오니어'), or a bare proper noun in subject or partner position
   (…가, …와) that is not a place (a person's name is followed by a title, 장관 or 회장,
   not by the particle).

Heads, head-first nouns and company nouns are lexicon rows (``agreement_lexicon.csv``). A
recognised organisation gets the id ``org:<slug of its name>``; its country comes only from
the party itself — a nationality adjective or country prefix right before it (Australian …,
India's …, 호주 …, 中 …) or an apposition after it (", the state-owned enterprise of
Argentina's …") — never from where a project is. Unknown stays unknown (``None``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from critmin.agreements.text import Gazetteer, Mention, Sentence, Term, Token

LEGAL = re.compile(
    r"^[\s,.]*(?:co\.?|ltd\.?|limited|inc\.?|corp\.?|corporation|plc|llc|s\.?a\.?|se|ag|"
    r"gmbh|㈜|\(주\)|주식회사)?[\s,.]*(?:co\.?|ltd\.?|limited|inc\.?|corp\.?)?[\s,.]*$",
    re.I,
)


def slug(name: str) -> str:
    """A stable id part: lower case, letters and digits (any script) joined by ``_``."""
    return "_".join(re.findall(r"\w+", name.lower()))


@dataclass
class Recognised:
    """An organisation found in one document."""

    id: str
    name: str
    kind: str
    names: set[str] = field(default_factory=set)


def _words(terms: list[Term]) -> list[str]:
    out: list[str] = []
    for t in terms:
        out += [w.replace("\\", "") for w in t.regex.pattern.split("|")]
    return out


_EN_CAP = re.compile(
    r"(?:[A-Z][\w’'&.\-]*|[A-Z]{2,}[\w&\-]*)"
    r"(?:\s+(?:(?:of|&|de|del|la|y|for|the|du|des)\s+)?(?:[A-Z][\w’'&.\-]*|\d+))*"
)
_EN_ACR = re.compile(r"\(\s*([A-Z][A-Za-z0-9&.\-]*(?:\s+[A-Z][A-Za-z0-9&.\-]*){0,2})\s*\)")
_GENERIC_FIRST = frozenset(
    [
        "critical",
        "strategic",
        "rare",
        "base",
        "clean",
        "renewable",
        "global",
        "the",
        "a",
        "an",
        "this",
        "that",
        "new",
        "key",
        "battery",
        "national",
        "federal",
        "state",
    ]
)
_NOT_NAMES = frozenset({"instrument", "stage", "sector", "clause"})
_JOSA_ROLE = frozenset({"JKS", "JX", "JC", "JKB"})
_NOUNS = frozenset({"NNP", "NNG", "SL", "SN", "SH", "XSN", "NNB"})


class OrgRecognizer:
    """Find organisations in one document's sentences (see the module docstring)."""

    def __init__(
        self,
        orgs_gazetteer: Gazetteer,
        countries: Gazetteer,
        demonyms: Gazetteer,
        lexicon: dict[tuple[str, str], list[Term]],
        stop_names: Gazetteer,
    ) -> None:
        self.gaz = orgs_gazetteer
        self.countries = countries
        self.demonyms = demonyms
        self.stop = stop_names
        heads = {w: t.label for t in lexicon[("org_head", "ko")] for w in _words([t])}
        self.ko_heads = sorted(heads.items(), key=lambda kv: -len(kv[0]))  # longest first
        self.en_heads = {
            w.lower(): t.label for t in lexicon[("org_head", "en")] for w in _words([t])
        }
        self.en_first = {w.lower() for w in _words(lexicon[("org_head_first", "en")])}
        self.ko_company = set(_words(lexicon[("company_noun", "ko")]))
        # instrument, stage and sector words are never organisation names ("MOU가 …")
        self.not_names = [
            t.regex for key, ts in lexicon.items() if key[0] in _NOT_NAMES for t in ts
        ]

    # ---- candidate spans -------------------------------------------------------------
    def _en_candidates(self, s: Sentence) -> list[tuple[int, int, str]]:
        out = []
        for m in _EN_CAP.finditer(s.text):
            words = m.group(0).split()
            poss = [k for k, w in enumerate(words) if re.search(r"(?:['’]s?)$", w)]
            if poss:  # "Argentina's CAMYEN", "the Philippines' MGB": the name follows
                words = words[poss[-1] + 1 :]
            while words and words[0].lower() in _GENERIC_FIRST:
                words = words[1:]
            if not words:
                continue
            head = re.sub(r"[.,]$", "", words[-1]).lower()
            first = words[0].lower()
            kind = None
            if len(words) >= 2 and (head in self.en_heads or head.rstrip("s") in self.en_heads):
                kind = self.en_heads.get(head, self.en_heads.get(head.rstrip("s"), "company"))
            elif first in self.en_first and len(words) >= 3 and words[1] in ("of", "for"):
                kind = "government"
            if kind is None:
                continue
            text = " ".join(words)
            start = m.start() + m.group(0).index(words[0])
            out.append((start, start + len(text), kind))
        return out

    def _ko_candidates(self, s: Sentence) -> list[tuple[int, int, str]]:
        toks = list(s.tokens)
        out: list[tuple[int, int, str]] = []
        i = 0
        while i < len(toks):
            if toks[i].tag not in _NOUNS:
                i += 1
                continue
            j = i + 1
            while j < len(toks) and toks[j].tag in _NOUNS and toks[j].start == toks[j - 1].end:
                j += 1
            run = toks[i:j]
            kind = self._ko_kind(
                s, run, toks[j] if j < len(toks) else None, toks[i - 1] if i else None
            )
            if kind:
                out.append((run[0].start, run[-1].end, kind))
            i = j
        return out

    def _ko_kind(
        self, s: Sentence, run: list[Token], nxt: Token | None, prev: Token | None
    ) -> str | None:
        text = s.text[run[0].start : run[-1].end]
        proper = any(t.tag in ("NNP", "SL") for t in run)
        for head, kind in self.ko_heads:
            if text.endswith(head) and len(text) > len(head):
                stem = text[: -len(head)]
                if proper or len(run) >= 3 or len(stem) >= 3:
                    return kind
                return None
        quoted = prev is not None and prev.tag == "SSO" and nxt is not None and nxt.tag == "SSC"
        if quoted and proper:
            before = s.text[: prev.start].rstrip()  # type: ignore[union-attr]
            if any(before.endswith(w) for w in self.ko_company):
                return "company"
        if (
            all(t.tag in ("NNP", "SL", "SN") for t in run)
            and any(t.tag in ("NNP", "SL") for t in run)
            and nxt is not None
            and nxt.tag in _JOSA_ROLE
            and nxt.form in ("이", "가", "은", "는", "와", "과", "에게", "로부터", "으로부터")
            and len(text) >= 2
            and not self._after_place(s, run[0].start)
        ):
            return "company"
        return None

    def _after_place(self, s: Sentence, start: int) -> bool:
        """The noun right before ``start`` is a country or an administrative unit (캐나다
        퀘벡, 퀘벡주 베캉쿠르): the proper noun is a place in a place name."""
        before = s.text[max(0, start - 12) : start].rstrip()
        word = before.split()[-1] if before.split() else ""
        if not word:
            return False
        hits = self.countries.find(word)
        whole = bool(hits) and hits[0].start == 0 and hits[0].end == len(word)
        return whole or (len(word) >= 3 and word[-1] in "주성시도군현")

    # ---- the document ------------------------------------------------------------------
    def recognise(self, sents: list[Sentence], language: str) -> list[Recognised]:
        """Organisations not in the gazetteer, in order of first appearance."""
        found: dict[str, Recognised] = {}

        def add(name: str, kind: str, alias: str | None = None) -> None:
            name = name.strip(" ,.'\"‘’“”")
            if len(name) < 2 or self._is_known(name):
                return
            key = slug(name)
            r = found.setdefault(key, Recognised(f"org:{key}", name, kind))
            r.names.add(name)
            if alias:
                r.names.add(alias)

        for s in sents:
            # acronyms defined in parentheses, in either order
            for m in _EN_ACR.finditer(s.text):
                inner = m.group(1)
                left = s.text[: m.start()].rstrip()
                cand = re.search(
                    r"((?:[A-Z][\w’'&.\-]*\s+(?:(?:of|and|&|de|del|la|y|for|the)\s+)?)*[A-Z][\w’'&.\-]*)$",
                    left,
                )
                if (
                    cand
                    and len(cand.group(1)) > len(inner)
                    and self._acronym_fits(inner, cand.group(1))
                    and self._org_like(cand.group(1), inner)
                ):
                    name = re.sub(r"^(?:The|the)\s+", "", cand.group(1))
                    add(name, self._kind_of(name), inner)
                    short = re.sub(r"\s+(?:SE|SA|AG|Ltd|Inc|Corp|PLC|LLC|JSC)\.?$", "", inner)
                    if short != inner and len(short) >= 3:
                        found[slug(name)].names.add(short)
            cands = self._en_candidates(s) if language == "en" else self._ko_candidates(s)
            if language == "ko":
                cands += self._en_candidates(s)
            for a, b, kind in cands:
                add(s.text[a:b], kind)
                words = s.text[a:b].split()
                # "Manara Minerals Investment Company" is "Manara" further on
                if (
                    kind == "company"
                    and len(words) >= 3
                    and re.fullmatch(r"[A-Z][a-z’'-]{3,}", words[0])
                ):
                    first = words[0]
                    if first.lower() not in _GENERIC_FIRST and not self._is_known(first):
                        key = slug(s.text[a:b].strip(" ,.'\"‘’“”"))
                        if key in found:
                            found[key].names.add(first)
        return list(found.values())

    def _org_like(self, name: str, acronym: str) -> bool:
        """A long form names an organisation when a word of it, or the acronym's last
        word, is an organisation head (Limited, Ministry, Sociedad, SE …)."""
        words = [w.strip(".,").lower() for w in name.split()] + [acronym.split()[-1].lower()]
        extra = {"sociedad", "empresa", "minera", "compañía", "companhia", "corporación", "estado"}
        return any(w in self.en_heads or w in self.en_first or w in extra for w in words)

    @staticmethod
    def _acronym_fits(acr: str, name: str) -> bool:
        letters = re.sub(r"[^A-Z]", "", acr.upper())
        caps = [w[0].upper() for w in name.split() if w[0].isalpha()]
        if not letters:
            return False
        if letters[0] in caps[:2]:
            return True
        return acr.replace(" ", "").upper() in name.replace(" ", "").upper()

    def _kind_of(self, name: str) -> str:
        last = name.split()[-1].lower()
        if last in self.en_heads:
            return self.en_heads[last]
        first = name.split()[0].lower()
        return "government" if first in self.en_first else "company"

    def _is_known(self, name: str) -> bool:
        """A name that is a gazetteer organisation, a country or a mineral is not new."""
        if any(r.fullmatch(name) for r in self.not_names):
            return True
        for g in (self.countries, self.stop):
            hits = g.find(name)
            if hits and hits[0].start == 0 and hits[0].end == len(name):
                return True
        hits = self.gaz.find(name)
        if hits and hits[0].start == 0 and hits[0].end == len(name):
            return True
        return any(
            (h.start == 0 and LEGAL.match(name[h.end :]) is not None)
            or (h.end - h.start) * 10 >= len(name) * 6
            for h in hits
        )

    # ---- nationality --------------------------------------------------------------------
    def nationality(self, s: Sentence, m: Mention, language: str) -> tuple[str | None, int | None]:
        """(ISO3, sentence-relative start of the country word) from just before or after ``m``."""
        a, b = m.start, m.end
        if language == "ko":
            got = self._ko_nationality(s, a)
            if got[0]:
                return got
        left = s.text[max(0, a - 80) : a]
        tail = re.search(r"((?:[\w’'-]+[\s-]+){0,5})$", left)
        window = tail.group(1) if tail else ""
        base = a - len(window)
        for g in (self.demonyms, self.countries):
            hits = g.find(window)
            for h in reversed(hits):
                between = window[h.end :]
                if re.fullmatch(r"(?:['’]s)?(?:[\s-]+(?:[a-z][\w-]*|[A-Z]{2,}))*[\s-]*", between):
                    return h.id, base + h.start
        right = s.text[b : b + 160]
        adj = re.match(r"\s*(?:\([^)]{1,40}\)\s*)?,\s*(?:an?|the)\s+", right)
        if adj:  # "X Ltd, an Australian mining company"
            hits = self.demonyms.find(right[adj.end() : adj.end() + 40])
            if hits and hits[0].start == 0:
                return hits[0].id, b + adj.end()
        app = re.match(
            r"\s*(?:\([^)]{1,40}\)\s*)?,\s*(?:an?|the)\s+(?:[a-z][\w-]*\s+){0,5}(?:of|from)\s+",
            right,
        )
        if app:
            rest = right[app.end() :]
            for g in (self.countries, self.demonyms):
                hits = g.find(rest)
                if hits and hits[0].start == 0:
                    return hits[0].id, b + app.end()
        return None, None

    def _ko_nationality(self, s: Sentence, start: int) -> tuple[str | None, int | None]:
        toks = [t for t in s.tokens if t.end <= start]
        steps = 0
        for t in reversed(toks):
            steps += 1
            if steps > 8:
                break
            if t.tag in ("NNP", "SH", "SL", "NNG") or t.tag.startswith("SS"):
                word = s.text[t.start : t.end]
                for g in (self.countries, self.demonyms):
                    hits = g.find(word)
                    if hits and hits[0].start == 0 and hits[0].end == len(word):
                        return hits[0].id, t.start
                if t.tag in ("NNP", "SL") and steps > 2:
                    break
                continue
            if t.tag in ("VCP", "ETM", "SN", "XSN", "JKG", "NNB", "SP") and t.form not in (",",):
                continue
            break
        return None, None
