"""``critmin report``: the self-contained partnership brief (HTML, optionally PDF)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from critmin import settings

log = logging.getLogger("critmin.web.report")


@click.command()
@click.option("--importer", required=True, help="Importer: ISO3, name (English/Korean) or region.")
@click.option("--partner", required=True, help="Partner country of the agreement.")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="HTML file to write (self-contained: data, charts, fonts inlined).",
)
@click.option(
    "--pdf",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also print the brief to this PDF (needs Chromium).",
)
@click.option("--lang", type=click.Choice(["en", "ko"]), default="en", show_default=True)
@click.option("--year", type=int, default=None, help="Trade year (default: latest).")
@click.option(
    "--uplift",
    type=click.FloatRange(0, 10, min_open=True),
    default=0.1,
    show_default=True,
    help="What-if: extra supply from the partner as a share of current imports.",
)
@click.option("--registry", default=None, help="Agreements registry (env CRITMIN_REGISTRY).")
@click.pass_context
def report(
    ctx: click.Context,
    importer: str,
    partner: str,
    out: Path,
    pdf: Path | None,
    lang: str,
    year: int | None,
    uplift: float,
    registry: str | None,
) -> None:
    """Write the partnership brief: agreements, minerals in scope, exposure, what-if."""
    from critmin.service.session import Critmin
    from critmin.web.report import brief_html, write_pdf
    from critmin.web.views import brief_data, countries

    reg = settings.registry_path(registry)
    if not reg.is_file():
        log.warning("no agreements registry at %s: the brief lists no agreements", reg)
    with Critmin(settings.db_path(ctx.ensure_object(dict).get("db")), lang=lang) as cm:  # type: ignore[arg-type]
        data = brief_data(cm, importer, partner, registry=reg, year=year, uplift=uplift)
        page = brief_html(data, countries(cm.con), lang=lang)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    click.echo(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)", err=True)
    if pdf is not None:
        write_pdf(out, pdf)
        click.echo(f"wrote {pdf} ({pdf.stat().st_size / 1e6:.1f} MB)", err=True)
    click.echo(str(out))


COMMANDS: list[click.Command] = [report]
