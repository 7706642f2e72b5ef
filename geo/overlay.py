"""Which polygon holds each point: the overlay planning needs to give H3 cells
and populated places their region, without a database."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

IntArray = npt.NDArray[np.int64]


def polygon_index(
    lon: npt.ArrayLike, lat: npt.ArrayLike, polygons: Sequence[BaseGeometry]
) -> IntArray:
    """Index into ``polygons`` of the polygon holding each point, -1 for none.

    Points on a shared border, or inside overlapping polygons, go to the first
    polygon that covers them. Each polygon is tested only on the points inside
    its bounding box, with a prepared geometry.

    Parameters
    ----------
    lon, lat
        Points in the polygons' CRS (EPSG:4326 in Quvvat), same shape.
    polygons
        (Multi)polygons; empty or missing ones match nothing.

    Examples
    --------
    >>> from shapely import box
    >>> polygon_index([0.5, 1.5, 5.0], [0.5, 0.5, 5.0], [box(0, 0, 1, 1), box(1, 0, 2, 1)])
    array([ 0,  1, -1])
    """
    x = np.asarray(lon, np.float64).ravel()
    y = np.asarray(lat, np.float64).ravel()
    out = np.full(x.shape, -1, np.int64)
    for i, poly in enumerate(polygons):
        if poly is None or poly.is_empty:
            continue
        x0, y0, x1, y1 = poly.bounds
        cand = np.flatnonzero((out < 0) & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
        if cand.size == 0:
            continue
        shapely.prepare(poly)
        hit = shapely.intersects_xy(poly, x[cand], y[cand])
        out[cand[hit]] = i
    return out
