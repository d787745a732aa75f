"""``critmin profile``, ``exposure`` and ``risk``: thin views over :mod:`critmin.service.session`.

JSON output is the facade's dictionary (with its ``sources``); table and CSV flatten it into
one row per supplier or per result, with names in the chosen language.
"""

from __future__ import annotations

import json
from typing import Any

import click

from critmin.cli.render import Format, format_option, render
from critmin.cli.spark import engine_option, master_option, spark_tables_option, use_engine
from critmin.warehouse.lookup import LANGS
from critmin.warehouse.tidy.dimensions import HS_STAGES

_format = format_option
_lang = click.option(
    "--lang",
    type=click.Choice(LANGS),
    default="en",
    show_default=True,
    help="Language of country and mineral names.",
)
_year = click.option(
    "--year",
    type=click.IntRange(1900, 2100),
    default=None,
    help="Year (default: the latest with data).",
)


def _session(ctx: click.Context, lang: str) -> Any:
    from critmin import settings
    from critmin.service.session import Critmin

    return Critmin(settings.db_path(ctx.ensure_object(dict).get("db")), lang=lang)  # type: ignore[arg-type]


def _emit(data: dict[str, Any], cols: list[str], rows: list[list[object]], fmt: Format) -> None:
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(render(cols, rows, fmt), nl=False)


def _pct(x: object) -> object:
    return None if x is None else round(float(str(x)), 6)


@click.command()
@click.argument("mineral")
@_year
@click.option("--stage", type=click.Choice(["mining", "refining"]), default=None)
@click.option(
    "--measure",
    type=click.Choice(["production", "reserves"]),
    default="production",
    show_default=True,
)
@click.option("--source", default=None, help="Only this source id (e.g. wmd, usgs_mcs).")
@_format
@_lang
@engine_option
@master_option
@spark_tables_option
@click.pass_context
def profile(
    ctx: click.Context,
    mineral: str,
    year: int | None,
    stage: str | None,
    measure: str,
    source: str | None,
    fmt: Format,
    lang: str,
    engine: str,
    master: str | None,
    spark_tables: str | None,
) -> None:
    """Where MINERAL comes from: country shares, HHI and CR3 by stage and source."""
    with _session(ctx, lang) as cm:
        use_engine(cm, engine, master, spark_tables)
        data = cm.profile(mineral, year=year, stage=stage, measure=measure, source=source)
    cols = [
        "mineral",
        "stage",
        "source",
        "basis",
        "year",
        "total_t",
        "countries",
        "hhi",
        "hhi_points",
        "cr3",
        "top_suppliers",
    ]
    rows = [
        [
            data["mineral_name"],
            c["stage"],
            c["source_id"],
            c["basis"],
            c["period"],
            c["total"],
            c["n_suppliers"],
            _pct(c["hhi"]),
            round(c["hhi_points"]),
            _pct(c["cr3"]),
            ", ".join(f"{s['name']} {s['share']:.1%}" for s in c["suppliers"][:3]),
        ]
        for c in data["concentration"]
    ]
    _emit(data, cols, rows, fmt)


