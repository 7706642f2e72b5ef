"""Generated candidate sites."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from geo import h3 as gh3
from geo.crs import WGS84
from planning.config import DemandConfig
from planning.demand import traffic_proxy
from planning.grid import CellGrid


def along_roads(
    grid: CellGrid,
    roads: gpd.GeoDataFrame,
    classes: tuple[str, ...] = ("international", "national", "motorway", "trunk"),
    power_kw: float = 150.0,
) -> gpd.GeoDataFrame:
    """Hexagon centres of the grid crossed by a main road, as candidate points.

    Parameters
    ----------
    grid
        The study grid.
    roads
        EPSG:4326 lines with ``road_class``.
    classes
        Road classes that count as main roads.
    power_kw
        Power given to every generated candidate, kW.

    Returns
    -------
    GeoDataFrame
        Points (EPSG:4326) with ``h3`` (canonical string), ``power_kw`` and
        ``source = "generated:road"``.
    """
    main = roads[roads["road_class"].isin(list(classes))]
    weights = dict.fromkeys(classes, 1.0)
    cfg = DemandConfig(resolution=grid.resolution, road_class_weights=weights)
    km, _ = traffic_proxy(grid, list(main.geometry), list(main["road_class"]), cfg)
    hit = np.flatnonzero(km > 0)
    return gpd.GeoDataFrame(
        {
            "h3": gh3.cells_to_str(grid.cells[hit]),
            "power_kw": np.full(hit.size, power_kw),
            "source": "generated:road",
        },
        geometry=gpd.points_from_xy(grid.lon[hit], grid.lat[hit]),
        crs=WGS84,
    )
