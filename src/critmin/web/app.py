"""FastAPI application: the JSON API over the warehouse, opened read-only.

Every response carries the ``sources`` its numbers come from (where the call computes
numbers); every error — unknown country or mineral, bad or unknown parameter, missing route,
a registry locked by an ingest, internal failure — uses one envelope::

    {"error": {"status": 404, "type": "UnknownNameError", "message": "unknown country ...",
               "request_id": "3f2a..."}}

The server never writes: the warehouse and the agreements registry are opened with DuckDB's
``read_only=True`` inside its sandbox (:data:`critmin.warehouse.db.SANDBOX`), and each request
works on its own cursor. Request ids, security headers, strict parameters and the bounded
response cache are in :mod:`critmin.web.guard`; registry reads in :mod:`critmin.web.store`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

import duckdb
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from critmin import __version__, scenarios
from critmin.analytics.concentration import NoDataError
from critmin.errors import CritminError, NotFoundError, WarehouseMissingError
from critmin.service.session import Critmin
from critmin.warehouse import lookup
from critmin.warehouse.db import open_read_only
from critmin.web import dashboard, guard, views
from critmin.web.guard import errors
from critmin.web.store import RegistryBusyError, read_store

MAX_SCENARIOS = 200_000
# Requests computed at once (anyio's thread pool; 40 by default). On a small machine more
# parallel DuckDB queries add memory, not throughput; the rest wait their turn.
WORKER_THREADS = 8
log = logging.getLogger("critmin.web")

Year = Annotated[int | None, Query(ge=1900, le=2100, description="Year (default: latest)")]
Lang = Literal["en", "ko"]
BASE = errors(422, 500)  # any endpoint: an unknown parameter, an internal error
NAMED = errors(400, 404, 422, 500)  # endpoints that look up countries, minerals or data
STORE = errors(400, 404, 422, 500, 503)  # endpoints that read the agreements registry


def _status(exc: Exception) -> int:
    if isinstance(
        exc, lookup.UnknownNameError | NoDataError | WarehouseMissingError | NotFoundError
    ):
        return 404
    if isinstance(exc, RegistryBusyError):
        return 503
    if isinstance(exc, CritminError | ValueError):
        return 400
    return 500


def create_app(  # noqa: C901 (the routes are small closures over the connection)
    db: Path, registry: Path | None = None, *, cache_bytes: int = guard.CACHE_BYTES
) -> FastAPI:
    """The app over the warehouse ``db`` (and the agreements ``registry`` if it exists);
    ``cache_bytes`` bounds the response cache."""
    if not db.is_file():
        raise WarehouseMissingError(f"no warehouse at {db}. Fix: run `critmin build`")
    con = open_read_only(db)
    names = {lang: lookup.Names(con, lang) for lang in lookup.LANGS}

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        yield

    app = FastAPI(
        title="critmin",
        version=__version__,
        description="Critical-minerals supply-chain data, cited and offline.",
        lifespan=lifespan,
    )

    def session(lang: str = "en") -> Critmin:
        return Critmin.on(con.cursor(), names[lang if lang in names else "en"])

    async def _known(request: Request, exc: Exception) -> Response:
        status = _status(exc)
        if status == 500:
            rid = guard.request_id(request)
            log.error(
                "500 %s %s request_id=%s: %s: %s",
                request.method,
                request.url.path,
                rid,
                type(exc).__name__,
                exc,
                exc_info=exc,
            )
            message = f"internal error; see the server log (request id {rid})"
        else:
            message = str(exc)
        response = _error(request, status, type(exc).__name__, message)
        if isinstance(exc, RegistryBusyError):
            response.headers["retry-after"] = str(exc.retry_after)
        return response

    for kind in (CritminError, ValueError, duckdb.Error):
        app.add_exception_handler(kind, _known)
    app.state.con = con
    app.state.guard = guard.install(app, registry, _error, cache_bytes=cache_bytes)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        parts = [f"{'.'.join(str(x) for x in e['loc'][1:])}: {e['msg']}" for e in exc.errors()]
        return _error(request, 422, "RequestValidationError", "; ".join(parts))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        response = _error(request, exc.status_code, "HTTPException", str(exc.detail))
        for k, v in (exc.headers or {}).items():  # e.g. a 405's Allow
            response.headers[k] = v
        if exc.status_code == 405 and "allow" not in response.headers:
            response.headers["allow"] = "GET, HEAD"  # /static says 405 without Allow
        return response

    @app.get("/api/health", responses=BASE)
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
            "cache": {
                "entries": len(app.state.guard.cache),
                "bytes": int(app.state.guard.cache.currsize),
                "max_bytes": int(app.state.guard.cache.maxsize),
            },
        }

    @app.get("/api/sources", responses=BASE)
    def sources() -> dict[str, Any]:
        """Every source with its licence, attribution and snapshot hashes."""
        cur = con.cursor()
        ids = [r[0] for r in cur.execute("SELECT snapshot_id FROM meta.snapshots").fetchall()]
        return {"sources": session().sources(ids)}

    @app.get("/api/profile/{mineral}", responses=NAMED)
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

    @app.get("/api/exposure/{importer}", responses=NAMED)
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

    @app.get("/api/risk/{importer}", responses=NAMED)
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

    @app.get("/api/agreements", responses=STORE)
    def agreements(
        country: str | None = None, mineral: str | None = None, lang: Lang = "en"
    ) -> dict[str, Any]:
        """The agreements registry with evidence sentences (``lang`` is accepted for the
        dashboard's sake: rows carry codes, not names)."""
        from critmin.agreements.store import list_agreements

        cm = session(lang)
        iso3 = lookup.country(cm.con, country) if country else None
        mid = lookup.mineral(cm.con, mineral) if mineral else None
        rows = read_store(registry, lambda reg: list_agreements(reg, country=iso3, mineral=mid))
        return {
            "agreements": rows,
            "sources": [{"id": "agreements_registry", "path": str(registry)}],
        }

    @app.get("/api/scenarios/shock", responses=NAMED)
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

    @app.get("/api/scenarios/partnership", responses=NAMED)
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

    @app.get("/api/scenarios/montecarlo", responses=NAMED)
    def montecarlo(
        importer: str,
        mineral: str | None = None,
        n: Annotated[
            int, Query(ge=1, le=MAX_SCENARIOS, description="Scenarios (CLI for more)")
        ] = 10_000,
        seed: int | None = None,
        year: Year = None,
        correlation: Annotated[float, Query(ge=0, lt=1)] = 0.0,
    ) -> dict[str, Any]:
        """Monte-Carlo supply-at-risk of an importer (the CLI `critmin scenario montecarlo`
        runs more than the server's limit)."""
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
    rid = guard.request_id(request)
    if request.url.path.startswith(("/api/", "/static/", "/openapi", "/docs", "/redoc")):
        return guard.envelope(status, kind, message, rid)
    lang = request.query_params.get("lang", "en")
    body = dashboard.shell(
        "error",
        lang=lang,
        path=request.url.path,
        twin="",
        params={"error": {"status": status, "type": kind, "message": message, "request_id": rid}},
    )
    return HTMLResponse(body, status_code=status)
