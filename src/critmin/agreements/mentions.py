"""What a document names, sentence by sentence: organisations (and their nationality),
countries in a party role, minerals and product words — each a whole word or morpheme.

A country word is a *party* (its government) only in a party role: in Korean as a subject or
partner (한국과, 몽골은, 양국 정부), in English when it is not a location ("in Oregon",
"from Chile") and not the nationality of an organisation ("Australian firm X", "India's
KABIL"). Mentions carry sentence-relative offsets.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from critmin.agreements.documents import Document
from critmin.agreements.model import Organization
from critmin.agreements.orgs import LEGAL, OrgRecognizer
from critmin.agreements.text import Gazetteer, Mention, Sentence

if TYPE_CHECKING:
    from critmin.agreements.model import Resources

_EN_LOCATIVE = re.compile(
    r"\b(?:in|at|near|across|throughout|into|from|of|to|within|outside|around)\s+(?:the\s+)?$",
    re.I,
)
_PAIR_NOUN = re.compile(
    r"\s+(?:[\w-]+\s+){0,2}?(?:agreements?|partnerships?|pacts?|deals?|accords?|treat(?:y|ies)|"
    r"MOUs?|memorand(?:um|a)|roadmaps?|declarations?)\b",
    re.I,
)
# 한·페루, 한-몽골: "Korea and" before a country's name
_KO_HAN_PAIR = re.compile(r"(?:^|[^가-힣])한\s*[-·‧・]\s*$")
# instrument, stage, sector and clause words are never organisation names
_NOT_NAME_CATEGORIES = ("instrument", "stage", "sector", "clause")
_KO_PARTY_JOSA = frozenset(
    {
        "와",
        "과",
        "은",
        "는",
        "이",
        "가",
        "도",
        "측",
        "정부",
        "측과",
        "과의",
        "와의",
        "간",
        "사이",
        "양국",
    }
)


@dataclass
class DocMentions:
    """Per-sentence mentions of one document and the organisations they refer to."""

    document: Document
    sentences: list[Sentence]
    orgs: list[list[Mention]]
    countries: list[list[Mention]]
    minerals: list[list[Mention]]
    organizations: dict[str, Organization]
    products: dict[str, tuple[str | None, str | None]]
    nationality: dict[str, str] = field(default_factory=dict)
    consumed: set[tuple[int, int]] = field(default_factory=set)
    main_countries: list[str] = field(default_factory=list)
    main_org: str | None = None
    home: str | None = None
    demonyms: list[list[Mention]] = field(default_factory=list)
    leader_titles: re.Pattern[str] | None = None
    describes_company: re.Pattern[str] | None = None

    def is_source(self, i: int, m: Mention) -> bool:
        """An organisation cited as the source of the news ("according to X", "X에 따르면",
        "X said"), not as a party."""
        s = self.sentences[i].text
        if self.document.language == "ko":
            return re.match(r"\s*(?:에|의)\s*따르면", s[m.end : m.end + 8]) is not None
        return (
            re.search(
                r"\b(?:according to|in what|what)\s+(?:the\s+)?$", s[max(0, m.start - 20) : m.start]
            )
            is not None
        )

    def country_of(self, org_id: str) -> str | None:
        o = self.organizations.get(org_id)
        if o is not None and o.iso3:
            return o.iso3
        return self.nationality.get(org_id)

    def kind_of(self, org_id: str) -> str:
        o = self.organizations.get(org_id)
        return o.kind if o else "organization"

    def is_headline(self, i: int) -> bool:
        s = self.sentences[i]
        title = self.document.title.strip()
        return s.paragraph == 0 and bool(title) and s.text.strip("# ") in title

    def is_dek(self, i: int) -> bool:
        """The sub-headline under the headline: the second paragraph, one short line that
        does not end as a sentence does ("… 협상 개시, EDCF 25억달러 약정")."""
        s = self.sentences[i]
        if s.paragraph != 1 or len(s.text) > 200:
            return False
        same = [x for x in self.sentences if x.paragraph == 1]
        end = s.text.rstrip()[-1:]
        return len(same) == 1 and end not in (".", "!", "?", "다", "요") and self.is_headline(0)

    def party_countries(self, i: int, left: int, right: int) -> list[str]:
        """Countries in a party role within [left, right) of sentence ``i``."""
        s = self.sentences[i]
        out: list[str] = []
        for c in self.countries[i]:
            if not left <= c.start < right or (i, c.start) in self.consumed:
                continue
            if self.document.language == "ko":
                if _KO_HAN_PAIR.search(s.text[max(0, c.start - 3) : c.start]):
                    out.append("KOR")  # 한·페루, 한-몽골: Korea and the country
                after = s.text[c.end : c.end + 3].lstrip()
                if not any(after.startswith(j) for j in _KO_PARTY_JOSA) and s.text[
                    c.end : c.end + 1
                ] not in ("·", ",", "-", "–"):
                    continue
            else:
                if _EN_LOCATIVE.search(s.text[max(0, c.start - 20) : c.start]):
                    continue
                if re.match(
                    r"['’]s\s+(?!(?:government|president|prime|leader|minister))",
                    s.text[c.end : c.end + 16],
                    re.I,
                ):
                    continue
            out.append(c.id)
        if self.document.language == "en" and self.leader_titles is not None:
            for d in self.demonyms[i]:
                if not left <= d.start < right or (i, d.start) in self.consumed:
                    continue
                after = s.text[d.end : d.end + 40]
                # "Mongolian Prime Minister X", "the German-Chilean agreement"
                pair = re.match(r"[-–](\w+)", after)
                if (
                    self.leader_titles.match(after)
                    or (pair and _PAIR_NOUN.match(after[pair.end() :]))
                    or (
                        s.text[max(0, d.start - 1) : d.start] in ("-", "–")
                        and _PAIR_NOUN.match(after)
                    )
                ):  # "Mongolian Prime Minister", "the German-Chilean agreement"
                    out.append(d.id)
        return list(dict.fromkeys(out))

    def minerals_in(self, i: int, left: int, right: int) -> tuple[list[str], set[str]]:
        """Mineral ids and product-implied stages named in [left, right) of sentence ``i``."""
        minerals: list[str] = []
        stages: set[str] = set()
        for m in self.minerals[i]:
            if not left <= m.start < right or any(_overlaps(m, o) for o in self.orgs[i]):
                continue  # "Korea Zinc" names a company, not zinc
            text = self.sentences[i].text
            if self.describes_company is not None and self.describes_company.match(text, m.end):
                continue  # "state copper miner Codelco": what the company is, not the deal
            if m.id in self.products:
                mineral, stage = self.products[m.id]
                if mineral:
                    minerals.append(mineral)
                    if mineral == "neodymium" and m.surface.lower() == "ndpr":
                        minerals.append("praseodymium")
                if stage:
                    stages.add(stage)
            else:
                minerals.append(m.id)
        return sorted(set(minerals)), stages


def _overlaps(a: Mention, b: Mention) -> bool:
    return a.start < b.end and b.start < a.end


@dataclass(frozen=True)
class Readers:
    """What reading a document needs beyond the resources, built once per extractor."""

    recognizer: OrgRecognizer
    leader_titles: re.Pattern[str]
    # a mineral word describing a company ("state copper miner", "리튬 생산업체")
    describes_company: dict[str, re.Pattern[str]] = field(default_factory=dict)


def readers(res: Resources) -> Readers:
    """The organisation recognizer and the English leader-title pattern for ``res``."""
    lex = {
        (c, lang): res.terms(c, lang)
        for c in ("org_head", "org_head_first", "company_noun", *_NOT_NAME_CATEGORIES)
        for lang in ("ko", "en")
    }
    rec = OrgRecognizer(res.org_names, res.country_names, res.demonyms, lex, res.mineral_names)
    titles = [w for t in res.terms("person_title", "en") for w in t.regex.pattern.split("|")]
    nouns = {
        lang: "|".join(t.regex.pattern for t in res.terms("company_noun", lang))
        for lang in ("ko", "en")
    }
    describes = {
        "en": re.compile(r"\s+(?:[a-z-]+\s+)?(?:" + nouns["en"] + r")\b", re.I),
        "ko": re.compile(r"\s*(?:[가-힣]+\s*)?(?:" + nouns["ko"] + r")(?![가-힣])"),
    }
    return Readers(rec, re.compile(r"\s+(?:" + "|".join(titles) + r")\b"), describes)


def read_mentions(
    res: Resources, doc: Document, sents: list[Sentence], tools: Readers | None = None
) -> DocMentions:
    """Every sentence's organisations, countries and minerals, and the document's main two
    countries (most mentioned, organisations counting for their country), in named steps:
    organisations the document defines, each sentence's mentions and nationalities, the
    document's focus (main countries, home country, main organisation)."""
    tools = tools or readers(res)
    organizations, local = _document_organizations(res, tools, doc, sents)
    dm = DocMentions(doc, sents, [], [], [], organizations, res.products)
    dm.leader_titles = tools.leader_titles
    dm.describes_company = tools.describes_company.get(doc.language)
    for i, s in enumerate(sents):
        _read_sentence(dm, res, tools, local, i, s)
    _focus(dm)
    for oid, iso in dm.nationality.items():
        o = organizations[oid]
        if not o.iso3:
            organizations[oid] = Organization(o.id, o.name_en, o.name_ko, iso, o.kind)
    return dm


