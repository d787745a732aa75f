"""Properties of the concentration indices (hypothesis), and SQL = NumPy."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.analytics.indices import (
    EmptySupplyError,
    concentration_ratio,
    grouped_hhi,
    hhi,
    hhi_points,
    shares,
)

positive = st.floats(min_value=1e-6, max_value=1e9, allow_nan=False, allow_infinity=False)
supplies = st.lists(positive, min_size=1, max_size=40)


@given(st.integers(min_value=1, max_value=200), positive)
def test_equal_shares_give_one_over_n(n: int, q: float) -> None:
    assert hhi([q] * n) == pytest.approx(1 / n, rel=1e-9)


@given(supplies)
def test_hhi_is_between_one_over_n_and_one(q: list[float]) -> None:
    h = hhi(q)
    assert 1 / len(q) - 1e-12 <= h <= 1 + 1e-12
    assert hhi_points(q) == pytest.approx(h * 10_000)


@given(supplies, st.randoms(use_true_random=False))
def test_hhi_ignores_order(q: list[float], rnd: object) -> None:
    shuffled = list(q)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert hhi(shuffled) == pytest.approx(hhi(q), rel=1e-12)


@given(st.lists(positive, min_size=2, max_size=40), st.data())
def test_merging_two_suppliers_never_lowers_hhi(q: list[float], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(q) - 1))
    j = data.draw(st.integers(0, len(q) - 1).filter(lambda x: x != i))
    merged = [v for k, v in enumerate(q) if k not in (i, j)] + [q[i] + q[j]]
    assert hhi(merged) >= hhi(q) - 1e-12


@given(supplies)
def test_cr3_bounds(q: list[float]) -> None:
    cr3 = concentration_ratio(q, 3)
    assert max(shares(q)) - 1e-12 <= cr3 <= 1 + 1e-12
    if len(q) <= 3:
        assert cr3 == pytest.approx(1.0)


def test_empty_or_negative_supply_is_an_error() -> None:
    for bad in ([], [0.0, 0.0], [1.0, -1.0], [float("nan")]):
        with pytest.raises(EmptySupplyError):
            hhi(bad)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABCDE"), positive), min_size=1, max_size=60))
def test_sql_and_numpy_hhi_agree(rows: list[tuple[str, float]]) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (g VARCHAR, q DOUBLE)")
    con.executemany("INSERT INTO t VALUES (?, ?)", rows)
    sql = dict(con.execute("SELECT g, sum(q*q) / (sum(q) * sum(q)) FROM t GROUP BY g").fetchall())
    ref = grouped_hhi([g for g, _ in rows], [q for _, q in rows])
    assert sql.keys() == ref.keys()
    for g in sql:
        assert sql[g] == pytest.approx(ref[g], rel=1e-9)
        assert ref[g] == pytest.approx(hhi([q for k, q in rows if k == g]), rel=1e-9)


def test_grouped_hhi_matches_per_group_loop() -> None:
    rng = np.random.default_rng(7)
    groups = rng.integers(0, 5, 300)
    q = rng.random(300)
    out = grouped_hhi(list(groups), q)
    for g, h in out.items():
        assert h == pytest.approx(hhi(q[groups == g]))
