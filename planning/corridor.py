"""Corridor audit: gaps between fast-charging pools along main roads.

For one road (a line in a metric CRS) and a rule
(:class:`planning.config.CorridorRule`), a station is a **compliant pool** when
it lies within ``max_offset_km`` of the road, its total power reaches
``min_pool_kw`` and it has ``min_points`` points of at least ``min_point_kw``.
Its position along the road is the projection of the station onto the line
(chainage, km from the start).

The road is compliant when every stretch between consecutive pools, and from
each end of the road to the nearest pool, is at most ``max_gap_km``. A stretch
of length ``g`` needs ``ceil(g / max_gap_km) - 1`` new pools, which is the
minimum (each new pool splits one stretch into two, and ``k`` pools can cut a
stretch into at most ``k + 1`` pieces of length ``<= max_gap_km`` only if
``g <= (k + 1) · max_gap_km``); they are placed evenly along the stretch.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely import LineString

from planning.config import FAST_CHARGER_KW, CorridorRule
from planning.errors import EmptyInputError, InvalidParameterError
from planning.grid import FloatArray, IntArray


@dataclass(frozen=True, slots=True)
class Gap:
    """A stretch of road longer than the rule allows, km from the road start."""

    start_km: float
    end_km: float

    @property
    def length_km(self) -> float:
        return self.end_km - self.start_km


@dataclass(frozen=True, slots=True, eq=False)
class CorridorAudit:
    """Audit of one road under one rule.

    Attributes
    ----------
    name
        The road's name or ref.
    rule
        The rule applied.
    length_km
        Length of the road, km.
    pools
        Indices of compliant stations.
    pool_km
        Their chainage, km (sorted).
    fast_km
        Chainage of every station within the offset that has at least one
        point ≥ 150 kW, compliant or not (for the map).
    gaps
        Stretches longer than ``rule.max_gap_km``.
    proposed_km
        Chainage of the proposed new pools (the minimal number).
    proposed_xy_m
        Their positions on the line, metres in the road's CRS (n × 2).
    """

    name: str
    rule: CorridorRule
    length_km: float
    pools: IntArray
    pool_km: FloatArray
    fast_km: FloatArray
    gaps: tuple[Gap, ...]
    proposed_km: FloatArray
    proposed_xy_m: FloatArray

    @property
    def compliant(self) -> bool:
        return not self.gaps

    @property
    def longest_stretch_km(self) -> float:
        stops = np.concatenate([[0.0], self.pool_km, [self.length_km]])
        return float(np.diff(stops).max()) if stops.size > 1 else self.length_km


def compliant_pools(
    point_kw: Sequence[Sequence[float]], rule: CorridorRule
) -> npt.NDArray[np.bool_]:
    """Whether each station's points meet the rule's pool power and count.

    Examples
    --------
    >>> from planning.config import AFIR, NEVI
    >>> compliant_pools([[150, 150, 100], [150, 150, 150, 150], [50]], AFIR).tolist()
    [True, True, False]
    >>> compliant_pools([[150, 150, 100], [150, 150, 150, 150], [50]], NEVI).tolist()
    [False, True, False]
    """
    out = np.zeros(len(point_kw), dtype=bool)
    for i, pts in enumerate(point_kw):
        p = np.asarray(pts, dtype=np.float64)
        if p.size and (not np.all(np.isfinite(p)) or p.min() < 0):
            raise InvalidParameterError(f"station {i}: point powers must be >= 0")
        out[i] = (
            float(p.sum()) >= rule.min_pool_kw
            and int((p >= rule.min_point_kw).sum()) >= rule.min_points
        )
    return out


def audit_road(
    road_m: LineString,
    station_x_m: npt.ArrayLike,
    station_y_m: npt.ArrayLike,
    point_kw: Sequence[Sequence[float]],
    rule: CorridorRule,
    name: str = "",
) -> CorridorAudit:
    """Audit one road (metric CRS) against ``rule``.

    Parameters
    ----------
    road_m
        The road as one line, metres.
    station_x_m, station_y_m
        Stations in the same CRS.
    point_kw
        Per station, the power of each charge point, kW.
    rule
        The rule set.
    name
        Label for the result.

    Raises
    ------
    EmptyInputError
        If the road has no length.

    Examples
    --------
    A 200 km road with one compliant pool at 50 km, AFIR (60 km):

    >>> from planning.config import AFIR
    >>> road = LineString([(0, 0), (200_000, 0)])
    >>> a = audit_road(road, [50_000], [1_000], [[150, 150, 150]], AFIR)
    >>> [(g.start_km, g.end_km) for g in a.gaps], a.proposed_km.tolist()
    ([(50.0, 200.0)], [100.0, 150.0])
    """
    length_km = float(road_m.length) / 1000.0
    if not length_km > 0:
        raise EmptyInputError(f"road {name!r} has no length")
    sx = np.asarray(station_x_m, np.float64)
    sy = np.asarray(station_y_m, np.float64)
    if not (sx.size == sy.size == len(point_kw)):
        raise InvalidParameterError("station x, y and point_kw must align")
    pts = shapely.points(sx, sy)
    offset_km = (
        np.atleast_1d(np.asarray(shapely.distance(road_m, pts), np.float64)) / 1000.0
    )
    chain_km = (
        np.atleast_1d(np.asarray(shapely.line_locate_point(road_m, pts), np.float64))
        / 1000.0
    )
    near = offset_km <= rule.max_offset_km
    ok = near & compliant_pools(point_kw, rule)
    fast = near & np.array(
        [bool(np.any(np.asarray(p, np.float64) >= FAST_CHARGER_KW)) for p in point_kw],
        dtype=bool,
    )
    pools = np.flatnonzero(ok)
    order = np.argsort(chain_km[pools], kind="stable")
    pools = pools[order]
    pool_km = chain_km[pools]
    stops = np.concatenate([[0.0], pool_km, [length_km]])
    gaps: list[Gap] = []
    proposed: list[float] = []
    for a, b in itertools.pairwise(stops):
        g = float(b - a)
        if g > rule.max_gap_km + 1e-9:
            gaps.append(Gap(round(float(a), 6), round(float(b), 6)))
            k = math.ceil(g / rule.max_gap_km - 1e-9) - 1
            proposed.extend(float(a) + g * (i + 1) / (k + 1) for i in range(k))
    prop = np.asarray(proposed, dtype=np.float64)
    xy = (
        shapely.get_coordinates(shapely.line_interpolate_point(road_m, prop * 1000.0))
        if prop.size
        else np.zeros((0, 2))
    )
    return CorridorAudit(
        name=name,
        rule=rule,
        length_km=length_km,
        pools=pools.astype(np.int64),
        pool_km=pool_km,
        fast_km=np.sort(chain_km[fast]),
        gaps=tuple(gaps),
        proposed_km=np.round(prop, 6),
        proposed_xy_m=np.asarray(xy, np.float64),
    )


def merge_road_parts(lines: Sequence[LineString]) -> list[LineString]:
    """Join the pieces of one road (same ref) into as few lines as possible.

    Examples
    --------
    >>> parts = [LineString([(0, 0), (1, 0)]), LineString([(1, 0), (2, 0)])]
    >>> [g.length for g in merge_road_parts(parts)]
    [2.0]
    """
    merged = shapely.line_merge(shapely.MultiLineString(list(lines)))
    if isinstance(merged, LineString):
        return [merged]
    return [g for g in merged.geoms if isinstance(g, LineString)]
