"""GeoPolRisk over the full grid the peer supports: critmin vs geopolrisk-py 2.0.1.

Grid: every country in the peer's Country_ISO table × every material of its HS Code Map ×
every production year (2018–2024): 238 × 53 × 7 = 88,298 cells. Both sides get the machine's
two cores (DuckDB's threads; the peer runner's ``--workers 2``). Times are wall-clock for the
whole job as a user runs it: critmin from opening the warehouse, the peer from start-up
(loading its databases and ``mapped_baci``) to the last cell. Results must be identical: every
value the peer computes is compared at a relative 1e-6; every cell it cannot compute must have
a non-ok status in critmin's ``geopolrisk-py`` profile.

``CRITMIN_BENCH_PEER_JSON=path`` reuses a previous peer output (its own recorded timing is then
reported, flagged as not from this run).
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import duckdb

from critmin.analytics.geopolrisk import geopolrisk_grid

REPO = Path(__file__).resolve().parents[1]
TARGET = 100.0


def _grid(db: Path) -> tuple[dict[str, list[int]], list[int]]:
    with duckdb.connect(str(db), read_only=True) as con:
        countries = {
            str(n): [int(c)]
            for c, n in con.execute(
                "SELECT iso_numeric, country FROM staging.wmd_country_iso"
            ).fetchall()
        }
        years = [
            int(y)
            for (y,) in con.execute(
                "SELECT DISTINCT year FROM staging.wmd_production ORDER BY 1"
            ).fetchall()
        ]
    return countries, years


def _critmin(db: Path, importers: dict[str, list[int]], years: list[int]) -> tuple[float, list]:
    t0 = time.perf_counter()
    with duckdb.connect(str(db), read_only=True) as con:
        cells = geopolrisk_grid(con, importers, years=years, profile="geopolrisk-py")
    return time.perf_counter() - t0, cells


def _peer(years: list[int]) -> tuple[float, dict, bool]:
    reuse = os.environ.get("CRITMIN_BENCH_PEER_JSON")
    if reuse:
        data = json.loads(Path(reuse).read_text())
        return data["seconds_setup"] + data["seconds_cells"], data, False
    py = (
        subprocess.run(
            ["bash", str(REPO / "scripts" / "peer_venv.sh")],
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "peer.json"
        t0 = time.perf_counter()
        subprocess.run(
            [
                py,
                str(REPO / "tests" / "peer" / "run_peer.py"),
                "--countries",
                "all",
                "--materials",
                "all",
                "--years",
                f"{years[0]}-{years[-1]}",
                "--out",
                str(out),
                "--workers",
                "2",
            ],
            check=True,
        )
        seconds = time.perf_counter() - t0
        return seconds, json.loads(out.read_text()), True


def run(db: Path) -> list[str]:
    """Run the comparison; return report lines."""
    importers, years = _grid(db)
    critmin_runs = [_critmin(db, importers, years) for _ in range(3)]
    t_critmin = statistics.median(t for t, _ in critmin_runs)
    ours = {(c.importer, c.material, c.year): c for c in critmin_runs[0][1]}
    t_peer, peer, fresh = _peer(years)
    compared = mismatched = peer_failed = 0
    for p in peer["cells"]:
        c = ours.get((p["country"], p["material"], p["year"]))
        if c is None:
            mismatched += 1
            continue
        if not p["ok"]:
            peer_failed += 1
            mismatched += c.status == "ok"
            continue
        compared += 1
        for f in ("score", "hhi", "import_risk", "cf", "price"):
            got = getattr(c, f)
            if got is None or not math.isclose(got, p[f], rel_tol=1e-6, abs_tol=1e-12):
                mismatched += 1
                break
    ratio = t_peer / t_critmin
    note = "" if fresh else "  (peer time from CRITMIN_BENCH_PEER_JSON, not this run)"
    return [
        f"GeoPolRisk full grid ({len(peer['cells']):,} cells: {len(importers)} countries × "
        f"materials × {len(years)} years)",
        f"  critmin (median of 3, 2 threads)  {t_critmin:10.2f} s",
        f"  geopolrisk-py 2.0.1 (2 workers)   {t_peer:10.2f} s{note}",
        f"  speed-up peer / critmin           {ratio:10.0f} x   (target ≥ {TARGET:.0f} x)",
        f"  identical results: {compared:,} cells compared at rel 1e-6, {mismatched} "
        f"mismatches; {peer_failed} cells the peer cannot compute (NaN/error), all flagged",
    ]
