"""Reading the agreements store (a DuckDB file) while an ingest may be writing it.

DuckDB lets one process write a file *or* several read it: while ``critmin ingest`` holds the
write lock, a read-only open fails with "Could not set lock on file". Readers here retry with
exponential backoff (about 2 s in all) and then raise :class:`RegistryBusyError`, which the
server answers with ``503`` and ``Retry-After`` — or, when it has one, with the last response
it computed for the same request (a consistent snapshot from before the ingest, marked
``x-critmin-cache: stale``). A reader never sees a half-written store and never fails with 500.

:func:`registry_stamp` changes whenever the store file or its write-ahead log changes; the
server keys its response cache on it, so an ingest invalidates what was cached before it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import duckdb

from critmin.errors import CritminError, WarehouseMissingError
from critmin.warehouse.db import open_read_only

T = TypeVar("T")
RETRY_DELAYS = (0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8)  # seconds; ~2.2 s in all
RETRY_AFTER_S = 5
Stamp = tuple[int, int, int, int] | None


class RegistryBusyError(CritminError, RuntimeError):
    """The agreements store is locked by a writer (an ingest) for longer than readers wait."""

    retry_after = RETRY_AFTER_S


def registry_stamp(path: Path | None) -> Stamp:
    """(mtime_ns, size) of the store and of its WAL; ``None`` when there is no store."""
    if path is None:
        return None
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    try:
        wal = path.with_name(path.name + ".wal").stat()
        w = (wal.st_mtime_ns, wal.st_size)
    except FileNotFoundError:
        w = (0, 0)
    return (st.st_mtime_ns, st.st_size, *w)


def _locked(exc: duckdb.Error) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text


@contextlib.contextmanager
def open_store(
    path: Path | None, *, delays: tuple[float, ...] = RETRY_DELAYS
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The store opened read-only and sandboxed, waiting out a writer's lock for a while."""
    if path is None or not path.is_file():
        raise WarehouseMissingError(
            f"no agreements registry{f' at {path}' if path else ''}. Fix: run "
            "`critmin ingest PATH...` (or `make ingest`)"
        )
    last: duckdb.Error | None = None
    for delay in (*delays, None):
        try:
            con = open_read_only(path)
        except duckdb.Error as exc:
            if not _locked(exc):
                raise
            last = exc
            if delay is None:
                break
            time.sleep(delay)
            continue
        try:
            yield con
        finally:
            con.close()
        return
    first = str(last).strip().splitlines()[0] if last else "locked"
    raise RegistryBusyError(
        f"the agreements registry {path} is being written (an ingest holds its lock: "
        f"{first}); waited {sum(delays):.1f} s. Fix: retry in a few seconds, after the ingest"
    )


def read_store(path: Path | None, read: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """``read(con)`` on the store opened by :func:`open_store`."""
    with open_store(path) as con:
        return read(con)
