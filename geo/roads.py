"""Road graphs: build, snap points, shortest paths, multi-source distances.

The input is a roads layer in EPSG:4326 (``LineString``/``MultiLineString`` with a
``road_class`` column and an optional ``maxspeed_kmh`` column) — the shipped
schematic main roads or an imported OSM extract. The output is a
:class:`RoadGraph`: an undirected :class:`networkx.Graph` whose nodes sit at the
endpoints of the lines and at every vertex that two or more lines share (the OSM
convention: a junction is a shared node; two lines that merely cross, such as a
bridge over a road, are not connected), plus arrays for fast snapping and
routing.

Edge attributes (every edge):

``length_m``
    WGS84 geodesic length of the edge geometry (pyproj ``Geod``), metres.
``speed_kmh``
    ``maxspeed_kmh`` of the line when given and positive, else the speed of its
    ``road_class`` (:data:`DEFAULT_SPEEDS_KMH` unless the caller passes its own).
``time_s``
    ``length_m / speed``, seconds.
``road_class``, ``ref``, ``road_row``
    class, reference (``None`` when the layer has no ``ref`` column) and the
    row position of the source line in the input layer.

Snapping is measured in a metric CRS (:func:`geo.crs.metric_crs` of the layer),
distances along an edge are the geodesic edge length times the projected
fraction. Paths and distances use Dijkstra's algorithm (Dijkstra 1959) with a
binary heap over the adjacency arrays, so snapped points that fall in the middle
of an edge are handled without copying or mutating the shared graph (safe to use
from several threads).
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer
from shapely.geometry import LineString, MultiLineString
from shapely.ops import substring

from geo.crs import WGS84, metric_crs
from geo.errors import (
    CrsMismatchError,
    InvalidGeometryError,
    MissingCrsError,
    NoRouteError,
    TooFarFromRoadError,
    UnsupportedFormatError,
)

if TYPE_CHECKING:
    import geopandas as gpd

Weight = Literal["length_m", "time_s"]

#: Speeds (km/h) by road class where a line has no ``maxspeed_kmh``.
#: ``international``/``national`` are the classes of the shipped schematic layer
#: (M/A roads and 4R state roads); the others are OSM ``highway`` values. They
#: follow Uzbekistan's traffic rules (90 km/h outside settlements for cars,
#: 100 km/h on roads marked as such); M/A roads pass through towns, so the
#: average is set below the limit. These are planning assumptions, not
#: measurements: pass ``speeds_kmh=`` to use others.
DEFAULT_SPEEDS_KMH: Final[Mapping[str, float]] = {
    "international": 85.0,
    "national": 70.0,
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 90.0,
    "trunk_link": 50.0,
    "primary": 80.0,
    "primary_link": 40.0,
    "secondary": 60.0,
    "secondary_link": 40.0,
    "tertiary": 50.0,
    "tertiary_link": 30.0,
    "unclassified": 40.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 20.0,
    "road": 40.0,
}

#: Default limit for snapping a point to the road network, metres.
DEFAULT_SNAP_M: Final[float] = 25_000.0

_GEOD: Final = Geod(ellps="WGS84")


@dataclass(frozen=True, slots=True)
class RoadGraph:
    """A routable road network.

    Attributes
    ----------
    graph
        Undirected networkx graph; node ids are ``0..n-1`` with ``x`` (lon) and
        ``y`` (lat) attributes; edge attributes are listed in the module doc.
        Treat it as read-only: it is shared by every caller.
    crs
        Metric CRS used to measure snapping distances.
    node_lon, node_lat
        Node coordinates (EPSG:4326), indexed by node id.
    edge_u, edge_v
        End nodes of edge ``i`` (``edge_u[i] < edge_v[i]`` is not guaranteed;
        ``edge_geom[i]`` runs from ``edge_u[i]`` to ``edge_v[i]``).
    edge_length_m, edge_time_s
        Geodesic length and driving time of edge ``i``.
    edge_geom
        EPSG:4326 geometry of edge ``i``, oriented from ``edge_u[i]``.
    edge_geom_metric
        The same in :attr:`crs`.
    merged_parallel
        Number of parallel edges (same two nodes) dropped in favour of the
        faster one.
    """

    graph: nx.Graph
    crs: CRS
    node_lon: npt.NDArray[np.float64]
    node_lat: npt.NDArray[np.float64]
    edge_u: npt.NDArray[np.int64]
    edge_v: npt.NDArray[np.int64]
    edge_length_m: npt.NDArray[np.float64]
    edge_time_s: npt.NDArray[np.float64]
    edge_geom: tuple[LineString, ...]
    edge_geom_metric: tuple[LineString, ...]
    merged_parallel: int
    _tree: shapely.STRtree = field(repr=False)
    _adj: tuple[tuple[tuple[int, int], ...], ...] = field(repr=False)
    _to_metric: Transformer = field(repr=False)
    _to_wgs84: Transformer = field(repr=False)

    @property
    def node_count(self) -> int:
        """Number of nodes."""
        return len(self.node_lon)

    @property
    def edge_count(self) -> int:
        """Number of edges."""
        return len(self.edge_u)

    def edge_weights(self, weight: Weight) -> npt.NDArray[np.float64]:
        """Edge lengths (m) or times (s), indexed by edge."""
        return self.edge_length_m if weight == "length_m" else self.edge_time_s

    def nearest_node(self, lon: float, lat: float) -> int:
        """Node id nearest to (lon, lat), measured in :attr:`crs`."""
        x, y = self._to_metric.transform(lon, lat)
        nx_, ny_ = self._to_metric.transform(self.node_lon, self.node_lat)
        return int(np.argmin((np.asarray(nx_) - x) ** 2 + (np.asarray(ny_) - y) ** 2))


@dataclass(frozen=True, slots=True)
class Snap:
    """A point placed on the nearest road edge.

    Attributes
    ----------
    lon, lat
        The input point.
    edge
        Edge index in the :class:`RoadGraph`.
    u, v
        End nodes of that edge.
    fraction
        Position along the edge from ``u`` (0) to ``v`` (1).
    distance_m
        Straight distance from the point to the road (metric CRS), metres.
    snapped_lon, snapped_lat
        The point on the road.
    """

    lon: float
    lat: float
    edge: int
    u: int
    v: int
    fraction: float
    distance_m: float
    snapped_lon: float
    snapped_lat: float


@dataclass(frozen=True, slots=True)
class Snaps:
    """Many points snapped at once (vectorised :class:`Snap`).

    ``edge`` is ``-1`` and ``distance_m`` is ``inf`` for points farther than the
    limit when snapping with ``strict=False``.
    """

    edge: npt.NDArray[np.int64]
    fraction: npt.NDArray[np.float64]
    distance_m: npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class RoadPath:
    """A shortest path between two snapped points.

    Attributes
    ----------
    nodes
        Graph nodes passed, in order (may be empty when both points lie on the
        same edge and the direct way along it is best).
    edges
        Edge indices passed, in order, including the partial first and last
        edges.
    length_m, time_s
        Along the road, from the first snapped point to the second (the
        off-road snap distances are not included).
    geometry
        EPSG:4326 line from the first snapped point to the second.
    """

    nodes: tuple[int, ...]
    edges: tuple[int, ...]
    length_m: float
    time_s: float
    geometry: LineString


# ---------------------------------------------------------------- building


def _check_layer(roads: gpd.GeoDataFrame, speeds_kmh: Mapping[str, float]) -> None:
    if roads.crs is None:
        raise MissingCrsError("roads layer has no CRS; expected EPSG:4326")
    if not CRS.from_user_input(roads.crs).equals(WGS84):
        raise CrsMismatchError(
            f"roads layer is in {roads.crs.to_string()}; expected EPSG:4326 "
            "(reproject with to_crs(4326))"
        )
    if "road_class" not in roads.columns:
        raise InvalidGeometryError(
            "roads layer has no 'road_class' column; columns: "
            + ", ".join(map(str, roads.columns))
        )
    kinds = set(roads.geom_type.dropna().unique())
    bad = kinds - {"LineString", "MultiLineString"}
    if bad:
        raise InvalidGeometryError(
            f"roads layer must hold LineString/MultiLineString; found {sorted(bad)}"
        )
    if roads.geometry.isna().any() or roads.geometry.is_empty.any():
        rows = np.flatnonzero(
            (roads.geometry.isna() | roads.geometry.is_empty).to_numpy()
        )
        raise InvalidGeometryError(
            f"roads layer has empty geometries at rows {rows[:10].tolist()}"
        )
    unknown = set(roads["road_class"].astype(str)) - set(speeds_kmh)
    if unknown and "maxspeed_kmh" not in roads.columns:
        raise InvalidGeometryError(
            f"unknown road_class {sorted(unknown)}; known: {', '.join(sorted(speeds_kmh))}"
        )


_Part = tuple[int, npt.NDArray[np.float64]]
_Edge = tuple[float, int, LineString, float]  # time_s, source row, geometry, length_m


def _line_parts(roads: gpd.GeoDataFrame) -> list[_Part]:
    """Every simple line of the layer with its source row."""
    parts: list[_Part] = []
    for row, geom in enumerate(roads.geometry):
        lines = geom.geoms if isinstance(geom, MultiLineString) else [geom]
        for line in lines:
            coords = np.asarray(line.coords, dtype=np.float64)[:, :2]
            if len(coords) >= 2:
                parts.append((row, coords))
    if not parts:
        raise InvalidGeometryError("roads layer holds no line with two or more points")
    return parts


def _vertex_keys(
    parts: list[_Part], to_metric: Transformer, tolerance_m: float
) -> tuple[list[npt.NDArray[np.intp]], npt.NDArray[np.bool_]]:
    """Cluster vertices on a ``tolerance_m`` grid; mark which clusters are nodes.

    A vertex is a node when it ends a line or when two or more lines share it.
    """
    all_xy = np.concatenate([c for _, c in parts])
    mx, my = to_metric.transform(all_xy[:, 0], all_xy[:, 1])
    tol = max(tolerance_m, 1e-3)
    grid = np.stack([np.round(np.asarray(mx) / tol), np.round(np.asarray(my) / tol)], 1)
    _, vertex_key = np.unique(grid, axis=0, return_inverse=True)
    vertex_key = vertex_key.ravel()
    n_keys = int(vertex_key.max()) + 1
    is_node = np.zeros(n_keys, dtype=bool)
    per_part = np.zeros(n_keys, dtype=np.int64)
    part_keys: list[npt.NDArray[np.intp]] = []
    offset = 0
    for _, coords in parts:
        k = vertex_key[offset : offset + len(coords)]
        offset += len(coords)
        part_keys.append(k)
        is_node[k[0]] = is_node[k[-1]] = True
        per_part[np.unique(k)] += 1
    return part_keys, is_node | (per_part >= 2)


def _row_speeds(
    roads: gpd.GeoDataFrame, speeds_kmh: Mapping[str, float]
) -> npt.NDArray[np.float64]:
    """Speed of each row: positive ``maxspeed_kmh`` else its class speed."""
    classes = roads["road_class"].astype(str).to_numpy()
    raw = (
        pd.to_numeric(roads["maxspeed_kmh"], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        if "maxspeed_kmh" in roads.columns
        else np.full(len(roads), np.nan)
    )
    speeds = np.empty(len(roads), dtype=np.float64)
    for i, cls in enumerate(classes):
        if math.isfinite(raw[i]) and raw[i] > 0:
            speeds[i] = raw[i]
        elif cls in speeds_kmh:
            speeds[i] = speeds_kmh[cls]
        else:
            raise InvalidGeometryError(
                f"row {i}: road_class {cls!r} has no speed and no maxspeed_kmh; "
                f"known classes: {', '.join(sorted(speeds_kmh))}"
            )
    return speeds


def _split_edges(
    parts: list[_Part],
    part_keys: list[npt.NDArray[np.intp]],
    is_node_key: npt.NDArray[np.bool_],
    speeds: npt.NDArray[np.float64],
) -> tuple[dict[tuple[int, int], _Edge], list[float], list[float], int]:
    """Cut lines at nodes; keep the fastest of parallel edges."""
    node_of_key: dict[int, int] = {}
    node_lon: list[float] = []
    node_lat: list[float] = []

    def node_for(key: int, lon: float, lat: float) -> int:
        if key not in node_of_key:
            node_of_key[key] = len(node_lon)
            node_lon.append(float(lon))
            node_lat.append(float(lat))
        return node_of_key[key]

    edges: dict[tuple[int, int], _Edge] = {}
    merged = 0
    for (row, coords), k in zip(parts, part_keys, strict=True):
        start = 0
        prev = node_for(int(k[0]), coords[0, 0], coords[0, 1])
        for j in range(1, len(coords)):
            if not is_node_key[k[j]]:
                continue
            node = node_for(int(k[j]), coords[j, 0], coords[j, 1])
            seg, start = coords[start : j + 1], j
            a, prev = prev, node
            length_m = float(_GEOD.line_length(seg[:, 0], seg[:, 1]))
            if a == node or length_m <= 0:
                continue  # a loop collapsed by the tolerance, or a zero-length piece
            time_s = length_m / (speeds[row] / 3.6)
            key = (min(a, node), max(a, node))
            line = LineString(seg if a < node else seg[::-1])
            old = edges.get(key)
            if old is not None:
                merged += 1
                if old[0] <= time_s:
                    continue
            edges[key] = (time_s, row, line, length_m)
    return edges, node_lon, node_lat, merged


def build_road_graph(
    roads: gpd.GeoDataFrame,
    *,
    speeds_kmh: Mapping[str, float] = DEFAULT_SPEEDS_KMH,
    node_tolerance_m: float = 1.0,
) -> RoadGraph:
    """Build a routable graph from a roads layer.

    Parameters
    ----------
    roads
        EPSG:4326 GeoDataFrame of ``LineString`` or ``MultiLineString``
        geometries with a ``road_class`` column (str); optional columns
        ``maxspeed_kmh`` (number, used when positive) and ``ref`` (str).
        Not modified.
    speeds_kmh
        Speed per road class (km/h) for lines without ``maxspeed_kmh``.
    node_tolerance_m
        Endpoints and vertices closer than this (metres, metric CRS) become one
        node, so lines digitised with tiny gaps still connect.

    Returns
    -------
    RoadGraph

    Raises
    ------
    MissingCrsError, CrsMismatchError
        The layer has no CRS or is not EPSG:4326.
    InvalidGeometryError
        Wrong geometry types, empty geometries, no ``road_class`` column, a
        ``road_class`` without a speed (the message lists the known classes),
        or a layer with no usable line.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> roads = gpd.GeoDataFrame(
    ...     {"road_class": ["international", "national"]},
    ...     geometry=[LineString([(69.0, 41.0), (69.1, 41.0)]),
    ...               LineString([(69.1, 41.0), (69.1, 41.1)])],
    ...     crs=4326)
    >>> g = build_road_graph(roads)
    >>> g.node_count, g.edge_count
    (3, 2)
    >>> round(float(g.edge_length_m[0]))
    8414
    """
    _check_layer(roads, speeds_kmh)
    bounds = tuple(float(b) for b in roads.total_bounds)
    crs = metric_crs((bounds[0], bounds[1], bounds[2], bounds[3]))
    to_metric = Transformer.from_crs(WGS84, crs, always_xy=True)
    parts = _line_parts(roads)
    part_keys, is_node_key = _vertex_keys(parts, to_metric, node_tolerance_m)
    speeds = _row_speeds(roads, speeds_kmh)
    edges, node_lon, node_lat, merged = _split_edges(
        parts, part_keys, is_node_key, speeds
    )
    classes = roads["road_class"].astype(str).to_numpy()
    refs = roads["ref"].to_numpy() if "ref" in roads.columns else None

    graph = nx.Graph()
    for n, (lon, lat) in enumerate(zip(node_lon, node_lat, strict=True)):
        graph.add_node(n, x=lon, y=lat)
    adj: list[list[tuple[int, int]]] = [[] for _ in node_lon]
    for e, ((u, v), (time_s, row, _, length_m)) in enumerate(edges.items()):
        adj[u].append((v, e))
        adj[v].append((u, e))
        ref = None if refs is None or pd.isna(refs[row]) else str(refs[row])
        graph.add_edge(
            u,
            v,
            edge=e,
            length_m=length_m,
            speed_kmh=float(speeds[row]),
            time_s=time_s,
            road_class=str(classes[row]),
            ref=ref,
            road_row=row,
        )
    geoms = tuple(item[2] for item in edges.values())
    metric = tuple(
        shapely.transform(
            g, lambda xy: np.column_stack(to_metric.transform(xy[:, 0], xy[:, 1]))
        )
        for g in geoms
    )
    keys = list(edges)
    return RoadGraph(
        graph=graph,
        crs=crs,
        node_lon=np.asarray(node_lon, dtype=np.float64),
        node_lat=np.asarray(node_lat, dtype=np.float64),
        edge_u=np.asarray([k[0] for k in keys], dtype=np.int64),
        edge_v=np.asarray([k[1] for k in keys], dtype=np.int64),
        edge_length_m=np.asarray([v[3] for v in edges.values()], dtype=np.float64),
        edge_time_s=np.asarray([v[0] for v in edges.values()], dtype=np.float64),
        edge_geom=geoms,
        edge_geom_metric=metric,
        merged_parallel=merged,
        _tree=shapely.STRtree(metric),
        _adj=tuple(tuple(a) for a in adj),
        _to_metric=to_metric,
        _to_wgs84=Transformer.from_crs(crs, WGS84, always_xy=True),
    )


# ---------------------------------------------------------------- snapping


def snap_points(
    graph: RoadGraph,
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    max_distance_m: float = DEFAULT_SNAP_M,
    strict: bool = True,
) -> Snaps:
    """Snap many EPSG:4326 points to their nearest edge.

    Parameters
    ----------
    graph
        The road graph.
    lon, lat
        Point coordinates (degrees, EPSG:4326), same length.
    max_distance_m
        Largest allowed straight distance from a point to a road, metres.
    strict
        When true, a point beyond the limit raises; when false it gets edge
        ``-1`` and distance ``inf``.

    Returns
    -------
    Snaps

    Raises
    ------
    TooFarFromRoadError
        ``strict`` and a point is farther than ``max_distance_m`` from every road;
        the message gives the point, its distance and the limit.
    """
    lons = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    lats = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    if lons.shape != lats.shape:
        raise ValueError("lon and lat must have the same length")
    x, y = graph._to_metric.transform(lons, lats)
    pts: npt.NDArray[np.object_] = np.asarray(
        shapely.points(np.asarray(x), np.asarray(y)), dtype=object
    ).reshape(-1)
    n = len(lons)
    edge = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.inf)
    frac = np.zeros(n)
    if n:
        idx, d = graph._tree.query_nearest(
            pts, max_distance=max_distance_m, return_distance=True, all_matches=False
        )
        edge[idx[0]] = idx[1]
        dist[idx[0]] = d
        hit = idx[0]
        if len(hit):
            lines = np.asarray(graph.edge_geom_metric, dtype=object)[idx[1]]
            frac[hit] = shapely.line_locate_point(lines, pts[hit], normalized=True)
    if strict and (edge < 0).any():
        i = int(np.flatnonzero(edge < 0)[0])
        far = _nearest_distance(graph, pts[i])
        raise TooFarFromRoadError(
            f"point ({lons[i]:.5f}, {lats[i]:.5f}) is {far / 1000:.1f} km from the "
            f"nearest road; the limit is {max_distance_m / 1000:.1f} km"
        )
    return Snaps(edge=edge, fraction=np.clip(frac, 0.0, 1.0), distance_m=dist)


def _nearest_distance(graph: RoadGraph, pt: shapely.Geometry) -> float:
    _, d = graph._tree.query_nearest(pt, return_distance=True, all_matches=False)
    return float(d[0]) if len(d) else math.inf


def snap_point(
    graph: RoadGraph,
    lon: float,
    lat: float,
    *,
    max_distance_m: float = DEFAULT_SNAP_M,
) -> Snap:
    """Snap one EPSG:4326 point to its nearest edge.

    Parameters
    ----------
    graph
        The road graph.
    lon, lat
        The point, degrees (EPSG:4326).
    max_distance_m
        Largest allowed straight distance to a road, metres.

    Returns
    -------
    Snap

    Raises
    ------
    TooFarFromRoadError
        The point is farther than ``max_distance_m`` from every road.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> roads = gpd.GeoDataFrame({"road_class": ["national"]},
    ...     geometry=[LineString([(69.0, 41.0), (69.2, 41.0)])], crs=4326)
    >>> s = snap_point(build_road_graph(roads), 69.1, 41.01)
    >>> round(s.fraction, 2), round(s.distance_m / 1000, 1)
    (0.5, 1.1)
    """
    s = snap_points(graph, [lon], [lat], max_distance_m=max_distance_m)
    e = int(s.edge[0])
    frac = float(s.fraction[0])
    pm = graph.edge_geom_metric[e].interpolate(frac, normalized=True)
    plon, plat = graph._to_wgs84.transform(pm.x, pm.y)
    return Snap(
        lon=float(lon),
        lat=float(lat),
        edge=e,
        u=int(graph.edge_u[e]),
        v=int(graph.edge_v[e]),
        fraction=frac,
        distance_m=float(s.distance_m[0]),
        snapped_lon=float(plon),
        snapped_lat=float(plat),
    )


# ---------------------------------------------------------------- paths


def _seeds(snap: Snap | int, w: npt.NDArray[np.float64]) -> list[tuple[float, int]]:
    if isinstance(snap, int):
        return [(0.0, snap)]
    cost = float(w[snap.edge])
    return [(snap.fraction * cost, snap.u), ((1.0 - snap.fraction) * cost, snap.v)]


def _dijkstra(
    graph: RoadGraph,
    seeds: Sequence[tuple[float, int]],
    weights: npt.NDArray[np.float64],
    *,
    cutoff: float = math.inf,
    target: int | None = None,
) -> tuple[dict[int, float], dict[int, tuple[int, int]]]:
    dist: dict[int, float] = {}
    pred: dict[int, tuple[int, int]] = {}
    best: dict[int, float] = {}
    heap: list[tuple[float, int, int, int]] = []
    for d, n in seeds:
        if d <= cutoff and d < best.get(n, math.inf):
            best[n] = d
            heapq.heappush(heap, (d, n, -1, -1))
    adj = graph._adj
    while heap:
        d, n, p, e = heapq.heappop(heap)
        if n in dist:
            continue
        dist[n] = d
        if p >= 0:
            pred[n] = (p, e)
        if n == target:
            break
        for m, edge in adj[n]:
            if m in dist:
                continue
            nd = d + weights[edge]
            if nd <= cutoff and nd < best.get(m, math.inf):
                best[m] = nd
                heapq.heappush(heap, (nd, m, n, edge))
    return dist, pred


def _sub_line(
    graph: RoadGraph, edge: int, start: float, end: float
) -> list[tuple[float, float]]:
    """EPSG:4326 coordinates of an edge from position ``start`` to ``end`` (0..1).

    Positions are fractions of the metric length (as :func:`snap_points` gives);
    the piece is cut in the metric CRS and transformed back.
    """
    if (start, end) == (0.0, 1.0):
        return [(float(x), float(y)) for x, y, *_ in graph.edge_geom[edge].coords]
    if (start, end) == (1.0, 0.0):
        return [(float(x), float(y)) for x, y, *_ in graph.edge_geom[edge].coords][::-1]
    piece = substring(graph.edge_geom_metric[edge], start, end, normalized=True)
    if piece.is_empty:
        return []
    xy = np.asarray(piece.coords, dtype=np.float64)[:, :2]
    lon, lat = graph._to_wgs84.transform(xy[:, 0], xy[:, 1])
    return list(zip(np.asarray(lon).tolist(), np.asarray(lat).tolist(), strict=True))


def shortest_path(
    graph: RoadGraph,
    origin: Snap,
    destination: Snap,
    *,
    weight: Weight = "time_s",
) -> RoadPath:
    """Shortest path between two snapped points by length or by driving time.

    Parameters
    ----------
    graph
        The road graph.
    origin, destination
        Snapped points (:func:`snap_point`).
    weight
        ``"time_s"`` (fastest) or ``"length_m"`` (shortest).

    Returns
    -------
    RoadPath

    Raises
    ------
    NoRouteError
        The two points lie in parts of the network that do not connect.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> roads = gpd.GeoDataFrame({"road_class": ["national", "national"]},
    ...     geometry=[LineString([(69.0, 41.0), (69.2, 41.0)]),
    ...               LineString([(69.2, 41.0), (69.2, 41.2)])], crs=4326)
    >>> g = build_road_graph(roads)
    >>> p = shortest_path(g, snap_point(g, 69.1, 41.0), snap_point(g, 69.2, 41.1))
    >>> round(p.length_m / 1000, 1)
    19.5
    """
    w = graph.edge_weights(weight)
    lw = graph.edge_length_m
    tw = graph.edge_time_s
    best_cost = math.inf
    best_path: RoadPath | None = None
    if origin.edge == destination.edge:
        e = origin.edge
        f = abs(destination.fraction - origin.fraction)
        best_cost = f * float(w[e])
        geom = _sub_line(graph, e, origin.fraction, destination.fraction)
        if len(geom) < 2:
            geom = [(origin.snapped_lon, origin.snapped_lat)] * 2
        best_path = RoadPath(
            (), (e,), f * float(lw[e]), f * float(tw[e]), LineString(geom)
        )
    dist, pred = _dijkstra(graph, _seeds(origin, w), w)
    end_options = [
        (
            dist.get(destination.u, math.inf)
            + destination.fraction * float(w[destination.edge]),
            destination.u,
        ),
        (
            dist.get(destination.v, math.inf)
            + (1 - destination.fraction) * float(w[destination.edge]),
            destination.v,
        ),
    ]
    cost, last = min(end_options)
    if cost < best_cost:
        nodes = [last]
        edges: list[int] = []
        while nodes[-1] in pred:
            p, e = pred[nodes[-1]]
            edges.append(e)
            nodes.append(p)
        nodes.reverse()
        edges.reverse()
        first = nodes[0]
        # Partial first edge: from the origin's point to the first node.
        to_frac = 0.0 if first == origin.u else 1.0
        coords = _sub_line(graph, origin.edge, origin.fraction, to_frac)
        head = abs(origin.fraction - to_frac)
        length = head * float(lw[origin.edge])
        time = head * float(tw[origin.edge])
        for a, e in zip(nodes, edges, strict=False):
            seg = list(graph.edge_geom[e].coords)
            if int(graph.edge_u[e]) != a:
                seg = seg[::-1]
            coords += [(float(c[0]), float(c[1])) for c in seg]
            length += float(lw[e])
            time += float(tw[e])
        from_frac = 0.0 if last == destination.u else 1.0
        coords += _sub_line(graph, destination.edge, from_frac, destination.fraction)
        tail = (
            destination.fraction if last == destination.u else 1 - destination.fraction
        )
        length += tail * float(lw[destination.edge])
        time += tail * float(tw[destination.edge])
        coords = _dedupe(coords)
        if len(coords) < 2:
            coords = [(origin.snapped_lon, origin.snapped_lat)] * 2
        all_edges = [origin.edge, *edges, destination.edge]
        best_path = RoadPath(
            tuple(nodes), tuple(all_edges), length, time, LineString(coords)
        )
    if best_path is None:
        raise NoRouteError(
            f"no road connects ({origin.lon:.5f}, {origin.lat:.5f}) with "
            f"({destination.lon:.5f}, {destination.lat:.5f}): they lie on "
            "separate parts of the road network"
        )
    return best_path


def _close(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return abs(a[0] - b[0]) < 1e-9 and abs(a[1] - b[1]) < 1e-9


def _dedupe(coords: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for c in coords:
        if not out or not _close(out[-1], c):
            out.append(c)
    return out


def distances_from(
    graph: RoadGraph,
    origin: Snap | int,
    *,
    weight: Weight = "time_s",
    cutoff: float = math.inf,
) -> dict[int, float]:
    """Cost from one snapped point (or node id) to every node it reaches.

    Parameters
    ----------
    graph
        The road graph.
    origin
        A :class:`Snap` or a node id.
    weight
        ``"time_s"`` (seconds) or ``"length_m"`` (metres).
    cutoff
        Nodes costlier than this are left out.

    Returns
    -------
    dict
        ``{node: cost}``.
    """
    w = graph.edge_weights(weight)
    dist, _ = _dijkstra(graph, _seeds(origin, w), w, cutoff=cutoff)
    return dist


def multi_source_distances(
    graph: RoadGraph,
    sources: Sequence[Snap | int],
    *,
    weight: Weight = "length_m",
    cutoff: float = math.inf,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Cost from the nearest of several sources to every node (for coverage).

    Parameters
    ----------
    graph
        The road graph.
    sources
        Snapped points or node ids (e.g. stations).
    weight
        ``"length_m"`` (metres) or ``"time_s"`` (seconds).
    cutoff
        Nodes costlier than this get ``inf``.

    Returns
    -------
    cost, nearest
        ``cost[node]`` (``inf`` when unreached) and ``nearest[node]``, the
        position in ``sources`` of the nearest source (``-1`` when unreached).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> roads = gpd.GeoDataFrame({"road_class": ["national"] * 2},
    ...     geometry=[LineString([(69.0, 41.0), (69.1, 41.0)]),
    ...               LineString([(69.1, 41.0), (69.2, 41.0)])], crs=4326)
    >>> g = build_road_graph(roads)
    >>> cost, nearest = multi_source_distances(g, [0, 2])
    >>> [round(c) for c in cost], nearest.tolist()
    ([0, 8414, 0], [0, 0, 1])
    """
    w = graph.edge_weights(weight)
    n = graph.node_count
    cost = np.full(n, np.inf)
    nearest = np.full(n, -1, dtype=np.int64)
    heap: list[tuple[float, int, int]] = []
    for i, s in enumerate(sources):
        for d, node in _seeds(s, w):
            if d <= cutoff:
                heapq.heappush(heap, (d, node, i))
    done = np.zeros(n, dtype=bool)
    adj = graph._adj
    while heap:
        d, node, src = heapq.heappop(heap)
        if done[node]:
            continue
        done[node] = True
        cost[node] = d
        nearest[node] = src
        for m, e in adj[node]:
            if not done[m]:
                nd = d + w[e]
                if nd <= cutoff and nd < cost[m]:
                    cost[m] = nd
                    heapq.heappush(heap, (nd, m, src))
    cost[~done] = np.inf
    return cost, nearest


