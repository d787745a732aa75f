"""``critmin ingest`` and ``critmin agreements``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from critmin.render import Format, format_option, render

_SUFFIXES = {".md", ".markdown", ".html", ".htm", ".txt"}


def _files(paths: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(
                f
                for f in p.rglob("*")
                if f.suffix.lower() in _SUFFIXES and f.name.lower() != "readme.md"
            )
        elif p.is_file():
            out.append(p)
        else:
            raise click.BadParameter(f"{p} does not exist", param_hint="PATH")
    return out


def _extractor(ctx: click.Context) -> Any:
    from critmin import settings
    from critmin.agreements.extract import Extractor
    from critmin.agreements.resources import load_resources
    from critmin.warehouse import connect

    with connect(settings.db_path(ctx.ensure_object(dict).get("db"))) as con:
        return Extractor(load_resources(con))


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--dry-run", is_flag=True, help="Extract and print; write nothing.")
@click.option("--registry", default=None, help="Registry file (env CRITMIN_REGISTRY).")
@format_option
@click.pass_context
def ingest(
    ctx: click.Context, paths: tuple[str, ...], dry_run: bool, registry: str | None, fmt: Format
) -> None:
    """Extract agreements from news documents (Markdown, HTML, text; Korean or English)."""
    from critmin import settings
    from critmin.agreements.documents import read_document
    from critmin.agreements.registry import extraction_json, open_registry, store

    files = _files(paths)
    ex = _extractor(ctx)
    results = [ex.extract(read_document(f)) for f in files]
    if dry_run:
        data = [extraction_json(x, ex.res.orgs) for x in results]
        if fmt == "json":
            click.echo(
                json.dumps(data[0] if len(data) == 1 else data, ensure_ascii=False, indent=2)
            )
            return
        rows = [
            [
                x.document.path,
                a.instrument,
                a.status,
                a.signed_on,
                " + ".join(a.parties),
                ";".join(a.minerals),
                ";".join(a.stages),
                ";".join(a.sectors),
            ]
            for x in results
            for a in x.agreements
        ]
        click.echo(
            render(
                [
                    "document",
                    "instrument",
                    "status",
                    "signed_on",
                    "parties",
                    "minerals",
                    "stages",
                    "sectors",
                ],
                rows,
                fmt,
            ),
            nl=False,
        )
        return
    path = settings.registry_path(registry)
    rows = []
    with open_registry(path) as con:
        for x in results:
            new, n = store(con, x, ex.res.orgs)
            rows.append([x.document.path, "added" if new else "already ingested", n])
    if fmt == "json":
        click.echo(
            json.dumps(
                [{"document": r[0], "status": r[1], "agreements": r[2]} for r in rows],
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        click.echo(render(["document", "status", "agreements"], rows, fmt), nl=False)


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
    from critmin import lookup, settings
    from critmin.agreements.registry import list_agreements, open_registry
    from critmin.warehouse import connect

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
