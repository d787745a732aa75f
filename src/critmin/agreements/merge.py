"""Step 5 of extraction: one agreement per instrument, then each agreement finalised."""

from __future__ import annotations

from critmin.agreements.model import GENERIC_MINERALS, RECENT, Agreement


def mergeable(o: Agreement, a: Agreement) -> bool:
    """Two candidates name one agreement (step 5 of :mod:`critmin.agreements.extract`)."""
    po, pa = set(o.parties), set(a.parties)
    topics = (
        not o.sectors
        or not a.sectors
        or bool(set(o.sectors) & set(a.sectors) - {"energy"})
        or bool(set(o.minerals) & set(a.minerals))
    )
    if o.headline or a.headline:
        # a headline names the body's agreement by its parties or their countries, and
        # by the same instrument or a generic word for it ("pact" for a partnership)
        generic = {"agreement", "partnership", "arrangement"}
        return (
            (bool(po & pa) or (len(o.countries) >= 2 and o.countries == a.countries))
            and (o.instrument == a.instrument or bool({o.instrument, a.instrument} & generic))
            and topics
            and o.status == a.status
        )
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


def merge(items: list[Agreement]) -> list[Agreement]:
    """One agreement per instrument: each candidate merged into the first earlier one it
    names (:func:`mergeable`), keeping the better evidence and the more specific parties."""
    out: list[Agreement] = []
    index: dict[str, list[int]] = {}  # party or country set → positions in ``out``

    def keys(a: Agreement) -> list[str]:
        return [*a.parties, "countries:" + ",".join(a.countries)]

    # the body first, then the headline and sub-headline: each goes into the body
    # agreement it announces, one of the same instrument if there is one
    body = [a for a in items if not a.headline]
    lead = [a for a in items if a.headline]
    for a in body + lead:
        # the first few and the most recent sharing a party or countries
        cands = sorted(
            {k for key in keys(a) for k in (*index.get(key, [])[:8], *index.get(key, [])[-RECENT:])}
        )
        ok = [k for k in cands if mergeable(out[k], a)]
        pos = next((k for k in ok if out[k].instrument == a.instrument), ok[0] if ok else None)
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


def finalise(a: Agreement) -> None:
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
