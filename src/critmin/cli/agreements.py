"""``critmin ingest`` and ``critmin agreements``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from critmin.agreements.documents import DocumentError, document_files
from critmin.cli.render import Format, format_option, render
from critmin.cli.spark import engine_option, master_option, spark_ingest


def _files(paths: tuple[str, ...]) -> list[Path]:
    try:
        return document_files([Path(p) for p in paths])
    except DocumentError as exc:
        raise click.BadParameter(str(exc), param_hint="PATH") from exc


def _extractor(ctx: click.Context) -> Any:
    from critmin import settings
    from critmin.agreements.extract import Extractor
    from critmin.agreements.resources import load_resources
    from critmin.warehouse.db import connect

    with connect(settings.db_path(ctx.ensure_object(dict).get("db"))) as con:
        return Extractor(load_resources(con))


class _Progress:
    """A progress bar on a terminal (rich), one plain line per document otherwise."""

    def __init__(self, total: int) -> None:
        import sys

        self.total, self.done, self.bar = total, 0, None
        if sys.stderr.isatty() and total > 1:
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task("ingest", total=total)

    def step(self, path: str, what: str) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=Path(path).name[:40])
        else:
            click.echo(f"[{self.done}/{self.total}] {path}: {what}", err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--dry-run", is_flag=True, help="Extract and print; write nothing.")
@click.option("--registry", default=None, help="Registry file (env CRITMIN_REGISTRY).")
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=2_000_000,
    show_default=True,
    help="Largest file read as one document.",
)
@engine_option
@master_option
@click.option("--out", default=None, help="--engine spark: folder for the Parquet output.")
@click.option(
    "--partitions", type=click.IntRange(min=1), default=None, help="--engine spark: tasks."
)
@format_option
@click.pass_context
def ingest(
    ctx: click.Context,
    paths: tuple[str, ...],
    dry_run: bool,
    registry: str | None,
    max_bytes: int,
    engine: str,
    master: str | None,
    out: str | None,
    partitions: int | None,
    fmt: Format,
) -> None:
    """Extract agreements from news documents (Markdown, HTML pages, RSS/Atom feeds, text;
    Korean or English). Each document is extracted and stored on its own: a file that cannot
    be read is reported and skipped, the rest are kept; the exit code is 1 when any failed.
    --engine spark extracts on Spark into Parquet (--out); `critmin registry merge` loads it."""
    if engine == "spark":
        return spark_ingest(ctx, paths, out, master, max_bytes, partitions, fmt)
    from contextlib import nullcontext

    from critmin import settings
    from critmin.agreements.documents import DocumentError, read_documents
    from critmin.agreements.store import extraction_json, open_registry, store

    files = _files(paths)
    ex = _extractor(ctx)
    rows: list[dict[str, Any]] = []
    dry: list[dict[str, Any]] = []
    progress = _Progress(len(files))
    reg = nullcontext(None) if dry_run else open_registry(settings.registry_path(registry))
    try:
        with reg as con:
            for f in files:
                try:
                    docs = read_documents(f, max_bytes=max_bytes)
                except DocumentError as exc:
                    rows.append(
                        {
                            "document": str(f),
                            "status": "failed",
                            "agreements": 0,
                            "message": str(exc),
                        }
                    )
                    progress.step(str(f), f"failed: {exc}")
                    continue
                for doc in docs:
                    x = ex.extract(doc)
                    if con is None:
                        dry.append(extraction_json(x, ex.res.orgs))
                        status, n = "extracted", len(x.agreements)
                    else:
                        new, n = store(con, x, ex.res.orgs)
                        status = "added" if new else "already ingested"
                    rows.append(
                        {"document": doc.path, "status": status, "agreements": n, "message": ""}
                    )
                    progress.step(doc.path, f"{status}, {n} agreements")
    finally:
        progress.close()
    failed = [r for r in rows if r["status"] == "failed"]
    if dry_run and fmt == "json" and not failed:
        click.echo(json.dumps(dry[0] if len(dry) == 1 else dry, ensure_ascii=False, indent=2))
    elif dry_run and fmt != "json" and not failed:
        table = [
            [
                x["document"]["path"],
                a["instrument"],
                a["status"],
                a["signed_on"],
                " + ".join(p["id"] for p in a["parties"]),
                ";".join(a["minerals"]),
                ";".join(a["stages"]),
                ";".join(a["sectors"]),
            ]
            for x in dry
            for a in x["agreements"]
        ]
        head = [
            "document",
            "instrument",
            "status",
            "signed_on",
            "parties",
            "minerals",
            "stages",
            "sectors",
        ]
        click.echo(render(head, table, fmt), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        click.echo(
            render(
                ["document", "status", "agreements", "message"],
                [[r["document"], r["status"], r["agreements"], r["message"]] for r in rows],
                fmt,
            ),
            nl=False,
        )
    ok = len(rows) - len(failed)
    click.echo(
        f"{ok} of {len(rows)} documents read, {sum(r['agreements'] for r in rows)} agreements"
        + (f"; {len(failed)} failed (see the table)" if failed else ""),
        err=True,
    )
    if failed:
        ctx.exit(1)


@click.command()
@click.option("--country", default=None, help="Country (ISO3, English or Korean name).")
@click.option("--mineral", default=None, help="Mineral id, name or symbol.")
@click.option("--registry", default=None, help="Registry file (env CRITMIN_REGISTRY).")
@format_option
@click.pass_context
def agreements(
    ctx: click.Context, country: str | None, mineral: str | None, registry: str | None, fmt: Format
) -> None:
    """List the agreements registry with its evidence sentences."""
    from critmin import settings
    from critmin.agreements.store import list_agreements, open_registry
    from critmin.warehouse import lookup
    from critmin.warehouse.db import connect

    iso3 = mid = None
    if country or mineral:
        with connect(settings.db_path(ctx.ensure_object(dict).get("db"))) as wh:
            iso3 = lookup.country(wh, country) if country else None
            mid = lookup.mineral(wh, mineral) if mineral else None
    with open_registry(settings.registry_path(registry), read_only=True) as con:
        data = list_agreements(con, country=iso3, mineral=mid)
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    rows = [
        [
            d["agreement_id"],
            d["date"],
            d["instrument"],
            d["status"],
            " + ".join(d["parties"]),
            ";".join(d["countries"]),
            ";".join(d["minerals"]),
            next((e["sentence"] for e in d["evidence"] if e["field"] == "agreement"), ""),
        ]
        for d in data
    ]
    click.echo(
        render(
            ["id", "date", "instrument", "status", "parties", "countries", "minerals", "evidence"],
            rows,
            fmt,
        ),
        nl=False,
    )


COMMANDS = [ingest, agreements]
