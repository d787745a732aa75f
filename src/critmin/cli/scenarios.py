"""``critmin scenario shock|partnership|montecarlo``."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any

import click

from critmin.cli.render import Format, format_option, render


def _session(ctx: click.Context) -> Any:
    from critmin import settings
    from critmin.service.session import Critmin

    return Critmin(settings.db_path(ctx.ensure_object(dict).get("db")))


@click.group()
def scenario() -> None:
    """Supplier shocks, partnership what-ifs and Monte-Carlo supply-at-risk."""


@scenario.command()
@click.option(
    "--exporter",
    "exporters",
    multiple=True,
    required=True,
    help="Exporting country cutting supply (repeatable).",
)
@click.option("--mineral", required=True, help="Mineral id, name or symbol.")
@click.option("--cut", type=click.FloatRange(0, 1), required=True, help="Fraction cut (0–1).")
@click.option("--importer", default=None, help="Only this importer (default: all affected).")
@click.option("--stage", default=None, help="HS stage (default: all of the mineral's codes).")
@click.option("--year", type=int, default=None, help="Trade year (default: latest).")
@click.option(
    "--spare-capacity",
    type=click.FloatRange(0, 1),
    default=0.1,
    show_default=True,
    help="Share of other suppliers' exports that can be redirected.",
)
@format_option
@click.pass_context
def shock(
    ctx: click.Context,
    exporters: tuple[str, ...],
    mineral: str,
    cut: float,
    importer: str | None,
    stage: str | None,
    year: int | None,
    spare_capacity: float,
    fmt: Format,
) -> None:
    """Exporters cut a mineral's exports: lost tonnes, refill and shortfall per importer."""
    from critmin.scenarios import latest_trade_year
    from critmin.scenarios import shock as run
    from critmin.warehouse import lookup

    with _session(ctx) as cm:
        ex = [lookup.country(cm.con, e) for e in exporters]
        imp = [lookup.country(cm.con, importer)] if importer else None
        mid = lookup.mineral(cm.con, mineral)
        res = run(
            cm.con,
            ex,
            year=year or latest_trade_year(cm.con),
            cut=cut,
            mineral_id=mid,
            stage=stage,
            importers=imp,
            spare_capacity=spare_capacity,
        )
    if fmt == "json":
        click.echo(json.dumps(asdict(res), ensure_ascii=False, indent=2))
        return
    cols = [
        "importer",
        "imports_t",
        "lost_t",
        "lost_share",
        "refill_t",
        "shortfall_t",
        "shortfall_share",
    ]
    rows = [
        [
            r.importer,
            round(r.imports_t, 1),
            round(r.lost_t, 1),
            round(r.lost_share, 6),
            round(r.refill_t, 1),
            round(r.shortfall_t, 1),
            round(r.shortfall_share, 6),
        ]
        for r in res.rows
    ]
    click.echo(render(cols, rows, fmt), nl=False)


