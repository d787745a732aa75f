"""The ``critmin`` command line: one module per command group over :mod:`critmin.service`."""

from critmin.cli.main import cli, main

__all__ = ["cli", "main"]
