"""Extract cooperation agreements from a document, every field with its evidence sentence.

Steps (both languages; patterns in ``reference/agreement_lexicon.csv``, product words in
``reference/agreement_products.csv``):

1. **Read** (:mod:`critmin.agreements.mentions`): sentences with morpheme/word boundaries;
   organisations (gazetteer, acronyms, recognised names), their nationality, countries in a
   party role, minerals and product words — all whole words or morphemes.
2. **Find**: a sentence naming an instrument (MOU, 양해각서, offtake, …) that is not negated
   holds one agreement per instrument group, each owning its clause of the sentence. Its
   parties are the organisations in the clause (the sentence subject carried over when the
   clause names one), else the countries in a party role as governments, else — for "양국" or
   "the two countries" — the article's two main countries.
3. **Refer back**: an instrument after a determiner ("the deal", "이번 협약") with fewer than
   two new parties, and a follow-up sentence ("이번 MOU로", "under the deal", "양국은 …")
   add minerals, stages and clauses to the agreement they refer to, not a new one.
4. **Status**: ``historical`` from an earlier year or date than the article's, or time and
   tense cues (앞서, 지난해, … 바 있다, had signed, last year, earlier); ``planned`` from
   future verbs (체결할 예정, will sign); else ``signed``.
5. **One agreement per instrument**: candidates with the same status whose party sets are
   equal, or nested, merge (and the headline's merges into the body's) unless their topics
   differ (a minerals MOU and a power MOU between the same two governments).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from critmin.agreements.documents import Document
from critmin.agreements.mentions import DocMentions, read_mentions, readers
from critmin.agreements.text import Gazetteer, Sentence, Term, sentences, terms

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
    kinds: dict[str, str] = field(default_factory=dict)


@dataclass
class Extraction:
    """Everything extracted from one document."""

    document: Document
    agreements: list[Agreement]
    document_count: int | None
    document_count_evidence: dict[str, Any] | None
    organizations: dict[str, Organization] = field(default_factory=dict)


def _span(s: Sentence) -> dict[str, Any]:
    return {"sentence": s.text, "start": s.start, "end": s.end}


Hit = tuple[str, int, int, str]


def _hits(ts: list[Term], text: str, lo: int = 0, hi: int | None = None) -> list[Hit]:
    out = []
    for t in ts:
        for m in t.regex.finditer(text, lo, len(text) if hi is None else hi):
            out.append((t.label, m.start(), m.end(), m.group(0)))
    return sorted(out, key=lambda h: (h[1], -h[2]))


def _whole(ts: list[Term], s: Sentence, lo: int = 0, hi: int | None = None) -> list[str]:
    """Labels of terms that match whole words/morphemes of ``s`` within [lo, hi)."""
    starts, ends = s.bounds
    return sorted({lab for lab, a, b, _ in _hits(ts, s.text, lo, hi) if a in starts and b in ends})


_KO_DATE = re.compile(r"(?:(\d{4})년\s*)?(?:(\d{1,2})월\s*)?(\d{1,2})일")
_MONTHS = "january february march april may june july august september october november december"
_EN_MONTHS = {m: i for i, m in enumerate(_MONTHS.split(), start=1)}
_EN_DATE = re.compile(r"\b(" + "|".join(_EN_MONTHS) + r")\s+(\d{1,2})(?:,\s*(\d{4}))?", re.I)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_KO_YM = re.compile(r"(?<!\d)((?:19|20)\d{2})년\s*(\d{1,2})월")
_EN_MY = re.compile(r"\b(" + "|".join(_EN_MONTHS) + r")\s+(?:\d{1,2},\s*)?((?:19|20)\d{2})\b", re.I)


def _signed_on(text: str, doc: Document) -> str | None:
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


def _earlier(scope: str, doc: Document) -> bool:
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


class Extractor:
    """Apply the steps in the module docstring to documents."""

    def __init__(self, res: Resources) -> None:
        self.res = res
        self.readers = readers(res)  # built once: the recognizer's tables, title pattern

    def _government(self, iso3: str) -> str | None:
        """The government of a country (every country has one; see :func:`governments`)."""
        gid = government_id(iso3)
        return gid if gid in self.res.orgs else None

    def extract(self, doc: Document) -> Extraction:
        lang = doc.language
        sents = sentences(doc.text, lang)
        dm = read_mentions(self.res, doc, sents, self.readers)
        found = self._find(doc, sents, dm)
        merged = self._merge(found)
        for a in merged:
            self._finalise(a)
        count, count_ev = self._document_count(doc, sents)
        used = {p for a in merged for p in a.parties}
        orgs = {k: v for k, v in dm.organizations.items() if k in used}
        return Extraction(doc, merged, count, count_ev, orgs)

    # ---- step 2 and 3: find agreements, refer back -------------------------------------
    def _find(self, doc: Document, sents: list[Sentence], dm: DocMentions) -> list[Agreement]:
        lang = doc.language
        t = self.res.terms
        inst_t, conc_t, plan_t = t("instrument", lang), t("concluded", lang), t("planned", lang)
        neg_t, ana_t, sep_t = t("negation", lang), t("anaphora", lang), t("separator", lang)
        follow_t, generic_t = t("followup", lang), t("generic_reference", lang)
        found: list[Agreement] = []
        chain = -1  # paragraph of the last follow-up sentence: its next sentences go on
        for i, s in enumerate(sents):
            inst = [
                h
                for h in _hits(inst_t, s.text)
                if not any(m.start <= h[1] < m.end for m in dm.orgs[i])
            ]
            if not inst or _hits(neg_t, s.text):
                named = self._names_parties(found, dm, i) if found and not inst else None
                if named is not None or (
                    found and not inst and (_hits(follow_t, s.text) or chain == s.paragraph)
                ):
                    target = named or self._target(found, dm, i)
                    self._attach(target, s, dm, i, 0, len(s.text))
                    chain = s.paragraph
                else:
                    chain = -1
                continue
            chain = -1
            groups = self._groups(inst, _hits(conc_t + plan_t, s.text))
            seps = _hits(sep_t, s.text)
            prev_end = 0
            for n, (labels, g_start, g_end) in enumerate(groups):
                nxt = groups[n + 1][1] if n + 1 < len(groups) else len(s.text)
                left = max([prev_end] + [b for _, _, b, _ in seps if b <= g_start])
                right = min([nxt] + [a for _, a, _, _ in seps if g_end <= a < nxt])
                prev_end = right
                anaphoric = bool(_hits(ana_t, s.text[left:g_start]))
                concluded = bool(_hits(conc_t, s.text, left, right))
                parties = self._parties(
                    dm, i, left, right, anaphoric=anaphoric, concluded=concluded, lang=lang
                )
                scope = s.text[left:right]
                instrument = next(p for p in INSTRUMENT_PRIORITY if p in labels)
                status = self._status(doc, scope, plan_t)
                if _hits(generic_t, s.text, left, right):
                    continue  # "양국이 맺은 계약과 업무협약": a class of instruments
                if (
                    found
                    and len(parties) < 2
                    and status == "historical"
                    and found[-1].status != "historical"
                    and (found[-1].instrument != instrument if anaphoric else not parties)
                ):
                    # "the memorandum … concluded in March 2023": an earlier instrument of
                    # the same parties, not the one just named
                    parties = list(found[-1].parties)
                    anaphoric = False
                if anaphoric and not found and not concluded:
                    continue  # "the partnership's meeting": no agreement named in the text
                same = next(
                    (a for a in reversed(found[-RECENT:]) if set(a.parties) == set(parties)), None
                )
                if (
                    same is not None
                    and not same.headline
                    and not concluded
                    and not _hits(plan_t, s.text, left, right)
                    and status == same.status
                    and self._same_topic(same, s, left, right, lang)
                ):  # "Kazakhstan's partnership with the UK revolves around …": no new one
                    self._attach(same, s, dm, i, left, right)
                    continue
                if len(parties) < 2 or (anaphoric and found):
                    if found and (anaphoric or (len(parties) < 2 and _hits(follow_t, s.text))):
                        self._attach(found[-1], s, dm, i, left, right)
                    continue
                found.append(
                    self._agreement(doc, sents, dm, i, (left, right), instrument, status, parties)
                )
        return found

    def _same_topic(self, a: Agreement, s: Sentence, left: int, right: int, lang: str) -> bool:
        """The clause's sectors do not contradict the agreement's (a power-industry MOU is
        not the critical-minerals MOU between the same governments)."""
        sectors = set(_whole(self.res.terms("sector", lang), s, left, right)) - {"energy"}
        return not sectors or not a.sectors or bool(sectors & set(a.sectors))

    @staticmethod
    def _target(found: list[Agreement], dm: DocMentions, i: int) -> Agreement:
        """The agreement a follow-up sentence is about: the latest one whose party it names,
        else the latest that is news (not background)."""
        named = {m.id for m in dm.orgs[i]}
        for a in reversed(found[-RECENT:]):
            if named & set(a.parties):
                return a
        return next((a for a in reversed(found[-RECENT:]) if a.status != "historical"), found[-1])

    @staticmethod
    def _names_parties(found: list[Agreement], dm: DocMentions, i: int) -> Agreement | None:
        """The latest agreement two of whose parties (organisations, or countries in a party
        role for governments) the sentence names: the sentence goes on about it."""
        named = {m.id for m in dm.orgs[i]}
        s = dm.sentences[i]
        named |= {f"gov_{c.lower()}" for c in dm.party_countries(i, 0, len(s.text))}
        recent = reversed(found[-RECENT:])
        return next((a for a in recent if len(named & set(a.parties)) >= 2), None)

    @staticmethod
    def _groups(inst: list[Hit], verbs: list[Hit]) -> list[tuple[list[str], int, int]]:
        """Instrument words close together with no verb between them are one agreement."""
        groups: list[tuple[list[str], int, int]] = []
        for h in inst:
            if groups:
                labels, g0, g1 = groups[-1]
                if h[1] - g1 <= GROUP_GAP and not any(g1 <= v[1] < h[1] for v in verbs):
                    groups[-1] = ([*labels, h[0]], g0, max(g1, h[2]))
                    continue
            groups.append(([h[0]], h[1], h[2]))
        return groups

    def _parties(
        self,
        dm: DocMentions,
        i: int,
        left: int,
        right: int,
        *,
        anaphoric: bool,
        concluded: bool,
        lang: str,
    ) -> list[str]:
        s = dm.sentences[i]
        orgs_all = [m for m in dm.orgs[i] if not dm.is_source(i, m)]
        inside = [m for m in orgs_all if left <= m.start < right]
        ids = list(dict.fromkeys(m.id for m in inside))
        if lang == "ko" and len(ids) > 2:  # "X의 전신인 Y는": X is not a party
            genitive = {m.id for m in inside if s.text[m.end : m.end + 1] == "의"}
            if len(set(ids) - genitive) >= 2:
                ids = [x for x in ids if x not in genitive]
        if len(ids) == 1:
            subject = [m.id for m in orgs_all if m.start < left and m.id not in ids]
            if subject:
                ids.insert(0, subject[0])
            elif (
                dm.main_org
                and dm.main_org not in ids
                and concluded
                and not anaphoric
                and dm.kind_of(ids[0]) != "government"
                and dm.kind_of(dm.main_org) != "government"
            ):
                ids.insert(0, dm.main_org)  # the omitted subject: the article's organisation
        have = {dm.country_of(p) for p in ids} - {None}
        if len(ids) < 2:
            for c in dm.party_countries(i, left, right):
                gov = self._government(c)
                if gov and c not in have:
                    ids.append(gov)
                    have.add(c)
        if (
            len(ids) < 2
            and not anaphoric
            and (
                _hits(self.res.terms("both_parties", lang), s.text, left, right)
                or (not orgs_all and concluded)
            )
        ):
            # the article's home country first, then its most-named countries
            for c in [c for c in dict.fromkeys([dm.home, *dm.main_countries]) if c]:
                if len(ids) >= 2:
                    break
                gov = self._government(c)
                if gov and c not in have:
                    ids.append(gov)
                    have.add(c)
        return ids

    def _attach(
        self, a: Agreement, s: Sentence, dm: DocMentions, i: int, left: int, right: int
    ) -> None:
        """A sentence that refers back to an agreement adds its minerals, stages, clauses."""
        lang = dm.document.language
        have = {c["type"] for c in a.clauses}
        a.clauses += [c for c in self._clauses(s, lang, left, right) if c["type"] not in have]
        minerals, stages = dm.minerals_in(i, left, right)
        for m in sorted(set(minerals) - set(a.minerals)):
            a.evidence.setdefault("minerals", {})[m] = _span(s)
        a.minerals = sorted(set(a.minerals) | set(minerals))
        stages |= set(_whole(self.res.terms("stage", lang), s, left, right))
        for st in sorted(stages - set(a.stages)):
            a.evidence.setdefault("stages", {})[st] = _span(s)
        a.stages = sorted(set(a.stages) | stages)

    def _status(self, doc: Document, scope: str, plan_t: list[Term]) -> str:
        earlier = _earlier(scope, doc)
        if _hits(plan_t, scope) and not earlier:
            return "planned"
        hist = _hits(self.res.terms("historical", doc.language), scope)
        if earlier or hist:
            return "historical"
        return "signed"

    def _agreement(
        self,
        doc: Document,
        sents: list[Sentence],
        dm: DocMentions,
        i: int,
        clause: tuple[int, int],
        instrument: str,
        status: str,
        parties: list[str],
    ) -> Agreement:
        """The agreement named in ``clause`` [left, right) of sentence ``i``, its fields
        read from the clause (and clauses from the rest of its paragraph)."""
        lang = doc.language
        s = sents[i]
        left, right = clause
        scope = s.text[left:right]
        ev: dict[str, Any] = {"agreement": _span(s), "status": _span(s), "parties": {}}
        for p in parties:
            ev["parties"][p] = _span(s)
        minerals, stages = dm.minerals_in(i, left, right)
        sectors = set(_whole(self.res.terms("sector", lang), s, left, right))
        kinds = {dm.kind_of(p) for p in parties}
        if kinds & {"bank", "export_credit_agency"}:
            sectors.add("finance")
        clauses = self._clauses(s, lang, left, right)
        j = i + 1
        inst_t = self.res.terms("instrument", lang)
        while (
            j < len(sents)
            and sents[j].paragraph == s.paragraph
            and not _hits(inst_t, sents[j].text)
        ):
            clauses += self._clauses(sents[j], lang, 0, len(sents[j].text))
            j += 1
        stages |= set(_whole(self.res.terms("stage", lang), s, left, right))
        if not stages:
            for k in range(i - 1, max(-1, i - 4), -1):
                before = set(_whole(self.res.terms("stage", lang), sents[k]))
                if len(before) >= 2:
                    stages = before
                    ev["stages"] = {st: _span(sents[k]) for st in sorted(before)}
                    break
        ev.setdefault("stages", {st: _span(s) for st in sorted(stages)})
        ev["minerals"] = {m: _span(s) for m in minerals}
        signed_on = None if status == "planned" else _signed_on(scope, doc)
        if signed_on:
            ev["signed_on"] = _span(s)
        uniq: dict[str, dict[str, Any]] = {}
        for c in clauses:
            uniq.setdefault(c["type"], c)
        return Agreement(
            sorted(parties),
            sorted({iso for p in parties if (iso := dm.country_of(p))}),
            instrument,
            status,
            signed_on,
            sorted(minerals),
            sorted(stages),
            sorted(sectors),
            [uniq[k] for k in sorted(uniq)],
            ev,
            headline=dm.is_headline(i),
            kinds={p: dm.kind_of(p) for p in parties},
        )

    def _clauses(self, s: Sentence, lang: str, lo: int, hi: int) -> list[dict[str, Any]]:
        out = []
        for label, _a, _b, surface in _hits(self.res.terms("clause", lang), s.text, lo, hi):
            out.append({"type": label, "text": surface, "evidence": _span(s)})
        return out

    # ---- step 5: one agreement per instrument -----------------------------------------------
    @staticmethod
    def _mergeable(o: Agreement, a: Agreement) -> bool:
        po, pa = set(o.parties), set(a.parties)
        topics = (
            not o.sectors
            or not a.sectors
            or bool(set(o.sectors) & set(a.sectors) - {"energy"})
            or bool(set(o.minerals) & set(a.minerals))
        )
        if o.headline or a.headline:
            return bool(po & pa) and topics and o.status == a.status
        if o.status != a.status or not topics:
            return False
        if po == pa:
            return o.instrument == a.instrument or "agreement" in (o.instrument, a.instrument)
        if (po < pa or pa < po) and o.instrument == a.instrument:
            return True
        # "한국과 몽골 정부가 … 양해각서를 맺고" then "산업부는 … 몽골 광업부 장관이 … 체결했다":
        # the same instrument, named once by country and once by ministry
        public = {"government", "agency", "supranational"}
        govs = (
            all(p.startswith("gov_") or p == "eu" for p in po)
            or all(p.startswith("gov_") or p == "eu" for p in pa)
        ) and all(k in public for k in {**o.kinds, **a.kinds}.values())
        return (
            govs
            and len(o.countries) >= 2
            and o.countries == a.countries
            and o.instrument == a.instrument
        )

    def _merge(self, items: list[Agreement]) -> list[Agreement]:
        out: list[Agreement] = []
        index: dict[str, list[int]] = {}  # party or country set → positions in ``out``

        def keys(a: Agreement) -> list[str]:
            return [*a.parties, "countries:" + ",".join(a.countries)]

        for a in items:
            # the first few (the headline) and the most recent sharing a party or countries
            cands = sorted(
                {
                    k
                    for key in keys(a)
                    for k in (*index.get(key, [])[:8], *index.get(key, [])[-RECENT:])
                }
            )
            pos = next((k for k in cands if self._mergeable(out[k], a)), None)
            if pos is None:
                for key in keys(a):
                    index.setdefault(key, []).append(len(out))
                out.append(a)
                continue
            b = out[pos]
            if b.headline and not a.headline:  # the body sentence is the better evidence
                b.evidence, a.evidence = a.evidence, b.evidence
                b.instrument, b.status, b.headline = a.instrument, a.status, False
                b.signed_on = a.signed_on or b.signed_on
            if len(a.parties) > len(b.parties) or (
                len(a.parties) == len(b.parties)
                and sum(p.startswith("gov_") for p in a.parties)
                < sum(p.startswith("gov_") for p in b.parties)
            ):  # keep the more specific party set (a ministry over its government)
                b.parties, b.countries = a.parties, a.countries
                b.evidence["parties"] = a.evidence.get("parties", {})
            b.countries = sorted(set(b.countries) | set(a.countries))
            b.minerals = sorted(set(b.minerals) | set(a.minerals))
            b.stages = sorted(set(b.stages) | set(a.stages))
            b.sectors = sorted(set(b.sectors) | set(a.sectors))
            have = {c["type"] for c in b.clauses}
            b.clauses += [c for c in a.clauses if c["type"] not in have]
            b.signed_on = b.signed_on or a.signed_on
            for key in ("minerals", "stages"):
                for k, v in a.evidence.get(key, {}).items():
                    b.evidence.setdefault(key, {}).setdefault(k, v)
            for key in keys(b):
                if pos not in index.setdefault(key, []):
                    index[key].append(pos)
        return out

    def _finalise(self, a: Agreement) -> None:
        """Most specific minerals; the critical-minerals sector; stages only for minerals."""
        specific = [m for m in a.minerals if m not in GENERIC_MINERALS]
        if specific:
            a.minerals = specific
        elif "rare_metals" in a.minerals:
            a.minerals = ["rare_metals"]
        for k in list(a.evidence.get("minerals", {})):
            if k not in a.minerals:
                del a.evidence["minerals"][k]
        if a.minerals:
            a.sectors = sorted(set(a.sectors) | {"critical_minerals"})
        if "critical_minerals" not in a.sectors:
            a.stages = []
            a.evidence["stages"] = {}

    def _document_count(
        self, doc: Document, sents: list[Sentence]
    ) -> tuple[int | None, dict[str, Any] | None]:
        for t in self.res.terms("document_count", doc.language):
            for s in sents:
                m = t.regex.search(s.text)
                if m:
                    return int(m.group(1)), _span(s)
        return None, None
