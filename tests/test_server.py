"""A bounded, honest server (issue 15): security headers on every response, 405 with Allow,
unknown parameters refused, a cache bounded in bytes and invalidated by an ingest, registry
reads that wait out an ingest's lock instead of failing, 500s logged with the request id the
envelope returns, and an OpenAPI schema listing every error status and limit."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from conftest import REPO, Tiny, error_message
from critmin.cli import cli
from critmin.web.app import MAX_SCENARIOS, create_app
from critmin.web.guard import SECURITY_HEADERS


def _secure(r: Any) -> None:
    for k, v in SECURITY_HEADERS.items():
        assert r.headers[k] == v, (r.url, k)
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp, csp
    assert len(r.headers["x-request-id"]) == 16


def test_every_kind_of_response_carries_the_security_headers(api_client: TestClient) -> None:
    for url, status in (
        ("/api/health", 200),
        ("/api/exposure/KOR?year=2022", 200),
        ("/api/exposure/Atlantis", 404),
        ("/api/risk/KOR?year=1700", 422),
        ("/api/nope", 404),
        ("/mineral/chromium", 200),
        ("/mineral/unobtainium", 404),
        ("/static/critmin.css", 200),
        ("/static/nope.js", 404),
    ):
        r = api_client.get(url)
        assert r.status_code == status, (url, r.text)
        _secure(r)
    page = api_client.get("/agreements").headers["content-security-policy"]
    assert "script-src 'self'" in page and "default-src 'none'" in page


def test_405_says_which_methods_are_allowed(api_client: TestClient) -> None:
    for url in ("/api/health", "/api/exposure/KOR", "/agreements"):
        r = api_client.post(url)
        assert r.status_code == 405 and r.headers["allow"] == "GET", (url, r.headers)
        _secure(r)
    assert error_message(api_client.delete("/api/agreements"), 405)
    static = api_client.post("/static/critmin.css")
    assert static.status_code == 405 and static.headers["allow"] == "GET, HEAD"


def test_unknown_parameters_are_refused(api_client: TestClient) -> None:
    cache = api_client.app.state.guard.cache  # type: ignore[attr-defined]
    before = len(cache)
    msg = error_message(api_client.get("/api/exposure/KOR?mineral=chromium&yaer=2022"), 422)
    assert "unknown query parameter 'yaer' for /api/exposure/{importer}" in msg
    assert "governance_threshold, lang, mineral, stage, year" in msg
    msg = error_message(api_client.get("/api/health?x=1&y=2"), 422)
    assert "'x', 'y'" in msg and "(none)" in msg
    assert len(cache) == before
    assert api_client.get("/api/exposure/KOR?mineral=chromium&year=2022").status_code == 200


def test_the_cache_is_bounded_in_bytes(tiny_built: Tiny) -> None:
    limit = 400_000
    client = TestClient(create_app(tiny_built.db, cache_bytes=limit))
    cache = client.app.state.guard.cache  # type: ignore[attr-defined]
    sizes = []
    for i in range(40):  # cache-busting: every threshold is a new key
        r = client.get(f"/api/exposure/KOR?year=2022&governance_threshold={i / 20 - 1}")
        assert r.status_code == 200 and r.headers["x-critmin-cache"] == "miss"
        sizes.append(len(r.content))
    assert sum(sizes) > 2 * limit  # more was computed than the cache may hold
    assert 0 < cache.currsize <= limit and len(cache) < 40
    last = client.get("/api/exposure/KOR?year=2022&governance_threshold=0.95")
    assert last.headers["x-critmin-cache"] == "hit"  # recent entries are kept
    first = client.get("/api/exposure/KOR?year=2022&governance_threshold=-1.0")
    assert first.headers["x-critmin-cache"] == "miss"  # the oldest were evicted
    tiny_cache = TestClient(create_app(tiny_built.db, cache_bytes=1_000))
    for _ in range(2):  # a body larger than the whole cache is served, never stored
        r = tiny_cache.get("/api/exposure/KOR?year=2022")
        assert r.status_code == 200 and r.headers["x-critmin-cache"] == "miss"


def _ingest(tiny: Tiny, reg: Path, name: str) -> None:
    article = str(REPO / "eval" / "agreements" / name)
    res = CliRunner().invoke(cli, ["--db", str(tiny.db), "ingest", article, "--registry", str(reg)])
    assert res.exit_code == 0, res.stderr


def test_an_ingest_invalidates_the_cache(tiny_built: Tiny, tmp_path: Path) -> None:
    reg = tmp_path / "reg.duckdb"
    _ingest(tiny_built, reg, "en_02.md")
    client = TestClient(create_app(tiny_built.db, reg))
    first = client.get("/api/agreements")
    assert client.get("/api/agreements").headers["x-critmin-cache"] == "hit"
    _ingest(tiny_built, reg, "en_03.md")
    after = client.get("/api/agreements")
    assert after.headers["x-critmin-cache"] == "miss"
    assert len(after.json()["agreements"]) > len(first.json()["agreements"])


HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE IF NOT EXISTS _writing(x INTEGER); INSERT INTO _writing VALUES (1)")
print("locked", flush=True)
sys.stdin.readline()  # hold the lock until the test says so
con.close()
"""


