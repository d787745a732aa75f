"""The server's outer layer: request ids, security headers, strict parameters, a bounded cache.

One HTTP middleware (:func:`install`) wraps every request:

- gives it a request id (``x-request-id`` on the response, ``request_id`` in an error
  envelope); every 500 is logged with that id and the traceback, on the ``critmin.web`` logger;
- rejects query parameters a JSON endpoint does not declare (422, in the error envelope, naming
  the parameter and the accepted ones) — so a typo is an error, not a silently ignored filter,
  and the cache cannot be filled with keys that differ by junk parameters;
- answers identical ``GET /api/...`` requests from a cache bounded in *bytes*
  (``cachetools.LRUCache`` sized by body length), keyed on the path, the declared parameters and
  the agreements store's :func:`~critmin.web.store.registry_stamp` — an ingest invalidates it;
  while the store is locked by an ingest, the last response computed for the same request is
  served (``x-critmin-cache: stale``) instead of a 503;
- adds the security headers (:data:`SECURITY_HEADERS`, and a Content-Security-Policy fitting
  the kind of response) to every response, errors and static files included.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from cachetools import LRUCache
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.routing import Match

from critmin.web.store import Stamp, registry_stamp

log = logging.getLogger("critmin.web")

CACHE_BYTES = 32 * 1024 * 1024
ENTRY_BYTES = 8 * 1024 * 1024  # larger bodies are served but never cached
ENTRY_OVERHEAD = 256  # key, tuple and bookkeeping per entry, roughly
SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-resource-policy": "same-origin",
}
CSP_JSON = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
CSP_PAGE = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# FastAPI's /docs and /redoc pages load their viewer and run an inline script of their own
# (no data of ours is rendered there).
CSP_DOCS = (
    "default-src 'none'; script-src 'unsafe-inline' https:; style-src 'unsafe-inline' https:; "
    "img-src data: https:; connect-src 'self'; worker-src blob:; base-uri 'none'; "
    "frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc", "/docs/oauth2-redirect")
Handler = Callable[[Request], Awaitable[Response]]
OnError = Callable[[Request, int, str, str], Response]


class ErrorBody(BaseModel):
    """What went wrong: the HTTP status, the error's type, a message with the fix."""

    status: int
    type: str
    message: str
    request_id: str | None = None


class ErrorEnvelope(BaseModel):
    """Every error response of the API."""

    error: ErrorBody


