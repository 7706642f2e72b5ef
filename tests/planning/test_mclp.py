from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pytest
from scipy import sparse

from planning.config import SelectionConfig
from planning.errors import EmptyInputError, InfeasibleError
from planning.mclp import cover_matrix, solve_mclp

# Five candidate sites on a line, demand cells every km, radius 1.5 km.
CAND_X = np.array([0.0, 3.0, 6.0, 10.0, 14.0]) * 1000
CELL_X = np.arange(0, 16, dtype=np.float64) * 1000.0
W = np.array([5, 5, 1, 1, 2, 0, 9, 9, 1, 1, 0, 3, 3, 0, 4, 4], dtype=float)


def _cover() -> sparse.csr_matrix:
    return cover_matrix(CAND_X, np.zeros(5), CELL_X, np.zeros(16), 1500.0)


def _brute_best(
    cover: sparse.csr_matrix, w: npt.NDArray[np.float64], p: int
) -> tuple[float, tuple[int, ...]]:
    best: tuple[float, tuple[int, ...]] = (-1.0, ())
    dense = cover.toarray()
    for combo in itertools.combinations(range(dense.shape[0]), p):
        val = float(w[dense[list(combo)].any(axis=0)].sum())
        best = max(best, (val, combo))
    return best


def test_optimal_two_of_five_by_hand() -> None:
    # coverage (cells within 1.5 km): site0 {0,1}=10, site1 {2,3,4}=4,
    # site2 {5,6,7}=18, site3 {9,10,11}=4, site4 {13,14,15}=8
    r = solve_mclp(_cover(), W, SelectionConfig(n_sites=2, method="exact"))
    assert sorted(r.selected.tolist()) == [0, 2]
    assert r.objective == 28.0
    assert r.objective == _brute_best(_cover(), W, 2)[0]
    assert r.status == "Optimal" and r.gap == pytest.approx(0.0, abs=1e-9)
    g = solve_mclp(_cover(), W, SelectionConfig(n_sites=2, method="greedy"))
    assert g.selected.tolist() == [2, 0] and g.objective == 28.0
    assert g.lp_bound >= g.objective


def test_budget_and_grid_capacity() -> None:
    cost = np.array([100, 100, 300, 100, 100]) * 1_000_000
    r = solve_mclp(
        _cover(),
        W,
        SelectionConfig(n_sites=None, budget_uzs=250_000_000, method="exact"),
        cost_uzs=cost,
    )
    # site 2 (18) is too dear with anything else; best two cheap ones: 0 + 4 = 18
    assert sorted(r.selected.tolist()) == [0, 4] and r.cost_uzs == 200_000_000
    # one substation feeds sites 0 and 2 with 200 kW spare: only one of them
    r2 = solve_mclp(
        _cover(),
        W,
        SelectionConfig(n_sites=2, method="exact"),
        power_kw=np.full(5, 150.0),
        group=np.array([0, -1, 0, 1, 1]),
        group_capacity_kw=np.array([200.0, 400.0]),
    )
    assert sorted(r2.selected.tolist()) == [2, 4] and r2.objective == 26.0
    g2 = solve_mclp(
        _cover(),
        W,
        SelectionConfig(n_sites=2, method="greedy"),
        power_kw=np.full(5, 150.0),
        group=np.array([0, -1, 0, 1, 1]),
        group_capacity_kw=np.array([200.0, 400.0]),
    )
    assert sorted(g2.selected.tolist()) == [2, 4]


def test_bad_input_errors() -> None:
    with pytest.raises(InfeasibleError, match="below the cheapest candidate"):
        solve_mclp(
            _cover(),
            W,
            SelectionConfig(n_sites=None, budget_uzs=10),
            cost_uzs=np.full(5, 60_000_000),
        )
    with pytest.raises(EmptyInputError, match="no candidate"):
        solve_mclp(sparse.csr_matrix((0, 16), dtype=bool), W, SelectionConfig())
    with pytest.raises(InfeasibleError, match="no candidate can be connected"):
        solve_mclp(
            _cover(),
            W,
            SelectionConfig(),
            group=np.full(5, -1),
            group_capacity_kw=np.zeros(0),
            power_kw=np.ones(5),
        )


def test_greedy_never_beats_the_bound_on_random_instances() -> None:
    rng = np.random.default_rng(7)
    cx, cy = rng.uniform(0, 50_000, (2, 60))
    dx, dy = rng.uniform(0, 50_000, (2, 800))
    w = rng.gamma(1.0, 10.0, 800)
    cover = cover_matrix(cx, cy, dx, dy, 5000.0)
    ex = solve_mclp(cover, w, SelectionConfig(n_sites=8, method="exact"))
    gr = solve_mclp(cover, w, SelectionConfig(n_sites=8, method="greedy"))
    assert gr.objective <= ex.objective + 1e-6 <= ex.lp_bound + 1e-6
    assert gr.gap >= 0 and gr.objective >= (1 - 1 / np.e) * ex.objective
    assert len(ex.selected) <= 8 and len(gr.selected) == 8
