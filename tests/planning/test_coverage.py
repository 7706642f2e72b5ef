from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely import box

from geo import h3 as gh3
from planning.config import CoverageConfig
from planning.coverage import coverage, coverage_arrays
from planning.grid import CellGrid, make_grid


@pytest.fixture(scope="module")
def grid() -> CellGrid:
    return make_grid(box(69.0, 41.0, 69.6, 41.5), 8)


def test_charger_at_a_cell_centre_covers_exactly_its_ring(grid: CellGrid) -> None:
    centre = grid.size // 2
    disk1 = set(gh3.disk(int(grid.cells[centre]), 1).tolist())
    disk2 = set(gh3.disk(int(grid.cells[centre]), 2).tolist())
    spacing = np.sqrt(3) * gh3.mean_edge_length_m(8) * 1.1 / 1000
    pop = np.ones(grid.size)
    # ring 1 is one spacing away, ring 2 at least 1.73 spacings away
    cfg = CoverageConfig(radius_km=spacing * 1.2, minutes=0)
    r = coverage(grid, pop, pop, [grid.lon[centre]], [grid.lat[centre]], cfg)
    covered = set(grid.cells[r.within_km].tolist())
    assert covered == disk1
    assert r.population_share_km == pytest.approx(7 / grid.size)
    cfg2 = CoverageConfig(radius_km=spacing * 2.05, minutes=0)
    r2 = coverage(grid, pop, pop, [grid.lon[centre]], [grid.lat[centre]], cfg2)
    assert set(grid.cells[r2.within_km].tolist()) == disk2  # 19 cells
    assert int(r2.within_km.sum()) == 19


def test_no_chargers_means_nothing_covered_and_underserved_by_threshold() -> None:
    x = np.array([0.0, 1000.0])
    y = np.zeros(2)
    r = coverage_arrays(
        x,
        y,
        np.ones(2),
        np.array([0.5, 3.0]),
        np.zeros(0),
        np.zeros(0),
        CoverageConfig(underserved_min_kwh_day=1.0),
    )
    assert r.distance_m.tolist() == [np.inf, np.inf]
    assert r.underserved.tolist() == [False, True]
    assert r.demand_share_km == 0.0


def test_minutes_use_detour_and_speed() -> None:
    x = np.array([0.0, 6000.0])
    y = np.zeros(2)
    cfg = CoverageConfig(radius_km=1, minutes=10, detour_factor=1.25, speed_kmh=45)
    r = coverage_arrays(
        x, y, np.ones(2), np.ones(2), np.array([0.0]), np.array([0.0]), cfg
    )
    # 6 km * 1.25 / 45 km/h = 10 min: within the limit
    assert r.minutes[1] == pytest.approx(10.0)
    assert r.within_minutes.tolist() == [True, True]
    assert r.within_km.tolist() == [True, False]


@given(
    st.lists(
        st.tuples(st.floats(-5e4, 5e4), st.floats(-5e4, 5e4), st.floats(0, 100)),
        min_size=1,
        max_size=40,
    ),
    st.lists(st.tuples(st.floats(-5e4, 5e4), st.floats(-5e4, 5e4)), max_size=5),
    st.floats(0.1, 30),
    st.floats(0.1, 30),
)
def test_coverage_is_monotone_in_radius(
    cells: list[tuple[float, float, float]],
    sites: list[tuple[float, float]],
    r1: float,
    r2: float,
) -> None:
    lo, hi = sorted((r1, r2))
    x = np.array([c[0] for c in cells])
    y = np.array([c[1] for c in cells])
    w = np.array([c[2] for c in cells])
    sx = np.array([s[0] for s in sites])
    sy = np.array([s[1] for s in sites])
    a = coverage_arrays(x, y, w, w, sx, sy, CoverageConfig(radius_km=lo, minutes=lo))
    b = coverage_arrays(x, y, w, w, sx, sy, CoverageConfig(radius_km=hi, minutes=hi))
    assert np.all(a.within_km <= b.within_km)
    assert a.population_share_km <= b.population_share_km + 1e-12
    assert a.demand_share_min <= b.demand_share_min + 1e-12


def test_road_distance_follows_the_road_around_a_bend() -> None:
    import geopandas as gpd  # noqa: PLC0415
    from pyproj import Geod  # noqa: PLC0415
    from shapely import LineString  # noqa: PLC0415

    from geo.roads import build_road_graph  # noqa: PLC0415
    from planning.coverage import road_costs  # noqa: PLC0415

    roads = gpd.GeoDataFrame(
        {"road_class": ["national", "national"]},
        geometry=[
            LineString([(69.0, 41.0), (69.2, 41.0)]),
            LineString([(69.2, 41.0), (69.2, 41.2)]),
        ],
        crs=4326,
    )
    grid = make_grid(box(68.98, 40.98, 69.22, 41.22), 8)
    cfg = CoverageConfig(radius_km=5, minutes=10)
    dist, minutes = road_costs(grid, build_road_graph(roads), [69.0], [41.0], cfg)
    straight = coverage(
        grid, np.ones(grid.size), np.ones(grid.size), [69.0], [41.0], cfg
    )
    reach = np.isfinite(dist)
    assert reach.all()  # every cell is within 25 km of the road
    assert np.all(dist[reach] >= straight.distance_m[reach] * 0.995)
    geod = Geod(ellps="WGS84")
    leg1 = geod.inv(69.0, 41.0, 69.2, 41.0)[2]
    leg2 = geod.inv(69.2, 41.0, 69.2, 41.2)[2]
    corner = int(np.argmin(np.hypot(grid.lon - 69.2, grid.lat - 41.2)))
    assert dist[corner] == pytest.approx(leg1 + leg2, abs=800)  # + off-road leg
    # 39 km at 70 km/h on a national road ≈ 33.4 min
    assert minutes[corner] == pytest.approx((leg1 + leg2) / 1000 / 70 * 60, abs=1.5)
    assert straight.distance_m[corner] < 0.75 * dist[corner]
    r = coverage(
        grid, np.ones(grid.size), np.ones(grid.size), [69.0], [41.0], cfg, dist, minutes
    )
    assert r.road_distance_m is not None
    assert r.within_minutes[corner] == False  # noqa: E712
