"""Daily public charging demand on an H3 grid.

Model (every parameter in :class:`planning.config.DemandConfig`):

1. **Population** per cell, from either

   * cities (points with a population) spread with an exponential
     distance-decay kernel ``w(d) = exp(-d / λ)``, ``λ = λ₁₀₀ₖ · sqrt(P / 1e5)``
     clipped to ``[min_decay_km, max_decay_km]`` and truncated at
     ``kernel_cutoff · λ``, normalised per city so that each city's population
     is conserved exactly, plus a background for the people who do not live
     in a listed place: where a region's official population is known, the
     rest of it (region total minus its places) is spread evenly by area over
     the region's cells, so each region's total matches the statistics office;
     elsewhere a uniform ``rural_density_per_km2`` (:func:`regional_background`); or
   * a population raster: zonal sums of pixel values onto the cell that holds
     each pixel centre (nodata pixels are skipped and counted; a raster in
     another CRS has its pixel centres reprojected to EPSG:4326).

2. **Traffic proxy**: length of road in each cell, km, weighted by road class.
3. **POIs** (optional): weighted point counts per cell.
4. **EV demand**: the fleet of the scenario year × kWh per EV per day × public
   share gives the national public demand; the study area gets the fraction
   ``population in area / country population``. That total is split between
   the three drivers by ``population_share``, ``traffic_share`` and
   ``poi_share``; a driver with no data passes its share to population.

Totals are conserved: ``demand_kwh_day.sum() == total_kwh_day`` and
``population.sum() == population_in_area`` (float rounding only).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS, Transformer
from scipy.spatial import cKDTree
from shapely import LineString, MultiLineString
from shapely.geometry.base import BaseGeometry

from geo.crs import WGS84, parse_crs
from planning.config import PUBLISHED_EV_FLEET, DemandConfig, EvFleetFigure
from planning.errors import InvalidParameterError
from planning.grid import CellGrid, FloatArray, IntArray

Progress = Callable[[int, int], None]

#: Country population used to scale the national demand to a study area when
#: the regions carry no official figures: the permanent population on
#: 1 October 2025 (State Committee on Statistics; ``data/uz/regions_population.csv``).
COUNTRY_POPULATION = 38_069_116


@dataclass(frozen=True, slots=True, eq=False)
class PopulationResult:
    """Population per cell and its accounting.

    Attributes
    ----------
    population
        People per cell (aligned with ``grid.cells``).
    input_total
        People given as input (cities + rural background, or raster sum).
    outside_total
        People not assigned because they lie outside the study area.
    outside_count
        Cities (or raster pixels) outside the study area.
    nodata_pixels
        Raster pixels skipped as nodata (0 for cities).
    """

    population: FloatArray
    input_total: float
    outside_total: float
    outside_count: int
    nodata_pixels: int = 0


@dataclass(frozen=True, slots=True, eq=False)
class RegionTotals:
    """Official population of each region, and where cells and cities lie.

    Attributes
    ----------
    population
        People per region (official figure); NaN where unknown.
    cell_region
        Index into ``population`` of each grid cell's region, -1 for none.
    city_region
        Index into ``population`` of each city's region, -1 for none.
    """

    population: FloatArray
    cell_region: IntArray
    city_region: IntArray


def spread_cities(
    grid: CellGrid,
    city_lon: npt.ArrayLike,
    city_lat: npt.ArrayLike,
    city_population: npt.ArrayLike,
    config: DemandConfig,
    regions: RegionTotals | None = None,
) -> PopulationResult:
    """Spread city populations over the grid with the documented kernel.

    Parameters
    ----------
    grid
        The study area's cells.
    city_lon, city_lat
        City points, EPSG:4326.
    city_population
        People per city (>= 0, finite).
    config
        Kernel parameters (``city_decay_km_at_100k``, ``min_decay_km``,
        ``max_decay_km``, ``kernel_cutoff``, ``rural_density_per_km2``).
    regions
        Official region populations with the region of each cell and city.
        When given, each city's kernel stays inside its own region and the
        background is :func:`regional_background`, so every region with a
        figure adds up to it; default: ``rural_density_per_km2`` × area.

    Returns
    -------
    PopulationResult

    Raises
    ------
    InvalidParameterError
        If a population is negative or not finite.

    Examples
    --------
    >>> from shapely import box
    >>> from planning.grid import make_grid
    >>> g = make_grid(box(69.0, 41.0, 69.5, 41.5), 7)
    >>> cfg = DemandConfig(resolution=7, rural_density_per_km2=0)
    >>> r = spread_cities(g, [69.25], [41.25], [250_000.0], cfg)
    >>> round(float(r.population.sum()))
    250000
    """
    lon = np.asarray(city_lon, np.float64)
    lat = np.asarray(city_lat, np.float64)
    pop = np.asarray(city_population, np.float64)
    if not (lon.shape == lat.shape == pop.shape):
        raise InvalidParameterError("city lon, lat and population must align")
    if pop.size and (not np.all(np.isfinite(pop)) or pop.min() < 0):
        raise InvalidParameterError("city population must be finite and >= 0")
    if regions is None:
        out = config.rural_density_per_km2 * grid.area_km2
    else:
        if regions.city_region.shape != pop.shape:
            raise InvalidParameterError("city_region must hold one region per city")
        known = regions.city_region >= 0
        places = np.bincount(
            regions.city_region[known],
            weights=pop[known],
            minlength=regions.population.size,
        )
        out = regional_background(
            grid,
            regions.cell_region,
            regions.population,
            places,
            config.rural_density_per_km2,
        )
    rural = float(out.sum())
    if pop.size == 0:
        return PopulationResult(out, rural, 0.0, 0)
    _, inside = grid.locate(lon, lat)
    x, y = grid.project(lon, lat)
    tree = cKDTree(np.column_stack([grid.x_m, grid.y_m]))
    lam_m = 1000.0 * np.clip(
        config.city_decay_km_at_100k * np.sqrt(pop / 1e5),
        config.min_decay_km,
        config.max_decay_km,
    )
    for i in np.flatnonzero(inside):
        idx = tree.query_ball_point((x[i], y[i]), r=config.kernel_cutoff * lam_m[i])
        if not idx:
            _, nearest = tree.query((x[i], y[i]))
            out[int(nearest)] += pop[i]
            continue
        ii = np.asarray(idx, dtype=np.int64)
        if regions is not None and regions.city_region[i] >= 0:
            same = ii[regions.cell_region[ii] == regions.city_region[i]]
            ii = same if same.size else ii
        d = np.hypot(grid.x_m[ii] - x[i], grid.y_m[ii] - y[i])
        w = np.exp(-d / lam_m[i])
        out[ii] += pop[i] * w / w.sum()
    outside = ~inside
    return PopulationResult(
        population=out,
        input_total=rural + float(pop.sum()),
        outside_total=float(pop[outside].sum()),
        outside_count=int(outside.sum()),
    )


def regional_background(
    grid: CellGrid,
    cell_region: npt.ArrayLike,
    region_population: npt.ArrayLike,
    region_places: npt.ArrayLike,
    rural_density_per_km2: float,
) -> FloatArray:
    """People per cell outside the listed places, by region control totals.

    For a region with an official population ``T`` whose listed places hold
    ``C`` people, ``max(0, T - C)`` is spread over the region's cells in
    proportion to cell area, so that places + background = ``T`` for the
    region (up to the share of a place's kernel that crosses the border).
    Cells of a region without a figure (NaN), or in no region (-1), get
    ``rural_density_per_km2`` × area.

    Parameters
    ----------
    grid
        The study area's cells.
    cell_region
        Region index of each cell (-1: none), aligned with ``grid.cells``.
    region_population
        Official people per region; NaN where unknown.
    region_places
        People of the listed places located in each region (all of the
        region's places, also those outside the study area).
    rural_density_per_km2
        Fallback density, people/km².

    Raises
    ------
    InvalidParameterError
        If the arrays do not align or a population is negative.

    Examples
    --------
    >>> from shapely import box
    >>> from planning.grid import make_grid
    >>> g = make_grid(box(69.0, 41.0, 69.5, 41.5), 7)
    >>> bg = regional_background(g, np.zeros(g.size, np.int64), [90_000.0], [40_000.0], 40)
    >>> round(float(bg.sum()))
    50000
    """
    region = np.asarray(cell_region, np.int64)
    total = np.asarray(region_population, np.float64)
    places = np.asarray(region_places, np.float64)
    if region.shape != (grid.size,):
        raise InvalidParameterError("cell_region must hold one region index per cell")
    if total.shape != places.shape:
        raise InvalidParameterError("region_population and region_places must align")
    if region.size and region.max() >= total.size:
        raise InvalidParameterError(
            "cell_region refers to a region without a population"
        )
    if np.any(total < 0) or np.any(places < 0):
        raise InvalidParameterError("region populations must be >= 0")
    out = rural_density_per_km2 * grid.area_km2
    for r in np.flatnonzero(np.isfinite(total)):
        mask = region == r
        area = grid.area_km2[mask]
        if area.size:
            out[mask] = max(0.0, float(total[r] - places[r])) * area / area.sum()
    return out


def population_from_raster(
    grid: CellGrid,
    values: npt.ArrayLike,
    transform: Sequence[float],
    crs: str | int | CRS,
    nodata: float | None = None,
) -> PopulationResult:
    """Zonal sums of a population raster onto the grid (pixel-centre rule).

    Parameters
    ----------
    grid
        The study area's cells.
    values
        2-D array of people per pixel (rows top to bottom).
    transform
        GDAL/rasterio affine ``(a, b, c, d, e, f)``: ``x = a·col + b·row + c``,
        ``y = d·col + e·row + f`` at the pixel's upper-left corner.
    crs
        The raster's CRS; pixel centres are reprojected to EPSG:4326 when it
        differs (documented handling, no error).
    nodata
        Value marking missing pixels; those and NaN are skipped and counted.

    Returns
    -------
    PopulationResult
        ``input_total`` is the sum of valid pixels; pixels whose centre falls
        outside the grid are counted in ``outside_total``. Every valid pixel's
        value lands in exactly one of the two.

    Raises
    ------
    InvalidParameterError
        If ``values`` is not 2-D or holds negative valid values.

    Examples
    --------
    >>> from shapely import box
    >>> from planning.grid import make_grid
    >>> g = make_grid(box(69.0, 41.0, 69.5, 41.5), 7)
    >>> v = np.array([[10.0, -1.0], [5.0, 2.0]])
    >>> r = population_from_raster(g, v, (0.1, 0, 69.1, 0, -0.1, 41.4), 4326, nodata=-1)
    >>> r.input_total, r.nodata_pixels, float(r.population.sum())
    (17.0, 1, 17.0)
    """
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2:
        raise InvalidParameterError(f"raster must be 2-D, got shape {arr.shape}")
    a, b, c, d, e, f = (float(t) for t in transform[:6])
    valid = np.isfinite(arr)
    if nodata is not None:
        valid &= arr != nodata
    nodata_pixels = int(arr.size - valid.sum())
    if valid.any() and arr[valid].min() < 0:
        raise InvalidParameterError(
            "population raster has negative values; set nodata to mark missing pixels"
        )
    rows, cols = np.nonzero(valid & (arr > 0))
    v = arr[rows, cols]
    px = a * (cols + 0.5) + b * (rows + 0.5) + c
    py = d * (cols + 0.5) + e * (rows + 0.5) + f
    src = parse_crs(crs)
    if not src.equals(WGS84):
        t = Transformer.from_crs(src, WGS84, always_xy=True)
        px, py = t.transform(px, py)
    pos, inside = grid.locate(px, py)
    out = np.bincount(pos[inside], weights=v[inside], minlength=grid.size)
    return PopulationResult(
        population=out.astype(np.float64),
        input_total=float(arr[valid].sum()),
        outside_total=float(v[~inside].sum()),
        outside_count=int((~inside).sum()),
        nodata_pixels=nodata_pixels,
    )


def traffic_proxy(
    grid: CellGrid,
    roads: Sequence[BaseGeometry],
    road_classes: Sequence[str],
    config: DemandConfig,
) -> tuple[FloatArray, float]:
    """Class-weighted road length per cell, km (the traffic proxy).

    Each line is cut into pieces no longer than half a cell edge; each piece
    adds ``weight(class) × length_km`` to the cell holding its midpoint.

    Returns
    -------
    traffic, outside
        Weighted km per cell, and weighted km that fell outside the grid.

    Examples
    --------
    >>> from shapely import LineString, box
    >>> from planning.grid import make_grid
    >>> g = make_grid(box(69.0, 41.0, 69.5, 41.5), 7)
    >>> t, out = traffic_proxy(g, [LineString([(69.1, 41.2), (69.4, 41.2)])],
    ...                        ["international"], DemandConfig(resolution=7))
    >>> 24 < float(t.sum()) < 26, out  # ~25 km at weight 1
    (True, 0.0)
    """
    if len(roads) != len(road_classes):
        raise InvalidParameterError("roads and road_classes must align")
    from geo import h3 as gh3  # noqa: PLC0415

    step_m = 0.5 * gh3.mean_edge_length_m(grid.resolution)
    to_m = Transformer.from_crs(WGS84, grid.crs, always_xy=True)
    xs: list[FloatArray] = []
    ys: list[FloatArray] = []
    ws: list[FloatArray] = []
    for geom, cls in zip(roads, road_classes, strict=True):
        weight = float(config.road_class_weights.get(cls, config.default_road_weight))
        parts = geom.geoms if isinstance(geom, MultiLineString) else [geom]
        for part in parts:
            if not isinstance(part, LineString) or part.is_empty:
                continue
            line_m = shapely.transform(
                part, lambda c: np.column_stack(to_m.transform(c[:, 0], c[:, 1]))
            )
            length = float(line_m.length)
            if length <= 0:
                continue
            n = max(1, int(np.ceil(length / step_m)))
            dist = (np.arange(n) + 0.5) * (length / n)
            pts = shapely.line_interpolate_point(line_m, dist)
            coords = shapely.get_coordinates(pts)
            xs.append(coords[:, 0])
            ys.append(coords[:, 1])
            ws.append(np.full(n, weight * length / n / 1000.0))
    if not xs:
        return np.zeros(grid.size), 0.0
    lon, lat = grid.unproject(np.concatenate(xs), np.concatenate(ys))
    w = np.concatenate(ws)
    pos, inside = grid.locate(lon, lat)
    out = np.bincount(pos[inside], weights=w[inside], minlength=grid.size)
    return out.astype(np.float64), float(w[~inside].sum())


def poi_counts(
    grid: CellGrid,
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
) -> tuple[FloatArray, float]:
    """Weighted count of points of interest per cell, and the weight outside."""
    lon_a = np.asarray(lon, np.float64)
    w = np.ones(lon_a.size) if weights is None else np.asarray(weights, np.float64)
    if w.size and (not np.all(np.isfinite(w)) or w.min() < 0):
        raise InvalidParameterError("POI weights must be finite and >= 0")
    if lon_a.size == 0:
        return np.zeros(grid.size), 0.0
    pos, inside = grid.locate(lon_a, lat)
    out = np.bincount(pos[inside], weights=w[inside], minlength=grid.size)
    return out.astype(np.float64), float(w[~inside].sum())


@dataclass(frozen=True, slots=True, eq=False)
class DemandResult:
    """Demand per cell (arrays aligned with ``grid.cells``) and its totals.

    Attributes
    ----------
    grid
        The cells.
    population
        People per cell.
    traffic_km
        Class-weighted road km per cell.
    poi
        Weighted POI count per cell.
    demand_kwh_day
        Public charging demand, kWh/day.
    ev_fleet
        National EVs in the scenario year.
    total_kwh_day
        Demand of the study area, kWh/day (= ``demand_kwh_day.sum()``).
    shares
        (population, traffic, poi) shares actually used.
    population_input, population_outside, cities_outside, nodata_pixels
        Accounting of the population input (nothing is dropped silently).
    """

    grid: CellGrid
    population: FloatArray
    traffic_km: FloatArray
    poi: FloatArray
    demand_kwh_day: FloatArray
    ev_fleet: float
    total_kwh_day: float
    shares: tuple[float, float, float]
    population_input: float
    population_outside: float
    cities_outside: int
    nodata_pixels: int


def _normalise(v: FloatArray) -> FloatArray | None:
    s = float(v.sum())
    return v / s if s > 0 else None


def allocate_demand(
    grid: CellGrid,
    population: PopulationResult,
    traffic_km: FloatArray,
    poi: FloatArray,
    config: DemandConfig,
    fleet_figures: tuple[EvFleetFigure, ...] = PUBLISHED_EV_FLEET,
    country_population: float = COUNTRY_POPULATION,
) -> DemandResult:
    """Turn the drivers into daily public charging demand per cell.

    The area's total is ``public_kwh_day × population_in_area /
    country_population``; it is split by the configured shares, and a driver
    without data hands its share to population.

    Raises
    ------
    InvalidParameterError
        If ``country_population`` is not positive.
    """
    if not country_population > 0:
        raise InvalidParameterError("country_population must be > 0")
    pop = population.population
    area_pop = float(pop.sum())
    total = config.public_kwh_day(fleet_figures) * area_pop / country_population
    p_share, t_share, q_share = (
        config.population_share,
        config.traffic_share,
        config.poi_share,
    )
    tn = _normalise(traffic_km)
    qn = _normalise(poi)
    if tn is None:
        p_share, t_share = p_share + t_share, 0.0
    if qn is None:
        p_share, q_share = p_share + q_share, 0.0
    pn = _normalise(pop)
    demand = np.zeros(grid.size)
    if pn is not None:
        demand += p_share * pn
        if tn is not None:
            demand += t_share * tn
        if qn is not None:
            demand += q_share * qn
        demand *= total
    else:
        total = 0.0
    return DemandResult(
        grid=grid,
        population=pop,
        traffic_km=traffic_km,
        poi=poi,
        demand_kwh_day=demand,
        ev_fleet=config.fleet(fleet_figures),
        total_kwh_day=float(total),
        shares=(p_share, t_share, q_share),
        population_input=population.input_total,
        population_outside=population.outside_total,
        cities_outside=population.outside_count,
        nodata_pixels=population.nodata_pixels,
    )
