"""Load tests of the JSON API on loopback.

1. Issue #6 target: p99 < 200 ms with zero errors under 50 concurrent clients for 30 s against
   the exposure endpoint, on 2 cores (identical requests: the cache answers).
2. Issue #15 target: 50 clients × 60 s of *cache-busting* requests — every request a new
   parameter combination (exposure of one of four importers with a random governance threshold
   and year, Monte-Carlo with a random n and seed), so the server computes and caches each
   — with 0 errors and the server's RSS growing by less than 200 MB: the response cache is
   bounded in bytes, not in entries.

The server runs as ``critmin serve`` in its own process on 127.0.0.1 only; the clients are
asyncio tasks in this process. Every loop is bounded in time and stops by itself.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

URL = "/api/exposure/KOR?mineral=lithium&year=2022"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _busting(rng: random.Random) -> str:
    """A request no earlier one had (the cache misses)."""
    if rng.random() < 0.75:
        importer = rng.choice(["KOR", "JPN", "DEU", "USA"])
        return (
            f"/api/exposure/{importer}?year={rng.randint(2018, 2022)}"
            f"&governance_threshold={rng.uniform(-2.5, 2.5):.6f}"
        )
    return (
        f"/api/scenarios/montecarlo?importer=KOR&year=2022&n={rng.randint(100, 2_000)}"
        f"&seed={rng.randint(0, 2**31)}"
    )


async def _client(
    base: str,
    until: float,
    lat: list[float],
    errors: list[int],
    rng: random.Random | None = None,
    timeout: float = 10.0,
) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=timeout) as c:
        while time.perf_counter() < until:
            t0 = time.perf_counter()
            try:
                r = await c.get(URL if rng is None else _busting(rng))
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok = False
            lat.append(time.perf_counter() - t0)
            if not ok:
                errors.append(1)


async def _load(
    base: str, clients: int, seconds: float, busting: bool = False
) -> tuple[list[float], int]:
    lat: list[float] = []
    errors: list[int] = []
    until = time.perf_counter() + seconds
    await asyncio.gather(
        *(
            _client(
                base,
                until,
                lat,
                errors,
                random.Random(i) if busting else None,
                timeout=60.0 if busting else 10.0,
            )
            for i in range(clients)
        )
    )
    return lat, len(errors)


def _rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident set size of a process, in MB (Linux /proc)."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return (
        int(fields["VmRSS"].split()[0]) / 1024,
        int(fields["VmHWM"].split()[0]) / 1024,
    )


def run(
    db: Path, clients: int = 50, seconds: float = 30.0, busting_seconds: float = 60.0
) -> list[str]:
    """Start the server, load it, stop it; return report lines."""
    port = _free_port()
    exe = Path(sys.executable).with_name("critmin")
    env = {**os.environ, "CRITMIN_DB": str(db)}
    server = subprocess.Popen(
        [str(exe), "-q", "serve", "--port", str(port)], env=env, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        cold = []
        for year in range(2015, 2025):  # distinct requests: every one computed (cache miss)
            t0 = time.perf_counter()
            httpx.get(base + URL.replace("2022", str(year)), timeout=30)
            cold.append(time.perf_counter() - t0)
        lat, errors = asyncio.run(_load(base, clients, seconds))
        rss0, _ = _rss_mb(server.pid)
        t0 = time.perf_counter()
        blat, berrors = asyncio.run(_load(base, clients, busting_seconds, busting=True))
        bwall = time.perf_counter() - t0
        rss1, peak = _rss_mb(server.pid)
        cache = httpx.get(base + "/api/health", timeout=30).json()["cache"]
    finally:
        server.terminate()
        server.wait(timeout=10)
    lat.sort()
    p50 = lat[len(lat) // 2] * 1000
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
    return [
        f"API load test ({clients} clients × {seconds:.0f} s on loopback, GET {URL})",
        f"  requests {len(lat):,} ({len(lat) / seconds:,.0f}/s), errors {errors}",
        f"  latency p50 {p50:7.1f} ms, p99 {p99:7.1f} ms   (target p99 < 200 ms, 0 errors)",
        f"  uncached single request (10 distinct years): median "
        f"{sorted(cold)[len(cold) // 2] * 1000:.1f} ms, max {max(cold) * 1000:.1f} ms",
        f"API cache-busting load ({clients} clients × {busting_seconds:.0f} s, every request new:"
        " exposure/montecarlo with random parameters)",
        f"  requests {len(blat):,} ({len(blat) / bwall:,.1f}/s), errors {berrors}   (target 0)",
        f"  server RSS {rss0:.0f} → {rss1:.0f} MB, growth {rss1 - rss0:+.0f} MB, peak {peak:.0f} MB"
        "   (target growth < 200 MB)",
        f"  response cache at the end: {cache['entries']:,} entries, "
        f"{cache['bytes'] / 1e6:.1f} of {cache['max_bytes'] / 1e6:.0f} MB",
    ]