def test_registry_reads_during_an_ingest_never_fail_with_500(
    tiny_built: Tiny, tmp_path: Path
) -> None:
    reg = tmp_path / "reg.duckdb"
    _ingest(tiny_built, reg, "en_02.md")
    client = TestClient(create_app(tiny_built.db, reg))
    cached = client.get("/api/agreements").json()
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(reg)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "locked"
        t0 = time.monotonic()
        stale = client.get("/api/agreements")  # the last consistent answer, marked stale
        assert stale.status_code == 200 and stale.headers["x-critmin-cache"] == "stale"
        assert stale.json() == cached
        busy = client.get("/api/agreements?country=KAZ")  # never computed: 503, not 500
        msg = error_message(busy, 503)
        assert "being written" in msg and "Fix: retry" in msg
        assert busy.headers["retry-after"] == "5"
        assert error_message(client.get("/api/agreements/1"), 503)
        assert time.monotonic() - t0 < 9  # each waited ~2 s, not forever
    finally:
        assert writer.stdin is not None
        writer.stdin.write("done\n")
        writer.stdin.close()
        writer.wait(20)
    fresh = client.get("/api/agreements?country=KAZ")
    assert fresh.status_code == 200 and fresh.headers["x-critmin-cache"] == "miss"


def test_a_500_is_logged_with_the_request_id_it_returns(
    api_client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import duckdb

    from critmin.web import views

    def boom(con: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(views, "countries", boom)
    for exc in (RuntimeError("disk on fire"), duckdb.IOException("disk on fire")):

        def fail(con: Any, exc: Exception = exc) -> Any:
            raise exc

        monkeypatch.setattr(views, "countries", fail)
        with caplog.at_level(logging.ERROR, logger="critmin.web"):
            r = api_client.get("/api/countries")
        msg = error_message(r, 500)
        rid = r.json()["error"]["request_id"]
        assert rid == r.headers["x-request-id"] and rid in msg
        assert "disk on fire" not in msg  # internals stay in the log
        logged = [x for x in caplog.records if rid in x.getMessage()]
        assert logged and logged[0].exc_info and "disk on fire" in logged[0].getMessage()
        _secure(r)
        caplog.clear()


def test_openapi_lists_every_error_status_and_limit(api_client: TestClient) -> None:
    spec = api_client.get("/openapi.json").json()
    envelope = "#/components/schemas/ErrorEnvelope"
    for path, ops in spec["paths"].items():
        if not path.startswith("/api/"):
            continue
        responses = ops["get"]["responses"]
        need = {"422", "500"}
        if "{" in path or any(
            p["in"] == "query" and p["name"] != "lang" for p in ops["get"].get("parameters", [])
        ):
            need |= {"404"}
        if path.startswith(("/api/agreements", "/api/brief")):
            need |= {"503"}
        assert need <= set(responses), (path, sorted(responses))
        for code in need:
            ref = responses[code]["content"]["application/json"]["schema"]["$ref"]
            assert ref == envelope, (path, code)
    n = next(
        p
        for p in spec["paths"]["/api/scenarios/montecarlo"]["get"]["parameters"]
        if p["name"] == "n"
    )
    assert n["schema"]["maximum"] == MAX_SCENARIOS and n["schema"]["minimum"] == 1
