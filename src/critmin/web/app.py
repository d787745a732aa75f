"""FastAPI application: the JSON API over the warehouse, opened read-only.

Every response carries the ``sources`` its numbers come from (where the call computes
numbers); every error — unknown country or mineral, bad parameter, oversized request, missing
route, internal failure — uses one envelope::

    {"error": {"status": 404, "type": "UnknownNameError", "message": "unknown country ..."}}

The server never writes: the warehouse and the agreements registry are opened with DuckDB's
``read_only=True`` and each request works on its own cursor of that connection.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

import duckdb
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from critmin import __version__, lookup
from critmin.analytics import scenarios
from critmin.analytics.concentration import NoDataError
from critmin.api import Critmin
from critmin.errors import CritminError, NotFoundError, WarehouseMissingError
from critmin.web import dashboard, views

MAX_SCENARIOS = 200_000
CACHE_SIZE = 2_048

Year = Annotated[int | None, Query(ge=1900, le=2100, description="Year (default: latest)")]


class RequestTooLargeError(CritminError, ValueError):
    """A request asks for more work than the server allows."""


def _status(exc: Exception) -> int:
    if isinstance(
        exc, lookup.UnknownNameError | NoDataError | WarehouseMissingError | NotFoundError
    ):
        return 404
    if isinstance(exc, RequestTooLargeError):
        return 413
    if isinstance(exc, CritminError | ValueError):
        return 400
    return 500


def _envelope(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"status": status, "type": kind, "message": message}}, status_code=status
    )


def create_app(db: Path, registry: Path | None = None) -> FastAPI:
    """The app over the warehouse ``db`` (and the agreements ``registry`` if it exists)."""
    if not db.is_file():
        raise WarehouseMissingError(f"no warehouse at {db}. Fix: run `critmin build`")
    con = duckdb.connect(str(db), read_only=True)
    names = {lang: lookup.Names(con, lang) for lang in lookup.LANGS}
    app = FastAPI(
        title="critmin",
        version=__version__,
        description="Critical-minerals supply-chain data, cited and offline.",
    )

    def session(lang: str = "en") -> Critmin:
        return Critmin.on(con.cursor(), names[lang if lang in names else "en"])

    # The warehouse cannot change under a running server (builds replace the file
    # atomically and the server holds its own read-only connection), so a computed response
    # is valid for the server's lifetime: identical requests are answered from memory.
    cache: OrderedDict[str, bytes] = OrderedDict()
    lock = threading.Lock()

    @app.middleware("http")
    async def _memo(request: Request, call_next: Any) -> Response:
        if (
            request.method != "GET"
            or not request.url.path.startswith("/api/")
            or request.url.path == "/api/health"
        ):
            return await call_next(request)  # type: ignore[no-any-return]
        key = str(request.url.include_query_params())
        with lock:
            hit = cache.get(key)
            if hit is not None:
                cache.move_to_end(key)
        if hit is not None:
            return Response(hit, media_type="application/json", headers={"x-critmin-cache": "hit"})
        response = await call_next(request)
        if response.status_code != 200:
            return response  # type: ignore[no-any-return]
        body = b"".join([chunk async for chunk in response.body_iterator])
        with lock:
            cache[key] = body
            while len(cache) > CACHE_SIZE:
                cache.popitem(last=False)
        return Response(body, media_type="application/json", headers={"x-critmin-cache": "miss"})

    async def _known(request: Request, exc: Exception) -> Response:
        status = _status(exc)
        message = str(exc) if status < 500 else "internal error; see the server log"
        return _error(request, status, type(exc).__name__, message)

    for kind in (CritminError, ValueError, duckdb.Error, Exception):
        app.add_exception_handler(kind, _known)
    app.state.con = con

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        parts = [f"{'.'.join(str(x) for x in e['loc'][1:])}: {e['msg']}" for e in exc.errors()]
        return _error(request, 422, "RequestValidationError", "; ".join(parts))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        return _error(request, exc.status_code, "HTTPException", str(exc.detail))

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        """Liveness and what the server reads."""
        row = (
            con.cursor()
            .execute(
                "SELECT max(finished_at)::VARCHAR, any_value(input_hash) "
                "FROM meta.build_runs WHERE status = 'ok'"
            )
            .fetchone()
        )
        return {
            "status": "ok",
            "version": __version__,
            "warehouse": str(db),
            "read_only": True,
            "built_at": row[0] if row else None,
            "registry": str(registry) if registry and registry.is_file() else None,
        }

    @app.get("/api/sources")
    def sources() -> dict[str, Any]:
        """Every source with its licence, attribution and snapshot hashes."""
        cur = con.cursor()
        ids = [r[0] for r in cur.execute("SELECT snapshot_id FROM meta.snapshots").fetchall()]
        return {"sources": session().sources(ids)}

    @app.get("/api/profile/{mineral}")
    def profile(
        mineral: str,
        year: Year = None,
        stage: Literal["mining", "refining"] | None = None,
        measure: Literal["production", "reserves"] = "production",
        source: str | None = None,
        lang: Literal["en", "ko"] = "en",
    ) -> dict[str, Any]:
        """Country shares, HHI and CR3 of a mineral per source, basis and stage."""
        return session(lang).profile(
            mineral, year=year, stage=stage, measure=measure, source=source
        )

    @app.get("/api/exposure/{importer}")
    def exposure(
        importer: str,
        mineral: str | None = None,
        year: Year = None,
        stage: str | None = None,
        governance_threshold: Annotated[float, Query(ge=-3, le=3)] = 0.0,
        lang: Literal["en", "ko"] = "en",
        by: Literal["stage", "product"] = "stage",
    ) -> dict[str, Any]:
        """An importer's suppliers by mineral and HS stage (or HS6 product), with gaps."""
        return session(lang).exposure(
            importer,
            mineral=mineral,
            year=year,
            stage=stage,
            governance_threshold=governance_threshold,
            by=by,
        )

    @app.get("/api/risk/{importer}")
    def risk(
        importer: str,
        method: Literal["geopolrisk", "eu", "all"] = "all",
        year: Year = None,
        mineral: str | None = None,
        profile: Literal["critmin", "geopolrisk-py"] = "critmin",
        lang: Literal["en", "ko"] = "en",
    ) -> dict[str, Any]:
        """GeoPolRisk and EU supply risk of an importer's minerals."""
        return session(lang).risk(
            importer, method=method, year=year, mineral=mineral, profile=profile
        )

    @app.get("/api/agreements")
    def agreements(country: str | None = None, mineral: str | None = None) -> dict[str, Any]:
        """The agreements registry with evidence sentences."""
        from critmin.agreements.registry import list_agreements

        if registry is None or not registry.is_file():
            raise WarehouseMissingError("no agreements registry. Fix: run `critmin ingest`")
        cm = session()
        iso3 = lookup.country(cm.con, country) if country else None
        mid = lookup.mineral(cm.con, mineral) if mineral else None
        with duckdb.connect(str(registry), read_only=True) as reg:
            rows = list_agreements(reg, country=iso3, mineral=mid)
        return {
            "agreements": rows,
            "sources": [{"id": "agreements_registry", "path": str(registry)}],
        }

    @app.get("/api/scenarios/shock")
    def shock(
        exporter: Annotated[list[str], Query(min_length=1, max_length=20)],
        mineral: str,
        cut: Annotated[float, Query(ge=0, le=1)],
        importer: str | None = None,
        year: Year = None,
        stage: str | None = None,
        spare_capacity: Annotated[float, Query(ge=0, le=1)] = 0.1,
    ) -> dict[str, Any]:
        """Exporters cut a mineral's exports: losses, refill and shortfall per importer."""
        cm = session()
        res = scenarios.shock(
            cm.con,
            [lookup.country(cm.con, e) for e in exporter],
            year=year or scenarios.latest_trade_year(cm.con),
            cut=cut,
            mineral_id=lookup.mineral(cm.con, mineral),
            stage=stage,
            importers=[lookup.country(cm.con, importer)] if importer else None,
            spare_capacity=spare_capacity,
        )
        return {**asdict(res), "sources": cm.sources(["geopolrisk_py/baci.db"])}

    @app.get("/api/scenarios/partnership")
    def partnership(
        importer: str,
        partner: str,
        mineral: str,
        tonnes: Annotated[float, Query(ge=0, le=1e9)],
        year: Year = None,
        stage: str = "ore_concentrate",
    ) -> dict[str, Any]:
        """A partner supplies more: shares, import HHI, GeoPolRisk and EU SR before/after."""
        cm = session()
        imp, par = lookup.country(cm.con, importer), lookup.country(cm.con, partner)
        codes = {c: lookup.baci_codes(cm.con, c) for c in (imp, par)}
        res = scenarios.partnership(
            cm.con,
            imp,
            par,
            lookup.mineral(cm.con, mineral),
            tonnes=tonnes,
            year=year or scenarios.latest_trade_year(cm.con),
            stage=stage,
            codes=codes,
        )
        return {
            **asdict(res),
            "sources": cm.sources(
                [
                    "geopolrisk_py/baci.db",
                    "geopolrisk_py/wgi.db",
                    "eu_crm/global_supply_shares_t.csv",
                    "wgi/wgi_1996_2023.csv",
                ]
            ),
        }

    @app.get("/api/scenarios/montecarlo")
    def montecarlo(
        importer: str,
        mineral: str | None = None,
        n: Annotated[int, Query(ge=1)] = 10_000,
        seed: int | None = None,
        year: Year = None,
        correlation: Annotated[float, Query(ge=0, lt=1)] = 0.0,
    ) -> dict[str, Any]:
        """Monte-Carlo supply-at-risk of an importer."""
        if n > MAX_SCENARIOS:
            raise RequestTooLargeError(
                f"n = {n} exceeds the server's limit of "
                f"{MAX_SCENARIOS:,} scenarios. Fix: use the CLI "
                f"`critmin scenario montecarlo` for larger runs"
            )
        cm = session()
        res = scenarios.montecarlo(
            cm.con,
            lookup.country(cm.con, importer),
            year=year or scenarios.latest_trade_year(cm.con),
            n=n,
            random_state=seed,
            mineral_id=lookup.mineral(cm.con, mineral) if mineral else None,
            correlation=correlation,
        )
        return {
            **asdict(res),
            "sources": cm.sources(["geopolrisk_py/baci.db", "wgi/wgi_1996_2023.csv"]),
        }

    views.register(app, session, registry)
    dashboard.register(app, session)
    return app


def _error(request: Request, status: int, kind: str, message: str) -> Response:
    """The error envelope; for a dashboard page, the page shell showing that envelope."""
    if request.url.path.startswith(("/api/", "/static/")):
        return _envelope(status, kind, message)
    lang = request.query_params.get("lang", "en")
    body = dashboard.shell(
        "error",
        lang=lang,
        path=request.url.path,
        twin="",
        params={"error": {"status": status, "type": kind, "message": message}},
    )
    return HTMLResponse(body, status_code=status)
