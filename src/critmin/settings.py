"""Where critmin keeps its snapshots, warehouse and agreements store, and where its own
reference tables (``critmin/reference/*.csv``, packaged with the code) are.

Resolution order for each user path: explicit argument (CLI flag) → environment variable →
default under ``$XDG_DATA_HOME/critmin`` (``~/.local/share/critmin``).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

DATA_ENV = "CRITMIN_DATA"
DB_ENV = "CRITMIN_DB"


def default_home() -> Path:
    """``$XDG_DATA_HOME/critmin``, falling back to ``~/.local/share/critmin``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "critmin"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Directory holding verified source snapshots."""
    value = explicit or os.environ.get(DATA_ENV)
    return Path(value).expanduser() if value else default_home() / "data"


def db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Path of the DuckDB warehouse file."""
    value = explicit or os.environ.get(DB_ENV)
    return Path(value).expanduser() if value else default_home() / "critmin.duckdb"


REGISTRY_ENV = "CRITMIN_REGISTRY"


def registry_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Path of the agreements registry (a DuckDB file kept apart from the warehouse)."""
    value = explicit or os.environ.get(REGISTRY_ENV)
    return Path(value).expanduser() if value else default_home() / "agreements.duckdb"


def reference_dir() -> Path:
    """The packaged reference directory (authored tables, each row cited)."""
    return Path(str(resources.files("critmin").joinpath("reference")))
