"""Stations: list with filters (GeoJSON), get one, create, update, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from app.api.auth import Admin, Anyone
from app.api.deps import SessionDep
from app.api.params import Paging, paging, parse_bbox
from app.schemas.stations import StationCreate, StationPublic, StationUpdate
from app.services import stations as svc

router = APIRouter(prefix="/api/stations", tags=["stations"])

GEOJSON = "application/geo+json"
ERRORS: dict[int | str, dict[str, object]] = {
    404: {"description": "Unknown station id"},
    422: {"description": "Invalid parameter; `detail` names it"},
}


async def station_filter(
    bbox: Annotated[
        str | None,
        Query(
            description="minlon,minlat,maxlon,maxlat in EPSG:4326",
            examples=["69.1,41.2,69.4,41.4"],
        ),
    ] = None,
    region: Annotated[
        str | None, Query(description="ISO 3166-2 code of a region, e.g. UZ-TK")
    ] = None,
    status: Annotated[
        list[str] | None,
        Query(
            description="available, charging, faulted, unavailable, offline, unknown"
        ),
    ] = None,
    connector_type: Annotated[
        list[str] | None, Query(description="CCS2, GBT_DC, GBT_AC, CHADEMO, TYPE2")
    ] = None,
    min_power_kw: Annotated[
        float | None, Query(ge=0, le=1000, description="Minimum max power in kW")
    ] = None,
    operator: Annotated[
        str | None, Query(max_length=255, description="Operator name or id")
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Search in name, city and address"),
    ] = None,
) -> svc.StationFilter:
    return svc.StationFilter(
        bbox=parse_bbox(bbox),
        region=region,
        status=tuple(status or ()),
        connector_type=tuple(connector_type or ()),
        min_power_kw=min_power_kw,
        operator=operator,
        q=q,
    )


@router.get(
    "",
    summary="Stations as GeoJSON, filtered and paged",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}, **ERRORS},
)
async def list_stations(
    session: SessionDep,
    _: Anyone,
    f: Annotated[svc.StationFilter, Depends(station_filter)],
    page: Annotated[Paging, Depends(paging)],
) -> Response:
    """A FeatureCollection of stations with their aggregate live status.

    `numberMatched` counts all matches; `numberReturned` the features in this page.
    """
    body = await svc.list_stations_geojson(session, f, page.limit, page.offset)
    return Response(body, media_type=GEOJSON)


@router.get(
    "/{station_id}", summary="One station with its charge points", responses=ERRORS
)
async def get_station(station_id: int, session: SessionDep, _: Anyone) -> StationPublic:
    return await svc.get_station(session, station_id)


@router.post("", status_code=201, summary="Create a station (admin)", responses=ERRORS)
async def create_station(
    body: StationCreate, session: SessionDep, _: Admin
) -> StationPublic:
    return await svc.create_station(session, body)


@router.patch("/{station_id}", summary="Update a station (admin)", responses=ERRORS)
async def update_station(
    station_id: int, body: StationUpdate, session: SessionDep, _: Admin
) -> StationPublic:
    return await svc.update_station(session, station_id, body)


@router.delete(
    "/{station_id}",
    status_code=204,
    summary="Delete a station (admin)",
    responses=ERRORS,
)
async def delete_station(station_id: int, session: SessionDep, _: Admin) -> Response:
    await svc.delete_station(session, station_id)
    return Response(status_code=204)
