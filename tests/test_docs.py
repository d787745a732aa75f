"""Docs tests (datasette style): every CLI command and every tidy table must be documented."""

from __future__ import annotations

import re

import click

from conftest import REPO, Tiny
from critmin.cli import cli


def test_every_command_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert isinstance(cli, click.Group)
    commands = [(n, c) for n, c in cli.commands.items() if not isinstance(c, click.Group)]
    commands += [
        (f"{n} {s}", sc)
        for n, c in cli.commands.items()
        if isinstance(c, click.Group)
        for s, sc in c.commands.items()
    ]
    for name, cmd in commands:
        assert f"critmin {name}" in readme, f"`critmin {name}` is not documented in README.md"
        for param in cmd.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt != "--help":
                    assert opt in readme, f"`critmin {name} {opt}` is not in README.md"


def test_readme_opens_with_the_two_setup_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```\n(.*?)```", readme, re.S)
    assert block is not None
    commands = [ln.split("#")[0].strip() for ln in block.group(1).splitlines() if ln.strip()]
    assert commands == ["make run", "make test"]


def test_every_tidy_table_is_documented(tiny_built: Tiny) -> None:
    import duckdb

    doc = (REPO / "docs" / "data.md").read_text(encoding="utf-8")
    with duckdb.connect(str(tiny_built.db), read_only=True) as con:
        tables = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'tidy'"
        ).fetchall()
        for (t,) in tables:
            assert f"`tidy.{t}`" in doc, f"tidy.{t} is not described in docs/data.md"
            cols = [r[0] for r in con.execute(f"SELECT * FROM tidy.{t} LIMIT 0").description]
            row = next(ln for ln in doc.splitlines() if ln.startswith(f"| `tidy.{t}`"))
            for c in cols:
                if c != "lineage" and t not in {"reserves", "reported_totals"}:
                    assert c in row, f"column {c} of tidy.{t} is not in docs/data.md"


def test_every_route_is_in_the_readme(tiny_built: Tiny) -> None:
    """Every JSON endpoint and every dashboard page of the app is documented in README.md."""
    from fastapi.routing import APIRoute

    from critmin.web.app import create_app

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    app = create_app(tiny_built.db)
    paths = [r.path for r in app.routes if isinstance(r, APIRoute)]
    assert "/api/brief/{importer}/{partner}" in paths and "/mineral/{mineral}" in paths
    for path in paths:
        if path == "/favicon.ico":
            continue
        assert f"`{path}`" in readme or f"`{path}?" in readme, f"{path} is not in README.md"


def test_every_package_is_in_the_architecture_doc() -> None:
    """docs/architecture.md names every package and module of the layout."""
    doc = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    src = REPO / "src" / "critmin"
    for pkg in sorted(p for p in src.iterdir() if (p / "__init__.py").is_file()):
        assert f"`{pkg.name}/`" in doc, f"package {pkg.name}/ is not in docs/architecture.md"
        for mod in sorted(pkg.glob("*.py")):
            if mod.name != "__init__.py" and pkg.name not in ("analytics", "spark"):
                assert f"`{mod.name}`" in doc, (
                    f"{pkg.name}/{mod.name} is not described in docs/architecture.md"
                )