def point_costs(
    graph: RoadGraph,
    node_cost: npt.NDArray[np.float64],
    snaps: Snaps,
    *,
    weight: Weight = "length_m",
) -> npt.NDArray[np.float64]:
    """Cost of snapped points given a cost per node (e.g. from :func:`multi_source_distances`).

    The cost of a point is the cheaper of its edge's two ends plus the part of
    the edge between; points with edge ``-1`` get ``inf``. The off-road snap
    distance is not added (add ``snaps.distance_m`` when wanted).
    """
    w = graph.edge_weights(weight)
    out = np.full(len(snaps.edge), np.inf)
    ok = snaps.edge >= 0
    e = snaps.edge[ok]
    f = snaps.fraction[ok]
    cu = node_cost[graph.edge_u[e]] + f * w[e]
    cv = node_cost[graph.edge_v[e]] + (1 - f) * w[e]
    out[ok] = np.minimum(cu, cv)
    return out


# ---------------------------------------------------------------- OSM


_SPEED_RE: Final = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph)?")


def _parse_maxspeed(value: object) -> float:
    if isinstance(value, list):
        speeds = [_parse_maxspeed(v) for v in value]
        good = [s for s in speeds if math.isfinite(s)]
        return min(good) if good else math.nan
    if not isinstance(value, str):
        return math.nan
    m = _SPEED_RE.match(value)
    if not m:
        return math.nan
    kmh = float(m.group(1))
    return kmh * 1.609344 if m.group(2) else kmh


