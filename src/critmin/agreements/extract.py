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

from dataclasses import dataclass
from typing import Any

from critmin.agreements.clues import (
    defined_acronyms,
    definite_nouns,
    earlier,
    nouns,
    signed_on,
)
from critmin.agreements.documents import Document
from critmin.agreements.mentions import DocMentions, read_mentions, readers
from critmin.agreements.merge import finalise, merge
from critmin.agreements.model import (
    GENERIC_MINERALS,
    GROUP_GAP,
    INSTRUMENT_PRIORITY,
    RECENT,
    Agreement,
    Extraction,
    Hit,
    Resources,
)
from critmin.agreements.model import hits as _hits
from critmin.agreements.model import span as _span
from critmin.agreements.model import whole as _whole
from critmin.agreements.parties import clause_parties, listed_parties, names_parties
from critmin.agreements.text import Sentence, Term, sentences


@dataclass(frozen=True)
class _Lexicon:
    """The lexicon categories finding agreements uses, for one document's language (with
    the instrument acronyms the document defines)."""

    instrument: list[Term]
    concluded: list[Term]
    planned: list[Term]
    negation: list[Term]
    anaphora: list[Term]
    separator: list[Term]
    followup: list[Term]
    generic: list[Term]

    @classmethod
    def of(cls, res: Resources, lang: str, sents: list[Sentence]) -> _Lexicon:
        t = res.terms
        inst = t("instrument", lang)
        return cls(
            inst + defined_acronyms(inst, sents, lang),
            t("concluded", lang),
            t("planned", lang),
            t("negation", lang),
            t("anaphora", lang),
            t("separator", lang),
            t("followup", lang),
            t("generic_reference", lang),
        )


