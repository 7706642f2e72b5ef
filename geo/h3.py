"""The only module that touches the ``h3`` library.

Axis order
    ``h3`` speaks (lat, lng); shapely, GeoJSON and the rest of Quvvat speak
    (lon, lat). Every function here takes and returns **(lon, lat)** and does
    the swap inside.

Cell representation
    One representation is chosen here and used across the API and the database:
    the **15-character lower-case hexadecimal string** of the H3 index
    (``"882a100d65fffff"``), as h3-js, deck.gl's ``H3HexagonLayer`` and h3-pg
    text input expect. A 64-bit integer would not survive JSON in a browser
    (integers above 2**53 lose precision). Inside numeric code cells travel as
    ``numpy.int64`` arrays (:data:`CellArray`; an H3 index has its top bit
    reserved as 0, so it always fits), converted at the edge with
    :func:`cells_to_str` and :func:`str_to_cells`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

import h3
import h3.api.basic_int as h3i
import numpy as np
import numpy.typing as npt
import shapely
from shapely import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geo.errors import InvalidGeometryError, InvalidResolutionError

CellArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

MIN_RESOLUTION: Final = 0
MAX_RESOLUTION: Final = 15


def check_resolution(
    resolution: int, low: int = MIN_RESOLUTION, high: int = MAX_RESOLUTION
) -> int:
    """Return ``resolution`` if it is an integer in ``[low, high]``, else raise.

    Raises
    ------
    InvalidResolutionError
        The message names the value and the allowed range.

    Examples
    --------
    >>> check_resolution(8, 6, 9)
    8
    >>> check_resolution(12, 6, 9)
    Traceback (most recent call last):
    ...
    geo.errors.InvalidResolutionError: H3 resolution 12 is outside 6..9
    """
    if isinstance(resolution, bool) or not isinstance(resolution, int | np.integer):
        raise InvalidResolutionError(
            f"H3 resolution must be an integer in {low}..{high}, got {resolution!r}"
        )
    if not low <= int(resolution) <= high:
        raise InvalidResolutionError(
            f"H3 resolution {resolution} is outside {low}..{high}"
        )
    return int(resolution)


def mean_cell_area_km2(resolution: int) -> float:
    """Average area of an H3 cell at ``resolution`` in km².

    Examples
    --------
    >>> round(mean_cell_area_km2(8), 3)
    0.737
    """
    return float(h3.average_hexagon_area(check_resolution(resolution), unit="km^2"))


def mean_edge_length_m(resolution: int) -> float:
    """Average edge length (≈ centre-to-vertex distance) of an H3 cell in metres."""
    return float(h3.average_hexagon_edge_length(check_resolution(resolution), unit="m"))


def polygon_cells_with_centers(
    geom: BaseGeometry, resolution: int
) -> tuple[CellArray, FloatArray, FloatArray]:
    """Cells whose centre lies inside a (multi)polygon, with their centres.

    The polygon is first covered with cells three resolutions coarser that
    overlap it; their children are kept when their centre is inside ``geom``
    (planar test in lon/lat with shapely). This is ~15x faster than filling a
    detailed country outline directly at resolution 8.

    Parameters
    ----------
    geom
        Polygon or MultiPolygon in EPSG:4326, (lon, lat) order.
    resolution
        H3 resolution, 0..15.

    Returns
    -------
    cells, lon, lat
        Sorted unique cells (``int64``) and their centres in EPSG:4326.

    Raises
    ------
    InvalidGeometryError
        If ``geom`` is not a non-empty (multi)polygon.
    """
    check_resolution(resolution)
    if not isinstance(geom, Polygon | MultiPolygon) or geom.is_empty:
        raise InvalidGeometryError(
            f"expected a non-empty Polygon or MultiPolygon, got {geom.geom_type}"
        )
    coarse_res = max(0, resolution - 3)
    parts = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    coarse: set[int] = set()
    for part in parts:
        # geo_to_h3shape reads __geo_interface__, which is (lon, lat).
        shape = h3.geo_to_h3shape(part)
        coarse.update(
            h3i.h3shape_to_cells_experimental(shape, coarse_res, contain="overlap")
        )
    children: list[int] = []
    for c in sorted(coarse):
        children.extend(h3i.cell_to_children(c, resolution))
    cells = np.unique(np.asarray(children, dtype=np.int64))
    lon, lat = cell_centers(cells)
    shapely.prepare(geom)
    inside = shapely.contains_xy(geom, lon, lat)
    return cells[inside], lon[inside], lat[inside]


def polygon_cells(geom: BaseGeometry, resolution: int) -> CellArray:
    """Cells whose centre lies inside a (multi)polygon in EPSG:4326.

    See :func:`polygon_cells_with_centers`.

    Examples
    --------
    >>> from shapely import box
    >>> polygon_cells(box(69.2, 41.2, 69.3, 41.3), 8).size  # 93 km² box
    108
    """
    return polygon_cells_with_centers(geom, resolution)[0]


def points_to_cells(
    lon: npt.ArrayLike, lat: npt.ArrayLike, resolution: int
) -> CellArray:
    """The cell that contains each (lon, lat) point.

    Examples
    --------
    >>> cells_to_str(points_to_cells([69.2401], [41.2995], 8))
    ['8820a52d21fffff']
    """
    check_resolution(resolution)
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    if lon_a.shape != lat_a.shape:
        raise ValueError("lon and lat must have the same shape")
    f = h3i.latlng_to_cell
    return np.fromiter(
        (
            f(y, x, resolution)
            for x, y in zip(lon_a.ravel().tolist(), lat_a.ravel().tolist(), strict=True)
        ),
        dtype=np.int64,
        count=lon_a.size,
    )


def cell_centers(cells: CellArray) -> tuple[FloatArray, FloatArray]:
    """(lon, lat) arrays of the cells' centres.

    Examples
    --------
    >>> lon, lat = cell_centers(str_to_cells(["8820a52d21fffff"]))
    >>> round(float(lon[0]), 2), round(float(lat[0]), 2)
    (69.24, 41.3)
    """
    n = len(cells)
    lon = np.empty(n, dtype=np.float64)
    lat = np.empty(n, dtype=np.float64)
    to_ll = h3i.cell_to_latlng
    for i, c in enumerate(np.asarray(cells, dtype=np.int64).tolist()):
        lat[i], lon[i] = to_ll(c)
    return lon, lat


def cell_polygons(cells: CellArray) -> list[Polygon]:
    """Hexagon (or pentagon) outlines as shapely polygons in (lon, lat)."""
    out: list[Polygon] = []
    for c in np.asarray(cells, dtype=np.int64).tolist():
        ring = h3i.cell_to_boundary(c)
        out.append(Polygon([(lng, lat) for lat, lng in ring]))
    return out


def cells_to_str(cells: Iterable[int] | CellArray) -> list[str]:
    """Cells as the canonical hexadecimal strings (API and database form).

    Examples
    --------
    >>> str_to_cells(cells_to_str([613196570331971583])).tolist()
    [613196570331971583]
    """
    return [h3.int_to_str(int(c)) for c in cells]


def str_to_cells(cells: Sequence[str]) -> CellArray:
    """Canonical hexadecimal strings to an ``int64`` cell array.

    Raises
    ------
    ValueError
        Naming the first string that is not a valid H3 cell.
    """
    out = np.empty(len(cells), dtype=np.int64)
    for i, s in enumerate(cells):
        if not isinstance(s, str) or not h3.is_valid_cell(s):
            raise ValueError(f"not an H3 cell: {s!r}")
        out[i] = h3.str_to_int(s)
    return out


def cell_resolution(cell: int) -> int:
    """Resolution of one cell."""
    return int(h3.get_resolution(h3.int_to_str(int(cell))))


def aggregate(cells: CellArray, values: npt.ArrayLike) -> tuple[CellArray, FloatArray]:
    """Sum ``values`` per cell: the H3 aggregation used for every total.

    The sum of the output equals the sum of the input (up to float rounding).

    Examples
    --------
    >>> u, s = aggregate(np.array([5, 3, 5]), [1.0, 2.0, 4.0])
    >>> u.tolist(), s.tolist()
    ([3, 5], [2.0, 5.0])
    """
    c = np.asarray(cells, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    if c.shape != v.shape:
        raise ValueError("cells and values must have the same shape")
    uniq, inv = np.unique(c, return_inverse=True)
    sums = np.bincount(inv, weights=v, minlength=uniq.size).astype(np.float64)
    return uniq.astype(np.int64), sums


def disk(cell: int, k: int) -> CellArray:
    """Cells within ``k`` grid steps of ``cell`` (``k = 1``: the cell and its ring).

    Examples
    --------
    >>> disk(613196570331971583, 1).size
    7
    """
    return np.unique(np.asarray(h3i.grid_disk(int(cell), k), dtype=np.int64))


def cell_areas_km2(cells: CellArray) -> FloatArray:
    """Exact area of each cell, km² (cells near Uzbekistan are ~19 % larger
    than the global mean of their resolution).

    Examples
    --------
    >>> round(float(cell_areas_km2(str_to_cells(["8820a52d21fffff"]))[0]), 3)
    0.879
    """
    f = h3i.cell_area
    return np.fromiter(
        (f(c, unit="km^2") for c in np.asarray(cells, dtype=np.int64).tolist()),
        dtype=np.float64,
        count=len(cells),
    )


def parents(cells: CellArray, resolution: int) -> CellArray:
    """The parent of each cell at a coarser ``resolution``.

    Examples
    --------
    >>> cells_to_str(parents(str_to_cells(["8820a52d21fffff"]), 6))
    ['8620a52d7ffffff']
    """
    check_resolution(resolution)
    f = h3i.cell_to_parent
    return np.fromiter(
        (f(c, resolution) for c in np.asarray(cells, dtype=np.int64).tolist()),
        dtype=np.int64,
        count=len(cells),
    )
