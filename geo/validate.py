"""Geometry checks for imports: reproject, check types, repair, check the extent.

Pure: GeoDataFrame in, :class:`ValidationResult` out; nothing is silently dropped.
Every feature that is not accepted comes back in ``rejects`` with a reason that
names it; every repair is counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from geo.crs import UZ_BBOX, WGS84
from geo.errors import MissingCrsError, OutsideExtentError

GeometryKind = Literal["point", "line", "polygon"]

#: Margin around :data:`geo.crs.UZ_BBOX` (degrees) still accepted as "in Uzbekistan".
EXTENT_MARGIN_DEG: Final = 0.05

_ALLOWED: Final[dict[GeometryKind, tuple[str, ...]]] = {
    "point": ("Point",),
    "line": ("LineString", "MultiLineString"),
    "polygon": ("Polygon", "MultiPolygon"),
}


@dataclass(frozen=True, slots=True)
class Rejected:
    """A feature that was not accepted: its label (ext_id or ``feature #n``) and why."""

    position: int
    label: str
    reason: str


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """Accepted features in EPSG:4326 plus what was rejected or repaired.

    ``frame`` keeps the input index and columns; ``position`` in ``rejects`` is
    the 0-based row position in the input.
    """

    frame: gpd.GeoDataFrame
    rejects: tuple[Rejected, ...]
    repaired: int
    source_crs: str
    #: rejected because they lie outside the extent
    outside: int = 0


def to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject to EPSG:4326 (a new frame; the input is not modified).

    Raises
    ------
    MissingCrsError
        If ``frame`` has no CRS.
    """
    if frame.crs is None:
        raise MissingCrsError("the data has no CRS: name it with --crs")
    if frame.crs.equals(WGS84):
        return frame.copy()
    return frame.to_crs(WGS84)


def _coerce(geom: BaseGeometry, kind: GeometryKind) -> BaseGeometry | None:
    """Make a repaired geometry fit ``kind`` (collections -> their matching parts)."""
    if kind == "polygon":
        parts = [
            g for g in shapely.get_parts(geom) if isinstance(g, Polygon | MultiPolygon)
        ]
        polys = [p for g in parts for p in shapely.get_parts(g)]
        polys = [p for p in polys if not p.is_empty and p.area > 0]
        return MultiPolygon(polys) if polys else None
    if kind == "line":
        lparts = [
            g
            for g in shapely.get_parts(geom)
            if isinstance(g, LineString | MultiLineString)
        ]
        lines = [p for g in lparts for p in shapely.get_parts(g) if not p.is_empty]
        if not lines:
            return None
        merged = (
            shapely.line_merge(MultiLineString(lines)) if len(lines) > 1 else lines[0]
        )
        return merged
    return geom if isinstance(geom, Point) else None


def _check_one(  # noqa: PLR0911  # one early return per rejection reason
    g: BaseGeometry | None,
    kind: GeometryKind,
    allow_outside: bool,
    extent: tuple[float, float, float, float],
) -> tuple[BaseGeometry | None, str | None, bool]:
    """(geometry to keep, reason to reject, was repaired) for one feature."""
    allowed = _ALLOWED[kind]
    if g is None or g.is_empty:
        return None, "no geometry (empty or missing coordinates)", False
    if g.geom_type not in allowed:
        return (
            None,
            f"wrong geometry type {g.geom_type}: this layer takes {', '.join(allowed)}",
            False,
        )
    if not np.isfinite(shapely.get_coordinates(g)).all():
        return None, "coordinates are not finite numbers", False
    repaired = False
    if not g.is_valid:
        why = shapely.is_valid_reason(g)
        fixed = _coerce(shapely.make_valid(g), kind)
        if fixed is None or fixed.is_empty or not fixed.is_valid:
            return None, f"invalid geometry that cannot be repaired: {why}", False
        g, repaired = fixed, True
    elif kind == "line" and isinstance(g, MultiLineString):
        g = _coerce(g, kind) or g
    if kind == "line" and not isinstance(g, LineString):
        return (
            None,
            "multi-part line whose parts do not join: split it into separate features",
            repaired,
        )
    if kind == "polygon" and isinstance(g, Polygon):
        g = MultiPolygon([g])
    minx, miny, maxx, maxy = extent
    m = EXTENT_MARGIN_DEG
    bx0, by0, bx1, by1 = g.bounds
    inside = bx0 >= minx - m and by0 >= miny - m and bx1 <= maxx + m and by1 <= maxy + m
    if not inside and not allow_outside:
        return (
            None,
            f"outside Uzbekistan's extent ({minx}, {miny}, {maxx}, {maxy}): "
            f"bounds ({bx0:.4f}, {by0:.4f}, {bx1:.4f}, {by1:.4f}); "
            "use --allow-outside to import it anyway",
            repaired,
        )
    return g, None, repaired


_FINAL: Final[dict[GeometryKind, int]] = {
    "point": shapely.GeometryType.POINT,
    "line": shapely.GeometryType.LINESTRING,
    "polygon": shapely.GeometryType.MULTIPOLYGON,
}


def _simple_rows(
    geoms: npt.NDArray[np.object_],
    kind: GeometryKind,
    allow_outside: bool,
    extent: tuple[float, float, float, float],
) -> npt.NDArray[np.bool_]:
    """Vectorised fast path: rows that are already final, valid and inside."""
    ok = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    type_ok = types == _FINAL[kind]
    if kind == "polygon":  # plain polygons pass too; promoted to MultiPolygon below
        type_ok |= types == shapely.GeometryType.POLYGON
    ok &= type_ok
    ok &= shapely.is_valid(geoms)
    bounds = shapely.bounds(geoms)
    ok &= np.isfinite(bounds).all(axis=1)
    if not allow_outside:
        minx, miny, maxx, maxy = extent
        m = EXTENT_MARGIN_DEG
        with np.errstate(invalid="ignore"):
            ok &= (bounds[:, 0] >= minx - m) & (bounds[:, 1] >= miny - m)
            ok &= (bounds[:, 2] <= maxx + m) & (bounds[:, 3] <= maxy + m)
    return np.asarray(ok, dtype=bool)


def outside_extent_error(n: int, source_crs: str) -> OutsideExtentError:
    """The error for a file whose ``n`` features all lie outside the extent."""
    return OutsideExtentError(
        f"all {n} features lie outside Uzbekistan's extent (source CRS {source_crs}): "
        "check the CRS (--crs, e.g. sk42-gk12 or EPSG:32642) and the lon/lat order, "
        "or use --allow-outside"
    )


def validate_geometries(
    frame: gpd.GeoDataFrame,
    kind: GeometryKind,
    *,
    labels: Sequence[str] | None = None,
    allow_outside: bool = False,
    extent: tuple[float, float, float, float] = UZ_BBOX,
    all_outside_error: bool = True,
) -> ValidationResult:
    """Check and repair the geometries of an import.

    Parameters
    ----------
    frame
        Features with a CRS (any; reprojected to EPSG:4326 here).
    kind
        ``point``, ``line`` (LineString; MultiLineStrings are merged when they
        join up, otherwise rejected) or ``polygon`` (returned as MultiPolygon).
    labels
        One label per row for messages (ext_id); default ``feature #<n>``.
    allow_outside
        Accept features outside ``extent``.
    extent
        (min lon, min lat, max lon, max lat); default Uzbekistan's bounding box,
        widened by :data:`EXTENT_MARGIN_DEG`.
    all_outside_error
        Raise :class:`OutsideExtentError` when every feature lies outside; a
        caller checking a file piece by piece turns it off and decides on the
        whole file (``outside`` in the result).

    Returns
    -------
    ValidationResult
        Invalid geometries are repaired with ``shapely.make_valid`` (counted in
        ``repaired``); features that are empty, of the wrong type, unrepairable
        or outside the extent are rejected with a reason.

    Raises
    ------
    MissingCrsError
        If ``frame`` has no CRS.
    OutsideExtentError
        If no feature at all lies in the extent (almost always a wrong CRS or
        swapped lon/lat): the message suggests ``--crs``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, Polygon
    >>> bow = Polygon([(69, 41), (69.1, 41.1), (69.1, 41), (69, 41.1)])
    >>> f = gpd.GeoDataFrame(geometry=[bow, Point(69, 41)], crs=4326)
    >>> r = validate_geometries(f, "polygon")
    >>> len(r.frame), r.repaired, r.rejects[0].reason
    (1, 1, 'wrong geometry type Point: this layer takes Polygon, MultiPolygon')
    """
    source_crs = frame.crs.to_string() if frame.crs is not None else "none"
    wgs = to_wgs84(frame)
    n = len(wgs)
    names = (
        list(labels) if labels is not None else [f"feature #{i + 1}" for i in range(n)]
    )
    geoms = np.asarray(wgs.geometry.array, dtype=object)
    keep = np.ones(n, dtype=bool)
    rejects: list[Rejected] = []
    repaired = 0
    outside = 0
    simple = _simple_rows(geoms, kind, allow_outside, extent)
    out_arr = np.empty(n, dtype=object)
    out_arr[simple] = geoms[simple]
    if kind == "polygon":
        plain = simple & (shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON)
        if plain.any():
            out_arr[plain] = shapely.multipolygons(geoms[plain].reshape(-1, 1).tolist())
    for i in (int(j) for j in np.flatnonzero(~simple)):
        g, reason, fixed = _check_one(geoms[i], kind, allow_outside, extent)
        if reason is not None:
            keep[i] = False
            outside += reason.startswith("outside")
            rejects.append(Rejected(i, names[i], reason))
            continue
        repaired += fixed
        out_arr[i] = g
    if all_outside_error and n and outside == n:
        raise outside_extent_error(n, source_crs)
    rows = np.flatnonzero(keep)
    gcol = wgs.geometry.name
    accepted = gpd.GeoDataFrame(
        wgs.iloc[rows].drop(columns=gcol),
        geometry=gpd.GeoSeries(out_arr[rows], index=wgs.index[rows], crs=WGS84),
    )
    return ValidationResult(accepted, tuple(rejects), repaired, source_crs, outside)
