"""critmin benchmarks (``make bench``).

Warehouse build (issue #2): the target is a full build from real data within 3 minutes on
2 cores. Reported: median wall time of forced rebuilds in fresh processes, their peak memory,
tidy rows built per second, and the ratio of the 180 s budget to the measured time (higher is
better). Read-only queries are timed too, as the analytics layer will lean on them.
Fault trials (issue #15): ``kill_build.py`` kills forced rebuilds of a copy of the warehouse at
random points and reports trials, failures and data lost. The API load tests (``api_bench.py``)
include 50 clients × 60 s of cache-busting requests with the server's RSS growth.
No assertions: numbers are printed for the record, never used as a timed unit test.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
BUDGET_S = 180.0
RUNS = int(os.environ.get("CRITMIN_BENCH_RUNS", "3"))


def _critmin(*args: str) -> float:
    exe = Path(sys.executable).with_name("critmin")
    t0 = time.perf_counter()
    subprocess.run([str(exe), "-q", *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    db = Path(os.environ.get("CRITMIN_DB", REPO / ".critmin" / "critmin.duckdb"))
    times = [_critmin("build", "--force") for _ in range(RUNS)]
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    with duckdb.connect(str(db), read_only=True) as con:
        tidy_rows = sum(
            int(con.execute(f"SELECT count(*) FROM tidy.{t}").fetchone()[0])  # type: ignore[index]
            for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema='tidy'"
            ).fetchall()
        )
        q = (
            "SELECT exporter, sum(quantity_t) FROM tidy.trade WHERE importer = 'KOR' "
            "AND year = 2022 GROUP BY 1 ORDER BY 2 DESC"
        )
        con.execute(q).fetchall()
        qt = []
        for _ in range(20):
            t0 = time.perf_counter()
            con.execute(q).fetchall()
            qt.append(time.perf_counter() - t0)
    skip = _critmin("build")
    med = statistics.median(times)
    print("benchmark                       value")
    print(
        f"build --force (median of {RUNS})     {med:8.2f} s   runs: "
        + ", ".join(f"{t:.2f}" for t in times)
    )
    print(f"build budget / measured          {BUDGET_S / med:8.1f} x   (target ≥ 1.0: under 180 s)")
    print(f"peak RSS of a build              {peak_mib:8.0f} MiB")
    print(f"tidy rows per second             {tidy_rows / med:8.0f}     ({tidy_rows:,} rows)")
    print(f"no-op build (inputs unchanged)   {skip:8.2f} s")
    print(f"KOR 2022 import query (median)   {statistics.median(qt) * 1000:8.2f} ms")
    from api_bench import run as run_api

    for line in run_api(db):
        print(line)
    from scenarios_bench import run as run_scenarios

    for line in run_scenarios(db):
        print(line)
    from baci_release_bench import run as run_baci

    for line in run_baci(db):
        print(line)
    from agreements_bench import run as run_agreements

    for line in run_agreements(db):
        print(line)
    from kill_build import run as run_kill_build

    for line in run_kill_build(db):
        print(line)
    from spark_bench import run as run_spark

    for line in run_spark(db):
        print(line)
    if os.environ.get("CRITMIN_BENCH_SKIP_PEER"):
        print("GeoPolRisk vs peer: skipped (CRITMIN_BENCH_SKIP_PEER set)")
        return
    from geopolrisk_bench import run as run_geopolrisk

    for line in run_geopolrisk(db):
        print(line)


if __name__ == "__main__":
    main()
