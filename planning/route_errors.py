"""Errors raised by the EV route planner; ``app.errors`` maps them to HTTP 422.

Each carries a stable ``code`` and a message that names the offending field.
"""

from __future__ import annotations


class RouteRequestError(ValueError):
    """Base class: a route request that cannot be answered as asked."""

    code = "invalid_route_request"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidVehicleError(RouteRequestError):
    """Impossible vehicle values (zero battery, negative consumption, ...)."""

    code = "invalid_vehicle"


class UnknownVehicleError(RouteRequestError):
    """A vehicle preset id that does not exist."""

    code = "unknown_vehicle"


class InvalidTripError(RouteRequestError):
    """Impossible trip options (minimum SoC above the start SoC, ...)."""

    code = "invalid_trip"


class UnknownPlaceError(RouteRequestError):
    """A place or station name the offline geocoder does not know."""

    code = "unknown_place"
