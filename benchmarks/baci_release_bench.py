"""BACI full-release loader throughput (issue #12 target: a release-layout file of ≥ 50 M rows
on 2 cores with peak memory < 2 GiB), against a chunked pandas reader on the same run.

At bench time (never in tests) a temporary folder in CEPII's layout is generated with DuckDB:
``BACI_HS17_Y2022_V202601.csv`` (``t,i,j,k,v,q``; numeric country codes, ``k`` written as an
integer so codes below 100000 lose their leading zero, ``q`` right-aligned ``NA`` on 1 row in
20, about 1 row in 25 under a product-map code) plus the country and product code files.
Both readers keep the product map's HS17 codes and write parquet:

- critmin: :func:`critmin.sources.releases.convert` (DuckDB ``read_csv`` → ``COPY … TO parquet``,
  memory limit 1 GB, 2 threads);
- baseline: ``pandas.read_csv(chunksize=2_000_000)`` with fixed dtypes, filtering each chunk,
  concatenating the kept rows and writing them with ``DataFrame.to_parquet``.

Each runs in its own process; reported: wall time, rows read per second, peak RSS of that
process (``ru_maxrss``), and the ratio critmin ÷ pandas of rows per second. Rows:
``CRITMIN_BENCH_BACI_ROWS`` (default 50,000,000). No assertions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROWS = int(os.environ.get("CRITMIN_BENCH_BACI_ROWS", "50000000"))

# peak resident memory of this process: VmHWM (reset by exec, unlike ru_maxrss, which a child
# inherits from the process that forked it)
_HWM = """
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

_CRITMIN = (
    _HWM
    + """
import json, sys, time
from pathlib import Path
from critmin.sources.releases import convert, product_codes
d = Path(sys.argv[1]); out = Path(sys.argv[2]); out.mkdir()
t0 = time.perf_counter()
kept, years = convert([d / "BACI_HS17_Y2022_V202601.csv"], d / "country_codes_V202601.csv",
                      out, product_codes("HS17"))
print(json.dumps({"s": time.perf_counter() - t0, "kept": kept, "rss_mib": hwm()}))
"""
)

_PANDAS = (
    _HWM
    + """
import json, sys, time
from pathlib import Path
import pandas as pd
from critmin.sources.releases import product_codes
d = Path(sys.argv[1]); out = Path(sys.argv[2]); out.mkdir()
keep = {int(c) for c in product_codes("HS17")}
t0 = time.perf_counter()
parts = []
for chunk in pd.read_csv(d / "BACI_HS17_Y2022_V202601.csv", chunksize=2_000_000,
                         dtype={"t": "int32", "i": "int32", "j": "int32", "k": "int64",
                                "v": "float64", "q": "string"}):
    c = chunk[chunk["k"].isin(keep)].copy()
    c["k"] = c["k"].astype(str).str.zfill(6)
    c["q"] = pd.to_numeric(c["q"].str.strip().replace("NA", None), errors="raise")
    parts.append(c)
df = pd.concat(parts, ignore_index=True)
df.to_parquet(out / "trade.parquet", index=False)
print(json.dumps({"s": time.perf_counter() - t0, "kept": len(df), "rss_mib": hwm()}))
"""
)


def generate(d: Path, rows: int) -> None:
    """Write a release-layout folder with ``rows`` trade rows."""
    from critmin.sources.releases import product_codes

    mapped = [int(c) for c in product_codes("HS17")]
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"CREATE TABLE m AS SELECT unnest({mapped}) AS k, range AS n FROM range(1)")
    con.execute("CREATE TABLE mk AS SELECT k, row_number() OVER (ORDER BY k) - 1 AS n FROM m")
    nm = len(mapped)
    con.execute(f"""
        COPY (SELECT 2022 AS t, 4 + (r * 7919) % 223 * 4 AS i, 8 + (r * 104729) % 211 * 4 AS j,
                     CASE WHEN r % 25 = 0 THEN (SELECT k FROM mk WHERE n = (r // 25) % {nm})
                          ELSE 10110 + (r * 31) % 5200 * 180 END AS k,
                     round(((r * 2654435761) % 1000003) / 7.0, 3) AS v,
                     CASE WHEN r % 20 = 0 THEN lpad('NA', 12, ' ')
                          ELSE CAST(round(((r * 40503) % 100003) / 3.0, 3) AS VARCHAR) END AS q
                FROM range({rows}) t(r))
          TO '{d / "BACI_HS17_Y2022_V202601.csv"}' (HEADER, DELIMITER ',', QUOTE '')""")
    (d / "country_codes_V202601.csv").write_text(
        "country_code,country_name,country_iso2,country_iso3\n"
        + "".join(f"{c},Country {c},X{c % 26},C{c:02d}\n" for c in range(4, 1000, 4)),
        encoding="utf-8",
    )
    (d / "product_codes_HS17_V202601.csv").write_text("code,description\n", encoding="utf-8")


_GENERATE = """
import sys
from pathlib import Path
from baci_release_bench import generate
generate(Path(sys.argv[1]), int(sys.argv[2]))
"""


def _run(script: str, d: Path, out: Path) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", script, str(d), str(out)], check=True, capture_output=True, text=True
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run(db: Path | None = None) -> list[str]:
    """Generate the file, load it with critmin and with pandas; return report lines."""
    with tempfile.TemporaryDirectory(prefix="critmin-baci-bench-") as tmp:
        d = Path(tmp) / "BACI_HS17_V202601"
        d.mkdir()
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", _GENERATE, str(d), str(ROWS)],
            check=True,
            cwd=Path(__file__).parent,
        )
        gen = time.perf_counter() - t0
        size = (d / "BACI_HS17_Y2022_V202601.csv").stat().st_size
        cm = _run(_CRITMIN, d, Path(tmp) / "critmin")
        pdr = _run(_PANDAS, d, Path(tmp) / "pandas")
    r_cm, r_pd = ROWS / cm["s"], ROWS / pdr["s"]
    same = "same rows kept" if cm["kept"] == pdr["kept"] else "ROW COUNTS DIFFER"
    return [
        f"BACI release loader ({ROWS:,} rows, {size / 2**30:.2f} GiB CSV generated in "
        f"{gen:.0f} s; {int(cm['kept']):,} product-map rows kept, {same})",
        f"  critmin (DuckDB streaming)     {cm['s']:8.1f} s  {r_cm:12,.0f} rows/s  "
        f"peak RSS {cm['rss_mib']:6.0f} MiB (target < 2048)",
        f"  pandas read_csv(chunksize=2M)  {pdr['s']:8.1f} s  {r_pd:12,.0f} rows/s  "
        f"peak RSS {pdr['rss_mib']:6.0f} MiB",
        f"  critmin ÷ pandas rows/s        {r_cm / r_pd:8.2f} x",
    ]


if __name__ == "__main__":
    for line in run():
        print(line)
