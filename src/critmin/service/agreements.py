"""Use cases over the agreements store: what a registry agreement says a partnership adds.

An offtake clause's tonnes ("연간 5만 톤", "1,500 tonnes a year") are read from the clause
text the extractor stored as evidence; a partner and a mineral are taken only when the
agreement names exactly one of each besides the importer.
"""

from __future__ import annotations

import json
import re
from typing import Any

from critmin import settings
from critmin.agreements.store import open_registry
from critmin.errors import CritminError

_QTY = re.compile(r"([\d][\d.,]*)\s*(만)?\s*(?:톤|tonnes|tons|t)(?![A-Za-z])")


def offtake_tonnes(text: str) -> float | None:
    """Tonnes stated in an offtake clause ("연간 5만 톤", "1,500 tonnes a year")."""
    m = _QTY.search(text)
    if not m:
        return None
    value = float(m.group(1).replace(",", ""))
    return value * 10_000 if m.group(2) else value


def agreement_terms(agreement_id: int, registry: str | None, importer: str) -> dict[str, Any]:
    """``{"partner", "mineral", "tonnes"}`` of a registry agreement for a partnership
    what-if (each ``None`` when the agreement does not say)."""
    with open_registry(settings.registry_path(registry), read_only=True) as con:
        row = con.execute(
            "SELECT countries, minerals, clauses FROM agreements WHERE agreement_id = ?",
            [agreement_id],
        ).fetchone()
    if row is None:
        raise CritminError(
            f"no agreement {agreement_id} in the registry. Fix: see `critmin agreements` for ids"
        )
    countries, minerals, clauses = row
    partners = [c for c in countries if c != importer]
    tonnes = next(
        (
            offtake_tonnes(c["text"])
            for c in json.loads(clauses or "[]")
            if c["type"] == "offtake" and offtake_tonnes(c["text"])
        ),
        None,
    )
    return {
        "partner": partners[0] if len(partners) == 1 else None,
        "mineral": minerals[0] if len(minerals) == 1 else None,
        "tonnes": tonnes,
    }