def _document_organizations(
    res: Resources, tools: Readers, doc: Document, sents: list[Sentence]
) -> tuple[dict[str, Organization], Gazetteer]:
    """The gazetteer's organisations plus those the document itself names (recognised), and
    a gazetteer of the names it uses for the latter."""
    organizations: dict[str, Organization] = dict(res.orgs)
    local_names: list[tuple[str, str]] = []
    for r in tools.recognizer.recognise(sents, doc.language):
        ko = bool(re.search(r"[\uac00-\ud7a3]", r.name))
        organizations[r.id] = Organization(
            r.id, "" if ko else r.name, r.name if ko else "", "", r.kind
        )
        local_names += [(n, r.id) for n in r.names]
    return organizations, Gazetteer(local_names)


def _sentence_orgs(res: Resources, local: Gazetteer, s: Sentence) -> list[Mention]:
    """Organisation mentions of a sentence: gazetteer names, and recognised names where they
    do not clash with one — or extend it by more than a legal suffix ("Korea Zinc" inside
    "Korea Zinc Holdings" is the longer name)."""
    b = s.bounds
    gaz = res.org_names.find(s.text, bounds=b)
    orgs = list(gaz)
    starts = [g.start for g in gaz]
    for m in local.find(s.text, bounds=b):
        k = bisect.bisect_left(starts, m.end)
        clash = [g for g in gaz[max(0, k - 4) : k] if _overlaps(g, m)]
        if not clash:
            orgs.append(m)
            continue
        g = clash[0]
        extra = s.text[g.end : m.end] if g.start <= m.start + 1 else "x"
        if len(m.surface) > len(g.surface) and LEGAL.match(extra) is None:
            orgs = [o for o in orgs if o is not g] + [m]
    return sorted(orgs, key=lambda m: m.start)


