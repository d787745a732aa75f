"""JSON endpoints the dashboard pages are twins of, beyond the core API in ``app.py``.

/api/minerals                       ids, English/Korean names, critical-list membership
/api/countries                      ISO3, ISO numeric (the world map's key), names
/api/profile/{mineral}/series       HHI and CR3 per source, basis and stage over time
/api/agreements/{id}                one agreement, its evidence spans and document text
/api/brief/{importer}/{partner}     the partnership brief (see critmin.service.brief)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

import duckdb
from fastapi import FastAPI, Query

from critmin.analytics import concentration as conc
from critmin.service.session import Critmin
from critmin.warehouse import lookup
from critmin.web.guard import errors
from critmin.web.store import read_store

Lang = Literal["en", "ko"]


def registry_rows(registry: Path | None) -> list[dict[str, Any]]:
    """Every agreement in the registry ([] when there is no registry yet)."""
    from critmin.agreements.store import list_agreements

    if registry is None or not registry.is_file():
        return []
    return read_store(registry, list_agreements)


def brief_data(
    cm: Critmin,
    importer: str,
    partner: str,
    *,
    registry: Path | None,
    year: int | None = None,
    uplift: float = 0.1,
) -> dict[str, Any]:
    """The brief plus what its page draws: the headline mineral's world map and names."""
    from critmin.service.brief import partnership_brief

    data = partnership_brief(
        cm, importer, partner, agreements=registry_rows(registry), year=year, uplift=uplift
    )
    head = next((m for m in data["minerals"] if m["partner_world_share"]), None)
    if head is not None:
        h = head["partner_world_share"]
        c = next(
            x
            for x in conc.concentration(
                cm.con, head["mineral"], stage=h["stage"], year=h["year"], source=h["source_id"]
            )
            if x.basis == h["basis"]
        )
        data["map"] = {
            "mineral": head["mineral"],
            "mineral_name": head["mineral_name"],
            "stage": c.stage,
            "source_id": c.source_id,
            "basis": c.basis,
            "year": c.year,
            "shares": {s.iso3: s.share for s in c.suppliers},
        }
    data["registry"] = bool(registry and registry.is_file())
    return data


def countries(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Countries with ISO numeric codes (the world-atlas feature ids) and both names."""
    rows = con.execute(
        "SELECT iso3, iso_numeric, name_en, name_ko, kind FROM tidy.countries ORDER BY iso3"
    ).fetchall()
    return [
        {"iso3": i, "iso_numeric": n, "name_en": e, "name_ko": k, "kind": kd}
        for i, n, e, k, kd in rows
    ]


def register(app: FastAPI, session: Callable[[str], Critmin], registry: Path | None) -> None:
    """Add the dashboard's extra JSON endpoints to ``app``."""

    @app.get("/api/minerals", responses=errors(422, 500))
    def minerals(lang: Lang = "en") -> dict[str, Any]:
        """Minerals with names, kind, critical-list memberships and whether they are traded
        (both names always; ``lang`` is accepted for the dashboard's sake)."""
        cm = session("en")
        rows = cm.con.execute(
            """
            SELECT m.id, m.name_en, m.name_ko, m.symbol, m.kind,
                   list_sort(list(DISTINCT c.list_id) FILTER (WHERE c.list_id IS NOT NULL)),
                   m.id IN (SELECT mineral_id FROM tidy.hs_products),
                   m.id IN (SELECT mineral_id FROM tidy.production)
              FROM tidy.minerals m LEFT JOIN tidy.critical_lists c ON c.mineral_id = m.id
             GROUP BY ALL ORDER BY m.id"""
        ).fetchall()
        keys = ["id", "name_en", "name_ko", "symbol", "kind", "lists", "traded", "produced"]
        return {
            "minerals": [dict(zip(keys, r, strict=True)) for r in rows],
            "sources": cm.sources(
                ["critmin_reference/minerals.csv", "critmin_reference/critical_lists.csv"]
            ),
        }

    @app.get("/api/countries", responses=errors(422, 500))
    def country_list(lang: Lang = "en") -> dict[str, Any]:
        """Countries and territories with ISO3, ISO numeric and English/Korean names (both
        names always; ``lang`` is accepted for the dashboard's sake)."""
        cm = session("en")
        return {
            "countries": countries(cm.con),
            "sources": cm.sources(["critmin_reference/countries.csv"]),
        }

    @app.get("/api/profile/{mineral}/series", responses=errors(400, 404, 422, 500))
    def profile_series(
        mineral: str,
        stage: Literal["mining", "refining"] | None = None,
        measure: Literal["production", "reserves"] = "production",
        lang: Lang = "en",
    ) -> dict[str, Any]:
        """HHI = Σ sᵢ² and CR3 of world supply for every year each source covers."""
        cm = session(lang)
        mid = lookup.mineral(cm.con, mineral)
        points, lineage = conc.concentration_series(cm.con, mid, measure=measure, stage=stage)
        return {
            "mineral": mid,
            "mineral_name": cm.names.mineral(mid),
            "measure": measure,
            "series": [asdict(p) for p in points],
            "sources": cm.sources(lineage),
        }

    @app.get("/api/agreements/{agreement_id}", responses=errors(400, 404, 422, 500, 503))
    def agreement(agreement_id: int, lang: Lang = "en") -> dict[str, Any]:
        """One agreement with its evidence spans and the text of its source document."""
        from critmin.agreements.store import get_agreement

        cm = session(lang)
        a = read_store(registry, lambda reg: get_agreement(reg, agreement_id))
        a["country_names"] = [cm.names.country(c) for c in a["countries"]]
        a["mineral_names"] = [cm.names.mineral(m) for m in a["minerals"]]
        return {**a, "sources": [{"id": "agreements_registry", "path": str(registry)}]}

    @app.get("/api/brief/{importer}/{partner}", responses=errors(400, 404, 422, 500, 503))
    def brief(
        importer: str,
        partner: str,
        year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
        uplift: Annotated[float, Query(gt=0, le=10)] = 0.1,
        lang: Lang = "en",
    ) -> dict[str, Any]:
        """Partnership brief: agreements, minerals in scope, exposure and what-if results."""
        return brief_data(
            session(lang), importer, partner, registry=registry, year=year, uplift=uplift
        )
