"""Coverage of demand by chargers: distances, shares within X km / Y minutes.

Distances are straight-line in the grid's metric CRS (a KD-tree query of the
cell centres against the chargers) and, when a road distance array is given
(see :func:`road_distance_m`), along the road graph. Times without a road graph
are estimated as ``distance × detour_factor / speed_kmh``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from geo.roads import RoadGraph, Snap, multi_source_distances, point_costs, snap_points
from planning.config import CoverageConfig
from planning.errors import InvalidParameterError
from planning.grid import BoolArray, CellGrid, FloatArray, IntArray


def nearest_distance_m(
    x_m: FloatArray, y_m: FloatArray, site_x_m: FloatArray, site_y_m: FloatArray
) -> tuple[FloatArray, IntArray]:
    """Straight-line distance from each point to its nearest site, metres.

    Returns
    -------
    distance_m, nearest
        ``inf`` and ``-1`` when there is no site.

    Examples
    --------
    >>> d, i = nearest_distance_m(np.array([0.0, 30.0]), np.array([0.0, 0.0]),
    ...                           np.array([3.0, 20.0]), np.array([4.0, 0.0]))
    >>> d.tolist(), i.tolist()
    ([5.0, 10.0], [0, 1])
    """
    sx = np.asarray(site_x_m, np.float64)
    if sx.size == 0:
        return np.full(len(x_m), np.inf), np.full(len(x_m), -1, dtype=np.int64)
    tree = cKDTree(np.column_stack([sx, np.asarray(site_y_m, np.float64)]))
    d, i = tree.query(np.column_stack([x_m, y_m]), k=1)
    return np.asarray(d, np.float64), np.asarray(i, np.int64)


@dataclass(frozen=True, slots=True, eq=False)
class CoverageResult:
    """Coverage of each cell (arrays aligned with the grid).

    Attributes
    ----------
    distance_m
        Straight-line distance to the nearest charger, m (``inf`` if none).
    nearest
        Index of that charger in the input, -1 if none.
    road_distance_m
        Distance along the road graph, m, or ``None`` when not computed.
    minutes
        Driving time to the nearest charger, min (road graph, else estimate).
    within_km, within_minutes
        Whether the cell is within ``radius_km`` / ``minutes``.
    underserved
        Neither within the radius nor the time, with demand above the threshold.
    population_share_km, demand_share_km, population_share_min, demand_share_min
        Shares (0..1) of population and demand within the radius / time.
    radius_km, minutes_limit
        The thresholds used.
    """

    distance_m: FloatArray
    nearest: IntArray
    road_distance_m: FloatArray | None
    minutes: FloatArray
    within_km: BoolArray
    within_minutes: BoolArray
    underserved: BoolArray
    population_share_km: float
    demand_share_km: float
    population_share_min: float
    demand_share_min: float
    radius_km: float
    minutes_limit: float


def _share(mask: BoolArray, w: FloatArray) -> float:
    s = float(w.sum())
    return float(w[mask].sum()) / s if s > 0 else 0.0


def coverage_arrays(
    x_m: FloatArray,
    y_m: FloatArray,
    population: FloatArray,
    demand_kwh_day: FloatArray,
    site_x_m: FloatArray,
    site_y_m: FloatArray,
    config: CoverageConfig,
    road_distance_m: FloatArray | None = None,
    road_minutes: FloatArray | None = None,
) -> CoverageResult:
    """Coverage on arrays (the core of :func:`coverage`).

    Parameters
    ----------
    x_m, y_m
        Cell centres, metres in one metric CRS.
    population, demand_kwh_day
        Weights per cell (people, kWh/day), >= 0.
    site_x_m, site_y_m
        Chargers, metres in the same CRS.
    config
        Radius, time, detour and speed.
    road_distance_m
        Optional road distance per cell to its nearest charger (m, ``inf`` when
        unreachable).
    road_minutes
        Optional driving time per cell along the road graph, min; without it
        times come from ``road_distance_m`` (or the straight line) at
        ``speed_kmh``.

    Examples
    --------
    Three cells on a line at 0, 4 and 9 km; one charger at 0 km; 5 km radius:

    >>> x = np.array([0.0, 4000.0, 9000.0]); y = np.zeros(3)
    >>> r = coverage_arrays(x, y, np.array([1.0, 1.0, 2.0]), np.array([1.0, 1.0, 2.0]),
    ...                     np.array([0.0]), np.array([0.0]), CoverageConfig(radius_km=5))
    >>> r.within_km.tolist(), r.population_share_km, r.underserved.tolist()
    ([True, True, False], 0.5, [False, False, True])
    """
    pop = np.asarray(population, np.float64)
    dem = np.asarray(demand_kwh_day, np.float64)
    if not (len(x_m) == len(y_m) == pop.size == dem.size):
        raise InvalidParameterError(
            "cell coordinates, population and demand must align"
        )
    dist, nearest = nearest_distance_m(x_m, y_m, site_x_m, site_y_m)
    if road_distance_m is not None:
        road = np.asarray(road_distance_m, np.float64)
        minutes = (
            np.asarray(road_minutes, np.float64)
            if road_minutes is not None
            else road / 1000.0 / config.speed_kmh * 60.0
        )
    else:
        road = None
        minutes = dist * config.detour_factor / 1000.0 / config.speed_kmh * 60.0
    within_km = dist <= config.radius_km * 1000.0
    within_min = minutes <= config.minutes
    underserved = ~within_km & ~within_min & (dem >= config.underserved_min_kwh_day)
    return CoverageResult(
        distance_m=dist,
        nearest=nearest,
        road_distance_m=road,
        minutes=minutes,
        within_km=within_km,
        within_minutes=within_min,
        underserved=underserved,
        population_share_km=_share(within_km, pop),
        demand_share_km=_share(within_km, dem),
        population_share_min=_share(within_min, pop),
        demand_share_min=_share(within_min, dem),
        radius_km=config.radius_km,
        minutes_limit=config.minutes,
    )


def coverage(
    grid: CellGrid,
    population: FloatArray,
    demand_kwh_day: FloatArray,
    site_lon: npt.ArrayLike,
    site_lat: npt.ArrayLike,
    config: CoverageConfig,
    road_distance_m: FloatArray | None = None,
    road_minutes: FloatArray | None = None,
) -> CoverageResult:
    """Coverage of a grid by chargers given in EPSG:4326 (lon, lat)."""
    sx, sy = grid.project(site_lon, site_lat)
    return coverage_arrays(
        grid.x_m,
        grid.y_m,
        population,
        demand_kwh_day,
        sx,
        sy,
        config,
        road_distance_m,
        road_minutes,
    )


def road_costs(
    grid: CellGrid,
    graph: RoadGraph,
    site_lon: npt.ArrayLike,
    site_lat: npt.ArrayLike,
    config: CoverageConfig,
    max_snap_m: float = 25_000.0,
) -> tuple[FloatArray, FloatArray]:
    """Distance (m) and driving time (min) from each cell to its nearest charger
    along the road graph (:mod:`geo.roads`).

    Chargers and cell centres are snapped to the nearest road edge within
    ``max_snap_m``; the cell's off-road leg (snap distance) is added to both,
    the time of that leg at ``speed_kmh / detour_factor``. Cells or chargers
    farther than ``max_snap_m`` from any road get ``inf`` (unreachable by road);
    the chargers' own off-road legs are not added.

    Returns
    -------
    distance_m, minutes
        Aligned with the grid.
    """
    lon = np.atleast_1d(np.asarray(site_lon, np.float64))
    lat = np.atleast_1d(np.asarray(site_lat, np.float64))
    inf = np.full(grid.size, np.inf)
    if lon.size == 0 or graph.edge_count == 0:
        return inf, inf.copy()
    ss = snap_points(graph, lon, lat, max_distance_m=max_snap_m, strict=False)
    sources = [
        Snap(
            lon=float(lon[i]),
            lat=float(lat[i]),
            edge=int(ss.edge[i]),
            u=int(graph.edge_u[ss.edge[i]]),
            v=int(graph.edge_v[ss.edge[i]]),
            fraction=float(ss.fraction[i]),
            distance_m=float(ss.distance_m[i]),
            snapped_lon=float(lon[i]),
            snapped_lat=float(lat[i]),
        )
        for i in np.flatnonzero(ss.edge >= 0)
    ]
    if not sources:
        return inf, inf.copy()
    dist_node, _ = multi_source_distances(graph, sources, weight="length_m")
    time_node, _ = multi_source_distances(graph, sources, weight="time_s")
    cs = snap_points(graph, grid.lon, grid.lat, max_distance_m=max_snap_m, strict=False)
    off = np.where(cs.edge >= 0, cs.distance_m, np.inf)
    dist = point_costs(graph, dist_node, cs, weight="length_m") + off
    off_min = off * config.detour_factor / 1000.0 / config.speed_kmh * 60.0
    minutes = point_costs(graph, time_node, cs, weight="time_s") / 60.0 + off_min
    return dist, minutes
