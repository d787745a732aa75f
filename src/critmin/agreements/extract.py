"""Extract cooperation agreements from a document, every field with its evidence sentence.

Rules (both languages; patterns in ``reference/agreement_lexicon.csv``):

1. A sentence is a candidate when it names an instrument (MOU, 양해각서, 약정, offtake, loan,
   ...) and is not negated (무산, "fell through", ...). Instrument words within a few characters
   of each other with no verb between them form one agreement ("파트너십 MOU").
2. Each agreement owns its clause of the sentence: from the previous clause boundary (", and",
   "; ", "하고,") or the previous agreement, to the next boundary or agreement, so one sentence
   can hold several ("A와 B는 MOU를 체결하고, C는 D와 약정을 체결해 ..."). An instrument right
   after a determiner ("the deal", "이번 협약") with fewer than two parties refers back: its
   clauses and minerals go to the previous agreement.
3. Parties are gazetteer organisations in that clause (the sentence's subject is carried over
   when the clause names only one); with no organisation, the countries named become their
   governments; "양국"/"the two countries" — or, in a sentence naming no organisation, a
   concluded instrument with no party at all — stands for the article's two most-mentioned
   countries.

4. Status: ``historical`` when the clause names a year before the article's ("in December
   2021", 2022년 7월) or a past cue (앞서, previously) in an undated article; ``planned`` when the
   verb is future (체결할 예정, will sign); else ``signed``.
5. Minerals, sectors and clauses come from the agreement's clause;
   clauses in the following sentences of the same paragraph that form no agreement attach to
   it. Stages are kept for critical-minerals agreements only; when the sentence names none, the
   closest earlier sentence listing two or more stages (up to three back) supplies them.
6. Agreements with the same parties, instrument and status and overlapping sectors in one
   document are merged.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from critmin.agreements.documents import Document
from critmin.agreements.text import Gazetteer, Mention, Sentence, Term, sentences, terms

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


@dataclass(frozen=True)
class Organization:
    """A gazetteer entry."""

    id: str
    name_en: str
    name_ko: str
    iso3: str
    kind: str


@dataclass
class Resources:
    """What extraction looks names up in: organisations, countries, minerals, lexicon."""

    orgs: dict[str, Organization]
    org_names: Gazetteer
    country_names: Gazetteer
    mineral_names: Gazetteer
    lexicon_dir: Any = None

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


@dataclass
class Extraction:
    """Everything extracted from one document."""

    document: Document
    agreements: list[Agreement]
    document_count: int | None
    document_count_evidence: dict[str, Any] | None


def _span(s: Sentence) -> dict[str, Any]:
    return {"sentence": s.text, "start": s.start, "end": s.end}


def _hits(ts: list[Term], text: str) -> list[tuple[str, int, int, str]]:
    out = []
    for t in ts:
        for m in t.regex.finditer(text):
            out.append((t.label, m.start(), m.end(), m.group(0)))
    return sorted(out, key=lambda h: (h[1], -h[2]))


def _labels(ts: list[Term], text: str) -> list[str]:
    return sorted({t.label for t in ts if t.regex.search(text)})


_KO_DATE = re.compile(r"(?:(\d{4})년\s*)?(?:(\d{1,2})월\s*)?(\d{1,2})일")
_EN_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
_EN_DATE = re.compile(r"\b(" + "|".join(_EN_MONTHS) + r")\s+(\d{1,2})(?:,\s*(\d{4}))?", re.I)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


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


class Extractor:
    """Apply the rules in the module docstring to documents."""

    def __init__(self, res: Resources) -> None:
        self.res = res

    def _main_countries(self, doc: Document) -> list[str]:
        counts: dict[str, int] = {}
        for m in self.res.country_names.find(doc.text):
            counts[m.id] = counts.get(m.id, 0) + 1
        for m in self.res.org_names.find(doc.text):
            iso = self.res.orgs[m.id].iso3
            if iso:
                counts[iso] = counts.get(iso, 0) + 1
        return [c for c, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:2]]

    def _government(self, iso3: str) -> str | None:
        gid = "eu" if iso3 == "EUU" else f"gov_{iso3.lower()}"
        return gid if gid in self.res.orgs else None

    def extract(self, doc: Document) -> Extraction:
        lang = doc.language
        sents = sentences(doc.text, lang)
        main = self._main_countries(doc)
        t = self.res.terms
        inst_t, conc_t, plan_t = t("instrument", lang), t("concluded", lang), t("planned", lang)
        neg_t, both_t, ana_t = t("negation", lang), t("both_parties", lang), t("anaphora", lang)
        sep_t = t("separator", lang)
        found: list[Agreement] = []
        last_para = -1
        for i, s in enumerate(sents):
            inst = _hits(inst_t, s.text)
            if not inst or _hits(neg_t, s.text):
                continue
            verbs = _hits(conc_t + plan_t, s.text)
            groups = self._groups(inst, verbs)
            seps = _hits(sep_t, s.text)
            orgs_all = self.res.org_names.find(s.text)
            prev_end = 0
            for n, (labels, g_start, g_end) in enumerate(groups):
                nxt = groups[n + 1][1] if n + 1 < len(groups) else len(s.text)
                left = max([prev_end] + [b for _, _, b, _ in seps if b <= g_start])
                right = min([nxt] + [a for _, a, _, _ in seps if g_end <= a < nxt])
                prev_end = right
                scope = s.text[left:right]
                anaphoric = bool(_hits(ana_t, s.text[left:g_start]))
                parties = self._parties(
                    scope,
                    left,
                    orgs_all,
                    both_t,
                    main,
                    lang,
                    anaphoric=anaphoric,
                    concluded=bool(_hits(conc_t, scope)),
                )
                if len(parties) < 2:
                    # "the deal ...", "이를 통해 ... 협약되었으며": more about the last agreement
                    if found and (anaphoric or last_para == s.paragraph):
                        self._attach(found[-1], scope, s, lang)
                    continue
                last_para = s.paragraph

                found.append(
                    self._agreement(
                        doc,
                        s,
                        sents,
                        i,
                        scope,
                        labels,
                        parties,
                        plan_t,
                        t("historical", lang),
                    )
                )
        merged = self._merge(found)
        count, count_ev = self._document_count(doc, sents)
        return Extraction(doc, merged, count, count_ev)

    @staticmethod
    def _groups(
        inst: list[tuple[str, int, int, str]], verbs: list[tuple[str, int, int, str]]
    ) -> list[tuple[list[str], int, int]]:
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
        scope: str,
        offset: int,
        orgs_all: list[Mention],
        both_t: list[Term],
        main: list[str],
        lang: str,
        *,
        anaphoric: bool,
        concluded: bool,
    ) -> list[str]:
        inside = [m for m in orgs_all if offset <= m.start < offset + len(scope)]
        ids = list(dict.fromkeys(m.id for m in inside))
        if lang == "ko" and len(ids) > 2:  # "X의 전신인 Y는": X is not a party
            genitive = {m.id for m in inside if scope[m.end - offset : m.end - offset + 1] == "의"}
            if len(set(ids) - genitive) >= 2:
                ids = [i for i in ids if i not in genitive]
        if len(ids) == 1:
            subject = [m.id for m in orgs_all if m.start < offset and m.id not in ids]
            if subject:
                ids.insert(0, subject[0])
        have = {self.res.orgs[i].iso3 for i in ids}
        if len(ids) < 2:
            spans = [(m.start - offset, m.end - offset) for m in inside]
            for c in dict.fromkeys(
                c.id
                for c in self.res.country_names.find(scope)
                if not any(a <= c.start < b for a, b in spans)
            ):
                gov = self._government(c)
                if gov and c not in have:
                    ids.append(gov)
                    have.add(c)
        if (
            len(ids) < 2
            and not anaphoric
            and (_hits(both_t, scope) or (not orgs_all and not ids and concluded))
        ):
            for c in main:
                gov = self._government(c)
                if gov and c not in have:
                    ids.append(gov)
                    have.add(c)
        return ids

    def _attach(self, a: Agreement, scope: str, s: Sentence, lang: str) -> None:
        """A sentence that refers back to an agreement ("the deal", "이번 협약") adds to it."""
        have = {c["type"] for c in a.clauses}
        a.clauses += [c for c in self._clauses(scope, s, lang) if c["type"] not in have]
        minerals = {m.id for m in self.res.mineral_names.find(scope)}
        for m in sorted(minerals - set(a.minerals)):
            a.evidence.setdefault("minerals", {})[m] = _span(s)
        a.minerals = sorted(set(a.minerals) | minerals)

    def _agreement(
        self,
        doc: Document,
        s: Sentence,
        sents: list[Sentence],
        i: int,
        scope: str,
        labels: list[str],
        parties: list[str],
        plan_t: list[Term],
        hist_t: list[Term],
    ) -> Agreement:
        lang = doc.language
        instrument = next(p for p in INSTRUMENT_PRIORITY if p in labels)
        status = "signed"
        past = [int(y) for y in _YEAR.findall(scope)]
        earlier = bool(doc.date and any(y < doc.date.year for y in past))
        if _hits(plan_t, scope) and not earlier:
            status = "planned"
        elif earlier or (_hits(hist_t, scope) and (not doc.date or not past)):
            status = "historical"
        ev: dict[str, Any] = {"agreement": _span(s), "status": _span(s), "parties": {}}
        for p in parties:
            ev["parties"][p] = _span(s)
        minerals = sorted({m.id for m in self.res.mineral_names.find(scope)})
        sectors = set(_labels(self.res.terms("sector", lang), scope))
        kinds = {self.res.orgs[p].kind for p in parties}
        if kinds & {"bank", "export_credit_agency"}:
            sectors.add("finance")
        if minerals:
            sectors.add("critical_minerals")
        clauses = self._clauses(scope, s, lang)
        j = i + 1
        while (
            j < len(sents)
            and sents[j].paragraph == s.paragraph
            and not _hits(self.res.terms("instrument", lang), sents[j].text)
        ):
            clauses += self._clauses(sents[j].text, sents[j], lang)
            j += 1
        stages: list[str] = []
        if "critical_minerals" in sectors:
            stage_t = self.res.terms("stage", lang)
            stages = _labels(stage_t, scope)
            if not stages:
                for k in range(i - 1, max(-1, i - 4), -1):
                    found = _labels(stage_t, sents[k].text)
                    if len(found) >= 2:
                        stages = found
                        ev["stages"] = {st: _span(sents[k]) for st in found}
                        break
            for k in range(i + 1, j):
                extra = _labels(stage_t, sents[k].text)
                stages = sorted(set(stages) | set(extra))
        countries = sorted({self.res.orgs[p].iso3 for p in parties if self.res.orgs[p].iso3})
        ev.setdefault("stages", {st: _span(s) for st in stages})
        ev["minerals"] = {m: _span(s) for m in minerals}
        ev["sectors"] = {x: _span(s) for x in sorted(sectors)}
        signed_on = _signed_on(scope, doc)
        if signed_on:
            ev["signed_on"] = _span(s)
        uniq: dict[str, dict[str, Any]] = {}
        for c in clauses:
            uniq.setdefault(c["type"], c)
        return Agreement(
            sorted(parties),
            countries,
            instrument,
            status,
            signed_on,
            minerals,
            sorted(stages),
            sorted(sectors),
            [uniq[k] for k in sorted(uniq)],
            ev,
        )

    def _clauses(self, text: str, s: Sentence, lang: str) -> list[dict[str, Any]]:
        out = []
        for label, _a, _b, surface in _hits(self.res.terms("clause", lang), text):
            out.append({"type": label, "text": surface, "evidence": _span(s)})
        return out

    @staticmethod
    def _merge(items: list[Agreement]) -> list[Agreement]:
        """Same parties and instrument are the same agreement unless their topics differ
        (e.g. a critical-minerals MOU and a power-industry MOU between the same governments)."""
        out: list[Agreement] = []
        for a in items:
            b = next(
                (
                    o
                    for o in out
                    if o.parties == a.parties
                    and o.instrument == a.instrument
                    and o.status == a.status
                    and (
                        not o.sectors
                        or not a.sectors
                        or set(o.sectors) & set(a.sectors) - {"energy"}
                    )
                ),
                None,
            )
            if b is None:
                out.append(a)
                continue

            b.minerals = sorted(set(b.minerals) | set(a.minerals))
            b.stages = sorted(set(b.stages) | set(a.stages))
            b.sectors = sorted(set(b.sectors) | set(a.sectors))
            have = {c["type"] for c in b.clauses}
            b.clauses += [c for c in a.clauses if c["type"] not in have]
            b.signed_on = b.signed_on or a.signed_on
        return out

    def _document_count(
        self, doc: Document, sents: list[Sentence]
    ) -> tuple[int | None, dict[str, Any] | None]:
        for t in self.res.terms("document_count", doc.language):
            for s in sents:
                m = t.regex.search(s.text)
                if m:
                    return int(m.group(1)), _span(s)
        return None, None