@click.command()
@click.argument("importer")
@click.option("--mineral", default=None, help="Mineral id, name or symbol (default: all).")
@_year
@click.option(
    "--stage",
    type=click.Choice(list(HS_STAGES)),
    default=None,
    help="HS stage (default: all).",
)
@click.option(
    "--by",
    type=click.Choice(["stage", "product"]),
    default="stage",
    show_default=True,
    help="One row per mineral × stage, or per HS6 product (bundles flagged).",
)
@click.option(
    "--governance-threshold",
    type=float,
    default=0.0,
    show_default=True,
    help="WGI political-stability estimate below which a supplier counts as weakly governed.",
)
@_format
@_lang
@engine_option
@master_option
@spark_tables_option
@click.pass_context
def exposure(
    ctx: click.Context,
    importer: str,
    mineral: str | None,
    year: int | None,
    stage: str | None,
    by: str,
    governance_threshold: float,
    fmt: Format,
    lang: str,
    engine: str,
    master: str | None,
    spark_tables: str | None,
) -> None:
    """IMPORTER's suppliers by mineral and stage (or product): shares, import HHI,
    governance, reliance, the trade source of each row, and the cells without data.
    --engine spark runs the metric SQL on Apache Spark (same rows, same order)."""
    with _session(ctx, lang) as cm:
        use_engine(cm, engine, master, spark_tables)
        data = cm.exposure(
            importer,
            mineral=mineral,
            year=year,
            stage=stage,
            governance_threshold=governance_threshold,
            by=by,
        )
    cols = [
        "importer",
        "mineral",
        "stage",
        "year",
        "hs6",
        "basis",
        "supplier",
        "share_quantity",
        "share_value",
        "quantity_t",
        "value_usd",
        "wgi_pv",
        "import_hhi_value",
        "low_governance_share_value",
    ]
    rows = [
        [
            data["importer_name"],
            e["mineral_name"],
            e["stage"],
            e["year"],
            ";".join(e["hs6"])
            + (" (bundle: " + ", ".join(e["bundle"]) + ")" if e["bundle"] else ""),
            e["release"],
            s["name"],
            _pct(s["share_quantity"]),
            _pct(s["share_value"]),
            s["quantity_t"],
            round(s["value_usd"]),
            _pct(s["wgi"]),
            _pct(e["hhi_value"]),
            _pct(e["low_governance_share_value"]),
        ]
        for e in data["exposure"]
        for s in e["suppliers"]
    ]
    rows += [
        [data["importer_name"], g["mineral_name"], g["stage"], g["year"]]
        + [";".join(p["hs6"] for p in g["products"]), None, "n/a: no trade data"]
        + [None] * 6
        + [None]
        for g in data["gaps"]
    ]
    _emit(data, cols, rows, fmt)
    if data["gaps"] and fmt != "json":
        click.echo(
            f"{len(data['gaps'])} mineral × stage cells have no trade data (share n/a); "
            "--format json lists the codes looked for and how to fill them",
            err=True,
        )


@click.command()
@click.argument("importer")
@click.option(
    "--method", type=click.Choice(["geopolrisk", "eu", "all"]), default="all", show_default=True
)
@_year
@click.option("--mineral", default=None, help="Mineral id, name or symbol (default: all).")
@click.option(
    "--profile",
    "gpr_profile",
    type=click.Choice(["critmin", "geopolrisk-py"]),
    default="critmin",
    show_default=True,
    help="GeoPolRisk data handling: critmin's, or geopolrisk-py 2.0.1's exactly.",
)
@click.option(
    "--si-sr",
    type=click.FloatRange(0, 1),
    default=1.0,
    show_default=True,
    help="EU method: substitution index for supply risk.",
)
@click.option(
    "--ir-default",
    type=click.FloatRange(0, 1),
    default=1.0,
    show_default=True,
    help="EU method: import reliance where the data cannot give it.",
)
@_format
@_lang
@engine_option
@master_option
@spark_tables_option
@click.pass_context
def risk(
    ctx: click.Context,
    importer: str,
    method: str,
    year: int | None,
    mineral: str | None,
    gpr_profile: str,
    si_sr: float,
    ir_default: float,
    fmt: Format,
    lang: str,
    engine: str,
    master: str | None,
    spark_tables: str | None,
) -> None:
    """Supply risk of IMPORTER's minerals by GeoPolRisk and the EU CRM method."""
    with _session(ctx, lang) as cm:
        use_engine(cm, engine, master, spark_tables)
        data = cm.risk(
            importer,
            method=method,
            year=year,
            mineral=mineral,
            profile=gpr_profile,
            si_sr=si_sr,
            ir_default=ir_default,
        )
    cols = [
        "importer",
        "method",
        "mineral",
        "year",
        "score",
        "hhi",
        "import_risk",
        "cf",
        "bottleneck_stage",
        "status",
    ]
    rows = []
    for r in data["results"]:
        if r["method"] == "geopolrisk":
            rows.append(
                [
                    data["importer_name"],
                    f"geopolrisk ({r['material']})",
                    r["mineral_name"],
                    r["year"],
                    _pct(r["score"]),
                    _pct(r["hhi"]),
                    _pct(r["import_risk"]),
                    _pct(r["cf"]),
                    None,
                    r["status"],
                ]
            )
        else:
            rows.append(
                [
                    data["importer_name"],
                    "eu_supply_risk",
                    r["mineral_name"],
                    r["year"],
                    _pct(r["supply_risk"]),
                    None,
                    None,
                    None,
                    r["bottleneck_stage"],
                    "ok",
                ]
            )
    _emit(data, cols, rows, fmt)


COMMANDS = [profile, exposure, risk]
