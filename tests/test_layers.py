"""Data flows one way: each layer imports only from the layers before it.

    errors, settings, vocab → sources → warehouse → analytics → scenarios | agreements
    → spark → service → web → cli

Every ``import`` in ``src/critmin`` is checked, including imports inside functions and under
``TYPE_CHECKING``: a function-level import against the flow is still a dependency against it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "critmin"
BASE = {"errors", "settings", "vocab", "__init__"}
RANK = {
    "sources": 1,
    "warehouse": 2,
    "analytics": 3,
    "scenarios": 4,
    "agreements": 4,
    "spark": 5,
    "service": 6,
    "web": 7,
    "cli": 8,
}


def layer(module: str) -> tuple[str, int]:
    """(layer name, rank) of a dotted ``critmin.…`` module name."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    if top in BASE:
        return "base", 0
    if top not in RANK:
        raise AssertionError(f"{module}: top-level module {top!r} belongs to no layer")
    return top, RANK[top]


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1] if len(parts) > 1 else parts
    return ".".join(parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported critmin module) for every import statement in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("critmin")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "critmin":  # from critmin import settings, scenarios
                out += [(node.lineno, f"critmin.{a.name}") for a in node.names]
            elif node.module.startswith("critmin."):
                out.append((node.lineno, node.module))
    return out


def violations() -> list[str]:
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        here = _module_name(path)
        name, rank = layer(here)
        for line, target in imports(path):
            if target == "critmin.__version__":
                continue
            tname, trank = layer(target)
            if trank > rank or (trank == rank and tname != name):
                rel = path.relative_to(SRC.parent)
                bad.append(f"{rel}:{line}: {name} imports {target} ({tname}), against the flow")
    return bad


def test_every_import_follows_the_flow() -> None:
    assert violations() == []


def test_the_check_sees_a_violation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check itself fails on an import against the flow (and a sideways one)."""
    pkg = tmp_path / "critmin"
    (pkg / "analytics").mkdir(parents=True)
    (pkg / "scenarios").mkdir()
    (pkg / "analytics" / "x.py").write_text(
        "def f():\n    from critmin.service import session\n", encoding="utf-8"
    )
    (pkg / "scenarios" / "y.py").write_text(
        "from critmin.agreements import store\n", encoding="utf-8"
    )
    monkeypatch.setattr(__import__(__name__), "SRC", pkg)
    found = violations()
    assert len(found) == 2
    assert any("analytics imports critmin.service" in v for v in found)
    assert any("scenarios imports critmin.agreements" in v for v in found)
