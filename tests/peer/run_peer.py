"""Compute the peer's GeoPolRisk values (geopolrisk-py 2.0.1) for a grid of cells, as JSON.

Run with the peer's own interpreter, never critmin's (see scripts/peer_venv.sh)::

    .venv-peer/bin/python tests/peer/run_peer.py --countries Japan "Rep. of Korea" \\
        --materials Lithium Cobalt --years 2019-2023 --out peer.json --workers 2

geopolrisk-py is GPL: it is only imported and called here, as a black box; none of its code is
copied.  Its top-level ``gprs_calc`` stops at the first failing cell, so each cell is evaluated
here with the same calls in the same way (``aggregateTrade`` → ``HHI`` per member country →
``GeoPolRisk``) and failures are recorded per cell instead.

Importing ``geopolrisk.assessment`` writes under ``~/Documents/geopolrisk``, so HOME points to a
temporary directory first.  The peer's own chatter (prints, tqdm bars, warnings, log errors) is
discarded; stdout stays empty and stderr carries only this script's progress lines.

Output fields per cell (numbers are the peer's values, converted with ``float()`` only):
  score        GeoPolRisk score = hhi × import_risk
  cf           characterization factor = score × price / 0.409412948 (eq. kg Cu / kg)
  hhi          Herfindahl-Hirschman index of world mine production in the year (0..1)
  import_risk  (Σ qty × partner WGI) / (total_trade + prod_qty), the peer's "WTA"
  price        Σ cif value / Σ qty over the country's imports (0 when no imports)
  numerator    Σ qty × normalized WGI of the partner (unknown WGI → 0.5)
  total_trade  Σ import quantity of the material's HS codes
  prod_qty     the country's own production in the year (0 when not listed)
  ok           true when every step succeeded and no value is NaN
  error        "<ExceptionType>: <message>" of the step that failed, or "nan" when a value is
               NaN (that value is written as null); values of steps finished before a failure
               are kept, later ones are null
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import itertools
import json
import math
import multiprocessing
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

PEER = "geopolrisk-py 2.0.1"
FLOAT_FIELDS = (
    "score",
    "cf",
    "hhi",
    "import_risk",
    "price",
    "numerator",
    "total_trade",
    "prod_qty",
)

Cell = tuple[str, str, int]  # (country name, material Reference ID, year)
Record = dict[str, Any]


@dataclass
class _Peer:
    """The peer's functions and tables, loaded once per process tree."""

    databases: Any
    aggregate_trade: Any
    hhi: Any
    geopolrisk: Any
    cvtcountry: Any
    data: Any  # mapped_baci() result
    iso_by_country: dict[str, int]
    materials: list[str]


_PEER: _Peer | None = None  # set in the parent before worker processes are forked
_PROGRESS: TextIO = sys.stderr


