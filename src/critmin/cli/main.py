"""The ``critmin`` command line.

Every command prints data to stdout and logs to stderr. Errors critmin anticipates print one
line, ``error: <what happened, the values, the fix>``, and exit non-zero; no traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from critmin import __version__, settings
from critmin.cli.render import Format, format_option, render
from critmin.errors import CritminError

log = logging.getLogger("critmin")


class _Group(click.Group):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Usage errors are one line too: ``error: <message>. Fix: <command> --help``."""
        kwargs["standalone_mode"] = False
        try:
            rv = super().main(*args, **kwargs)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "critmin"
            click.echo(f"error: {exc.format_message()} Fix: see `{where} --help`", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("error: aborted", err=True)
            sys.exit(1)
        if isinstance(rv, int) and rv:
            sys.exit(rv)
        return rv

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CritminError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:  # disk full, permission denied, unreadable path
            click.echo(f"error: {exc}. Fix: check the path and its permissions", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("error: interrupted; nothing was left half-written", err=True)
            sys.exit(130)


def _paths(ctx: click.Context) -> tuple[Path, Path]:
    obj = ctx.ensure_object(dict)
    return settings.data_dir(obj.get("data_dir")), settings.db_path(obj.get("db"))


_format = format_option


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="critmin")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help=f"Snapshot directory (env {settings.DATA_ENV}; default ~/.local/share/critmin/data).",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    default=None,
    help=f"Warehouse file (env {settings.DB_ENV}; default ~/.local/share/critmin/critmin.duckdb).",
)
@click.option("-v", "--verbose", count=True, help="More log output on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr.")
@click.pass_context
def cli(
    ctx: click.Context, data_dir: str | None, db: str | None, verbose: int, quiet: bool
) -> None:
    """critmin: critical-minerals supply-chain data, cited and offline."""
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        force=True,
    )
    ctx.ensure_object(dict).update(data_dir=data_dir, db=db)


@cli.command()
@click.option(
    "--mirror",
    default=None,
    metavar="DIR_OR_URL",
    help="Directory laid out like ../shared/data, or a base URL, tried first.",
)
@click.option("--source", "only", multiple=True, help="Fetch only these source ids.")
@click.option(
    "--release",
    default=None,
    metavar="HS17_V202601",
    help="With --source baci: the CEPII BACI release to load (revision HS92 or HS17).",
)
@click.option(
    "--from",
    "from_",
    default=None,
    metavar="PATH_OR_URL",
    help="With --release: the release archive as downloaded (BACI_HS17_V202601.zip), its "
    "extracted folder, or its URL.",
)
@click.option(
    "--all-products",
    is_flag=True,
    help="With --release: keep every HS6 code, not only the product map's.",
)
@click.option("--no-build", is_flag=True, help="With --release: do not rebuild the warehouse.")
@click.pass_context
def fetch(
    ctx: click.Context,
    mirror: str | None,
    only: tuple[str, ...],
    release: str | None,
    from_: str | None,
    all_products: bool,
    no_build: bool,
) -> None:
    """Put verified snapshots of every source in the data directory; with ``--source baci
    --release R --from PATH_OR_URL``, load a full CEPII BACI release and rebuild."""
    from critmin.errors import ConfigError
    from critmin.sources.catalog import load_registry
    from critmin.sources.fetch import fetch_sources

    data_dir, db = _paths(ctx)
    if release or from_ or "baci" in only:
        from critmin.cli.trade import fetch_release

        fetch_release(data_dir, db, only, release, from_, all_products, no_build)
        return
    registry = load_registry()
    unknown = sorted(set(only) - set(registry))
    if unknown:
        raise ConfigError(f"unknown source ids {unknown}; known: {sorted(registry)}")
    chosen = [s for sid, s in registry.items() if not only or sid in only]
    done = fetch_sources(chosen, data_dir, mirror)
    fetched = sum(1 for *_, where in done if where != "cached")
    click.echo(
        f"{len(done)} snapshot files verified in {data_dir} ({fetched} fetched, "
        f"{len(done) - fetched} already present)"
    )


