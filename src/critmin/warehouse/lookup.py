"""Resolve what users type — ISO3 codes, English or Korean names, aliases, mineral symbols —
to warehouse ids, and name ids back in English or Korean."""

from __future__ import annotations

import difflib
from typing import Literal

import duckdb

from critmin.errors import CritminError
from critmin.warehouse.harmonise import norm

Lang = Literal["en", "ko"]
LANGS: tuple[Lang, ...] = ("en", "ko")


class UnknownNameError(CritminError, LookupError):
    """A country or mineral name that the warehouse does not know."""

    exit_code = 2


def _suggest(text: str, options: list[str]) -> str:
    close = difflib.get_close_matches(text.strip().lower(), options, n=3, cutoff=0.6)
    return f" Did you mean: {', '.join(close)}?" if close else ""


def country(con: duckdb.DuckDBPyConnection, text: str) -> str:
    """ISO3 code for an ISO3 code, English/Korean name or reviewed alias (any scope)."""
    row = con.execute(
        f"SELECT DISTINCT iso3 FROM meta.country_lookup WHERE key = {norm('?')}", [text]
    ).fetchall()
    if len(row) == 1:
        return str(row[0][0])
    if len(row) > 1:
        raise UnknownNameError(
            f"country {text!r} is ambiguous: {sorted(r[0] for r in row)}. Fix: pass the ISO3 code"
        )
    keys = [k for (k,) in con.execute("SELECT DISTINCT key FROM meta.country_lookup").fetchall()]
    raise UnknownNameError(
        f"unknown country {text!r}.{_suggest(text, keys)} Fix: use an ISO3 "
        f"code (e.g. KOR), an English or Korean name (e.g. Korea, 한국)"
    )


def importer(con: duckdb.DuckDBPyConnection, text: str) -> tuple[str, list[str]]:
    """(label, member ISO3 codes) for a country, a region id from ``tidy.regions`` (e.g. EUU,
    whose members are listed there) or countries joined by ``+`` (``KOR+JPN``)."""
    parts = [p for p in text.split("+") if p.strip()]
    if len(parts) > 1:
        members = sorted({country(con, p) for p in parts})
        return "+".join(members), members
    iso3 = country(con, text)
    members = sorted(
        m
        for (m,) in con.execute(
            "SELECT iso3 FROM tidy.regions WHERE region_id = ?", [iso3]
        ).fetchall()
    )
    return iso3, members or [iso3]


def mineral(con: duckdb.DuckDBPyConnection, text: str) -> str:
    """Mineral id for an id, English or Korean name, or chemical symbol."""
    t = text.strip()
    row = con.execute(
        "SELECT id FROM tidy.minerals WHERE id = lower(?) OR lower(name_en) = lower(?) "
        "OR name_ko = ? OR symbol = ? ORDER BY (id = lower(?)) DESC LIMIT 1",
        [t.replace(" ", "_"), t, t, t, t.replace(" ", "_")],
    ).fetchone()
    if row:
        return str(row[0])
    ids = [i for (i,) in con.execute("SELECT id FROM tidy.minerals").fetchall()]
    raise UnknownNameError(
        f"unknown mineral {text!r}.{_suggest(t.replace(' ', '_'), ids)} "
        f"Fix: use a mineral id (e.g. lithium, rare_earths), an English or "
        f"Korean name (e.g. 리튬) or a symbol (e.g. Li)"
    )


def baci_codes(con: duckdb.DuckDBPyConnection, iso3: str) -> list[int]:
    """The BACI/WMD numeric codes of a country (several for e.g. Belgium-Luxembourg)."""
    row = con.execute("SELECT baci_codes FROM tidy.countries WHERE iso3 = ?", [iso3]).fetchone()
    return [int(c) for c in (row[0] if row else [])]


class Names:
    """English/Korean names of countries and minerals, loaded once per connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, lang: Lang = "en") -> None:
        if lang not in LANGS:
            raise UnknownNameError(f"unknown language {lang!r}; choose one of {LANGS}")
        self.lang = lang
        self._countries = {
            i: (e, k)
            for i, e, k in con.execute(
                "SELECT iso3, name_en, name_ko FROM tidy.countries"
            ).fetchall()
        }
        self._minerals = {
            i: (e, k)
            for i, e, k in con.execute("SELECT id, name_en, name_ko FROM tidy.minerals").fetchall()
        }

    def _pick(self, pair: tuple[str, str | None] | None, fallback: str) -> str:
        if pair is None:
            return fallback
        en, ko = pair
        return (ko or en) if self.lang == "ko" else en

    def country(self, iso3: str) -> str:
        """Name of a country (the code itself if unknown, e.g. a region label)."""
        return self._pick(self._countries.get(iso3), iso3)

    def mineral(self, mineral_id: str) -> str:
        """Name of a mineral."""
        return self._pick(self._minerals.get(mineral_id), mineral_id)
