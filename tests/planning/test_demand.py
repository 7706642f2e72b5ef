from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Transformer
from shapely import LineString, box

from geo.overlay import polygon_index
from planning.config import DemandConfig
from planning.demand import (
    RegionTotals,
    allocate_demand,
    population_from_raster,
    regional_background,
    spread_cities,
    traffic_proxy,
)
from planning.errors import InvalidParameterError
from planning.grid import CellGrid, make_grid

AREA = box(69.0, 41.0, 69.6, 41.5)


@pytest.fixture(scope="module")
def grid() -> CellGrid:
    return make_grid(AREA, 7)


def test_city_kernel_conserves_each_city_and_decays(grid: CellGrid) -> None:
    cfg = DemandConfig(resolution=7, rural_density_per_km2=0.0)
    r = spread_cities(grid, [69.3, 70.5], [41.25, 41.25], [400_000.0, 1000.0], cfg)
    # the second city lies outside the area: counted, not assigned
    assert r.population.sum() == pytest.approx(400_000.0)
    assert (r.outside_count, r.outside_total, r.input_total) == (1, 1000.0, 401_000.0)
    centre = int(np.argmax(r.population))
    d_km = np.hypot(grid.x_m - grid.x_m[centre], grid.y_m - grid.y_m[centre]) / 1000
    # lambda = 2 km * sqrt(4) = 4 km; nothing beyond the 3-lambda cutoff
    assert r.population[d_km > 12.5].sum() == 0
    near, far = (
        r.population[d_km < 3].mean(),
        r.population[(d_km > 7) & (d_km < 9)].mean(),
    )
    assert near > 3 * far > 0


@given(
    st.lists(
        st.tuples(st.floats(68.8, 69.8), st.floats(40.9, 41.6), st.floats(0, 3e6)),
        max_size=12,
    ),
    st.floats(0, 200),
)
def test_population_totals_are_conserved(
    grid: CellGrid, cities: list[tuple[float, float, float]], density: float
) -> None:
    cfg = DemandConfig(resolution=7, rural_density_per_km2=density)
    lon, lat, pop = (np.array([c[i] for c in cities]) for i in range(3))
    r = spread_cities(grid, lon, lat, pop, cfg)
    assert r.population.sum() == pytest.approx(
        r.input_total - r.outside_total, rel=1e-9, abs=1e-6
    )
    d = allocate_demand(grid, r, np.zeros(grid.size), np.zeros(grid.size), cfg)
    assert d.demand_kwh_day.sum() == pytest.approx(d.total_kwh_day, rel=1e-9, abs=1e-9)


def test_region_totals_are_met_and_kernels_stay_in_their_region(
    grid: CellGrid,
) -> None:
    # two "regions" split at 69.3°E; a 2 M city sits 2 km west of the border,
    # so its 3-lambda kernel (lambda = 8.9 km) would reach far into the east
    west, east = box(69.0, 41.0, 69.3, 41.5), box(69.3, 41.0, 69.6, 41.5)
    cell_region = polygon_index(grid.lon, grid.lat, [west, east])
    totals = RegionTotals(
        population=np.array([2_500_000.0, np.nan]),
        cell_region=cell_region,
        city_region=polygon_index([69.275], [41.25], [west, east]),
    )
    cfg = DemandConfig(resolution=7, rural_density_per_km2=10.0)
    r = spread_cities(grid, [69.275], [41.25], [2_000_000.0], cfg, totals)
    in_west = cell_region == 0
    # the west holds exactly its official figure: the city + 500,000 spread by area
    assert r.population[in_west].sum() == pytest.approx(2_500_000.0)
    # the east has no figure: only its rural density, none of the city
    assert r.population[~in_west].sum() == pytest.approx(
        10.0 * grid.area_km2[~in_west].sum()
    )
    assert r.population.sum() == pytest.approx(r.input_total - r.outside_total)
    # without totals the same city spills over the border
    plain = spread_cities(grid, [69.275], [41.25], [2_000_000.0], cfg)
    spill = plain.population[~in_west].sum() - 10.0 * grid.area_km2[~in_west].sum()
    assert spill > 100_000


def test_regional_background_rejects_bad_input(grid: CellGrid) -> None:
    zeros = np.zeros(grid.size, np.int64)
    with pytest.raises(InvalidParameterError, match="one region index per cell"):
        regional_background(grid, zeros[:-1], [1.0], [0.0], 40)
    with pytest.raises(InvalidParameterError, match="without a population"):
        regional_background(grid, zeros + 1, [1.0], [0.0], 40)
    with pytest.raises(InvalidParameterError, match=">= 0"):
        regional_background(grid, zeros, [-5.0], [0.0], 40)
    # places bigger than the official figure: no negative background
    bg = regional_background(grid, zeros, [100.0], [500.0], 40)
    assert bg.sum() == 0.0


def test_demand_total_and_split(grid: CellGrid) -> None:
    cfg = DemandConfig(
        resolution=7,
        ev_fleet=100_000,
        kwh_per_ev_day=5.0,
        public_charging_share=0.5,
        rural_density_per_km2=0.0,
    )
    pop = spread_cities(grid, [69.3], [41.25], [349_151.0], cfg)
    traffic, _ = traffic_proxy(
        grid, [LineString([(69.05, 41.1), (69.55, 41.1)])], ["international"], cfg
    )
    d = allocate_demand(
        grid, pop, traffic, np.zeros(grid.size), cfg, country_population=34_915_100
    )
    # 100,000 EVs x 5 kWh x 0.5 = 250,000 kWh/day nationally; 1 % of people here
    assert d.total_kwh_day == pytest.approx(2_500.0)
    assert d.demand_kwh_day.sum() == pytest.approx(2_500.0)
    # no POIs: their 10 % go to population -> 70 % population, 30 % traffic
    assert d.shares == pytest.approx((0.7, 0.3, 0.0))
    road_cells = traffic > 0
    assert d.demand_kwh_day[road_cells & (pop.population == 0)].sum() > 0


def test_raster_in_utm_with_nodata_is_reprojected_and_counted(grid: CellGrid) -> None:
    to_utm = Transformer.from_crs(4326, 32642, always_xy=True)
    x0, y0 = to_utm.transform(69.2, 41.3)
    values = np.array([[100.0, -9999.0], [np.nan, 50.0]])
    transform = (1000.0, 0.0, x0, 0.0, -1000.0, y0)
    r = population_from_raster(grid, values, transform, "EPSG:32642", nodata=-9999.0)
    assert (r.input_total, r.nodata_pixels, r.outside_total) == (150.0, 2, 0.0)
    assert r.population.sum() == pytest.approx(150.0)
    with pytest.raises(InvalidParameterError, match="negative"):
        population_from_raster(grid, -values, transform, 32642)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"resolution": 5}, "resolution 5 is outside 6..9"),
        ({"resolution": 10}, "resolution 10 is outside 6..9"),
        ({"kwh_per_ev_day": -1.0}, "kwh_per_ev_day must be >= 0"),
        ({"kwh_per_ev_day": float("nan")}, "kwh_per_ev_day must be a finite number"),
        ({"poi_share": 0.5}, "must be 1, got 1.4"),
        (
            {"road_class_weights": {"national": -1}},
            "road_class_weights\\['national'\\]",
        ),
    ],
)
def test_bad_parameters_are_named(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        DemandConfig(**kwargs)  # type: ignore[arg-type]  # deliberately bad values
