"""Planning benchmark: nationwide demand + coverage, site selection, corridor audit.

``python -m bench planning [--quick]``

* demand + coverage over the whole country at H3 resolution 8 and 7
  (target: resolution 8 in <= 30 s); baseline in the same run: filling the
  country outline directly with ``h3.h3shape_to_cells`` (the obvious way);
* 100 sites among 5,000 candidates: greedy vs the LP bound and the exact MILP
  optimum computed in the same run (target: within 1 % in <= 60 s);
* corridor audit of every main road under AFIR, NEVI and the Uzbek rule
  (target <= 30 s);
* peak memory (max RSS) of the process.

Inputs: the shipped regions (with their official population), GeoNames places
and main roads of ``data/uz``
(falls back to ``/work/shared/data/uz``); chargers and candidates are drawn with
a seeded generator near populated places (1,400 stations, the size of the
country's network in May 2025).
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
from shapely.ops import unary_union

from geo.roads import build_road_graph
from planning.config import (
    AFIR,
    NEVI,
    UZ_RULE,
    CoverageConfig,
    DemandConfig,
    SelectionConfig,
)
from planning.coverage import coverage, road_costs
from planning.grid import make_grid
from planning.mclp import cover_matrix, solve_mclp
from planning.pipeline import PlanConfig, PlanInputs, run_corridors, run_demand

ROOT = Path(__file__).resolve().parents[1]


def _data() -> Path:
    here = ROOT / "data" / "uz"
    return here if (here / "regions.geojson").exists() else Path("/work/shared/data/uz")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _stations(
    cities: pd.DataFrame, n: int, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    p = cities["population"].to_numpy(float)
    idx = rng.choice(len(cities), size=n, p=p / p.sum())
    lon = cities["lon"].to_numpy()[idx] + rng.normal(0, 0.03, n)
    lat = cities["lat"].to_numpy()[idx] + rng.normal(0, 0.03, n)
    kw = rng.choice([22.0, 60.0, 150.0], size=n, p=[0.6, 0.25, 0.15])
    return gpd.GeoDataFrame(
        {"point_kw": [[k] * int(rng.integers(1, 5)) for k in kw]},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    rng = np.random.default_rng(20261127)
    d = _data()
    regions = gpd.read_file(d / "regions.geojson")
    roads = gpd.read_file(d / "roads_main_schematic.geojson")[
        ["ref", "road_class", "geometry"]
    ]
    cities = pd.read_csv(d / "cities_geonames.csv")
    area = unary_union(list(regions.geometry))
    people = pd.read_csv(d / "regions_population.csv")[["iso_3166_2", "population"]]
    inputs = PlanInputs(
        regions=regions.merge(people, on="iso_3166_2").rename(
            columns={"iso_3166_2": "iso_code"}
        ),
        cities=gpd.GeoDataFrame(
            cities[["name", "population"]],
            geometry=gpd.points_from_xy(cities["lon"], cities["lat"]),
            crs=4326,
        ),
        roads=roads,
        stations=gpd.GeoDataFrame(geometry=[], crs=4326),
        candidates=gpd.GeoDataFrame(geometry=[], crs=4326),
        substations=gpd.GeoDataFrame(geometry=[], crs=4326),
    )
    stations = _stations(cities, 1400, rng)
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start"
    )
    print(
        f"inputs: {len(regions)} regions, {len(cities)} places, {len(roads)} road lines, "
        f"{len(stations)} seeded stations"
    )

    # -- baseline: the direct h3 polyfill of the country outline
    res_list = [7] if quick else [8, 7]
    for res in res_list:
        t0 = time.perf_counter()
        base = h3.h3shape_to_cells(h3.geo_to_h3shape(area), res)
        t_base = time.perf_counter() - t0
        t0 = time.perf_counter()
        grid = make_grid(area, res)
        t_grid = time.perf_counter() - t0
        cfg = DemandConfig(resolution=res)
        # as a scenario does: places + each region's official population
        dem = run_demand(inputs, PlanConfig(demand=cfg), grid)
        t_dem = time.perf_counter() - t0
        cov = coverage(
            grid,
            dem.population,
            dem.demand_kwh_day,
            stations.geometry.x,
            stations.geometry.y,
            CoverageConfig(),
        )
        t_all = time.perf_counter() - t0
        t1 = time.perf_counter()
        graph = build_road_graph(roads)
        road_d, _ = road_costs(
            grid, graph, stations.geometry.x, stations.geometry.y, CoverageConfig()
        )
        t_road = time.perf_counter() - t1
        reach = np.isfinite(road_d)
        print(
            f"\n### resolution {res}: {grid.size:,} hexagons "
            f"(direct h3 fill: {len(base):,} cells in {t_base:.1f} s, grid only)"
        )
        print(
            f"- grid {t_grid:.1f} s, + demand {t_dem - t_grid:.1f} s, "
            f"+ coverage {t_all - t_dem:.1f} s = **{t_all:.1f} s** "
            f"(target {'<= 30 s' if res == 8 else 'none'})"
        )
        print(
            f"- population {dem.population.sum():,.0f}, demand {dem.total_kwh_day:,.0f} kWh/day "
            f"(sum of cells {dem.demand_kwh_day.sum():,.0f}); within 5 km: "
            f"{cov.population_share_km:.1%} of people, {cov.demand_share_km:.1%} of demand"
        )
        print(
            f"- along the road graph ({graph.edge_count:,} edges): {t_road:.1f} s more; "
            f"{reach.mean():.1%} of cells within 25 km of a main road, median road/straight "
            f"distance {np.median(road_d[reach] / np.maximum(cov.distance_m[reach], 1)):.2f}"
        )
        print(f"- peak RSS so far {_peak_mib():,.0f} MiB")
        if res == 7:
            grid7, dem7, cov7 = grid, dem, cov

    # -- selection: 100 of 5,000 candidates near demand, radius 5 km
    w = np.where(cov7.within_km, 0.0, dem7.demand_kwh_day)
    p = w / w.sum()
    pick = rng.choice(grid7.size, size=5000, replace=False, p=p)
    cx = grid7.x_m[pick] + rng.normal(0, 1500, 5000)
    cy = grid7.y_m[pick] + rng.normal(0, 1500, 5000)
    t0 = time.perf_counter()
    cover = cover_matrix(cx, cy, grid7.x_m, grid7.y_m, 5000.0)
    t_cover = time.perf_counter() - t0
    t0 = time.perf_counter()
    greedy = solve_mclp(cover, w, SelectionConfig(n_sites=100, method="greedy"))
    t_greedy = time.perf_counter() - t0
    t0 = time.perf_counter()
    exact = solve_mclp(
        cover,
        w,
        SelectionConfig(
            n_sites=100, method="exact", mip_rel_gap=1e-4, time_limit_s=600
        ),
    )
    t_exact = time.perf_counter() - t0
    print(
        f"\n### selection: 100 of 5,000 candidates, {grid7.size:,} res-7 cells, "
        f"{cover.nnz:,} cover pairs (matrix {t_cover:.1f} s)"
    )
    print(
        f"- greedy + LP bound: {t_greedy:.1f} s, covers {greedy.objective:,.0f} kWh/day, "
        f"gap to LP bound {greedy.gap:.3%}"
    )
    print(
        f"- exact MILP (HiGHS, mip_rel_gap 1e-4): {t_exact:.1f} s, optimum "
        f"{exact.objective:,.0f} kWh/day, LP bound {exact.lp_bound:,.0f}"
    )
    print(
        f"- greedy vs optimum: {(exact.objective - greedy.objective) / exact.objective:.3%} "
        "below (target <= 1 % in <= 60 s)"
    )
    print(f"- peak RSS so far {_peak_mib():,.0f} MiB")

    # -- corridor audit: every main road, three rules
    t0 = time.perf_counter()
    audits, props = run_corridors(
        roads, stations, [AFIR, NEVI, UZ_RULE], ("international", "national"), grid7.crs
    )
    t_cor = time.perf_counter() - t0
    km = sum(a.length_km for a in audits) / 3
    props = props[props["kind"] == "proposed"]
    print(
        f"\n### corridor audit: {len(audits) // 3} roads, {km:,.0f} km, 3 rules: "
        f"**{t_cor:.2f} s** (target <= 30 s); {len(props)} proposed pools"
    )
    for rule in ("afir", "nevi", "uz"):
        n_gap = sum(len(a.gaps) for a in audits if a.rule.name == rule)
        n_prop = int((props["rule"] == rule).sum())
        print(f"- {rule}: {n_gap} gaps, {n_prop} proposed pools")
    print(f"\npeak RSS: {_peak_mib():,.0f} MiB")
