"""Load test of the JSON API on loopback (issue #6 target: p99 < 200 ms with zero errors under
50 concurrent clients for 30 s against the exposure endpoint, on 2 cores).

The server runs as ``critmin serve`` in its own process on 127.0.0.1; the clients are asyncio
tasks in this process. The loop is bounded in time and stops by itself.
"""

from __future__ import annotations

import asyncio
import os
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


async def _client(base: str, until: float, lat: list[float], errors: list[int]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=10.0) as c:
        while time.perf_counter() < until:
            t0 = time.perf_counter()
            try:
                r = await c.get(URL)
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok = False
            lat.append(time.perf_counter() - t0)
            if not ok:
                errors.append(1)


async def _load(base: str, clients: int, seconds: float) -> tuple[list[float], int]:
    lat: list[float] = []
    errors: list[int] = []
    until = time.perf_counter() + seconds
    await asyncio.gather(*(_client(base, until, lat, errors) for _ in range(clients)))
    return lat, len(errors)


def run(db: Path, clients: int = 50, seconds: float = 30.0) -> list[str]:
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
    ]
