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