@scenario.command()
@click.option("--importer", required=True)
@click.option("--partner", default=None, help="Partner country (default: from --agreement).")
@click.option("--mineral", default=None, help="Mineral (default: from --agreement).")
@click.option(
    "--tonnes",
    type=click.FloatRange(min=0),
    default=None,
    help="Extra tonnes a year from the partner (default: the agreement's offtake).",
)
@click.option(
    "--agreement",
    "agreement_id",
    type=int,
    default=None,
    help="Take partner, mineral and tonnes from this registry agreement.",
)
@click.option("--registry", default=None, help="Agreements registry (env CRITMIN_REGISTRY).")
@click.option("--stage", default="ore_concentrate", show_default=True, help="HS stage.")
@click.option("--year", type=int, default=None, help="Baseline year (default: latest trade).")
@format_option
@click.pass_context
def partnership(
    ctx: click.Context,
    importer: str,
    partner: str | None,
    mineral: str | None,
    tonnes: float | None,
    agreement_id: int | None,
    registry: str | None,
    stage: str,
    year: int | None,
    fmt: Format,
) -> None:
    """Partner supplies TONNES more a year: shares, import HHI, GeoPolRisk, EU SR before/after."""
    from critmin.errors import ConfigError
    from critmin.scenarios import latest_trade_year
    from critmin.scenarios import partnership as run
    from critmin.service.agreements import agreement_terms
    from critmin.warehouse import lookup

    with _session(ctx) as cm:
        imp = lookup.country(cm.con, importer)
        given = agreement_terms(agreement_id, registry, imp) if agreement_id else {}
        partner = partner or given.get("partner")
        mineral = mineral or given.get("mineral")
        tonnes = tonnes if tonnes is not None else given.get("tonnes")
        missing = [
            n
            for n, v in (("--partner", partner), ("--mineral", mineral), ("--tonnes", tonnes))
            if v is None
        ]
        if missing:
            raise ConfigError(
                f"missing {', '.join(missing)}"
                + (f": agreement {agreement_id} does not state them" if agreement_id else "")
            )
        par = lookup.country(cm.con, str(partner))
        mid = lookup.mineral(cm.con, str(mineral))
        codes = {c: lookup.baci_codes(cm.con, c) for c in (imp, par)}
        res = run(
            cm.con,
            imp,
            par,
            mid,
            tonnes=float(str(tonnes)),
            year=year or latest_trade_year(cm.con),
            stage=stage,
            codes=codes,
        )
    if fmt == "json":
        click.echo(
            json.dumps({**asdict(res), "agreement_id": agreement_id}, ensure_ascii=False, indent=2)
        )
        return
    rows = [
        ["import_hhi", res.before["import_hhi"], res.after["import_hhi"], res.change["import_hhi"]],
        [
            f"share of {par}",
            res.before["shares"].get(par, 0.0),
            res.after["shares"].get(par, 0.0),
            None,
        ],
    ]
    if "geopolrisk" in res.before:
        rows.append(
            [
                "geopolrisk_score",
                res.before["geopolrisk"]["score"],
                res.after["geopolrisk"]["score"],
                res.change["geopolrisk_score"],
            ]
        )
    if "eu_supply_risk" in res.before:
        rows.append(
            [
                "eu_supply_risk",
                res.before["eu_supply_risk"],
                res.after["eu_supply_risk"],
                res.change["eu_supply_risk"],
            ]
        )
    click.echo(render(["metric", "before", "after", "change"], rows, fmt), nl=False)


@scenario.command()
@click.option("--importer", required=True)
@click.option("--mineral", default=None, help="Only this mineral (default: all imported).")
@click.option(
    "-n",
    "n",
    type=click.IntRange(min=1),
    default=100_000,
    show_default=True,
    help="Number of scenarios.",
)
@click.option("--seed", type=int, default=None, help="random_state for reproducible runs.")
@click.option("--year", type=int, default=None)
@click.option("--correlation", type=click.FloatRange(0, 0.99), default=0.0, show_default=True)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=0.2,
    show_default=True,
    help="Report P(share of imports lost > threshold).",
)
@format_option
@click.pass_context
def montecarlo(
    ctx: click.Context,
    importer: str,
    mineral: str | None,
    n: int,
    seed: int | None,
    year: int | None,
    correlation: float,
    threshold: float,
    fmt: Format,
) -> None:
    """Monte-Carlo supply-at-risk: mean, P50, P95, P99 of the share of imports lost."""
    from critmin.scenarios import latest_trade_year
    from critmin.scenarios import montecarlo as run
    from critmin.warehouse import lookup

    with _session(ctx) as cm:
        imp = lookup.country(cm.con, importer)
        mid = lookup.mineral(cm.con, mineral) if mineral else None
        show = n >= 200_000 and sys.stderr.isatty()
        with click.progressbar(
            length=n, label="scenarios", file=sys.stderr, hidden=not show
        ) as bar:
            res = run(
                cm.con,
                imp,
                year=year or latest_trade_year(cm.con),
                n=n,
                random_state=seed,
                mineral_id=mid,
                correlation=correlation,
                threshold=threshold,
                progress=bar.update,
            )
    if fmt == "json":
        click.echo(json.dumps(asdict(res), ensure_ascii=False, indent=2))
        return
    cols = ["mineral", "stage", "suppliers", "mean", "p50", "p95", "p99", f"P(loss>{threshold:g})"]
    rows = [
        [
            r["mineral"],
            r["stage"],
            r["suppliers"],
            round(r["mean"], 6),
            round(r["p50"], 6),
            round(r["p95"], 6),
            round(r["p99"], 6),
            round(r["prob_loss_above_threshold"], 6),
        ]
        for r in res.rows
    ]
    click.echo(render(cols, rows, fmt), nl=False)


COMMANDS: list[click.Command] = [scenario]
