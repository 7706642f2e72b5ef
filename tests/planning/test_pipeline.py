"""A nationwide run on the shipped Uzbekistan layers, with sane totals."""

from __future__ import annotations

import dataclasses
import doctest
import importlib

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.overlay import polygon_index
from planning.config import DemandConfig, SelectionConfig
from planning.demand import COUNTRY_POPULATION
from planning.errors import InvalidParameterError, MissingColumnError
from planning.grid import CellGrid, make_grid
from planning.pipeline import PlanConfig, PlanInputs, run_demand, run_plan, study_area


@pytest.mark.parametrize(
    "module",
    [
        "geo.h3",
        "planning.config",
        "planning.grid",
        "planning.demand",
        "planning.coverage",
        "planning.scoring",
        "planning.mclp",
        "planning.corridor",
        "planning.pipeline",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(
        importlib.import_module(module), optionflags=doctest.ELLIPSIS
    )
    assert result.failed == 0
    assert result.attempted > 0


def _inputs(
    regions: gpd.GeoDataFrame, cities: gpd.GeoDataFrame, roads: gpd.GeoDataFrame
) -> PlanInputs:
    big = cities.nlargest(30, "population").reset_index(drop=True)
    stations = gpd.GeoDataFrame(
        {"point_kw": [[150.0, 150.0, 150.0]] * 3},
        geometry=big.geometry[:3].values,
        crs=4326,
    )
    subs = gpd.GeoDataFrame(
        {
            "name": big["name"],
            "spare_kw": np.where(np.arange(30) % 3 == 0, 100.0, 2000.0),
        },
        geometry=big.geometry.values,
        crs=4326,
    )
    cands = gpd.GeoDataFrame(
        {"power_kw": [150.0] * 30, "land_use": ["commercial"] * 30},
        geometry=gpd.points_from_xy(big.geometry.x + 0.02, big.geometry.y),
        crs=4326,
    )
    return PlanInputs(
        regions=regions,
        cities=cities,
        roads=roads,
        stations=stations,
        candidates=cands,
        substations=subs,
    )


def _grid(regions: gpd.GeoDataFrame, resolution: int) -> CellGrid:
    return make_grid(study_area(regions, None), resolution)  # type: ignore[arg-type]


def test_nationwide_run_has_sane_totals(
    uz_regions: gpd.GeoDataFrame,
    uz_cities: gpd.GeoDataFrame,
    uz_roads: gpd.GeoDataFrame,
) -> None:
    cfg = PlanConfig(
        demand=DemandConfig(resolution=6, year=2030),
        selection=SelectionConfig(n_sites=5, radius_km=10),
    )
    stages: list[str] = []
    r = run_plan(
        _inputs(uz_regions, uz_cities, uz_roads),
        cfg,
        progress=lambda s, _d, _t: stages.append(s),
    )
    d = r.demand
    assert stages[0] == "grid" and stages[-1] == "done"
    # ~449,000 km² of land (Natural Earth-based regions), H3 res 6 cells ~41 km²
    assert 400_000 < d.grid.area_km2.sum() < 470_000
    people = d.population.sum()
    assert people == pytest.approx(d.population_input - d.population_outside)
    assert 25e6 < people < 40e6  # 38.1 M live in Uzbekistan
    assert d.demand_kwh_day.sum() == pytest.approx(d.total_kwh_day)
    # 330,000 EVs in 2030 x 6 kWh x 40 % public, scaled by people covered
    assert d.total_kwh_day == pytest.approx(
        DemandConfig().public_kwh_day() * people / COUNTRY_POPULATION
    )
    assert any("uniform rural density" in n for n in r.notes)
    assert (
        0
        < r.coverage.population_share_km
        < r.coverage_planned.population_share_km + 1e-12
        <= 1
    )
    assert r.scores is not None and r.selection is not None
    assert r.selection.objective <= r.selection.lp_bound + 1e-6
    assert len(r.selection.selected) <= 5
    assert not r.scores.grid_ok.all()  # every third substation has 100 kW spare
    refs = {a.name for a in r.corridors}
    assert {"M39", "M37"} <= {n.split(" ")[0] for n in refs}
    assert all(a.length_km > 0 for a in r.corridors)
    kinds = set(r.corridor_features["kind"])
    assert kinds == {"gap", "proposed"}
    gaps = r.corridor_features[r.corridor_features["kind"] == "gap"]
    assert (gaps.geometry.geom_type == "LineString").all()
    # generated candidates along main roads join the imported ones
    assert (r.candidates["source"] == "generated:road").sum() > 100


def test_one_region_and_bad_input(
    uz_regions: gpd.GeoDataFrame,
    uz_cities: gpd.GeoDataFrame,
    uz_roads: gpd.GeoDataFrame,
) -> None:
    inputs = _inputs(uz_regions, uz_cities, uz_roads)
    r = run_plan(inputs, PlanConfig(region="UZ-TK", demand=DemandConfig(resolution=7)))
    assert r.demand.cities_outside > 200  # all but Tashkent city's places
    assert any("outside the study area" in n for n in r.notes)
    with pytest.raises(
        InvalidParameterError, match="unknown region 'UZ-XX'; known: UZ-AN"
    ):
        run_plan(inputs, PlanConfig(region="UZ-XX"))
    bad = PlanInputs(
        regions=uz_regions,
        cities=uz_cities.drop(columns="population"),
        roads=uz_roads,
        stations=inputs.stations,
        candidates=inputs.candidates,
        substations=inputs.substations,
    )
    with pytest.raises(MissingColumnError, match="cities lacks column"):
        run_plan(bad, PlanConfig(region="UZ-TK", demand=DemandConfig(resolution=6)))


def test_official_region_totals_shape_the_population(
    uz_regions: gpd.GeoDataFrame,
    uz_region_population: pd.DataFrame,
    uz_cities: gpd.GeoDataFrame,
    uz_roads: gpd.GeoDataFrame,
) -> None:
    """With the statistics office's figures every region holds its own total;
    the uniform rural density used to put ~4.6 M people in desert Navoi."""
    regions = uz_regions.merge(
        uz_region_population, left_on="iso_code", right_on="iso_3166_2"
    )
    assert len(regions) == 14
    cfg = PlanConfig(demand=DemandConfig(resolution=7))
    d = run_demand(_inputs(regions, uz_cities, uz_roads), cfg, _grid(regions, 7))
    cell_region = polygon_index(d.grid.lon, d.grid.lat, list(regions.geometry))
    got = np.bincount(
        cell_region[cell_region >= 0],
        weights=d.population[cell_region >= 0],
        minlength=len(regions),
    )
    official = regions["population"].to_numpy(float)
    # exact up to the few places whose region has no cell centre near them
    assert got == pytest.approx(official, rel=0.01)
    navoi = int(np.flatnonzero(regions["iso_code"] == "UZ-NW")[0])
    assert 1.0e6 < got[navoi] < 1.2e6
    assert official.sum() == 38_069_116
    # the national demand is scaled by the regions' own sum
    assert d.total_kwh_day == pytest.approx(
        cfg.demand.public_kwh_day() * d.population.sum() / official.sum()
    )


def test_pois_weigh_by_category_unless_they_carry_a_weight(
    uz_regions: gpd.GeoDataFrame,
    uz_cities: gpd.GeoDataFrame,
    uz_roads: gpd.GeoDataFrame,
) -> None:
    tashkent = uz_regions[uz_regions["iso_code"] == "UZ-TK"]
    pois = gpd.GeoDataFrame(
        {
            "category": ["fuel", "kiosk", "Mall", "hotel"],
            "weight": [None, None, None, 4.0],
        },
        geometry=gpd.points_from_xy(
            [69.24, 69.25, 69.28, 69.27], [41.30, 41.31, 41.33, 41.29]
        ),
        crs=4326,
    )
    base = _inputs(tashkent, uz_cities, uz_roads)
    inputs = dataclasses.replace(base, pois=pois)
    cfg = PlanConfig(demand=DemandConfig(resolution=8))
    d = run_demand(inputs, cfg, _grid(tashkent, 8))
    # fuel 3 + unknown kiosk 0.5 + mall 3 (case-insensitive) + the hotel's own 4
    assert d.poi.sum() == pytest.approx(10.5)
    assert d.shares == pytest.approx((0.6, 0.3, 0.1))
    poi_cells = d.poi > 0
    assert d.demand_kwh_day[poi_cells].sum() >= 0.1 * d.total_kwh_day
    with pytest.raises(InvalidParameterError, match="poi_category_weights"):
        DemandConfig(poi_category_weights={"fuel": -1.0})