DESCRIPTIONS = {
    400: "Bad request (e.g. a partner equal to the importer)",
    404: "Unknown country, mineral, agreement or route, or no data for the request",
    422: "Invalid or unknown query parameter",
    500: "Internal error, logged with the request id the envelope returns",
    503: "The agreements registry is locked by an ingest; retry after Retry-After seconds",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error statuses, each with the error envelope model."""
    return {c: {"model": ErrorEnvelope, "description": DESCRIPTIONS[c]} for c in codes}


def envelope(status: int, kind: str, message: str, request_id: str | None) -> JSONResponse:
    """The error envelope as a JSON response."""
    body = ErrorBody(status=status, type=kind, message=message, request_id=request_id)
    return JSONResponse({"error": body.model_dump()}, status_code=status)


def request_id(request: Request) -> str | None:
    """The id the middleware gave this request."""
    return getattr(request.state, "request_id", None)


def _csp(path: str, media: str) -> str:
    if path in DOCS_PATHS:
        return CSP_DOCS
    if media.startswith("text/html"):
        return CSP_PAGE
    return CSP_JSON


def _secure(response: Response, path: str, rid: str) -> Response:
    h = response.headers
    for k, v in SECURITY_HEADERS.items():
        h[k] = v
    h["content-security-policy"] = _csp(path, h.get("content-type", ""))
    h["x-request-id"] = rid
    return response


class Guard:
    """The middleware's state: declared parameters per route and the response cache."""

    def __init__(self, app: FastAPI, registry: Path | None, cache_bytes: int) -> None:
        self.app, self.registry = app, registry
        self.cache: LRUCache[str, tuple[Stamp, bytes]] = LRUCache(
            maxsize=cache_bytes, getsizeof=lambda v: len(v[1]) + ENTRY_OVERHEAD
        )
        self._routes: list[tuple[APIRoute, frozenset[str]]] | None = None

    def declared(self, request: Request) -> tuple[str, frozenset[str]] | None:
        """The matching JSON route's path template and its declared query parameters."""
        if self._routes is None:
            self._routes = [
                (r, frozenset(p.alias for p in r.dependant.query_params))
                for r in self.app.routes
                if isinstance(r, APIRoute) and r.path.startswith("/api/")
            ]
        for route, names in self._routes:
            match, _ = route.matches(request.scope)
            if match is Match.FULL:
                return route.path, names
        return None

    def unknown(self, request: Request) -> Response | None:
        """A 422 envelope if the request has query parameters its route does not declare."""
        found = self.declared(request)
        if found is None:
            return None
        template, names = found
        extra = sorted(set(request.query_params) - names)
        if not extra:
            return None
        accepted = ", ".join(sorted(names)) or "none"
        return envelope(
            422,
            "UnknownParameterError",
            f"unknown query parameter{'s' if len(extra) > 1 else ''} "
            f"{', '.join(repr(x) for x in extra)} for {template}. Fix: use only the "
            f"declared ones ({accepted}); see /openapi.json",
            request_id(request),
        )

    def store(self, key: str, stamp: Stamp, body: bytes) -> None:
        if len(body) + ENTRY_OVERHEAD <= min(ENTRY_BYTES, self.cache.maxsize):
            self.cache[key] = (stamp, body)

    async def handle(self, request: Request, call_next: Handler) -> Response:
        path = request.url.path
        if request.method != "GET" or not path.startswith("/api/"):
            return await call_next(request)
        bad = self.unknown(request)
        if bad is not None:
            return bad
        if path == "/api/health":  # liveness: always computed
            return await call_next(request)
        # by name, keeping the order of a repeated one (``exporter=A&exporter=B``)
        items = sorted(request.query_params.multi_items(), key=lambda kv: kv[0])
        key = path + "?" + urlencode(items)
        stamp = registry_stamp(self.registry)
        hit = self.cache.get(key)
        if hit is not None and hit[0] == stamp:
            return _json(hit[1], "hit")
        response = await call_next(request)
        if response.status_code == 503 and hit is not None:
            return _json(hit[1], "stale")
        if response.status_code != 200:
            return response
        body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        self.store(key, stamp, body)
        return _json(body, "miss")


def _json(body: bytes, state: str) -> Response:
    return Response(body, media_type="application/json", headers={"x-critmin-cache": state})


def install(
    app: FastAPI, registry: Path | None, on_error: OnError, *, cache_bytes: int = CACHE_BYTES
) -> Guard:
    """Add the middleware to ``app``; ``on_error(request, status, type, message)`` renders an
    error (envelope or page). Returns the middleware's state (tests read ``guard.cache``)."""
    guard = Guard(app, registry, cache_bytes)

    @app.middleware("http")
    async def _guard(request: Request, call_next: Handler) -> Response:
        rid = uuid.uuid4().hex[:16]
        request.state.request_id = rid
        t0 = time.perf_counter()
        try:
            response = await guard.handle(request, call_next)
        except Exception as exc:  # anything no handler turned into a response
            log.error(
                "500 %s %s request_id=%s (%.0f ms): %s: %s",
                request.method,
                request.url.path,
                rid,
                (time.perf_counter() - t0) * 1000,
                type(exc).__name__,
                exc,
                exc_info=exc,
            )
            message = f"internal error; see the server log (request id {rid})"
            response = on_error(request, 500, type(exc).__name__, message)
        return _secure(response, request.url.path, rid)

    return guard
