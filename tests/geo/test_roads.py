"""Road graph: building, snapping, shortest paths, distances, OSM reading."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiLineString, Point

from geo.errors import (
    CrsMismatchError,
    InvalidGeometryError,
    MissingCrsError,
    NoRouteError,
    TooFarFromRoadError,
    UnsupportedFormatError,
)
from geo.roads import (
    DEFAULT_SPEEDS_KMH,
    build_road_graph,
    distances_from,
    multi_source_distances,
    point_costs,
    read_osm_roads,
    shortest_path,
    snap_point,
    snap_points,
)

# One degree of longitude on the WGS84 equator: 111,319.49 m.
DEG_EQUATOR_M = 111_319.49


def _roads(
    lines: Sequence[LineString | MultiLineString | Point],
    classes: list[str] | None = None,
    maxspeed: list[float | None] | None = None,
) -> gpd.GeoDataFrame:
    data: dict[str, object] = {"road_class": classes or ["national"] * len(lines)}
    if maxspeed is not None:
        data["maxspeed_kmh"] = maxspeed
    return gpd.GeoDataFrame(data, geometry=lines, crs=4326)


def test_nodes_at_endpoints_and_shared_vertices_not_at_bare_crossings() -> None:
    # A: west-east through a middle vertex (69.1, 41.0) that line B also has
    # (a T junction); C crosses A between vertices without sharing one (a bridge).
    a = LineString([(69.0, 41.0), (69.1, 41.0), (69.2, 41.0)])
    b = LineString([(69.1, 41.0), (69.1, 41.1)])
    c = LineString([(69.15, 40.9), (69.15, 41.1)])
    g = build_road_graph(_roads([a, b, c]))
    assert g.node_count == 6  # 3 ends/junction of A, top of B, 2 ends of C
    assert g.edge_count == 4  # A split at the junction, B, C
    junction = g.nearest_node(69.1, 41.0)
    assert g.graph.degree[junction] == 3
    bridge_ends = {g.nearest_node(69.15, 40.9), g.nearest_node(69.15, 41.1)}
    rest = set(g.graph.nodes) - bridge_ends
    assert not any(g.graph.has_edge(x, y) for x in bridge_ends for y in rest)


def test_endpoints_within_tolerance_join() -> None:
    a = LineString([(69.0, 41.0), (69.1, 41.0)])
    b = LineString([(69.1000001, 41.0), (69.2, 41.0)])  # ~1 cm gap
    g = build_road_graph(_roads([a, b]), node_tolerance_m=1.0)
    assert g.node_count == 3


def test_edge_length_is_geodesic() -> None:
    g = build_road_graph(_roads([LineString([(0.0, 0.0), (1.0, 0.0)])]))
    assert g.edge_length_m[0] == pytest.approx(DEG_EQUATOR_M, rel=1e-6)


def test_speed_from_class_and_from_maxspeed() -> None:
    lines = [
        LineString([(69.0, 41.0), (69.1, 41.0)]),
        LineString([(69.1, 41.0), (69.2, 41.0)]),
    ]
    g = build_road_graph(_roads(lines, ["international", "national"], [None, 50.0]))
    speeds = {d["road_class"]: d["speed_kmh"] for _, _, d in g.graph.edges(data=True)}
    assert speeds == {
        "international": DEFAULT_SPEEDS_KMH["international"],
        "national": 50.0,
    }
    for _, _, d in g.graph.edges(data=True):
        assert d["time_s"] == pytest.approx(d["length_m"] / (d["speed_kmh"] / 3.6))


def test_multilinestring_parts_are_used() -> None:
    ml = MultiLineString([[(69.0, 41.0), (69.1, 41.0)], [(69.1, 41.0), (69.1, 41.1)]])
    g = build_road_graph(_roads([ml]))
    assert (g.node_count, g.edge_count) == (3, 2)


def test_parallel_edges_keep_the_faster() -> None:
    straight = LineString([(69.0, 41.0), (69.1, 41.0)])
    detour = LineString([(69.0, 41.0), (69.05, 41.05), (69.1, 41.0)])
    g = build_road_graph(_roads([straight, detour], ["national", "international"]))
    assert g.edge_count == 1 and g.merged_parallel == 1
    data = next(iter(g.graph.edges(data=True)))[2]
    # straight: 8.4 km at 70 = 432 s; detour: 11.9 km at 85 = 503 s -> straight wins
    assert data["road_class"] == "national"


def test_bad_layers_raise_clear_errors() -> None:
    line = LineString([(69.0, 41.0), (69.1, 41.0)])
    with pytest.raises(MissingCrsError, match="no CRS"):
        build_road_graph(
            gpd.GeoDataFrame({"road_class": ["national"]}, geometry=[line])
        )
    with pytest.raises(CrsMismatchError, match="EPSG:32642"):
        build_road_graph(_roads([line]).to_crs(32642))
    with pytest.raises(InvalidGeometryError, match="found \\['Point'\\]"):
        build_road_graph(_roads([Point(69.0, 41.0)]))
    with pytest.raises(
        InvalidGeometryError, match="unknown road_class \\['footpath'\\]"
    ):
        build_road_graph(_roads([line], ["footpath"]))
    no_class = gpd.GeoDataFrame({"kind": ["x"]}, geometry=[line], crs=4326)
    with pytest.raises(InvalidGeometryError, match="no 'road_class' column"):
        build_road_graph(no_class)


def test_snap_within_limit_and_clear_error_beyond() -> None:
    g = build_road_graph(_roads([LineString([(69.0, 41.0), (69.2, 41.0)])]))
    s = snap_point(g, 69.05, 41.02, max_distance_m=5_000)
    assert s.fraction == pytest.approx(0.25, abs=0.01)
    assert s.distance_m == pytest.approx(2_220, rel=0.01)  # 0.02 deg of latitude
    assert s.snapped_lat == pytest.approx(41.0)
    with pytest.raises(
        TooFarFromRoadError,
        match=r"\(69\.05000, 41\.20000\) is 22\.\d km .* limit is 5\.0 km",
    ):
        snap_point(g, 69.05, 41.2, max_distance_m=5_000)
    many = snap_points(
        g, [69.05, 69.05], [41.0, 41.2], max_distance_m=5_000, strict=False
    )
    assert many.edge.tolist() == [0, -1]
    assert math.isinf(many.distance_m[1])


def _grid() -> gpd.GeoDataFrame:
    # Short slow road A-B (national, 20 km/h) and a longer fast detour A-C-B.
    a, b, c = (69.0, 41.0), (69.2, 41.0), (69.1, 41.1)
    return _roads(
        [LineString([a, b]), LineString([a, c]), LineString([c, b])],
        ["national", "international", "international"],
        [20.0, None, None],
    )


def test_shortest_by_length_and_by_time_differ() -> None:
    g = build_road_graph(_grid())
    o, d = snap_point(g, 69.0, 41.0), snap_point(g, 69.2, 41.0)
    by_len = shortest_path(g, o, d, weight="length_m")
    by_time = shortest_path(g, o, d, weight="time_s")
    assert by_len.length_m == pytest.approx(16_813, rel=0.01)
    assert by_time.length_m > by_len.length_m
    assert by_time.time_s < by_len.time_s
    assert len(by_time.nodes) == 3  # A, C, B
    start, end = by_time.geometry.coords[0], by_time.geometry.coords[-1]
    assert start == pytest.approx((69.0, 41.0)) and end == pytest.approx((69.2, 41.0))


def test_path_between_points_inside_edges() -> None:
    g = build_road_graph(
        _roads([LineString([(69.0, 41.0), (69.1, 41.0), (69.1, 41.1)])])
    )
    # The vertex at (69.1, 41.0) is not shared: one edge; both points on it.
    p = shortest_path(g, snap_point(g, 69.05, 41.0), snap_point(g, 69.1, 41.05))
    total = g.edge_length_m[0]
    assert p.length_m == pytest.approx(total / 2, rel=0.01)
    assert p.geometry.coords[0] == pytest.approx((69.05, 41.0))
    assert p.geometry.coords[-1] == pytest.approx((69.1, 41.05), abs=1e-4)
    # Reverse direction gives the same length, reversed geometry.
    q = shortest_path(g, snap_point(g, 69.1, 41.05), snap_point(g, 69.05, 41.0))
    assert q.length_m == pytest.approx(p.length_m)
    assert q.geometry.coords[0] == pytest.approx(p.geometry.coords[-1])


def test_disconnected_parts_raise_no_route() -> None:
    g = build_road_graph(
        _roads(
            [
                LineString([(69.0, 41.0), (69.1, 41.0)]),
                LineString([(70.0, 41.0), (70.1, 41.0)]),
            ]
        )
    )
    with pytest.raises(NoRouteError, match="separate parts"):
        shortest_path(g, snap_point(g, 69.0, 41.0), snap_point(g, 70.1, 41.0))


def test_multi_source_distances_and_point_costs() -> None:
    chain = [
        LineString([(69.0 + i * 0.1, 41.0), (69.1 + i * 0.1, 41.0)]) for i in range(4)
    ]
    g = build_road_graph(_roads(chain))
    west, east = g.nearest_node(69.0, 41.0), g.nearest_node(69.4, 41.0)
    cost, nearest = multi_source_distances(g, [west, east], weight="length_m")
    step = g.edge_length_m[0]
    order = np.argsort(g.node_lon)
    assert cost[order] == pytest.approx([0, step, 2 * step, step, 0], rel=1e-3)
    assert nearest[order].tolist()[:2] == [0, 0] and nearest[order].tolist()[-2:] == [
        1,
        1,
    ]
    capped, _ = multi_source_distances(g, [west], cutoff=1.5 * step)
    assert np.isinf(capped[order][2:]).all()
    snaps = snap_points(g, [69.05, 69.35], [41.0, 41.0])
    pc = point_costs(g, cost, snaps)
    assert pc == pytest.approx([0.5 * step, 0.5 * step], rel=1e-2)
    single = distances_from(g, snap_point(g, 69.05, 41.0), weight="length_m")
    assert single[east] == pytest.approx(3.5 * step, rel=1e-2)


@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_path_length_is_symmetric_and_at_least_straight(f1: float, f2: float) -> None:
    g = build_road_graph(_grid())
    a = snap_point(g, 69.0 + 0.2 * f1, 41.0)
    b = snap_point(g, 69.1, 41.0 + 0.1 * f2)
    ab = shortest_path(g, a, b, weight="length_m")
    ba = shortest_path(g, b, a, weight="length_m")
    assert ab.length_m == pytest.approx(ba.length_m, rel=1e-9, abs=1e-6)
    from pyproj import Geod  # noqa: PLC0415

    straight = Geod(ellps="WGS84").inv(
        a.snapped_lon, a.snapped_lat, b.snapped_lon, b.snapped_lat
    )[2]
    assert ab.length_m >= straight - 1.0


OSM_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="hand">
  <node id="1" lat="41.0" lon="69.0" version="1"/>
  <node id="2" lat="41.0" lon="69.1" version="1"/>
  <node id="3" lat="41.1" lon="69.1" version="1"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/>
    <tag k="highway" v="trunk"/><tag k="maxspeed" v="100"/><tag k="ref" v="M39"/></way>
  <way id="11" version="1"><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="secondary"/></way>
</osm>
"""


