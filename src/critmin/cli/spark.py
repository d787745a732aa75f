"""The Spark side of the command line: ``critmin ingest --engine spark`` (run from
:mod:`critmin.cli.agreements`) and ``critmin registry merge``."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import click

from critmin.cli.render import Format, format_option, render

log = logging.getLogger(__name__)

ENGINES = ("duckdb", "spark")
engine_option = click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="duckdb",
    show_default=True,
    help="duckdb: embedded (default); spark: Apache Spark (scripts/install_spark.sh).",
)
master_option = click.option(
    "--master",
    default=None,
    metavar="URL",
    help="Spark master (local[2], spark://host:7077, yarn, k8s://…; env CRITMIN_SPARK_MASTER; "
    "default local[*]).",
)


def spark_ingest(
    ctx: click.Context,
    paths: tuple[str, ...],
    out: str | None,
    master: str | None,
    max_bytes: int,
    partitions: int | None,
    fmt: Format,
) -> None:
    """``critmin ingest --engine spark``: Parquet under --out, a summary on stdout."""
    from critmin.cli.agreements import _extractor
    from critmin.errors import ConfigError
    from critmin.spark import session
    from critmin.spark.ingest import ingest

    if not out:
        raise ConfigError(
            "--engine spark writes Parquet and needs --out DIR. Fix: add --out DIR, then "
            "`critmin registry merge DIR`"
        )
    ex = _extractor(ctx)
    spark = session(master)
    res = ingest(
        spark, [Path(p) for p in paths], Path(out), ex, max_bytes=max_bytes, partitions=partitions
    )
    data: dict[str, Any] = {
        "out": str(res.out),
        "documents": res.documents,
        "agreements": res.agreements,
        "failed": [{"document": p, "message": m} for p, m in res.failed],
    }
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    elif res.failed:
        rows = [[p, "failed", m] for p, m in res.failed]
        click.echo(render(["document", "status", "message"], rows, fmt), nl=False)
    else:
        head = ["out", "documents", "agreements", "failed"]
        click.echo(render(head, [[str(res.out), res.documents, res.agreements, 0]], fmt), nl=False)
    click.echo(
        f"{res.documents} documents extracted, {res.agreements} agreements, written to "
        f"{res.out} (documents, agreements, parties, evidence by year)"
        + (f"; {len(res.failed)} failed (see the table)" if res.failed else "")
        + f". Next: critmin registry merge {res.out}",
        err=True,
    )
    if res.failed:
        ctx.exit(1)


@click.group()
def registry() -> None:
    """The agreements registry: load Spark ingest output into it."""


@registry.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--registry", "registry_file", default=None, help="Registry file (env CRITMIN_REGISTRY)."
)
@format_option
def merge(out: str, registry_file: str | None, fmt: Format) -> None:
    """Load OUT (from `critmin ingest --engine spark --out OUT`) into the registry; documents
    already there (same sha256) are skipped, so merging twice adds nothing."""
    from critmin import settings
    from critmin.agreements.store import open_registry
    from critmin.spark.merge import merge as run_merge

    with open_registry(settings.registry_path(registry_file)) as con:
        res = run_merge(con, Path(out))
    data = {
        "added": res.documents,
        "already_ingested": res.skipped,
        "failed_in_output": res.failed,
        "agreements": res.agreements,
    }
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(render(list(data), [list(data.values())], fmt), nl=False)


COMMANDS = [registry]


spark_tables_option = click.option(
    "--spark-tables",
    default=None,
    metavar="DIR|catalog",
    help="--engine spark: tables from DIR/<schema>/<table> Parquet or the Spark catalogue "
    "(default: the warehouse, exported to Parquet once).",
)


def use_engine(cm: Any, engine: str, master: str | None, tables: str | None) -> None:
    """Run ``cm``'s metric queries on Spark (``engine == 'spark'``); DuckDB otherwise."""
    if engine != "spark":
        return
    from critmin.spark import session
    from critmin.spark.metrics import portable_queries
    from critmin.spark.sql import SparkConnection, Tables

    spark = session(master)
    db = Path(
        cm.con.execute("SELECT path FROM duckdb_databases() WHERE NOT internal LIMIT 1").fetchone()[
            0
        ]
    )
    cm.con = SparkConnection(
        cm.con, spark, Tables(spark, cm.con, db, tables), [q.sql for q in portable_queries()]
    )


@click.command("montecarlo-grid")
@click.argument("importers", nargs=-1, required=True)
@click.option("--mineral", "minerals", multiple=True, help="Only these minerals (repeat).")
@click.option("-n", "--n", type=click.IntRange(min=1), default=100_000, show_default=True)
@click.option(
    "--seed", type=int, default=None, help="random_state; each task's seed derives from it."
)
@click.option("--year", type=int, default=None, help="Trade year (default: the latest).")
@click.option("--correlation", type=click.FloatRange(0, 0.99), default=0.0, show_default=True)
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.2, show_default=True)
@engine_option
@master_option
@format_option
@click.pass_context
def montecarlo_grid(
    ctx: click.Context,
    importers: tuple[str, ...],
    minerals: tuple[str, ...],
    n: int,
    seed: int | None,
    year: int | None,
    correlation: float,
    threshold: float,
    engine: str,
    master: str | None,
    fmt: Format,
) -> None:
    """Supply-at-risk for every IMPORTER × mineral, one task each with a seed derived from
    --seed; --engine spark spreads the tasks over Spark and gives the same numbers."""
    from critmin import settings
    from critmin.scenarios import latest_trade_year
    from critmin.spark import montecarlo as mc
    from critmin.warehouse import lookup
    from critmin.warehouse.db import connect

    with connect(settings.db_path(ctx.ensure_object(dict).get("db"))) as con:
        imps = [lookup.country(con, i) for i in importers]
        mids = [lookup.mineral(con, m) for m in minerals] or None
        yr = year or latest_trade_year(con)
        used = seed if seed is not None else mc.fresh_seed()
        tasks = mc.plan(con, imps, year=yr, seed=used, minerals=mids)
    spark = None
    if engine == "spark":
        from critmin.spark import session

        spark = session(master)
    opts = {"correlation": correlation, "threshold": threshold}
    rows = mc.run_grid(tasks, year=yr, n=n, options=opts, spark=spark)
    log.info("%d tasks (importer × mineral), seed %d, engine %s", len(tasks), used, engine)
    if fmt == "json":
        click.echo(json.dumps(mc.grid_json(tasks, rows, year=yr, n=n, seed=used), indent=2))
        return
    cols = ["importer", "mineral", "stage", "suppliers", "mean", "p50", "p95", "p99"]
    cols.append(f"P(loss>{threshold:g})")
    table = [
        [r["importer"], r["mineral"], r["stage"], r["suppliers"]]
        + [round(r[k], 6) for k in ("mean", "p50", "p95", "p99", "prob_loss_above_threshold")]
        for r in rows
    ]
    click.echo(render(cols, table, fmt), nl=False)
    click.echo(f"seed {used} (repeat with --seed {used})", err=True)


def _attach() -> None:
    from critmin.cli.scenarios import scenario

    scenario.add_command(montecarlo_grid)


_attach()
