"""Monte-Carlo supply-at-risk grids: every importer × every mineral, locally or on Spark.

A grid is split into tasks, one per importer × mineral. Each task runs
:func:`critmin.scenarios.montecarlo` unchanged on its own inputs (supplier shares and
political stability, read from the warehouse once per importer on the driver) with its own seed
derived from the user's: ``sha256("<seed>/<importer>/<mineral>")``. The seeds depend on nothing
else — not the engine, the number of executors or the task order — so ``--engine spark`` gives
exactly the local answer. Without ``--seed`` a fresh seed is drawn once and reported, so any
run can be repeated.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, cast

import duckdb
import numpy as np

from critmin import scenarios as S
from critmin.analytics.concentration import NoDataError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    """One importer × mineral: its seed and the supplier rows montecarlo reads."""

    importer: str
    mineral: str
    seed: int
    rows: list[tuple[Any, ...]]


class _Rows:
    """Stands in for the warehouse inside a task: the one query montecarlo runs is answered
    with the rows read on the driver (tasks need no warehouse on the executors)."""

    def __init__(self, rows: list[tuple[Any, ...]] | None = None, con: Any = None) -> None:
        self.rows, self.con = rows or [], con

    def execute(self, sql: str, params: Any = None) -> _Rows:
        if self.con is not None:  # capturing on the driver
            self.rows = self.con.execute(sql, params).fetchall()
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows


def task_seed(seed: int, importer: str, mineral: str) -> int:
    """The seed of one task, from the user's seed alone (64 bits of sha256)."""
    digest = hashlib.sha256(f"{seed}/{importer}/{mineral}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def fresh_seed() -> int:
    """A seed for a run without ``--seed`` (reported so the run can be repeated)."""
    return int(np.random.SeedSequence().entropy % 2**63)  # type: ignore[operator]


def plan(
    con: duckdb.DuckDBPyConnection,
    importers: Sequence[str],
    *,
    year: int,
    seed: int,
    minerals: Sequence[str] | None = None,
) -> list[Task]:
    """The grid's tasks, sorted by importer and mineral; importers without imports are
    skipped (logged)."""
    tasks = []
    for imp in sorted(set(importers)):
        cap = _Rows(con=con)
        try:
            S.montecarlo(cast(Any, cap), imp, year=year, n=1, random_state=0)
        except NoDataError:
            log.warning("no imports by %s in %s: left out of the grid", imp, year)
            continue
        for m in sorted({r[0] for r in cap.rows}):
            if minerals is None or m in minerals:
                rows = [r for r in cap.rows if r[0] == m]
                tasks.append(Task(imp, m, task_seed(seed, imp, m), rows))
    if not tasks:
        raise NoDataError(
            f"no imports by {', '.join(importers)} in {year}"
            + (f" of {', '.join(minerals)}" if minerals else "")
        )
    return tasks


def run_task(task: Task, year: int, n: int, options: dict[str, Any]) -> list[dict[str, Any]]:
    """One task: montecarlo on its rows with its seed; one result row per stage."""
    res = S.montecarlo(
        cast(Any, _Rows(task.rows)),
        task.importer,
        year=year,
        n=n,
        random_state=task.seed,
        mineral_id=task.mineral,
        **options,
    )
    return [{"importer": task.importer, **r, "seed": task.seed} for r in res.rows]


def run_grid(
    tasks: list[Task],
    *,
    year: int,
    n: int,
    options: dict[str, Any] | None = None,
    spark: Any = None,
) -> list[dict[str, Any]]:
    """Run ``tasks`` in a loop, or one Spark task each when ``spark`` is given; the rows come
    back in task order either way."""
    opts = dict(options or {})
    if spark is None:
        return [r for t in tasks for r in run_task(t, year, n, opts)]
    rdd = spark.sparkContext.parallelize(list(enumerate(tasks)), max(1, len(tasks)))
    done = rdd.map(lambda it: (it[0], run_task(it[1], year, n, opts))).collect()
    return [r for _, rows in sorted(done, key=lambda x: x[0]) for r in rows]


def grid_json(
    tasks: list[Task], rows: list[dict[str, Any]], *, year: int, n: int, seed: int
) -> dict[str, Any]:
    """The grid's answer with the seeds used."""
    return {
        "year": year,
        "n": n,
        "seed": seed,
        "task_seed": "sha256(f'{seed}/{importer}/{mineral}')[:8] (big-endian)",
        "tasks": [{k: v for k, v in asdict(t).items() if k != "rows"} for t in tasks],
        "rows": rows,
    }
