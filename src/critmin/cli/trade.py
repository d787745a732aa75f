"""``critmin coverage`` and ``critmin divergence``: the product map's trade coverage per
source, and the flows two trade sources both hold where they disagree (thin views over
:mod:`critmin.service.session`); and the BACI release branch of ``critmin fetch``."""

from __future__ import annotations

from pathlib import Path

import click

from critmin.cli.analytics import _emit, _pct, _session
from critmin.cli.render import Format, format_option


@click.command()
@click.option("--source", default=None, help="Only this trade source id (e.g. baci_hs17_atlas).")
@click.option("--mineral", default=None, help="Mineral id, name or symbol (default: all).")
@click.option("--missing", is_flag=True, help="Only the products without flows, with the reason.")
@format_option
@click.pass_context
def coverage(
    ctx: click.Context, source: str | None, mineral: str | None, missing: bool, fmt: Format
) -> None:
    """Which product-map HS6 codes have trade flows, in which source and years; the others
    with the reason and how to fill them."""
    with _session(ctx, "en") as cm:
        data = cm.coverage(source=source, mineral=mineral)
    if missing:
        data["coverage"] = [r for r in data["coverage"] if not r["has_flows"]]
    cols = ["hs6", "mineral", "stage", "bundle", "codes", "sources", "reason"]
    rows: list[list[object]] = [
        [
            r["hs6"],
            r["mineral"],
            r["stage"],
            ";".join(r["bundle"]) or None,
            "; ".join(r["codes"]),
            "; ".join(f"{s} {y}" for s, y in r["sources"].items()) or None,
            r["reason"],
        ]
        for r in data["coverage"]
    ]
    _emit(data, cols, rows, fmt)
    click.echo(
        f"{data['with_flows']} of {data['products']} product-map codes have trade flows"
        + (f" in {source}" if source else ""),
        err=True,
    )


@click.command()
@click.option("--year", type=click.IntRange(1900, 2100), default=None, help="Only this year.")
@click.option("--hs6", default=None, help="Only this product-map HS6 code.")
@click.option("--importer", default=None, help="Only flows into this ISO3 country.")
@click.option("--exporter", default=None, help="Only flows from this ISO3 country.")
@click.option(
    "--min-diff",
    type=click.FloatRange(min=0),
    default=0.1,
    show_default=True,
    help="List flows whose value or quantity differ by more than this fraction.",
)
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@format_option
@click.pass_context
def divergence(
    ctx: click.Context,
    year: int | None,
    hs6: str | None,
    importer: str | None,
    exporter: str | None,
    min_diff: float,
    limit: int,
    fmt: Format,
) -> None:
    """Flows held by two trade sources (same year, exporter, importer, product) that differ:
    the default-basis source's value and quantity against the other's."""
    from critmin.warehouse import lookup

    with _session(ctx, "en") as cm:
        data = cm.divergence(
            year=year,
            hs6=hs6,
            importer=lookup.country(cm.con, importer) if importer else None,
            exporter=lookup.country(cm.con, exporter) if exporter else None,
            min_diff=min_diff,
            limit=limit,
        )
    cols = ["year", "hs6", "exporter", "importer", "basis_source", "basis_value_usd"]
    cols += ["other_source", "other_value_usd", "diff_value", "diff_quantity"]
    rows = [
        [d[c] if not c.startswith("diff") else _pct(d[c]) for c in cols]
        for d in data["divergences"]
    ]
    _emit(data, cols, rows, fmt)
    within = data["share_within_0_1pct"]
    click.echo(
        f"{data['common_flows']:,} flows held by two sources; "
        + (f"{within:.0%} agree within 0.1 % on value; " if within is not None else "")
        + f"{len(rows)} listed (difference > {min_diff:.0%})",
        err=True,
    )


def fetch_release(
    data_dir: Path,
    db: Path,
    only: tuple[str, ...],
    release: str | None,
    from_: str | None,
    all_products: bool,
    no_build: bool,
) -> None:
    """``critmin fetch --source baci --release R --from PATH_OR_URL``: load, then rebuild."""
    from critmin.errors import ConfigError
    from critmin.sources.releases import install
    from critmin.warehouse.build import build as run_build

    if only != ("baci",) or not release or not from_:
        raise ConfigError(
            "a BACI release is loaded with `critmin fetch --source baci --release HS17_V202601 "
            f"--from PATH_OR_URL` (got --source {list(only)}, --release {release!r}, "
            f"--from {from_!r})"
        )
    res = install(
        release,
        from_,
        data_dir,
        all_products=all_products,
        build=None if no_build else (lambda: run_build(db=db, data_dir=data_dir)),
    )
    click.echo(
        f"loaded BACI {release} into {res.directory}: {res.rows_kept:,} flows kept, years "
        f"{', '.join(map(str, res.years))}, archive sha256 {res.archive_sha256 or 'n/a (folder)'}"
        + ("" if no_build else f"; warehouse {db} rebuilt")
    )


COMMANDS = [coverage, divergence]