def read_osm_roads(path: str | Path) -> gpd.GeoDataFrame:
    """Read drivable roads from a local OSM XML extract through osmnx.

    The file must already be filtered to drivable ``highway=*`` ways (see
    ``SOURCES.md``: ``osmium tags-filter ... w/highway=...`` then ``osmium cat
    -o file.osm``); osmnx's ``graph_from_xml`` makes edges of every way. No
    network access: osmnx reads the file only.

    Parameters
    ----------
    path
        ``.osm`` or ``.osm.xml`` file (OSM XML). PBF is not read here: convert it
        with ``osmium cat in.osm.pbf -o out.osm``.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 LineStrings with ``road_class`` (the OSM ``highway`` value; the
        first when a way has several), ``maxspeed_kmh`` (parsed, NaN when
        missing), ``ref`` and ``osmid``: the input of :func:`build_road_graph`.

    Raises
    ------
    UnsupportedFormatError
        The file is not OSM XML or is missing.
    """
    import osmnx as ox  # noqa: PLC0415  # heavy import, only for OSM users

    p = Path(path)
    if not p.is_file():
        raise UnsupportedFormatError(f"OSM file not found: {p}")
    if p.suffix.lower() == ".pbf":
        raise UnsupportedFormatError(
            f"{p.name}: OSM PBF is not read directly; convert with "
            "'osmium cat in.osm.pbf -o out.osm'"
        )
    try:
        g = ox.graph_from_xml(p, bidirectional=True, simplify=False, retain_all=True)
        # Merge chains of ways, but never across a change of class, speed or ref.
        g = ox.simplify_graph(g, edge_attrs_differ=["highway", "maxspeed", "ref"])
    except Exception as e:  # osmnx raises many types on bad XML
        raise UnsupportedFormatError(
            f"{p.name}: not a readable OSM XML file ({e})"
        ) from e
    edges = ox.graph_to_gdfs(g, nodes=False).reset_index()
    highway = edges["highway"].map(lambda h: h[0] if isinstance(h, list) else h)
    out = edges[["geometry"]].copy()
    out["road_class"] = highway.astype(str)
    out["maxspeed_kmh"] = (
        edges["maxspeed"].map(_parse_maxspeed) if "maxspeed" in edges else math.nan
    )
    out["ref"] = (
        edges["ref"].map(lambda r: r[0] if isinstance(r, list) else r)
        if "ref" in edges
        else None
    )
    out["osmid"] = edges["osmid"].map(lambda o: o[0] if isinstance(o, list) else o)
    # Two-way streets come back as u->v and v->u: keep one of each pair.
    key = edges.apply(
        lambda r: (min(r["u"], r["v"]), max(r["u"], r["v"]), r["key"]), axis=1
    )
    out = out.loc[~key.duplicated()].reset_index(drop=True)
    return out.set_crs(4326, allow_override=True)