@cli.command()
@click.option("--force", is_flag=True, help="Rebuild even if no input changed.")
@click.pass_context
def build(ctx: click.Context, force: bool) -> None:
    """Build the DuckDB warehouse (atomically) from the verified snapshots."""
    from critmin.warehouse.build import build as run_build

    data_dir, db = _paths(ctx)
    result = run_build(db=db, data_dir=data_dir, force=force)
    if result.skipped:
        click.echo(
            f"warehouse {db} is up to date (input hash {result.input_hash[:12]}); "
            f"nothing to do (use --force to rebuild)"
        )
    else:
        rows = sum(result.tables.values())
        click.echo(
            f"built {db} in {result.seconds:.1f}s: {len(result.tables)} tidy tables, "
            f"{rows:,} tidy rows, {result.corrections} corrected rows "
            f"(input hash {result.input_hash[:12]})"
        )


@cli.command()
@_format
@click.pass_context
def sources(ctx: click.Context, fmt: Format) -> None:
    """List sources with licences, citations and file hashes (loaded BACI releases too)."""
    from critmin.sources.catalog import load_registry
    from critmin.warehouse.staging.baci import discover

    data_dir, _ = _paths(ctx)
    reg = {**load_registry(), **(discover(data_dir) if data_dir.is_dir() else {})}
    if fmt == "json":
        data = [
            {
                "id": s.id,
                "producer": s.producer,
                "title": s.title,
                "edition": s.edition,
                "licence": s.licence,
                "licence_url": s.licence_url,
                "attribution": s.attribution,
                "origin": s.origin,
                "doi": s.doi,
                "upstream": s.upstream,
                "retrieved": s.retrieved,
                "files": [
                    {
                        "name": f.name,
                        "sha256": f.sha256,
                        "bytes": f.bytes,
                        "url": f.url or None,
                        "member_of": f.member_of or None,
                        "citation": s.citation_for(f),
                    }
                    for f in s.files
                ],
            }
            for s in reg.values()
        ]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    cols = ["source", "file", "bytes", "sha256", "licence", "citation"]
    rows = [
        (s.id, f.name, f.bytes, f.sha256, s.licence, s.citation_for(f))
        for s in reg.values()
        for f in s.files
    ]
    click.echo(render(cols, rows, fmt), nl=False)


@cli.command()
@click.argument("query")
@_format
@click.option(
    "--limit", type=click.IntRange(min=0), default=None, help="Return at most this many rows."
)
@click.pass_context
def sql(ctx: click.Context, query: str, fmt: Format, limit: int | None) -> None:
    """Run a read-only SQL QUERY against the warehouse."""
    from critmin.warehouse.db import query as run_query

    _, db = _paths(ctx)
    res = run_query(db, query, limit=limit)
    click.echo(render(res.columns, res.rows, fmt), nl=False)


@cli.command()
@_format
@click.pass_context
def summary(ctx: click.Context, fmt: Format) -> None:
    """Tables, row counts, sources and the last build of the warehouse."""
    from critmin.warehouse.db import summary as run_summary

    _, db = _paths(ctx)
    s = run_summary(db)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "warehouse": str(db),
                    "tables": [{"schema": a, "table": b, "rows": n} for a, b, n in s.tables],
                    "sources": [{"id": a, "title": b, "licence": c} for a, b, c in s.sources],
                    "last_build": None
                    if s.last_build is None
                    else {
                        "finished_at": str(s.last_build[0]),
                        "input_hash": s.last_build[1],
                        "seconds": s.last_build[2],
                        "critmin_version": s.last_build[3],
                    },
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    tidy = [(f"{a}.{b}", n) for a, b, n in s.tables if a == "tidy"]
    click.echo(f"warehouse: {db}")
    if s.last_build:
        click.echo(
            f"last build: {s.last_build[0]} in {float(str(s.last_build[2])):.1f}s "
            f"(input hash {str(s.last_build[1])[:12]})"
        )
    click.echo(render(["tidy table", "rows"], tidy, fmt), nl=False)
    short = [(a, b, _short(c)) for a, b, c in s.sources]
    click.echo(render(["source", "title", "licence"], short, fmt), nl=False)
    click.echo("full licences and attributions: critmin sources")


def _short(text: str, width: int = 48) -> str:
    first = text.split(". ")[0].split("; ")[0]
    return first if len(first) <= width else first[: width - 1] + "…"


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="critmin")


def _register() -> None:
    from critmin.cli import agreements, analytics, report, scenarios, serve, spark, trade

    for cmd in [
        *analytics.COMMANDS,
        *trade.COMMANDS,
        *agreements.COMMANDS,
        *scenarios.COMMANDS,
        *report.COMMANDS,
        *spark.COMMANDS,
        *serve.COMMANDS,
    ]:
        cli.add_command(cmd)


_register()
