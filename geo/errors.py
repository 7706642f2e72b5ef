"""Errors raised by :mod:`geo`; ``app.errors`` maps them to HTTP answers."""

from __future__ import annotations


class GeoError(ValueError):
    """Base class of every error raised by :mod:`geo`."""


class CrsMismatchError(GeoError):
    """Two inputs are in different coordinate reference systems."""


class MissingCrsError(GeoError):
    """An input has no CRS and none was given."""


class UnknownCrsError(GeoError):
    """A CRS name or code that pyproj cannot resolve."""


class InvalidGeometryError(GeoError):
    """A geometry that is invalid and could not be repaired."""


class OutsideExtentError(GeoError):
    """Geometries fall outside the allowed extent (Uzbekistan by default)."""


class UnsupportedFormatError(GeoError):
    """A file whose format cannot be read."""


class GeographicCrsError(GeoError):
    """A metric operation was asked for on data in degrees."""


class TooFarFromRoadError(GeoError):
    """A point is farther from every road than the snapping limit."""


class NoRouteError(GeoError):
    """No road connects two points (separate parts of the network)."""


class InvalidResolutionError(GeoError):
    """An H3 resolution outside the allowed range."""
