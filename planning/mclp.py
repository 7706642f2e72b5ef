"""Maximal covering location: choose sites that cover the most demand.

Formulation (Church & ReVelle 1974, "The maximal covering location problem",
Papers of the Regional Science Association 32; the same model as spopt's
``MCLP``), with a budget and grid capacity added:

.. math::

    \\max \\sum_i w_i y_i \\quad \\text{s.t.}\\quad
    y_i \\le \\sum_{j \\in N_i} x_j,\\;
    \\sum_j x_j \\le p \\;(\\text{or } \\sum_j c_j x_j \\le B),\\;
    \\sum_{j \\in S_k} P_j x_j \\le \\text{spare}_k,\\;
    x_j \\in \\{0, 1\\},\\; 0 \\le y_i \\le 1

where ``N_i`` are the candidates within the radius of demand cell ``i``,
``S_k`` the candidates served by substation ``k`` and ``P_j`` their power.

Solved exactly as a MILP with HiGHS (``highspy``) when the covering matrix is
small enough, otherwise with the lazy greedy heuristic (Nemhauser, Wolsey &
Fisher 1978; cost-ratio greedy plus best single site for budgets). The LP
relaxation is always solved too, and the gap to its bound is reported with
every answer. A solver that does not prove optimality raises.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.spatial import cKDTree

from planning.config import SelectionConfig
from planning.errors import (
    EmptyInputError,
    InfeasibleError,
    InvalidParameterError,
    SolverError,
)
from planning.grid import FloatArray, IntArray

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True, eq=False)
class SelectionResult:
    """The chosen sites and how good the choice provably is.

    Attributes
    ----------
    selected
        Indices of chosen candidates (greedy: in order of choice).
    objective
        Demand covered by the choice (same unit as the weights, e.g. kWh/day).
    lp_bound
        Optimal value of the LP relaxation: no choice covers more.
    gap
        ``(lp_bound - objective) / lp_bound`` (0 when the bound is 0).
    method
        ``"exact"`` or ``"greedy"``.
    status
        Solver status text (``"Optimal"`` for exact, ``"heuristic"`` for greedy).
    total_weight
        Demand of all cells (covered or not).
    cost_uzs
        Total cost of the choice, so'm.
    mip_gap
        HiGHS's own relative MIP gap (exact only, else ``None``).
    """

    selected: IntArray
    objective: float
    lp_bound: float
    gap: float
    method: str
    status: str
    total_weight: float
    cost_uzs: int
    mip_gap: float | None = None

    @property
    def covered_share(self) -> float:
        return self.objective / self.total_weight if self.total_weight > 0 else 0.0


def cover_matrix(
    cand_x_m: FloatArray,
    cand_y_m: FloatArray,
    cell_x_m: FloatArray,
    cell_y_m: FloatArray,
    radius_m: float,
) -> sparse.csr_matrix:
    """Sparse boolean matrix (candidates × cells): cell within ``radius_m``.

    Examples
    --------
    >>> m = cover_matrix(np.array([0.0]), np.array([0.0]),
    ...                  np.array([0.0, 500.0, 2000.0]), np.zeros(3), 1000.0)
    >>> m.toarray().tolist()
    [[True, True, False]]
    """
    tree = cKDTree(np.column_stack([cell_x_m, cell_y_m]))
    lists = tree.query_ball_point(np.column_stack([cand_x_m, cand_y_m]), r=radius_m)
    indptr = np.zeros(len(lists) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(x) for x in lists])
    indices = (
        np.concatenate([np.asarray(x, dtype=np.int64) for x in lists])
        if indptr[-1]
        else np.zeros(0, dtype=np.int64)
    )
    data = np.ones(indices.size, dtype=bool)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(lists), len(cell_x_m)))


@dataclass(frozen=True, slots=True, eq=False)
class _Problem:
    cover: sparse.csr_matrix  # candidates × useful cells
    w: FloatArray
    n_sites: int | None
    budget: float | None
    cost: FloatArray
    allowed: npt.NDArray[np.bool_]
    power: FloatArray
    group: IntArray
    group_cap: FloatArray


def _highs_solve(  # noqa: PLR0915  # array-core signature
    p: _Problem, integer: bool, cfg: SelectionConfig
) -> tuple[str, FloatArray, float, float | None]:
    n, m = p.cover.shape
    rows = [
        sparse.hstack([-p.cover.T.astype(np.float64), sparse.identity(m, format="csr")])
    ]
    lower = [np.full(m, -np.inf)]
    upper = [np.zeros(m)]
    if p.n_sites is not None:
        rows.append(sparse.hstack([np.ones((1, n)), sparse.csr_matrix((1, m))]))
        lower.append(np.array([-np.inf]))
        upper.append(np.array([float(p.n_sites)]))
    if p.budget is not None:
        rows.append(sparse.hstack([p.cost[None, :] / 1e6, sparse.csr_matrix((1, m))]))
        lower.append(np.array([-np.inf]))
        upper.append(np.array([p.budget / 1e6]))
    groups = [
        k for k in np.unique(p.group[p.group >= 0]) if np.isfinite(p.group_cap[k])
    ]
    for k in groups:
        coef = np.where(p.group == k, p.power, 0.0)
        rows.append(sparse.hstack([coef[None, :], sparse.csr_matrix((1, m))]))
        lower.append(np.array([-np.inf]))
        upper.append(np.array([float(p.group_cap[k])]))
    a = sparse.vstack(rows).tocsc()
    lp = highspy.HighsLp()
    lp.num_col_ = n + m
    lp.num_row_ = a.shape[0]
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.concatenate([np.zeros(n), p.w])
    lp.col_lower_ = np.zeros(n + m)
    lp.col_upper_ = np.concatenate([p.allowed.astype(np.float64), np.ones(m)])
    lp.row_lower_ = np.concatenate(lower)
    lp.row_upper_ = np.concatenate(upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    lp.a_matrix_.num_col_ = n + m
    lp.a_matrix_.num_row_ = a.shape[0]
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n + [
            highspy.HighsVarType.kContinuous
        ] * m
    h = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy has no annotations
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(cfg.time_limit_s))
    h.setOptionValue("mip_rel_gap", float(cfg.mip_rel_gap))
    h.setOptionValue("random_seed", 0)
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    text = h.modelStatusToString(status)
    if status == highspy.HighsModelStatus.kInfeasible:
        raise InfeasibleError(f"the selection problem is infeasible ({text})")
    if status != highspy.HighsModelStatus.kOptimal:
        raise SolverError(
            f"HiGHS stopped without a proven optimum: {text} "
            f"(time limit {cfg.time_limit_s:g} s, mip_rel_gap {cfg.mip_rel_gap:g})"
        )
    info = h.getInfo()
    x = np.asarray(h.getSolution().col_value[:n], dtype=np.float64)
    mip_gap = float(info.mip_gap) if integer else None
    return text, x, float(info.objective_function_value), mip_gap


def _greedy(p: _Problem, progress: Progress | None) -> list[int]:
    n, _ = p.cover.shape
    cover = p.cover
    uncovered = np.ones(cover.shape[1], dtype=bool)
    gains = np.asarray(cover @ p.w, dtype=np.float64).ravel()
    use_ratio = p.budget is not None
    remaining_budget = p.budget if p.budget is not None else np.inf
    remaining_cap = p.group_cap.copy()
    limit = p.n_sites if p.n_sites is not None else n

    def key(j: int, g: float) -> float:
        return g / max(p.cost[j], 1.0) if use_ratio else g

    heap = [(-key(j, gains[j]), j) for j in range(n) if p.allowed[j] and gains[j] > 0]
    heapq.heapify(heap)
    chosen: list[int] = []

    def feasible(j: int) -> bool:
        if p.cost[j] > remaining_budget:
            return False
        k = p.group[j]
        return not (
            k >= 0 and np.isfinite(remaining_cap[k]) and p.power[j] > remaining_cap[k]
        )

    while heap and len(chosen) < limit:
        _, j = heapq.heappop(heap)
        if not feasible(j):
            continue  # budget and capacity only shrink: never feasible again
        row = cover.indices[cover.indptr[j] : cover.indptr[j + 1]]
        g = float(p.w[row[uncovered[row]]].sum())
        if g <= 0:
            continue
        if heap and key(j, g) < -heap[0][0] - 1e-12:
            heapq.heappush(heap, (-key(j, g), j))
            continue
        chosen.append(j)
        uncovered[row] = False
        remaining_budget -= p.cost[j]
        k = p.group[j]
        if k >= 0:
            remaining_cap[k] -= p.power[j]
        if progress is not None:
            progress(len(chosen), limit)
    if use_ratio:
        # Best single affordable site: guards the cost-ratio greedy's worst case.
        ok = [j for j in range(n) if p.allowed[j] and p.cost[j] <= (p.budget or 0)]
        if ok:
            best = max(ok, key=lambda j: float(gains[j]))
            if gains[best] > _covered(p, chosen):
                return [best]
    return chosen


def _covered(p: _Problem, chosen: list[int]) -> float:
    if not chosen:
        return 0.0
    hit = np.asarray(p.cover[chosen].sum(axis=0)).ravel() > 0
    return float(p.w[hit].sum())


def solve_mclp(  # noqa: PLR0912  # array-core signature
    cover: sparse.csr_matrix,
    weights: npt.ArrayLike,
    config: SelectionConfig,
    cost_uzs: npt.ArrayLike | None = None,
    power_kw: npt.ArrayLike | None = None,
    group: npt.ArrayLike | None = None,
    group_capacity_kw: npt.ArrayLike | None = None,
    progress: Progress | None = None,
) -> SelectionResult:
    """Choose sites maximising covered demand.

    Parameters
    ----------
    cover
        Candidates × cells boolean matrix (:func:`cover_matrix`).
    weights
        Demand per cell (>= 0), e.g. kWh/day of cells not covered yet.
    config
        ``n_sites`` or ``budget_uzs``, method, gap, time limit.
    cost_uzs
        Cost per candidate, so'm (required with a budget).
    power_kw, group, group_capacity_kw
        Grid limits: candidate power, serving substation index (-1 none) and
        the substations' spare kW. With ``config.respect_grid`` a candidate
        without a serving substation (-1) cannot be chosen.
    progress
        ``progress(done, total)``; raise :class:`CancelledError` in it to stop.

    Returns
    -------
    SelectionResult

    Raises
    ------
    EmptyInputError
        No candidates.
    InfeasibleError
        Budget below the cheapest candidate, or no candidate can be connected.
    SolverError
        HiGHS ended without a proven optimum (e.g. the time limit).

    Examples
    --------
    Two sites of three: site 0 covers cells 0-1, site 1 cells 1-2, site 2 cell 3.

    >>> c = sparse.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]], bool))
    >>> r = solve_mclp(c, [5.0, 1.0, 4.0, 3.0], SelectionConfig(n_sites=2, method="exact"))
    >>> sorted(r.selected.tolist()), r.objective, r.gap
    ([0, 1], 10.0, 0.0)
    """
    w = np.asarray(weights, dtype=np.float64)
    n, m = cover.shape
    if n == 0:
        raise EmptyInputError("no candidate sites to choose from")
    if w.shape != (m,):
        raise InvalidParameterError(f"weights must have {m} values, got {w.shape}")
    if not np.all(np.isfinite(w)) or (w.size and w.min() < 0):
        raise InvalidParameterError("weights must be finite and >= 0")
    cost = np.zeros(n) if cost_uzs is None else np.asarray(cost_uzs, np.float64)
    power = np.zeros(n) if power_kw is None else np.asarray(power_kw, np.float64)
    grp = np.full(n, -1, np.int64) if group is None else np.asarray(group, np.int64)
    cap = (
        np.zeros(0)
        if group_capacity_kw is None
        else np.asarray(group_capacity_kw, np.float64)
    )
    allowed = np.ones(n, dtype=bool)
    if config.respect_grid and group is not None:
        allowed &= grp >= 0
        if not allowed.any():
            raise InfeasibleError(
                "no candidate can be connected: none has a substation in range "
                "with spare capacity"
            )
    if config.budget_uzs is not None:
        if cost_uzs is None:
            raise InvalidParameterError("a budget needs cost_uzs per candidate")
        cheapest = float(cost[allowed].min())
        if config.budget_uzs < cheapest:
            raise InfeasibleError(
                f"budget {config.budget_uzs:,} so'm is below the cheapest candidate "
                f"({int(cheapest):,} so'm)"
            )
    # Only cells some candidate reaches and that weigh something matter.
    useful = (np.asarray(cover.sum(axis=0)).ravel() > 0) & (w > 0)
    sub = cover[:, useful].tocsr().astype(bool)
    prob = _Problem(
        cover=sub,
        w=w[useful],
        n_sites=config.n_sites,
        budget=float(config.budget_uzs) if config.budget_uzs is not None else None,
        cost=cost,
        allowed=allowed,
        power=power,
        group=grp,
        group_cap=cap if cap.size else np.zeros(int(grp.max(initial=-1)) + 1) + np.inf,
    )
    total = float(w.sum())
    method = config.method
    if method == "auto":
        method = "exact" if sub.nnz <= config.max_exact_nonzeros else "greedy"
    if sub.shape[1] == 0:
        return SelectionResult(
            np.zeros(0, np.int64), 0.0, 0.0, 0.0, method, "nothing to cover", total, 0
        )
    _, _, lp_bound, _ = _highs_solve(prob, integer=False, cfg=config)
    if progress is not None:
        progress(0, 1)
    if method == "exact":
        status, x, _, mip_gap = _highs_solve(prob, integer=True, cfg=config)
        chosen = [int(j) for j in np.flatnonzero(x > 0.5)]
    else:
        chosen = _greedy(prob, progress)
        status, mip_gap = "heuristic", None
    objective = _covered(prob, chosen)
    gap = (lp_bound - objective) / lp_bound if lp_bound > 0 else 0.0
    if progress is not None:
        progress(1, 1)
    return SelectionResult(
        selected=np.asarray(chosen, dtype=np.int64),
        objective=objective,
        lp_bound=lp_bound,
        gap=max(0.0, gap),
        method=method,
        status=status,
        total_weight=total,
        cost_uzs=int(cost[chosen].sum()) if chosen else 0,
        mip_gap=mip_gap,
    )
