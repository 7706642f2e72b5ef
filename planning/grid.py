"""The hexagon grid a plan works on: H3 cells with centres in a metric CRS."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from geo import h3 as gh3
from geo.crs import WGS84, metric_crs
from planning.errors import EmptyInputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True, eq=False)
class CellGrid:
    """H3 cells of a study area, sorted, with centres in (lon, lat) and metres.

    Attributes
    ----------
    resolution
        H3 resolution.
    cells
        Sorted unique cells (``int64``; see :mod:`geo.h3` for the string form).
    lon, lat
        Cell centres, EPSG:4326.
    x_m, y_m
        Cell centres in :attr:`crs`, metres.
    crs
        The metric CRS chosen by :func:`geo.crs.metric_crs` for the area.
    area_km2
        Exact area of each cell, km².
    """

    resolution: int
    cells: gh3.CellArray
    lon: FloatArray
    lat: FloatArray
    x_m: FloatArray
    y_m: FloatArray
    crs: CRS
    area_km2: FloatArray

    @property
    def size(self) -> int:
        return int(self.cells.size)

    def project(
        self, lon: npt.ArrayLike, lat: npt.ArrayLike
    ) -> tuple[FloatArray, FloatArray]:
        """(lon, lat) in EPSG:4326 to (x, y) metres in :attr:`crs`."""
        t = Transformer.from_crs(WGS84, self.crs, always_xy=True)
        x, y = t.transform(np.asarray(lon, np.float64), np.asarray(lat, np.float64))
        return np.asarray(x, np.float64), np.asarray(y, np.float64)

    def unproject(
        self, x: npt.ArrayLike, y: npt.ArrayLike
    ) -> tuple[FloatArray, FloatArray]:
        """(x, y) metres in :attr:`crs` back to (lon, lat)."""
        t = Transformer.from_crs(self.crs, WGS84, always_xy=True)
        lon, lat = t.transform(np.asarray(x, np.float64), np.asarray(y, np.float64))
        return np.asarray(lon, np.float64), np.asarray(lat, np.float64)

    def index_of(self, cells: gh3.CellArray) -> tuple[IntArray, BoolArray]:
        """Position of each cell in :attr:`cells` and whether it is in the grid."""
        c = np.asarray(cells, dtype=np.int64)
        pos = np.searchsorted(self.cells, c)
        pos = np.minimum(pos, max(self.size - 1, 0))
        inside = self.cells[pos] == c if self.size else np.zeros(c.shape, bool)
        return pos.astype(np.int64), inside

    def locate(
        self, lon: npt.ArrayLike, lat: npt.ArrayLike
    ) -> tuple[IntArray, BoolArray]:
        """Grid position of the cell containing each point, and whether it is inside."""
        return self.index_of(gh3.points_to_cells(lon, lat, self.resolution))


def make_grid(area: BaseGeometry, resolution: int, crs: CRS | None = None) -> CellGrid:
    """Cover ``area`` (EPSG:4326 (multi)polygon) with H3 cells.

    Parameters
    ----------
    area
        Study area in EPSG:4326.
    resolution
        H3 resolution (0..15; planning uses 6..9).
    crs
        Metric CRS for distances; default :func:`geo.crs.metric_crs` of the
        area's bounds (the country-wide equal-area CRS for wide areas).

    Raises
    ------
    EmptyInputError
        If no cell centre falls inside ``area`` (area smaller than a cell).

    Examples
    --------
    >>> from shapely import box
    >>> g = make_grid(box(69.2, 41.2, 69.3, 41.3), 8)
    >>> g.size, g.crs.to_epsg()
    (108, 32642)
    """
    cells, lon, lat = gh3.polygon_cells_with_centers(area, resolution)
    if cells.size == 0:
        raise EmptyInputError(
            f"no H3 cell of resolution {resolution} has its centre inside the area"
        )
    crs = crs or metric_crs(area.bounds)
    t = Transformer.from_crs(WGS84, crs, always_xy=True)
    x, y = t.transform(lon, lat)
    return CellGrid(
        resolution=resolution,
        cells=cells,
        lon=lon,
        lat=lat,
        x_m=np.asarray(x, np.float64),
        y_m=np.asarray(y, np.float64),
        crs=crs,
        area_km2=gh3.cell_areas_km2(cells),
    )
