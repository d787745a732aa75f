"""critmin: Korean–English critical-minerals supply-chain intelligence on cited public data."""

__version__ = "0.1.0"
