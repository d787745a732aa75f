"""The parties of an agreement named in a clause (step 2 of :mod:`critmin.agreements.extract`).

In order: the organisations in the clause (a Korean genitive "X의 …" is not one when two
others are named); with one, the sentence subject before the clause, else the article's main
organisation as the omitted subject of a concluded deal; then countries in a party role as
their governments; then — for "양국", "the two countries", a concluded deal with no
organisation, or a headline that names none — the article's home country and most-named
countries. A sentence that lists the parties right after ("Its shareholders are A, B and C")
gives them to an agreement named without them.
"""

from __future__ import annotations

import re

from critmin.agreements.mentions import DocMentions
from critmin.agreements.model import RECENT, Agreement, Resources, government_id, hits


def _government(res: Resources, iso3: str) -> str | None:
    """The government of a country (every country has one: see
    :func:`critmin.agreements.resources.governments`)."""
    gid = government_id(iso3)
    return gid if gid in res.orgs else None


def _named(dm: DocMentions, i: int, left: int, right: int) -> list[str]:
    """Organisations in [left, right) of sentence ``i``, not cited as the news source."""
    s = dm.sentences[i]
    inside = [m for m in dm.orgs[i] if left <= m.start < right and not dm.is_source(i, m)]
    ids = list(dict.fromkeys(m.id for m in inside))
    if dm.document.language == "ko" and len(ids) > 2:  # "X의 전신인 Y는": X is not a party
        genitive = {m.id for m in inside if s.text[m.end : m.end + 1] == "의"}
        if len(set(ids) - genitive) >= 2:
            ids = [x for x in ids if x not in genitive]
    return ids


def _described(
    res: Resources, dm: DocMentions, i: int, left: int, right: int, ids: list[str]
) -> list[str]:
    """An organisation the clause names by a definite description ("the South Korean
    battery maker", 이 회사): the latest company named before it, of the description's
    nationality when it gives one."""
    s = dm.sentences[i]
    for _, a, _end, surface in hits(
        res.terms("org_reference", dm.document.language), s.text, left, right
    ):
        want = {d.id for d in res.demonyms.find(surface)} | {
            c.id for c in res.country_names.find(surface)
        }
        earlier = [
            m
            for k in range(i, max(-1, i - RECENT), -1)
            for m in reversed(dm.orgs[k])
            if (k < i or m.end <= a) and m.id not in ids
        ]
        for m in earlier:
            if dm.kind_of(m.id) in ("government", "supranational", "agency"):
                continue
            if want and dm.country_of(m.id) not in want:
                continue
            return [m.id]
    return []


def _counted(
    res: Resources, dm: DocMentions, i: int, left: int, right: int, ids: list[str]
) -> list[str]:
    """ "양사는", "세 회사가", "the two companies": the last two (three, four) organisations
    named, this clause's first, that are not governments."""
    found = hits(res.terms("both_orgs", dm.document.language), dm.sentences[i].text, left, right)
    if not found:
        return ids
    surface = found[0][3]
    n = 4 if re.search(r"네|four|4", surface) else 3 if re.search(r"세|three|3", surface) else 2
    out = list(ids)
    for k in range(i, max(-1, i - RECENT), -1):
        for m in reversed(dm.orgs[k]):
            if len(out) >= n:
                return out
            if (k < i or m.start < left) and m.id not in out and dm.kind_of(m.id) != "government":
                out.append(m.id)
    return out if len(out) >= 2 else ids


def _subject(dm: DocMentions, i: int, left: int, ids: list[str], *, omitted: bool) -> list[str]:
    """One organisation named: the sentence subject before the clause, else (``omitted``)
    the article's main organisation, as the other party."""
    orgs = [m for m in dm.orgs[i] if not dm.is_source(i, m)]
    subject = [m.id for m in orgs if m.start < left and m.id not in ids]
    if subject:
        return [subject[0], *ids]
    if (
        omitted
        and dm.main_org
        and dm.main_org not in ids
        and dm.kind_of(ids[0]) != "government"
        and dm.kind_of(dm.main_org) != "government"
    ):
        return [dm.main_org, *ids]  # the omitted subject: the article's organisation
    return ids


def _add_governments(res: Resources, ids: list[str], dm: DocMentions, countries: list[str]) -> None:
    """Governments of ``countries`` not yet represented, until there are two parties."""
    have = {dm.country_of(p) for p in ids} - {None}
    for c in countries:
        if len(ids) >= 2:
            return
        gov = _government(res, c)
        if gov and c not in have:
            ids.append(gov)
            have.add(c)


def clause_parties(
    res: Resources,
    dm: DocMentions,
    i: int,
    clause: tuple[int, int],
    *,
    anaphoric: bool,
    concluded: bool,
) -> list[str]:
    """The parties of the agreement named in ``clause`` of sentence ``i`` (module docstring)."""
    left, right = clause
    s = dm.sentences[i]
    ids = _named(dm, i, left, right)
    if len(ids) < 2:
        ids += _described(res, dm, i, left, right, ids)
    if len(ids) < 2:
        ids = _counted(res, dm, i, left, right, ids)
    if len(ids) == 1:
        ids = _subject(dm, i, left, ids, omitted=concluded and not anaphoric)
    if len(ids) < 2:
        have = {dm.country_of(p) for p in ids} - {None}
        for c in dm.party_countries(i, left, right):
            gov = _government(res, c)
            if gov and c not in have:
                ids.append(gov)
                have.add(c)
    any_org = any(not dm.is_source(i, m) for m in dm.orgs[i])
    if (
        len(ids) < 2
        and not anaphoric
        and (
            hits(res.terms("both_parties", dm.document.language), s.text, left, right)
            or (not any_org and concluded)
            # a headline or sub-headline omits the parties: the article's subject
            or (not ids and (dm.is_headline(i) or dm.is_dek(i)))
        )
    ):
        # the article's home country first, then its most-named countries
        focus = [c for c in dict.fromkeys([dm.home, *dm.main_countries]) if c]
        _add_governments(res, ids, dm, focus)
    return ids


def listed_parties(res: Resources, dm: DocMentions, i: int) -> list[str] | None:
    """Parties listed by the next sentence of the paragraph ("Its shareholders are A, B
    and C"), for an agreement named without them."""
    if i + 1 >= len(dm.sentences) or dm.sentences[i + 1].paragraph != dm.sentences[i].paragraph:
        return None
    nxt = dm.sentences[i + 1]
    if not hits(res.terms("party_list", dm.document.language), nxt.text):
        return None
    ids = list(dict.fromkeys(m.id for m in dm.orgs[i + 1] if not dm.is_source(i + 1, m)))
    return ids if len(ids) >= 2 else None


def names_parties(found: list[Agreement], dm: DocMentions, i: int) -> Agreement | None:
    """The latest agreement two of whose parties (organisations, or countries in a party
    role for governments) the sentence names: the sentence goes on about it. Among the
    headline's and sub-headline's, the headline's (the article's main news)."""
    named = {m.id for m in dm.orgs[i]}
    s = dm.sentences[i]
    named |= {government_id(c) for c in dm.party_countries(i, 0, len(s.text))}
    recent = [a for a in found[-RECENT:] if len(named & set(a.parties)) >= 2]
    body = [a for a in recent if not a.headline]
    return body[-1] if body else (recent[0] if recent else None)
