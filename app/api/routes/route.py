"""EV route planning: plan a trip, list vehicle presets, geocode place names."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from app.api.auth import Anyone
from app.api.deps import SessionDep, SettingsDep
from app.schemas.route import (
    GeocodeMatch,
    PointIn,
    RouteRequest,
    RouteResponse,
    VehicleIn,
    VehiclePublic,
)
from app.services import routing as svc

router = APIRouter(prefix="/api", tags=["route"])

GEOJSON = "application/geo+json"
ERRORS: dict[int | str, dict[str, object]] = {
    422: {
        "description": (
            "Bad input; `detail` names the field and `code` is one of invalid_input, "
            "unknown_place, outside_uzbekistan, too_far_from_road, invalid_vehicle, "
            "unknown_vehicle, invalid_trip, no_route"
        )
    },
    503: {"description": "No roads loaded yet (`code` no_roads)"},
}
Format = Annotated[
    Literal["json", "geojson"],
    Query(description="`geojson`: a FeatureCollection (route line, stops, gap)"),
]


def _cache(request: Request) -> svc.RouteCache:
    cache: svc.RouteCache | None = getattr(request.app.state, "route_cache", None)
    if cache is None:
        cache = request.app.state.route_cache = svc.RouteCache()
    return cache


def _answer(resp: RouteResponse, fmt: str) -> RouteResponse | JSONResponse:
    if fmt == "geojson":
        return JSONResponse(svc.as_geojson(resp), media_type=GEOJSON)
    return resp


@router.post(
    "/route",
    summary="Plan an EV trip with time-optimal charging stops",
    response_model=RouteResponse,
    responses={200: {"content": {GEOJSON: {}}}, **ERRORS},
)
async def post_route(
    body: RouteRequest,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _: Anyone,
    format: Format = "json",  # the public query parameter name
) -> RouteResponse | JSONResponse:
    """Charging stops that minimise driving + charging time over compatible,
    working chargers (busy ones penalised). `feasible=false` answers say where
    and why (the longest stretch without a compatible charger) and list the
    planned or candidate sites that would make the trip possible."""
    resp = await svc.plan(session, _cache(request), settings, body)
    return _answer(resp, format)


# POST only carries the request body; it computes a plan and stores nothing.
post_route.quvvat_public_write_reason = "read-only: plans a trip, writes nothing"  # type: ignore[attr-defined]


@router.get(
    "/route",
    summary="Plan an EV trip (query parameters, for share links)",
    response_model=RouteResponse,
    responses={200: {"content": {GEOJSON: {}}}, **ERRORS},
)
async def get_route(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _: Anyone,
    origin: Annotated[
        str,
        Query(
            max_length=200,
            description="Place name, or 'lon,lat'",
            examples=["Tashkent"],
        ),
    ],
    destination: Annotated[
        str,
        Query(
            max_length=200,
            description="Place name, or 'lon,lat'",
            examples=["Samarkand"],
        ),
    ],
    vehicle: Annotated[
        str, Query(max_length=64, description="Preset id", examples=["byd_yuan_plus"])
    ],
    start_soc: Annotated[float, Query(ge=0, le=1)] = 0.9,
    min_soc_stop: Annotated[float, Query(ge=0, le=1)] = 0.1,
    min_soc_arrival: Annotated[float, Query(ge=0, le=1)] = 0.1,
    temperature_c: Annotated[float | None, Query(ge=-50, le=60)] = None,
    format: Format = "json",  # the public query parameter name
) -> RouteResponse | JSONResponse:
    """The same as `POST /api/route` with the common options as query parameters."""
    body = RouteRequest(
        origin=_point(origin),
        destination=_point(destination),
        vehicle=VehicleIn(preset=vehicle),
        start_soc=start_soc,
        min_soc_stop=min_soc_stop,
        min_soc_arrival=min_soc_arrival,
        temperature_c=temperature_c,
    )
    resp = await svc.plan(session, _cache(request), settings, body)
    return _answer(resp, format)


def _point(value: str) -> PointIn:
    parts = value.split(",")
    if len(parts) == 2:
        try:
            lon, lat = float(parts[0]), float(parts[1])
        except ValueError:
            return PointIn(place=value)
        return PointIn(lon=lon, lat=lat)
    return PointIn(place=value)


@router.get(
    "/vehicles",
    summary="Vehicle presets with their published figures and sources",
    response_model=list[VehiclePublic],
)
async def vehicles(request: Request, _: Anyone) -> list[VehiclePublic]:
    """EVs common in Uzbekistan (BYD, Chevrolet) from `data/vehicles.csv`."""
    return await svc.list_vehicles(_cache(request))


@router.get(
    "/geocode",
    summary="Find cities and stations by name (offline)",
    response_model=list[GeocodeMatch],
    responses=ERRORS,
)
async def geocode(
    request: Request,
    session: SessionDep,
    _: Anyone,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="Name in Uzbek, Russian or English",
            examples=["Samarqand"],
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
    kind: Annotated[Literal["city", "station"] | None, Query()] = None,
) -> list[GeocodeMatch]:
    """Best matches first; an empty list when nothing is close."""
    return await svc.geocode_places(session, _cache(request), q, limit, kind)
