"""Scenarios over the tidy warehouse: supplier shocks, partnership what-ifs and Monte-Carlo
supply-at-risk (formulas in :mod:`critmin.scenarios.shocks` and
:mod:`critmin.scenarios.montecarlo`)."""

from critmin.scenarios.montecarlo import MonteCarloResult, disruption_probability, montecarlo
from critmin.scenarios.shocks import (
    PartnershipResult,
    ShockResult,
    ShockRow,
    latest_trade_year,
    partnership,
    shock,
)

__all__ = [
    "MonteCarloResult",
    "PartnershipResult",
    "ShockResult",
    "ShockRow",
    "disruption_probability",
    "latest_trade_year",
    "montecarlo",
    "partnership",
    "shock",
]