def _read_sentence(
    dm: DocMentions, res: Resources, tools: Readers, local: Gazetteer, i: int, s: Sentence
) -> None:
    """Sentence ``i``'s organisations, countries (not inside an organisation's name),
    minerals, demonyms (English), and the nationality of each organisation."""
    lang = dm.document.language
    b = s.bounds
    orgs = _sentence_orgs(res, local, s)
    dm.orgs.append(orgs)
    taken = {k for o in orgs for k in range(o.start, o.end)}  # linear, not pairwise
    countries = res.country_names.find(s.text, bounds=b)
    dm.countries.append([c for c in countries if c.start not in taken])
    dm.minerals.append(res.mineral_names.find(s.text, bounds=b))
    dm.demonyms.append(res.demonyms.find(s.text, bounds=b) if lang == "en" else [])
    for m in orgs:
        iso, at = tools.recognizer.nationality(s, m, lang)
        if iso and not dm.country_of(m.id) and dm.kind_of(m.id) != "supranational":
            dm.nationality.setdefault(m.id, iso)
        if at is not None:
            dm.consumed.add((i, at))


def _focus(dm: DocMentions) -> None:
    """The document's two most-mentioned countries (an organisation counts for its country;
    한·X counts for Korea), its home country (that of its most-named organisation with a
    country) and its main organisation (named at least three times, more than any other)."""
    lang = dm.document.language
    counts: dict[str, int] = {}
    all_counts: dict[str, int] = {}  # dicts keep first appearance
    for i, s in enumerate(dm.sentences):
        for c in dm.countries[i]:
            counts[c.id] = counts.get(c.id, 0) + 1
            if lang == "ko" and _KO_HAN_PAIR.search(s.text[max(0, c.start - 3) : c.start]):
                counts["KOR"] = counts.get("KOR", 0) + 1
        for d in dm.demonyms[i]:
            if (i, d.start) not in dm.consumed:
                counts[d.id] = counts.get(d.id, 0) + 1
        for m in dm.orgs[i]:
            all_counts[m.id] = all_counts.get(m.id, 0) + 1
            iso = dm.country_of(m.id)
            if iso:
                counts[iso] = counts.get(iso, 0) + 1
    dm.main_countries = [c for c, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:2]]
    top = sorted(all_counts.items(), key=lambda kv: -kv[1])
    dm.home = next((iso for oid, _ in top if (iso := dm.country_of(oid))), None)
    org_counts = {k: n for k, n in all_counts.items() if not k.startswith("gov_")}
    ranked = sorted(org_counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if ranked and ranked[0][1] >= 3 and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        dm.main_org = ranked[0][0]