def _log(msg: str) -> None:
    print(f"[peer] {msg}", file=_PROGRESS, flush=True)


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    """Discard everything the peer writes to stdout/stderr and every warning it raises."""
    with (
        open(os.devnull, "w") as sink,
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        yield


def _load_peer() -> tuple[_Peer, float, float]:
    """Import the peer (loads its databases) and build its trade table; returns timings too."""
    t0 = time.perf_counter()
    with _silenced():
        from geopolrisk.assessment import core, utils
        from geopolrisk.assessment.database import databases

        # gprs_calc() calls regions(region_dict) before its loop; with no custom regions this
        # (re)populates one single-country region per Country_ISO name.
        utils.regions({})
        t1 = time.perf_counter()
        data = utils.mapped_baci()
        materials = list(utils.default_rmlist())
    t2 = time.perf_counter()
    table = databases.production["Country_ISO"]
    iso_by_country = {
        str(c): int(i)
        for c, i in zip(table["Country"].tolist(), table["ISO"].tolist(), strict=True)
    }
    peer = _Peer(
        databases=databases,
        aggregate_trade=utils.aggregateTrade,
        hhi=core.HHI,
        geopolrisk=core.GeoPolRisk,
        cvtcountry=utils.cvtcountry,
        data=data,
        iso_by_country=iso_by_country,
        materials=materials,
    )
    return peer, t1 - t0, t2 - t1


def compute_cell(peer: _Peer, cell: Cell) -> Record:
    """Evaluate one cell exactly as gprs_calc() does, recording a failure instead of breaking."""
    country, material, year = cell
    rec: Record = {
        "country": country,
        "iso_numeric": peer.iso_by_country[country],
        "material": material,
        "year": year,
        "ok": False,
        **dict.fromkeys(FLOAT_FIELDS),
        "error": None,
    }
    try:
        with _silenced():
            country_list = peer.databases.regionslist[peer.cvtcountry(country, type="Name")]
            numerator, total_trade, price = peer.aggregate_trade(
                year, country_list, material, data=peer.data
            )
            rec["numerator"] = float(numerator)
            rec["total_trade"] = float(total_trade)
            rec["price"] = float(price)
            prod_qtys = []
            for member in country_list:
                prod_qty, hhi = peer.hhi(material, int(year), peer.cvtcountry(member, type="Name"))
                prod_qtys.append(prod_qty)
            sum_prod = sum(prod_qtys)
            rec["prod_qty"] = float(sum_prod)
            rec["hhi"] = float(hhi)
            score, cf, import_risk = peer.geopolrisk(numerator, total_trade, price, sum_prod, hhi)
            rec["score"] = float(score)
            rec["cf"] = float(cf)
            rec["import_risk"] = float(import_risk)
    except Exception as exc:
        rec["error"] = f"{type(exc).__name__}: {exc}"
    nonfinite = {
        k: rec[k] for k in FLOAT_FIELDS if rec[k] is not None and not math.isfinite(rec[k])
    }
    for key in nonfinite:
        rec[key] = None
    if rec["error"] is None:
        if not nonfinite:
            rec["ok"] = True
        elif all(math.isnan(v) for v in nonfinite.values()):
            rec["error"] = "nan"
        else:  # never seen from the peer, but JSON has no infinity either
            rec["error"] = "inf"
    return rec


def _worker_cells(cells: Sequence[Cell]) -> list[Record]:
    assert _PEER is not None, "worker forked before the peer was loaded"
    return [compute_cell(_PEER, c) for c in cells]


def _chunks(cells: Sequence[Cell], size: int) -> list[Sequence[Cell]]:
    return [cells[i : i + size] for i in range(0, len(cells), size)]


def run_cells(peer: _Peer, cells: Sequence[Cell], workers: int) -> list[Record]:
    """Evaluate the cells, in order; with workers > 1 across forked copies of this process.

    Forking after setup gives every worker the parent's loaded databases and its one
    mapped_baci() table (copy-on-write) instead of repeating ~1 min of loading per worker.
    Cells are independent: the peer's per-cell calls only read the shared tables.
    """
    global _PEER
    done, t0, last = 0, time.perf_counter(), 0.0
    out: list[Record] = []

    def tick(n: int) -> None:
        nonlocal done, last
        done += n
        now = time.perf_counter() - t0
        if now - last >= 5.0 or done == len(cells):
            last = now
            rate = done / now if now > 0 else 0.0
            eta = (len(cells) - done) / rate if rate > 0 else 0.0
            _log(f"cells {done}/{len(cells)}  {now:.1f} s elapsed, ~{eta:.0f} s left")

    if workers <= 1 or len(cells) < 2:
        for c in cells:
            out.append(compute_cell(peer, c))
            tick(1)
        return out
    _PEER = peer
    chunk = max(1, min(16, len(cells) // (workers * 8)))
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(processes=workers) as pool:
        for recs in pool.imap(_worker_cells, _chunks(cells, chunk)):
            out.extend(recs)
            tick(len(recs))
    return out


def parse_years(text: str) -> list[int]:
    """'2019-2023', '2019,2021' or a mix such as '2018-2020,2023'."""
    years: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        first, last = (int(lo), int(hi)) if sep else (int(part), int(part))
        if first > last:
            raise ValueError(f"empty year range {part!r}")
        years.extend(y for y in range(first, last + 1) if y not in years)
    if not years:
        raise ValueError("no years given")
    return years


def resolve_countries(names: Sequence[str], iso_by_country: dict[str, int]) -> list[str]:
    """Peer Country_ISO names (or their numeric codes); 'all' = the whole table, in order."""
    if list(names) == ["all"]:
        return list(iso_by_country)
    by_iso = {iso: name for name, iso in iso_by_country.items()}
    out: list[str] = []
    for n in names:
        if n in iso_by_country:
            name = n
        elif n.isdigit() and int(n) in by_iso:
            name = by_iso[int(n)]
        else:
            close = [c for c in iso_by_country if n.lower() in c.lower()]
            hint = f" (did you mean {', '.join(map(repr, close[:5]))}?)" if close else ""
            raise ValueError(f"country {n!r} is not in the peer's Country_ISO table{hint}")
        if name not in out:
            out.append(name)
    return out


def resolve_materials(ids: Sequence[str], known: list[str]) -> list[str]:
    """Peer 'Reference ID' values from default_rmlist(); 'all' = that whole list, in order."""
    if list(ids) == ["all"]:
        return list(known)
    unknown = [m for m in ids if m not in known]
    if unknown:
        raise ValueError(f"materials {unknown} are not peer Reference IDs; known: {known}")
    return list(dict.fromkeys(ids))


def write_json(path: Path, setup_s: float, cells_s: float, records: list[Record]) -> None:
    """One cell per line; floats as repr (exact round trip); strict JSON (no NaN)."""
    head = json.dumps(
        {"peer": PEER, "seconds_setup": setup_s, "seconds_cells": cells_s}, allow_nan=False
    )
    lines = [json.dumps(r, allow_nan=False, ensure_ascii=False) for r in records]
    body = head[:-1] + ', "cells": [\n' + ",\n".join(lines) + "\n]}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(body, encoding="utf-8")
    os.replace(tmp, path)


def _args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument(
        "--countries",
        nargs="+",
        required=True,
        help="peer Country_ISO names (one argument each: 'Rep. of Korea' USA ...), or all",
    )
    p.add_argument(
        "--materials", nargs="+", required=True, help="peer Reference IDs (Lithium ...), or all"
    )
    p.add_argument("--years", required=True, help="e.g. 2019-2023 or 2019,2021")
    p.add_argument("--out", required=True, type=Path, help="output JSON file")
    p.add_argument("--workers", type=int, default=1, help="processes for the cells (default 1)")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _args(argv)
    try:
        years = parse_years(args.years)
    except ValueError as exc:
        _log(f"error: --years: {exc}")
        return 2
    if args.workers < 1:
        _log("error: --workers must be at least 1")
        return 2
    version = importlib.metadata.version("geopolrisk-py")
    if version != "2.0.1":
        _log(f"error: this interpreter has geopolrisk-py {version}, expected 2.0.1")
        return 2

    with tempfile.TemporaryDirectory(prefix="critmin-peer-home-") as home:
        os.environ["HOME"] = home  # before the first geopolrisk import
        _log("loading the peer's databases and building mapped_baci() ...")
        t0 = time.perf_counter()
        peer, import_s, mapped_s = _load_peer()
        try:
            countries = resolve_countries(args.countries, peer.iso_by_country)
            materials = resolve_materials(args.materials, peer.materials)
        except ValueError as exc:
            _log(f"error: {exc}")
            return 2
        setup_s = time.perf_counter() - t0
        _log(f"setup {setup_s:.1f} s (import/load {import_s:.1f} s, mapped_baci {mapped_s:.1f} s)")

        cells: list[Cell] = list(itertools.product(countries, materials, years))
        _log(
            f"{len(cells)} cells = {len(countries)} countries x {len(materials)} materials"
            f" x {len(years)} years, {args.workers} worker(s)"
        )
        t1 = time.perf_counter()
        records = run_cells(peer, cells, args.workers)
        cells_s = time.perf_counter() - t1

    write_json(args.out, setup_s, cells_s, records)
    n_ok = sum(r["ok"] for r in records)
    per_cell = cells_s / len(cells) * 1000 if cells else 0.0
    _log(
        f"{n_ok}/{len(records)} ok, cells {cells_s:.1f} s ({per_cell:.1f} ms/cell wall);"
        f" wrote {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
