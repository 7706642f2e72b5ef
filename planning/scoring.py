"""Explained scores of candidate sites.

Each candidate gets components in 0..1 and a weighted mean of them
(:class:`planning.config.ScoreWeights`, renormalised over the components whose
inputs exist). Components:

``demand``
    Demand within ``catchment_km`` (kWh/day) divided by the largest such value.
``coverage_gain``
    Demand within the catchment that no existing charger covers yet, divided
    by the largest such value.
``grid``
    1 when the nearest substation within ``substation_max_km`` that has
    ``spare_kw >= power_kw`` can serve the site; otherwise
    ``spare / power`` of the nearest substation in range (0 if none) and the
    candidate is **flagged** with the reason. Unknown spare counts 0.5.
``parcel``
    Mean of land-use and owner suitability, times 1 if the area reaches
    ``min_parcel_area_m2`` else area / minimum. Candidates without a parcel
    get ``unknown_suitability``.
``road``
    ``exp(-d / road_decay_km)`` of the distance to the nearest main road.
``competition``
    ``1 / (1 + n)`` for ``n`` existing chargers within ``competition_km``.
``utilisation``
    Mean utilisation (0..1) of existing chargers within ``competition_km``
    (busy neighbours mean unmet demand); only when utilisation is given.

All normalisations use maxima over the whole set, so scores do not depend on
row order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from planning.config import ScoringConfig
from planning.errors import EmptyInputError, InvalidParameterError
from planning.grid import BoolArray, FloatArray, IntArray

COMPONENTS = (
    "demand",
    "coverage_gain",
    "grid",
    "parcel",
    "road",
    "competition",
    "utilisation",
)


@dataclass(frozen=True, slots=True, eq=False)
class CandidateInputs:
    """Candidate sites on arrays (metres in the grid's metric CRS).

    ``land_use``/``owner_type`` entries may be ``None`` and ``parcel_area_m2``
    NaN when a candidate has no parcel; ``road_distance_m`` is ``None`` when no
    main roads are known (the component is then left out).
    """

    x_m: FloatArray
    y_m: FloatArray
    power_kw: FloatArray
    land_use: Sequence[str | None]
    owner_type: Sequence[str | None]
    parcel_area_m2: FloatArray
    road_distance_m: FloatArray | None = None


@dataclass(frozen=True, slots=True, eq=False)
class SubstationInputs:
    """Grid substations: position (m) and spare capacity (kW, NaN unknown)."""

    x_m: FloatArray
    y_m: FloatArray
    spare_kw: FloatArray
    names: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True, eq=False)
class ScoreResult:
    """Scores and their breakdown, aligned with the candidates.

    Attributes
    ----------
    score
        Weighted mean of the components, 0..1.
    components
        Component name → values 0..1.
    weights
        Weights used (normalised to sum 1; absent components have 0).
    omitted
        Components left out for lack of input, with the reason.
    catchment_kwh_day, gain_kwh_day
        Demand (and uncovered demand) within the catchment, kWh/day.
    substation
        Index of the substation assigned to serve the site (-1 none).
    substation_distance_m, substation_spare_kw
        Its distance and spare capacity.
    grid_ok
        Whether that substation has spare capacity for the site's power.
    competitors
        Existing chargers within ``competition_km``.
    reasons
        Human-readable flags per candidate (empty tuple when none).
    """

    score: FloatArray
    components: dict[str, FloatArray]
    weights: dict[str, float]
    omitted: dict[str, str]
    catchment_kwh_day: FloatArray
    gain_kwh_day: FloatArray
    substation: IntArray
    substation_distance_m: FloatArray
    substation_spare_kw: FloatArray
    grid_ok: BoolArray
    competitors: IntArray
    reasons: tuple[tuple[str, ...], ...]


def _by_max(v: FloatArray) -> FloatArray:
    m = float(v.max()) if v.size else 0.0
    return v / m if m > 0 else np.zeros_like(v)


def _sum_within(
    tree: cKDTree, x: FloatArray, y: FloatArray, r_m: float, w: FloatArray
) -> FloatArray:
    out = np.zeros(len(x))
    for k, idx in enumerate(tree.query_ball_point(np.column_stack([x, y]), r=r_m)):
        if idx:
            out[k] = float(w[np.asarray(idx, dtype=np.int64)].sum())
    return out


def assign_substations(
    cand: CandidateInputs, subs: SubstationInputs, max_km: float
) -> tuple[IntArray, FloatArray, FloatArray, BoolArray, list[str]]:
    """Nearest substation in range that can serve each site, with reasons.

    Returns
    -------
    index, distance_m, spare_kw, ok, reasons
        ``index`` is -1 when no substation is within ``max_km``.
    """
    n = len(cand.x_m)
    index = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.inf)
    spare = np.full(n, np.nan)
    ok = np.zeros(n, dtype=bool)
    reasons = [""] * n
    if len(subs.x_m) == 0:
        return index, dist, spare, ok, ["no substation data"] * n
    tree = cKDTree(np.column_stack([subs.x_m, subs.y_m]))
    k = min(len(subs.x_m), 16)
    d_all, i_all = tree.query(np.column_stack([cand.x_m, cand.y_m]), k=k)
    d_all = np.asarray(d_all).reshape(n, k)
    i_all = np.asarray(i_all).reshape(n, k)
    lim = max_km * 1000.0
    for c in range(n):
        in_range = [
            (d, int(i)) for d, i in zip(d_all[c], i_all[c], strict=True) if d <= lim
        ]
        if not in_range:
            reasons[c] = f"no substation within {max_km:g} km"
            continue
        serving = [(d, i) for d, i in in_range if subs.spare_kw[i] >= cand.power_kw[c]]
        d, i = serving[0] if serving else in_range[0]
        index[c], dist[c], spare[c] = i, d, subs.spare_kw[i]
        ok[c] = bool(serving)
        if not serving:
            name = subs.names[i] if i < len(subs.names) else f"#{i}"
            if np.isnan(subs.spare_kw[i]):
                reasons[c] = f"spare capacity of substation {name} is unknown"
            else:
                reasons[c] = (
                    f"site needs {cand.power_kw[c]:g} kW but substation {name} "
                    f"({d / 1000:.1f} km) has {subs.spare_kw[i]:g} kW spare"
                )
    return index, dist, spare, ok, reasons


def score_candidates(  # noqa: PLR0912, PLR0915  # array-core signature
    cand: CandidateInputs,
    cell_x_m: FloatArray,
    cell_y_m: FloatArray,
    demand_kwh_day: FloatArray,
    covered: BoolArray,
    subs: SubstationInputs,
    existing_x_m: FloatArray,
    existing_y_m: FloatArray,
    config: ScoringConfig,
    existing_utilisation: FloatArray | None = None,
) -> ScoreResult:
    """Score candidates and explain every score.

    Parameters
    ----------
    cand
        Candidate sites.
    cell_x_m, cell_y_m, demand_kwh_day
        Demand cells (metres, kWh/day).
    covered
        Cells already covered by existing chargers (see :mod:`planning.coverage`).
    subs
        Substations with spare capacity.
    existing_x_m, existing_y_m
        Existing chargers (metres).
    config
        Weights and radii.
    existing_utilisation
        Utilisation 0..1 of each existing charger, or ``None``.

    Raises
    ------
    EmptyInputError
        If there are no candidates.
    InvalidParameterError
        If arrays do not align or utilisation is outside 0..1.
    """
    n = len(cand.x_m)
    if n == 0:
        raise EmptyInputError("no candidate sites to score")
    if not (len(cand.y_m) == len(cand.power_kw) == len(cand.land_use) == n):
        raise InvalidParameterError("candidate arrays must have the same length")
    power = np.asarray(cand.power_kw, np.float64)
    if not np.all(np.isfinite(power)) or power.min() <= 0:
        raise InvalidParameterError("candidate power_kw must be finite and > 0")
    cfg = config
    cx, cy = np.asarray(cand.x_m, np.float64), np.asarray(cand.y_m, np.float64)
    dem = np.asarray(demand_kwh_day, np.float64)
    tree = cKDTree(np.column_stack([cell_x_m, cell_y_m]))
    r = cfg.catchment_km * 1000.0
    catch = _sum_within(tree, cx, cy, r, dem)
    gain = _sum_within(tree, cx, cy, r, np.where(covered, 0.0, dem))

    comps: dict[str, FloatArray] = {
        "demand": _by_max(catch),
        "coverage_gain": _by_max(gain),
    }
    omitted: dict[str, str] = {}

    s_idx, s_dist, s_spare, grid_ok, grid_reasons = assign_substations(
        cand, subs, cfg.substation_max_km
    )
    grid = np.where(
        grid_ok,
        1.0,
        np.where(
            np.isnan(s_spare),
            np.where(s_idx >= 0, 0.5, 0.0),
            np.clip(np.nan_to_num(s_spare) / power, 0.0, 1.0),
        ),
    )
    comps["grid"] = grid

    def suit(table: dict[str, float], v: str | None) -> float:
        return (
            float(table.get(v, cfg.unknown_suitability))
            if v
            else cfg.unknown_suitability
        )

    lu = dict(cfg.land_use_suitability)
    ow = dict(cfg.owner_suitability)
    area = np.asarray(cand.parcel_area_m2, np.float64)
    parcel = np.empty(n)
    for k in range(n):
        base = 0.5 * (suit(lu, cand.land_use[k]) + suit(ow, cand.owner_type[k]))
        if np.isnan(area[k]):
            size = 1.0 if cand.land_use[k] else cfg.unknown_suitability
        elif cfg.min_parcel_area_m2 > 0:
            size = min(1.0, area[k] / cfg.min_parcel_area_m2)
        else:
            size = 1.0
        parcel[k] = base * size
    comps["parcel"] = parcel

    if cand.road_distance_m is None:
        omitted["road"] = "no main roads given"
    else:
        comps["road"] = np.exp(
            -np.asarray(cand.road_distance_m, np.float64) / (cfg.road_decay_km * 1000.0)
        )

    ex = np.asarray(existing_x_m, np.float64)
    competitors = np.zeros(n, dtype=np.int64)
    util_mean = np.full(n, np.nan)
    if ex.size:
        etree = cKDTree(np.column_stack([ex, np.asarray(existing_y_m, np.float64)]))
        near = etree.query_ball_point(
            np.column_stack([cx, cy]), r=cfg.competition_km * 1000.0
        )
        competitors = np.array([len(i) for i in near], dtype=np.int64)
        if existing_utilisation is not None:
            u = np.asarray(existing_utilisation, np.float64)
            if u.size != ex.size or (u.size and (np.nanmin(u) < 0 or np.nanmax(u) > 1)):
                raise InvalidParameterError(
                    "existing_utilisation must have one value in 0..1 per charger"
                )
            for k, idx in enumerate(near):
                vals = u[np.asarray(idx, dtype=np.int64)] if idx else np.array([])
                vals = vals[np.isfinite(vals)]
                util_mean[k] = float(vals.mean()) if vals.size else 0.0
    comps["competition"] = (1.0 / (1.0 + competitors)).astype(np.float64)
    if existing_utilisation is None or ex.size == 0:
        omitted["utilisation"] = "no utilisation of existing stations given"
    else:
        comps["utilisation"] = util_mean

    raw = cfg.weights.as_dict()
    active = {k: v for k, v in raw.items() if k in comps}
    total_w = sum(active.values())
    if total_w <= 0:
        raise InvalidParameterError(
            "all weights of the available components are 0: "
            f"available {', '.join(sorted(comps))}"
        )
    weights = {k: (active.get(k, 0.0) / total_w) for k in COMPONENTS}
    score = np.zeros(n)
    for name, values in comps.items():
        score += weights[name] * values
    reasons = tuple((gr,) if gr else () for gr in grid_reasons)
    return ScoreResult(
        score=score,
        components=comps,
        weights=weights,
        omitted=omitted,
        catchment_kwh_day=catch,
        gain_kwh_day=gain,
        substation=s_idx,
        substation_distance_m=s_dist,
        substation_spare_kw=s_spare,
        grid_ok=grid_ok,
        competitors=competitors,
        reasons=reasons,
    )


def rank(score: npt.ArrayLike) -> IntArray:
    """Rank 1 = best; ties share the better rank (order-independent).

    Examples
    --------
    >>> rank([0.2, 0.9, 0.2]).tolist()
    [2, 1, 2]
    """
    s = np.asarray(score, np.float64)
    return (np.searchsorted(np.sort(-s), -s, side="left") + 1).astype(np.int64)