def shortest_path_tree(
    graph: RoadGraph,
    origin: Snap | int,
    *,
    weight: Weight = "time_s",
    edge_values: Sequence[npt.NDArray[np.float64]] = (),
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Cheapest cost to every node, plus sums of other edge values along those paths.

    Parameters
    ----------
    graph
        The road graph.
    origin
        A :class:`Snap` (costs include the partial edge to each end) or a node id.
    weight
        Cost minimised: ``"time_s"`` or ``"length_m"``.
    edge_values
        Arrays indexed by edge (e.g. lengths, energies); each is summed along
        the cheapest path (for a snapped origin, pro rata on its partial edge).

    Returns
    -------
    cost, sums
        ``cost[node]`` (``inf`` when unreached) and ``sums[k, node]`` for each
        array of ``edge_values`` (``inf`` when unreached).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> roads = gpd.GeoDataFrame({"road_class": ["national"] * 2},
    ...     geometry=[LineString([(69.0, 41.0), (69.1, 41.0)]),
    ...               LineString([(69.1, 41.0), (69.2, 41.0)])], crs=4326)
    >>> g = build_road_graph(roads)
    >>> cost, sums = shortest_path_tree(g, 0, edge_values=[g.edge_length_m])
    >>> [round(x) for x in sums[0]]
    [0, 8414, 16827]
    """
    w = graph.edge_weights(weight)
    n = graph.node_count
    k = len(edge_values)
    vals = np.asarray(edge_values, dtype=np.float64).reshape(k, graph.edge_count)
    cost = np.full(n, np.inf)
    sums = np.full((k, n), np.inf)
    heap: list[tuple[float, int]] = []
    seed_sums: dict[int, npt.NDArray[np.float64]] = {}
    if isinstance(origin, int):
        cost[origin] = 0.0
        seed_sums[origin] = np.zeros(k)
        heap.append((0.0, origin))
    else:
        e = origin.edge
        for part, node in (
            (origin.fraction, origin.u),
            (1 - origin.fraction, origin.v),
        ):
            c = part * float(w[e])
            if c < cost[node]:
                cost[node] = c
                seed_sums[node] = part * vals[:, e]
                heapq.heappush(heap, (c, node))
    for node, s in seed_sums.items():
        sums[:, node] = s
    done = np.zeros(n, dtype=bool)
    adj = graph._adj
    while heap:
        d, node = heapq.heappop(heap)
        if done[node]:
            continue
        done[node] = True
        for m, e in adj[node]:
            if done[m]:
                continue
            nd = d + w[e]
            if nd < cost[m]:
                cost[m] = nd
                sums[:, m] = sums[:, node] + vals[:, e]
                heapq.heappush(heap, (nd, m))
    return cost, sums
