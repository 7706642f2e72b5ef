"""Coordinate reference systems used across Quvvat.

Storage is always EPSG:4326 (lon, lat). Measures are taken in metres:

* for one place or a small area, in the UTM zone of that area (:func:`utm_crs`);
  Uzbekistan (about 55.9-73.2 degrees E) touches UTM zones 40N to 43N, so no
  single zone serves the whole country;
* for country-wide areas and distances, in one Lambert azimuthal equal-area
  projection centred on Uzbekistan (:data:`UZ_EQUAL_AREA`): areas are exact and
  distances within about 0.5% over the whole country.

Uzbek state data (cadastre, topographic maps) is often in the Soviet SK-42
(Pulkovo 1942) datum in Gauss-Krueger zones; :data:`SK42_ALIASES` names them.
"""

from __future__ import annotations

from typing import Final

from pyproj import CRS
from pyproj.exceptions import CRSError

from geo.errors import UnknownCrsError

WGS84: Final = CRS.from_epsg(4326)

#: Uzbekistan's bounding box in EPSG:4326 (min lon, min lat, max lon, max lat).
UZ_BBOX: Final[tuple[float, float, float, float]] = (55.9, 37.1, 73.2, 45.6)

#: Country-wide equal-area CRS: Lambert azimuthal equal-area centred on Uzbekistan.
UZ_EQUAL_AREA: Final = CRS.from_proj4(
    "+proj=laea +lat_0=41.3 +lon_0=64.5 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
)

#: Names that users give to the Soviet systems, mapped to EPSG codes.
#: Pulkovo 1942 geographic is EPSG:4284; Gauss-Krueger 6-degree zones 10-13
#: (central meridians 57, 63, 69, 75 E) are EPSG:28410-28413.
SK42_ALIASES: Final[dict[str, int]] = {
    "sk42": 4284,
    "sk-42": 4284,
    "pulkovo1942": 4284,
    "pulkovo 1942": 4284,
    "sk42-gk10": 28410,
    "sk42-gk11": 28411,
    "sk42-gk12": 28412,
    "sk42-gk13": 28413,
}


def parse_crs(value: str | int | CRS) -> CRS:
    """Resolve a CRS from an EPSG code, an authority string, WKT or an SK-42 alias.

    Parameters
    ----------
    value
        ``4326``, ``"EPSG:28412"``, ``"sk42"``, ``"sk42-gk12"``, a PROJ string or WKT.

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    UnknownCrsError
        If pyproj cannot resolve ``value``; the message names it.

    Examples
    --------
    >>> parse_crs("sk42").to_epsg()
    4284
    >>> parse_crs(4326).to_epsg()
    4326
    """
    if isinstance(value, CRS):
        return value
    if isinstance(value, str) and value.strip().lower() in SK42_ALIASES:
        return CRS.from_epsg(SK42_ALIASES[value.strip().lower()])
    try:
        return CRS.from_user_input(value)
    except CRSError as e:
        allowed = ", ".join(sorted(SK42_ALIASES))
        raise UnknownCrsError(
            f"unknown CRS {value!r}: give an EPSG code (e.g. 4326, 28412), "
            f"WKT, a PROJ string or one of {allowed}"
        ) from e


def utm_crs(lon: float, lat: float) -> CRS:
    """Return the WGS84 UTM zone CRS that contains (lon, lat).

    Examples
    --------
    >>> utm_crs(69.24, 41.31).to_epsg()  # Tashkent
    32642
    >>> utm_crs(59.6, 42.46).to_epsg()  # Nukus
    32640
    """
    zone = int((lon + 180.0) // 6.0) + 1
    zone = min(max(zone, 1), 60)
    base = 32600 if lat >= 0 else 32700
    return CRS.from_epsg(base + zone)


def metric_crs(bounds: tuple[float, float, float, float]) -> CRS:
    """Choose a metric CRS for data with the given EPSG:4326 bounds.

    Data spanning less than one UTM zone (6 degrees of longitude) is measured in
    its own UTM zone; anything wider uses :data:`UZ_EQUAL_AREA`.

    Examples
    --------
    >>> metric_crs((69.1, 41.2, 69.4, 41.4)).to_epsg()
    32642
    >>> metric_crs(UZ_BBOX) == UZ_EQUAL_AREA
    True
    """
    minx, miny, maxx, maxy = bounds
    if maxx - minx <= 6.0:
        return utm_crs((minx + maxx) / 2.0, (miny + maxy) / 2.0)
    return UZ_EQUAL_AREA
