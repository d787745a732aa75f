"""``critmin serve``: the dashboard and JSON API over the warehouse (read-only)."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--registry", default=None, help="Agreements registry (env CRITMIN_REGISTRY).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, registry: str | None) -> None:
    """Serve the dashboard and the JSON API over the warehouse (read-only)."""
    import uvicorn

    from critmin import settings
    from critmin.web.app import create_app

    app = create_app(
        settings.db_path(ctx.ensure_object(dict).get("db")), settings.registry_path(registry)
    )
    shown = f"[{host}]" if ":" in host else host
    click.echo(
        f"critmin dashboard on http://{shown}:{port}/  "
        f"(한국어: http://{shown}:{port}/?lang=ko; JSON API: /api/health; OpenAPI: /docs)",
        err=True,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")


COMMANDS: list[click.Command] = [serve]
