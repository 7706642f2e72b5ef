"""One planning run on GeoDataFrames: demand → coverage → scores → selection →
corridor audit. The adapters validate columns, geometry types and CRS, then
call the array cores of the other modules.

Input GeoDataFrames (all EPSG:4326; another CRS is reprojected, a missing CRS
raises :class:`geo.errors.MissingCrsError`):

========== ====================== ==========================================
input      geometry               columns
========== ====================== ==========================================
regions    Polygon/MultiPolygon   ``iso_code`` (str); optional
                                  ``population`` (official people, NaN
                                  unknown: the region's control total)
cities     Point                  ``population`` (>= 0)
roads      LineString/Multi...    ``road_class`` (str), ``ref`` (str or None)
stations   Point                  ``point_kw`` (sequence of kW per point);
                                  optional ``utilisation`` (0..1)
planned    Point                  ``power_kw``
candidates Point                  ``power_kw``; optional ``land_use``,
                                  ``owner_type``, ``parcel_area_m2``
substations Point                 ``spare_kw`` (NaN unknown), ``name``
pois       Point                  optional ``category`` (str) and ``weight``
                                  (NaN: the category's weight)
========== ====================== ==========================================
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring, unary_union

from geo.crs import WGS84
from geo.errors import MissingCrsError
from geo.overlay import polygon_index
from geo.roads import build_road_graph
from planning.candidates import along_roads
from planning.config import (
    CorridorRule,
    CoverageConfig,
    DemandConfig,
    ScoringConfig,
    SelectionConfig,
    corridor_rule,
    site_cost_uzs,
)
from planning.corridor import CorridorAudit, audit_road, merge_road_parts
from planning.coverage import CoverageResult, coverage, road_costs
from planning.demand import (
    DemandResult,
    RegionTotals,
    allocate_demand,
    poi_counts,
    population_from_raster,
    spread_cities,
    traffic_proxy,
)
from planning.errors import (
    EmptyInputError,
    InvalidParameterError,
    MissingColumnError,
)
from planning.grid import CellGrid, FloatArray, make_grid
from planning.mclp import SelectionResult, cover_matrix, solve_mclp
from planning.scoring import (
    CandidateInputs,
    ScoreResult,
    SubstationInputs,
    score_candidates,
)

Progress = Callable[[str, int, int], None]

_POINT = ("Point",)
_POLY = ("Polygon", "MultiPolygon")
_LINE = ("LineString", "MultiLineString")


def check_gdf(
    gdf: gpd.GeoDataFrame,
    name: str,
    columns: Sequence[str],
    geom_types: Sequence[str],
    *,
    allow_empty: bool = True,
) -> gpd.GeoDataFrame:
    """Validate a GeoDataFrame and return it in EPSG:4326 (a new frame).

    Raises
    ------
    MissingCrsError
        If it has no CRS.
    MissingColumnError
        If a column is missing or a geometry has another type; the message
        lists what is required.
    EmptyInputError
        If it is empty and ``allow_empty`` is false.

    Examples
    --------
    >>> g = gpd.GeoDataFrame({"population": [1]}, geometry=gpd.points_from_xy([69], [41]), crs=4326)
    >>> check_gdf(g, "cities", ["population", "name"], ["Point"])
    Traceback (most recent call last):
    ...
    planning.errors.MissingColumnError: cities lacks column(s) name; required: population, name
    """
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise MissingColumnError(
            f"{name} lacks column(s) {', '.join(missing)}; required: {', '.join(columns)}"
        )
    if len(gdf) == 0:
        if not allow_empty:
            raise EmptyInputError(f"{name} is empty")
        return gdf.copy()
    if gdf.crs is None:
        raise MissingCrsError(f"{name} has no CRS; set it (e.g. EPSG:4326)")
    bad = ~gdf.geometry.geom_type.isin(list(geom_types))
    if bad.any():
        found = sorted(set(gdf.geometry.geom_type[bad].astype(str)))
        raise MissingColumnError(
            f"{name}: {int(bad.sum())} geometries of type {', '.join(found)}; "
            f"expected {', '.join(geom_types)}"
        )
    return gdf.to_crs(WGS84) if not gdf.crs.equals(WGS84) else gdf.copy()


@dataclass(frozen=True, slots=True, eq=False)
class PlanInputs:
    """The layers of one run (see the module docstring for columns)."""

    regions: gpd.GeoDataFrame
    cities: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    substations: gpd.GeoDataFrame
    planned: gpd.GeoDataFrame | None = None
    pois: gpd.GeoDataFrame | None = None
    population_raster: (
        tuple[np.ndarray, tuple[float, ...], str, float | None] | None
    ) = None


@dataclass(frozen=True, slots=True)
class PlanConfig:
    """Every parameter of one run."""

    region: str | None = None
    demand: DemandConfig = field(default_factory=DemandConfig)
    coverage: CoverageConfig = field(default_factory=CoverageConfig)
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    corridor_rules: tuple[str, ...] = ("afir", "nevi", "uz")
    custom_rule: CorridorRule | None = None
    candidate_sources: tuple[str, ...] = ("imported", "roads")
    road_coverage: bool = True
    road_candidate_kw: float = 150.0
    main_road_classes: tuple[str, ...] = (
        "international",
        "national",
        "motorway",
        "trunk",
    )


@dataclass(frozen=True, slots=True, eq=False)
class PlanResult:
    """Everything a run produced."""

    region: str | None
    area: shapely.Geometry
    demand: DemandResult
    coverage: CoverageResult
    coverage_planned: CoverageResult
    candidates: gpd.GeoDataFrame
    scores: ScoreResult | None
    selection: SelectionResult | None
    corridors: tuple[CorridorAudit, ...]
    corridor_features: gpd.GeoDataFrame
    notes: tuple[str, ...]


def study_area(regions: gpd.GeoDataFrame, region: str | None) -> shapely.Geometry:
    """The union of all regions, or the one whose ``iso_code`` is ``region``.

    Raises
    ------
    InvalidParameterError
        For an unknown region, listing the known codes.
    """
    if len(regions) == 0:
        raise EmptyInputError("no regions loaded: import the regions layer first")
    if region is None:
        return unary_union(list(regions.geometry))
    hit = regions[regions["iso_code"] == region]
    if len(hit) == 0:
        known = ", ".join(sorted(regions["iso_code"].astype(str)))
        raise InvalidParameterError(f"unknown region {region!r}; known: {known}")
    return unary_union(list(hit.geometry))


def _xy(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(gdf.geometry.x, np.float64), np.asarray(
        gdf.geometry.y, np.float64
    )


def _point_kw(stations: gpd.GeoDataFrame) -> list[list[float]]:
    out: list[list[float]] = []
    for v in stations["point_kw"]:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append([])
        else:
            out.append([float(x) for x in v])
    return out


def _opt_str(gdf: gpd.GeoDataFrame, col: str) -> list[str | None]:
    if col not in gdf.columns:
        return [None] * len(gdf)
    return [
        None if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v)
        for v in gdf[col]
    ]


def _region_population(regions: gpd.GeoDataFrame) -> FloatArray:
    """Official people per region (NaN where unknown or without the column)."""
    if "population" not in regions.columns:
        return np.full(len(regions), np.nan)
    return np.asarray(pd.to_numeric(regions["population"], errors="coerce"), np.float64)


def run_demand(inputs: PlanInputs, config: PlanConfig, grid: CellGrid) -> DemandResult:
    """Demand on ``grid`` from the inputs (raster population when given).

    With cities, the regions' official populations are the control totals of
    the background (:func:`planning.demand.regional_background`). When every
    region has one, their sum is the country population that scales the
    national demand to the study area.
    """
    cfg = config.demand
    regions = check_gdf(
        inputs.regions, "regions", ["iso_code"], _POLY, allow_empty=False
    )
    region_pop = _region_population(regions)
    if inputs.population_raster is not None:
        values, transform, crs, nodata = inputs.population_raster
        pop = population_from_raster(grid, values, transform, crs, nodata)
    else:
        cities = check_gdf(inputs.cities, "cities", ["population"], _POINT)
        lon, lat = _xy(cities)
        people = np.asarray(cities["population"], np.float64)
        totals = None
        if np.isfinite(region_pop).any():
            geoms = list(regions.geometry)
            totals = RegionTotals(
                population=region_pop,
                cell_region=polygon_index(grid.lon, grid.lat, geoms),
                city_region=polygon_index(lon, lat, geoms),
            )
        pop = spread_cities(grid, lon, lat, people, cfg, totals)
    roads = check_gdf(inputs.roads, "roads", ["road_class"], _LINE)
    traffic, _ = traffic_proxy(
        grid, list(roads.geometry), list(roads["road_class"].astype(str)), cfg
    )
    if inputs.pois is not None and len(inputs.pois):
        pois = check_gdf(inputs.pois, "pois", [], _POINT)
        plon, plat = _xy(pois)
        n = len(pois)
        weights = cfg.poi_weights(
            _opt_str(pois, "category"),
            list(pd.to_numeric(pois["weight"], errors="coerce"))
            if "weight" in pois.columns
            else [None] * n,
        )
        poi, _ = poi_counts(grid, plon, plat, weights)
    else:
        poi = np.zeros(grid.size)
    if region_pop.size and np.isfinite(region_pop).all() and region_pop.sum() > 0:
        return allocate_demand(
            grid, pop, traffic, poi, cfg, country_population=float(region_pop.sum())
        )
    return allocate_demand(grid, pop, traffic, poi, cfg)


def run_corridors(
    roads: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    rules: Sequence[CorridorRule],
    main_classes: Sequence[str],
    crs: object,
) -> tuple[tuple[CorridorAudit, ...], gpd.GeoDataFrame]:
    """Audit every main road (grouped by ``ref``) under each rule.

    Returns
    -------
    audits, features
        One audit per road part and rule, and a GeoDataFrame (EPSG:4326) with
        ``kind`` (``"gap"``: the stretch as a line, ``"proposed"``: a new pool
        as a point), ``road``, ``rule``, ``start_km``, ``end_km``.
    """
    main = roads[roads["road_class"].isin(list(main_classes))]
    if len(main) == 0:
        empty = gpd.GeoDataFrame(
            {"kind": [], "road": [], "rule": [], "start_km": [], "end_km": []},
            geometry=[],
            crs=WGS84,
        )
        return (), empty
    main_m = main.to_crs(crs)
    st_m = stations.to_crs(crs) if len(stations) else stations
    sx, sy = _xy(st_m) if len(st_m) else (np.zeros(0), np.zeros(0))
    pkw = _point_kw(stations) if len(stations) else []
    refs = (
        main_m["ref"].fillna("").astype(str)
        if "ref" in main_m
        else pd.Series([""] * len(main_m))
    )
    audits: list[CorridorAudit] = []
    rows: list[tuple[str, str, str, float, float, shapely.Geometry]] = []
    for ref in sorted(set(refs)):
        parts = list(main_m.geometry[refs.values == ref])
        lines: list[shapely.LineString] = []
        for g in parts:
            lines.extend(g.geoms if isinstance(g, shapely.MultiLineString) else [g])
        merged = merge_road_parts(lines)
        for k, line in enumerate(merged):
            label = (
                ref or "unnamed"
                if len(merged) == 1
                else f"{ref or 'unnamed'} ({k + 1})"
            )
            for rule in rules:
                a = audit_road(line, sx, sy, pkw, rule, name=label)
                audits.append(a)
                for gap in a.gaps:
                    piece = substring(line, gap.start_km * 1000.0, gap.end_km * 1000.0)
                    rows.append(
                        ("gap", label, rule.name, gap.start_km, gap.end_km, piece)
                    )
                for km, (x, y) in zip(a.proposed_km, a.proposed_xy_m, strict=True):
                    rows.append(
                        ("proposed", label, rule.name, km, km, shapely.Point(x, y))
                    )
    props = gpd.GeoDataFrame(
        {
            "kind": [r[0] for r in rows],
            "road": [r[1] for r in rows],
            "rule": [r[2] for r in rows],
            "start_km": [float(r[3]) for r in rows],
            "end_km": [float(r[4]) for r in rows],
        },
        geometry=[r[5] for r in rows],
        crs=crs,
    ).to_crs(WGS84)
    return tuple(audits), props


def run_coverage(
    inputs: PlanInputs, config: PlanConfig, grid: CellGrid, demand: DemandResult
) -> tuple[CoverageResult, CoverageResult]:
    """Coverage by existing stations, and by existing + planned ones.

    Straight-line always; along the road graph (:mod:`geo.roads`) when
    ``config.road_coverage`` and roads exist.
    """
    stations = check_gdf(inputs.stations, "stations", ["point_kw"], _POINT)
    slon, slat = _xy(stations)
    roads_all = check_gdf(inputs.roads, "roads", ["road_class"], _LINE)
    graph = (
        build_road_graph(roads_all) if config.road_coverage and len(roads_all) else None
    )
    road_d = road_min = None
    if graph is not None:
        road_d, road_min = road_costs(grid, graph, slon, slat, config.coverage)
    cov = coverage(
        grid,
        demand.population,
        demand.demand_kwh_day,
        slon,
        slat,
        config.coverage,
        road_d,
        road_min,
    )
    planned = (
        check_gdf(inputs.planned, "planned", [], _POINT)
        if inputs.planned is not None
        else gpd.GeoDataFrame(geometry=[], crs=WGS84)
    )
    plon, plat = _xy(planned) if len(planned) else (np.zeros(0), np.zeros(0))
    all_lon, all_lat = np.concatenate([slon, plon]), np.concatenate([slat, plat])
    if graph is not None and len(planned):
        road_d, road_min = road_costs(grid, graph, all_lon, all_lat, config.coverage)
    cov_planned = coverage(
        grid,
        demand.population,
        demand.demand_kwh_day,
        all_lon,
        all_lat,
        config.coverage,
        road_d,
        road_min,
    )
    return cov, cov_planned


def run_plan(
    inputs: PlanInputs, config: PlanConfig, progress: Progress | None = None
) -> PlanResult:
    """Run the whole analysis.

    ``progress(stage, done, total)`` is called between stages; raise
    :class:`planning.errors.CancelledError` inside it to cancel.

    Raises
    ------
    InvalidParameterError, EmptyInputError, MissingColumnError, InfeasibleError,
    SolverError, geo.errors.GeoError
        With messages naming the offending input.
    """
    stages = 6

    def step(name: str, k: int) -> None:
        if progress is not None:
            progress(name, k, stages)

    notes: list[str] = []
    regions = check_gdf(
        inputs.regions, "regions", ["iso_code"], _POLY, allow_empty=False
    )
    area = study_area(regions, config.region)
    step("grid", 0)
    grid = make_grid(area, config.demand.resolution)  # type: ignore[arg-type]  # union of polygons
    step("demand", 1)
    demand = run_demand(inputs, config, grid)
    known = int(np.isfinite(_region_population(regions)).sum())
    if inputs.population_raster is None:
        notes.append(
            f"population: official totals of {known} of {len(regions)} regions spread "
            "around their populated places"
            if known
            else "population: populated places plus a uniform rural density "
            f"of {config.demand.rural_density_per_km2:g} people/km² (no regional totals)"
        )
    if demand.cities_outside:
        notes.append(
            f"{demand.cities_outside} populated places ({demand.population_outside:,.0f} people) "
            "lie outside the study area and were not counted"
        )
    step("coverage", 2)
    cov, cov_planned = run_coverage(inputs, config, grid, demand)
    step("scores", 3)
    cands = check_gdf(inputs.candidates, "candidates", ["power_kw"], _POINT)
    if "imported" not in config.candidate_sources:
        cands = cands.iloc[0:0]
    if "roads" in config.candidate_sources:
        roads_all = check_gdf(inputs.roads, "roads", ["road_class"], _LINE)
        gen = along_roads(
            grid, roads_all, config.main_road_classes, config.road_candidate_kw
        )
        cands = gpd.GeoDataFrame(
            pd.concat([cands, gen], ignore_index=True), geometry="geometry", crs=WGS84
        )
    if len(cands):
        inside = shapely.contains_xy(area, *_xy(cands))
        if (~inside).any():
            notes.append(
                f"{int((~inside).sum())} candidates outside the study area were left out"
            )
        cands = cands[inside].reset_index(drop=True)
    scores: ScoreResult | None = None
    selection: SelectionResult | None = None
    if len(cands) == 0:
        notes.append(
            "no candidate sites in the study area: scoring and selection skipped"
        )
    else:
        scores, selection = _score_and_select(
            inputs, config, grid, demand, cov_planned, cands
        )
        if len(selection.selected) == 0:
            notes.append(
                "no candidate adds coverage: all demand within "
                f"{config.selection.radius_km:g} km of a candidate is already covered"
            )
    step("corridors", 5)
    roads = check_gdf(inputs.roads, "roads", ["road_class"], _LINE)
    roads_in = roads[roads.intersects(area)] if len(roads) else roads
    rules = [corridor_rule(r) for r in config.corridor_rules]
    if config.custom_rule is not None:
        rules.append(config.custom_rule)
    fast = check_gdf(inputs.stations, "stations", ["point_kw"], _POINT)
    corridors, props = run_corridors(
        roads_in, fast, rules, config.main_road_classes, grid.crs
    )
    step("done", 6)
    return PlanResult(
        region=config.region,
        area=area,
        demand=demand,
        coverage=cov,
        coverage_planned=cov_planned,
        candidates=cands,
        scores=scores,
        selection=selection,
        corridors=corridors,
        corridor_features=props,
        notes=tuple(notes),
    )


def _score_and_select(
    inputs: PlanInputs,
    config: PlanConfig,
    grid: CellGrid,
    demand: DemandResult,
    cov: CoverageResult,
    cands: gpd.GeoDataFrame,
) -> tuple[ScoreResult, SelectionResult]:
    power = np.asarray(pd.to_numeric(cands["power_kw"], errors="coerce"), np.float64)
    power = np.where(
        np.isfinite(power) & (power > 0), power, config.scoring.default_power_kw
    )
    cx, cy = grid.project(*_xy(cands))
    roads = check_gdf(inputs.roads, "roads", ["road_class"], _LINE)
    main = roads[roads["road_class"].isin(list(config.main_road_classes))]
    road_d = None
    if len(main):
        main_m = shapely.union_all(np.asarray(main.to_crs(grid.crs).geometry))
        road_d = np.asarray(
            shapely.distance(main_m, shapely.points(cx, cy)), np.float64
        )
    area = (
        np.asarray(pd.to_numeric(cands["parcel_area_m2"], errors="coerce"), np.float64)
        if "parcel_area_m2" in cands
        else np.full(len(cands), np.nan)
    )
    cand_in = CandidateInputs(
        x_m=cx,
        y_m=cy,
        power_kw=power,
        land_use=_opt_str(cands, "land_use"),
        owner_type=_opt_str(cands, "owner_type"),
        parcel_area_m2=area,
        road_distance_m=road_d,
    )
    subs = check_gdf(inputs.substations, "substations", ["spare_kw"], _POINT)
    sx, sy = grid.project(*_xy(subs)) if len(subs) else (np.zeros(0), np.zeros(0))
    sub_in = SubstationInputs(
        x_m=sx,
        y_m=sy,
        spare_kw=np.asarray(
            pd.to_numeric(subs["spare_kw"], errors="coerce"), np.float64
        ),
        names=_opt_str(subs, "name") if "name" in subs else [],  # type: ignore[arg-type]
    )
    stations = check_gdf(inputs.stations, "stations", ["point_kw"], _POINT)
    ex, ey = (
        grid.project(*_xy(stations)) if len(stations) else (np.zeros(0), np.zeros(0))
    )
    util = (
        np.asarray(pd.to_numeric(stations["utilisation"], errors="coerce"), np.float64)
        if "utilisation" in stations
        and len(stations)
        and stations["utilisation"].notna().any()
        else None
    )
    covered = cov.within_km
    scores = score_candidates(
        cand_in,
        grid.x_m,
        grid.y_m,
        demand.demand_kwh_day,
        covered,
        sub_in,
        ex,
        ey,
        config.scoring,
        util,
    )
    sel_cfg = config.selection
    cover = cover_matrix(cx, cy, grid.x_m, grid.y_m, sel_cfg.radius_km * 1000.0)
    weights = np.where(covered, 0.0, demand.demand_kwh_day)
    costs = np.array(
        [site_cost_uzs(p, sel_cfg.cost_by_power) for p in power], dtype=np.float64
    )
    cap = sub_in.spare_kw.copy()
    cap[np.isnan(cap)] = np.inf
    selection = solve_mclp(
        cover,
        weights,
        sel_cfg,
        cost_uzs=costs,
        power_kw=power,
        group=np.where(scores.grid_ok, scores.substation, -1) if len(subs) else None,
        group_capacity_kw=cap if len(subs) else None,
    )
    return scores, selection