def test_read_osm_xml_extract_offline(tmp_path: Path) -> None:
    f = tmp_path / "tiny.osm"
    f.write_text(OSM_XML)
    roads = read_osm_roads(f)
    assert sorted(roads["road_class"]) == ["secondary", "trunk"]
    trunk = roads[roads["road_class"] == "trunk"].iloc[0]
    assert trunk["maxspeed_kmh"] == 100.0 and trunk["ref"] == "M39"
    g = build_road_graph(roads)
    assert (g.node_count, g.edge_count) == (3, 2)
    p = shortest_path(
        g, snap_point(g, 69.0, 41.0), snap_point(g, 69.1, 41.1), weight="time_s"
    )
    by_edge = {d["road_class"]: d for _, _, d in g.graph.edges(data=True)}
    expected_s = by_edge["trunk"]["length_m"] / (100 / 3.6) + by_edge["secondary"][
        "length_m"
    ] / (DEFAULT_SPEEDS_KMH["secondary"] / 3.6)
    assert p.time_s == pytest.approx(expected_s)


def test_read_osm_rejects_pbf_and_missing(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormatError, match="not found"):
        read_osm_roads(tmp_path / "nope.osm")
    pbf = tmp_path / "uz.osm.pbf"
    pbf.write_bytes(b"\x00")
    with pytest.raises(UnsupportedFormatError, match="osmium cat"):
        read_osm_roads(pbf)