class Extractor:
    """Apply the steps in the module docstring to documents."""

    def __init__(self, res: Resources) -> None:
        self.res = res
        self.readers = readers(res)  # built once: the recognizer's tables, title pattern

    def extract(self, doc: Document) -> Extraction:
        lang = doc.language
        sents = sentences(doc.text, lang)
        dm = read_mentions(self.res, doc, sents, self.readers)
        found = self._find(doc, sents, dm)
        merged = merge(found)
        for a in merged:
            finalise(a)
        count, count_ev = self._document_count(doc, sents)
        used = {p for a in merged for p in a.parties}
        orgs = {k: v for k, v in dm.organizations.items() if k in used}
        return Extraction(doc, merged, count, count_ev, orgs)

    # ---- step 2 and 3: find agreements, refer back -------------------------------------
    def _find(self, doc: Document, sents: list[Sentence], dm: DocMentions) -> list[Agreement]:
        """Steps 2 and 3 over the document's sentences: a sentence naming an instrument (not
        negated) gives one candidate per clause; any other sentence may go on about an
        agreement already found."""
        lex = _Lexicon.of(self.res, doc.language, sents)
        found: list[Agreement] = []
        chain = -1  # paragraph of the last follow-up sentence: its next sentences go on
        for i, s in enumerate(sents):
            inst = [
                h
                for h in _hits(lex.instrument, s.text)
                if not any(m.start <= h[1] < m.end for m in dm.orgs[i])
            ]
            if not inst or _hits(lex.negation, s.text):
                chain = self._follow_up(found, dm, i, lex, chain) if not inst else -1
                continue
            chain = -1
            for labels, g_start, clause in self._clauses_of(s, inst, lex):
                self._clause(doc, dm, found, i, clause, labels, g_start, lex)
        return found

    def _follow_up(
        self, found: list[Agreement], dm: DocMentions, i: int, lex: _Lexicon, chain: int
    ) -> int:
        """A sentence without an instrument that names two parties of an agreement, has a
        follow-up cue, continues a follow-up paragraph, or narrows an agreement's generic
        minerals adds to that agreement. Returns the paragraph a follow-up chain is in."""
        if not found:
            return -1
        s = dm.sentences[i]
        named = names_parties(found, dm, i)
        if named is not None or _hits(lex.followup, s.text) or chain == s.paragraph:
            self._attach(named or self._target(found, dm, i), s, dm, i, 0, len(s.text))
            return s.paragraph
        if self._narrows(found[-1], dm, i):
            self._attach(found[-1], s, dm, i, 0, len(s.text))
        return -1

    def _clauses_of(
        self, s: Sentence, inst: list[Hit], lex: _Lexicon
    ) -> list[tuple[list[str], int, tuple[int, int]]]:
        """(instrument labels, group start, clause [left, right)) per instrument group: a
        clause runs from the previous clause or separator to the next group or separator."""
        groups = self._groups(inst, _hits(lex.concluded + lex.planned, s.text))
        seps = _hits(lex.separator, s.text)
        out = []
        prev_end = 0
        for n, (labels, g_start, g_end) in enumerate(groups):
            nxt = groups[n + 1][1] if n + 1 < len(groups) else len(s.text)
            left = max([prev_end] + [b for _, _, b, _ in seps if b <= g_start])
            right = min([nxt] + [a for _, a, _, _ in seps if g_end <= a < nxt])
            prev_end = right
            out.append((labels, g_start, (left, right)))
        return out

    def _clause(
        self,
        doc: Document,
        dm: DocMentions,
        found: list[Agreement],
        i: int,
        clause: tuple[int, int],
        labels: list[str],
        g_start: int,
        lex: _Lexicon,
    ) -> None:
        """One instrument clause: a new agreement, more about one already found (a
        reference back, the same parties and status), or nothing (a class of instruments,
        fewer than two parties)."""
        s = dm.sentences[i]
        left, right = clause
        anaphoric = bool(_hits(lex.anaphora, s.text[left:g_start]))
        concluded = bool(_hits(lex.concluded, s.text, left, right))
        parties = clause_parties(self.res, dm, i, clause, anaphoric=anaphoric, concluded=concluded)
        instrument = next(p for p in INSTRUMENT_PRIORITY if p in labels)
        status = self._status(doc, s.text[left:right], lex.planned)
        if _hits(lex.generic, s.text, left, right):
            return  # "양국이 맺은 계약과 업무협약": a class of instruments
        if (
            found
            and len(parties) < 2
            and status == "historical"
            and found[-1].status != "historical"
            and (found[-1].instrument != instrument if anaphoric else not parties)
        ):
            # "the memorandum … concluded in March 2023": an earlier instrument of the same
            # parties, not the one just named
            parties = list(found[-1].parties)
            anaphoric = False
        if anaphoric and not found and not concluded:
            return  # "the partnership's meeting": no agreement named in the text
        same = next((a for a in reversed(found[-RECENT:]) if set(a.parties) == set(parties)), None)
        if (
            same is not None
            and not same.headline
            and not concluded
            and not _hits(lex.planned, s.text, left, right)
            and status == same.status
            and self._same_topic(same, s, left, right, doc.language)
        ):  # "Kazakhstan's partnership with the UK revolves around …": no new one
            self._attach(same, s, dm, i, left, right)
            return
        listed = None if anaphoric or len(parties) >= 2 else listed_parties(self.res, dm, i)
        if listed:
            parties = listed
        stated = concluded or status != "signed"
        if len(parties) < 2 or (anaphoric and found):
            if found and (anaphoric or (len(parties) < 2 and _hits(lex.followup, s.text))):
                target = self._target(found, dm, i)
                self._attach(target, s, dm, i, left, right)
                if anaphoric and stated and not target.status_stated:
                    # "… developed by a joint venture of A and B." "They signed the joint
                    # venture agreement last year.": the signing clause gives the status
                    target.status, target.status_stated = status, True
                    target.evidence["status"] = _span(s)
            return
        found.append(self._agreement(doc, dm.sentences, dm, i, clause, instrument, status, parties))
        found[-1].status_stated = stated
        if listed:
            found[-1].evidence["parties"] = {p: _span(dm.sentences[i + 1]) for p in listed}

    @staticmethod
    def _narrows(a: Agreement, dm: DocMentions, i: int) -> bool:
        """A sentence soon after an agreement named only with generic minerals ("five
        critical mineral exploration projects") names specific ones for the same object by
        a definite reference to a noun of the agreement's sentence ("three of the five
        projects are lithium explorations", "이 사업은 리튬 …")."""
        if a.status == "historical" or set(a.minerals) - set(GENERIC_MINERALS):
            return False
        minerals, _ = dm.minerals_in(i, 0, len(dm.sentences[i].text))
        if not set(minerals) - set(GENERIC_MINERALS):
            return False
        start = a.evidence.get("agreement", {}).get("start")
        near = [k for k in range(i - 1, max(-1, i - 4), -1) if dm.sentences[k].start == start]
        if not near:
            return False
        return bool(definite_nouns(dm.sentences[i]) & nouns(dm.sentences[near[0]]))

    def _same_topic(self, a: Agreement, s: Sentence, left: int, right: int, lang: str) -> bool:
        """The clause's sectors do not contradict the agreement's (a power-industry MOU is
        not the critical-minerals MOU between the same governments)."""
        sectors = set(_whole(self.res.terms("sector", lang), s, left, right)) - {"energy"}
        return not sectors or not a.sectors or bool(sectors & set(a.sectors))

    def _target(self, found: list[Agreement], dm: DocMentions, i: int) -> Agreement:
        """The agreement a follow-up sentence is about: the latest one whose party it names
        (background, ``historical``, ones only when the sentence itself looks back), else
        the latest that is news."""
        named = {m.id for m in dm.orgs[i]}
        s = dm.sentences[i].text
        back = self._status(dm.document, s, self.res.terms("planned", dm.document.language))
        for a in reversed(found[-RECENT:]):
            if named & set(a.parties) and (a.status != "historical" or back == "historical"):
                return a
        return next((a for a in reversed(found[-RECENT:]) if a.status != "historical"), found[-1])

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
        """``planned`` from intent, ``historical`` from an earlier date or a time and tense
        cue, else ``signed``; the past perfect of reported speech ("said on Tuesday it had
        signed") is the news, not background."""
        before = earlier(scope, doc)
        if _hits(plan_t, scope) and not before:
            return "planned"
        reporting = self.res.terms("reporting", doc.language)
        hist = [
            h
            for h in _hits(self.res.terms("historical", doc.language), scope)
            if not (
                h[3].lower().startswith("had ")
                and _hits(reporting, scope[max(0, h[1] - 120) : h[1]])
            )
        ]
        if before or hist:
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
        date = None if status == "planned" else signed_on(scope, doc)
        if date:
            ev["signed_on"] = _span(s)
        uniq: dict[str, dict[str, Any]] = {}
        for c in clauses:
            uniq.setdefault(c["type"], c)
        return Agreement(
            sorted(parties),
            sorted({iso for p in parties if (iso := dm.country_of(p))}),
            instrument,
            status,
            date,
            sorted(minerals),
            sorted(stages),
            sorted(sectors),
            [uniq[k] for k in sorted(uniq)],
            ev,
            headline=dm.is_headline(i) or dm.is_dek(i),
            kinds={p: dm.kind_of(p) for p in parties},
        )

    def _clauses(self, s: Sentence, lang: str, lo: int, hi: int) -> list[dict[str, Any]]:
        out = []
        for label, _a, _b, surface in _hits(self.res.terms("clause", lang), s.text, lo, hi):
            out.append({"type": label, "text": surface, "evidence": _span(s)})
        return out

    def _document_count(
        self, doc: Document, sents: list[Sentence]
    ) -> tuple[int | None, dict[str, Any] | None]:
        for t in self.res.terms("document_count", doc.language):
            for s in sents:
                m = t.regex.search(s.text)
                if m:
                    return int(next(g for g in m.groups() if g)), _span(s)
        return None, None
