"""Query-parameter parsers shared by routes. Bad values are 422s naming the field."""

from __future__ import annotations

import inspect
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, get_type_hints

from fastapi import Query

from app.errors import InvalidInputError

BBox = tuple[float, float, float, float]
T = TypeVar("T")


def parse_bbox(value: str | None, field: str = "bbox") -> BBox | None:
    """``"minlon,minlat,maxlon,maxlat"`` in EPSG:4326 → tuple; ``None`` passes."""
    if value is None or value == "":
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise InvalidInputError(
            f"{field}: expected 4 comma-separated numbers minlon,minlat,maxlon,maxlat;"
            f" got {value!r}",
            "invalid_bbox",
        )
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError as e:
        raise InvalidInputError(
            f"{field}: not a number in {value!r}", "invalid_bbox"
        ) from e
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise InvalidInputError(f"{field}: values must be finite", "invalid_bbox")
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180):
        raise InvalidInputError(
            f"{field}: longitudes must be within -180..180 (EPSG:4326, lon first)",
            "invalid_bbox",
        )
    if not (-90 <= miny <= 90 and -90 <= maxy <= 90):
        raise InvalidInputError(
            f"{field}: latitudes must be within -90..90 (EPSG:4326, lon first)",
            "invalid_bbox",
        )
    if minx > maxx or miny > maxy:
        raise InvalidInputError(
            f"{field}: min must not exceed max in {value!r}", "invalid_bbox"
        )
    return (minx, miny, maxx, maxy)


@dataclass(frozen=True, slots=True)
class Paging:
    limit: int
    offset: int


async def paging(
    limit: Annotated[
        int, Query(ge=1, le=10000, description="Maximum number of items to return")
    ] = 1000,
    offset: Annotated[int, Query(ge=0, description="Items to skip")] = 0,
) -> Paging:
    return Paging(limit=limit, offset=offset)


def async_params(cls: type[T]) -> Callable[..., Awaitable[T]]:
    """``Depends(async_params(Cls))`` instead of ``Depends()`` on a class of query
    or form parameters: the same parameters, but FastAPI calls an ``async``
    factory instead of running the class's synchronous constructor in a worker
    thread (a thread hop per request, which costs more than the route itself on
    hot paths such as vector tiles)."""
    hints = get_type_hints(cls.__init__, include_extras=True)
    sig = inspect.signature(cls)
    params = [
        p.replace(annotation=hints.get(p.name, p.annotation))
        for p in sig.parameters.values()
    ]

    async def make(**kwargs: Any) -> T:
        return cls(**kwargs)

    make.__signature__ = sig.replace(  # type: ignore[attr-defined]  # read by FastAPI
        parameters=params, return_annotation=cls
    )
    make.__name__ = f"{cls.__name__}_params"
    return make
