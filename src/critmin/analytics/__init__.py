"""Analytics: pure functions and relational queries over the warehouse (no file I/O).

Each metric states its formula and source in its docstring. Metrics that have a plain-array
form (HHI, CR3, shares) live in :mod:`critmin.analytics.indices`; relational versions run the
same formula in DuckDB over whole grids at once and are tested to agree with the array form.
"""
