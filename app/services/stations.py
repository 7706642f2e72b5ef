"""Stations: a site with its charge points, EVSEs and connectors.

Listing builds the GeoJSON in PostgreSQL (one round trip, no per-row Python),
with the aggregate status from the ``station_summary`` view.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.db.models import ChargePoint, Connector, Evse, Operator, Region, Site
from app.errors import ConflictError, InvalidInputError, NotFoundError
from app.schemas.stations import (
    ChargePointPublic,
    StationCreate,
    StationPublic,
    StationUpdate,
)
from geo.crs import UZ_BBOX

logger = logging.getLogger(__name__)

STATUSES = ("available", "charging", "faulted", "unavailable", "offline", "unknown")
CONNECTOR_TYPES = ("CCS2", "GBT_DC", "GBT_AC", "CHADEMO", "TYPE2")


@dataclass(frozen=True, slots=True)
class StationFilter:
    """What a caller may filter stations by; ``None`` means no filter."""

    bbox: tuple[float, float, float, float] | None = None
    region: str | None = None
    status: tuple[str, ...] = ()
    connector_type: tuple[str, ...] = ()
    min_power_kw: float | None = None
    operator: str | None = None
    q: str | None = None
    operator_ids: frozenset[int] | None = None  # scope of a technician/partner


async def _check_region(session: AsyncSession, iso: str) -> None:
    found = await session.scalar(select(Region.id).where(Region.iso_code == iso))
    if found is None:
        codes = (
            await session.scalars(select(Region.iso_code).order_by(Region.iso_code))
        ).all()
        raise InvalidInputError(
            f"region: unknown region {iso!r}; known: {', '.join(codes)}",
            "unknown_region",
        )


def _where(f: StationFilter) -> tuple[list[str], dict[str, Any]]:
    where: list[str] = []
    params: dict[str, Any] = {}
    if f.bbox is not None:
        where.append("s.geom && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326)")
        params.update(zip(("minx", "miny", "maxx", "maxy"), f.bbox, strict=True))
    if f.region is not None:
        where.append("r.iso_code = :region")
        params["region"] = f.region
    if f.status:
        where.append("ss.status = ANY(:status)")
        params["status"] = list(f.status)
    if f.connector_type:
        where.append("ss.connector_types && CAST(:ctypes AS text[])")
        params["ctypes"] = list(f.connector_type)
    if f.min_power_kw is not None:
        where.append("ss.max_power_kw >= :min_kw")
        params["min_kw"] = f.min_power_kw
    if f.operator is not None:
        if f.operator.isdigit():
            where.append("s.operator_id = :op_id")
            params["op_id"] = int(f.operator)
        else:
            where.append("lower(o.name) = lower(:op_name)")
            params["op_name"] = f.operator
    if f.q:
        where.append(
            "(s.name ILIKE :q OR s.city ILIKE :q OR s.address ILIKE :q OR s.ext_id = :qexact)"
        )
        params["q"] = f"%{f.q}%"
        params["qexact"] = f.q
    if f.operator_ids is not None:
        where.append("s.operator_id = ANY(:scope)")
        params["scope"] = list(f.operator_ids)
    return where, params


_FROM = """
FROM site s
JOIN station_summary ss ON ss.site_id = s.id
LEFT JOIN operator o ON o.id = s.operator_id
LEFT JOIN region r ON r.id = s.region_id
"""


async def list_stations_geojson(
    session: AsyncSession, f: StationFilter, limit: int, offset: int
) -> bytes:
    """A GeoJSON FeatureCollection (RFC 7946) of the matching stations, as bytes.

    Adds ``numberMatched`` and ``numberReturned`` (OGC API Features).
    """
    for v in f.status:
        if v not in STATUSES:
            raise InvalidInputError(
                f"status: unknown value {v!r}; allowed: {', '.join(STATUSES)}",
                "invalid_status",
            )
    for v in f.connector_type:
        if v not in CONNECTOR_TYPES:
            raise InvalidInputError(
                f"connector_type: unknown value {v!r}; allowed: {', '.join(CONNECTOR_TYPES)}",
                "invalid_connector_type",
            )
    if f.region is not None:
        await _check_region(session, f.region)
    where, params = _where(f)
    cond = ("WHERE " + " AND ".join(where)) if where else ""
    params.update(limit=limit, offset=offset)
    sql = f"""
    WITH matched AS (
        SELECT s.id, s.ext_id, s.name, o.name AS operator, s.operator_id,
               r.iso_code AS region_iso, s.city, s.address, s.source, s.geom,
               ss.status, ss.max_power_kw, ss.connector_types, ss.charge_points,
               ss.connectors
        {_FROM}
        {cond}
    ), page AS (
        SELECT * FROM matched ORDER BY id LIMIT :limit OFFSET :offset
    )
    SELECT json_build_object(
        'type', 'FeatureCollection',
        'numberMatched', (SELECT count(*) FROM matched),
        'numberReturned', (SELECT count(*) FROM page),
        'features', coalesce(json_agg(json_build_object(
            'type', 'Feature',
            'id', p.id,
            'geometry', ST_AsGeoJSON(p.geom, 6)::json,
            'properties', json_build_object(
                'id', p.id, 'ext_id', p.ext_id, 'name', p.name,
                'operator', p.operator, 'operator_id', p.operator_id,
                'region_iso', p.region_iso, 'city', p.city, 'address', p.address,
                'source', p.source, 'status', p.status,
                'max_power_kw', p.max_power_kw,
                'connector_types', to_json(p.connector_types),
                'charge_points', p.charge_points, 'connectors', p.connectors)
        ) ORDER BY p.id), '[]'::json)
    )::text
    FROM page p
    """
    body = await session.scalar(text(sql), params)
    return str(body).encode()


def _load_site() -> Any:
    return select(Site).options(
        selectinload(Site.charge_points)
        .selectinload(ChargePoint.evses)
        .selectinload(Evse.connectors)
    )


async def get_station(
    session: AsyncSession, site_id: int, operator_ids: frozenset[int] | None = None
) -> StationPublic:
    """One station with its charge points; ``NotFoundError`` names the id."""
    site = await session.scalar(_load_site().where(Site.id == site_id))
    if site is None or (
        operator_ids is not None and site.operator_id not in operator_ids
    ):
        raise NotFoundError(f"station {site_id} not found", "station_not_found")
    row = (
        await session.execute(
            text(
                "SELECT ss.status, ss.max_power_kw, ss.connector_types, o.name, r.iso_code,"
                " ST_X(s.geom), ST_Y(s.geom) FROM station_summary ss JOIN site s ON s.id = ss.site_id"
                " LEFT JOIN operator o ON o.id = s.operator_id"
                " LEFT JOIN region r ON r.id = s.region_id WHERE ss.site_id = :id"
            ),
            {"id": site_id},
        )
    ).one()
    return StationPublic(
        id=site.id,
        ext_id=site.ext_id,
        name=site.name,
        operator=row[3],
        operator_id=site.operator_id,
        region_iso=row[4],
        city=site.city,
        address=site.address,
        source=site.source,
        lon=row[5],
        lat=row[6],
        status=row[0],
        max_power_kw=row[1],
        connector_types=list(row[2]),
        charge_points=[
            ChargePointPublic.model_validate(cp) for cp in site.charge_points
        ],
    )


async def _operator_id(session: AsyncSession, name: str | None) -> int | None:
    if name is None:
        return None
    op_id = await session.scalar(select(Operator.id).where(Operator.name == name))
    if op_id is None:
        op = Operator(name=name, source="api")
        session.add(op)
        await session.flush()
        op_id = op.id
    return op_id


def _check_inside(lon: float, lat: float) -> None:
    minx, miny, maxx, maxy = UZ_BBOX
    if not (minx <= lon <= maxx and miny <= lat <= maxy):
        raise InvalidInputError(
            f"lon/lat ({lon}, {lat}) is outside Uzbekistan "
            f"({minx}..{maxx} E, {miny}..{maxy} N); coordinates are lon, lat",
            "outside_extent",
        )


async def _region_of(session: AsyncSession, lon: float, lat: float) -> int | None:
    return await session.scalar(
        select(Region.id).where(
            func.ST_Intersects(
                Region.geom, func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
            )
        )
    )


async def create_station(session: AsyncSession, body: StationCreate) -> StationPublic:
    """Create a site with its charge points in one transaction."""
    _check_inside(body.lon, body.lat)
    async with session.begin():
        ext_id = body.ext_id
        site = Site(
            ext_id=ext_id or "",
            name=body.name,
            operator_id=await _operator_id(session, body.operator),
            address=body.address,
            city=body.city,
            region_id=await _region_of(session, body.lon, body.lat),
            source="api",
            geom=from_shape(Point(body.lon, body.lat), srid=4326),
        )
        for cp_in in body.charge_points:
            if await session.get(ChargePoint, cp_in.id) is not None:
                raise ConflictError(
                    f"charge point {cp_in.id!r} already exists", "charge_point_exists"
                )
            cp = ChargePoint(
                id=cp_in.id, vendor=cp_in.vendor, model=cp_in.model, source="api"
            )
            for e_in in cp_in.evses:
                evse = Evse(evse_id=e_in.evse_id)
                evse.connectors = [
                    Connector(
                        connector_id=c.connector_id,
                        type=c.type,
                        max_power_kw=c.max_power_kw,
                        status="Unknown",
                    )
                    for c in e_in.connectors
                ]
                cp.evses.append(evse)
            site.charge_points.append(cp)
        session.add(site)
        try:
            await session.flush()
        except IntegrityError as e:
            raise ConflictError(
                f"station conflicts with an existing one (ext_id {ext_id!r} or a duplicate"
                " EVSE/connector number)",
                "station_conflict",
            ) from e
        if not ext_id:
            site.ext_id = f"api-{site.id}"
        site_id = site.id
    return await get_station(session, site_id)


async def update_station(
    session: AsyncSession, site_id: int, body: StationUpdate
) -> StationPublic:
    async with session.begin():
        site = await session.get(Site, site_id)
        if site is None:
            raise NotFoundError(f"station {site_id} not found", "station_not_found")
        data = body.model_dump(exclude_unset=True)
        if ("lon" in data) != ("lat" in data):
            raise InvalidInputError(
                "lon and lat must be given together", "invalid_input"
            )
        if "lon" in data:
            lon, lat = data.pop("lon"), data.pop("lat")
            if lon is None or lat is None:
                raise InvalidInputError("lon/lat must not be null", "invalid_input")
            _check_inside(lon, lat)
            site.geom = from_shape(Point(lon, lat), srid=4326)
            site.region_id = await _region_of(session, lon, lat)
        if "operator" in data:
            site.operator_id = await _operator_id(session, data.pop("operator"))
        for key, value in data.items():
            if key == "name" and value is None:
                raise InvalidInputError("name must not be null", "invalid_input")
            setattr(site, key, value)
    return await get_station(session, site_id)


async def delete_station(session: AsyncSession, site_id: int) -> None:
    async with session.begin():
        site = await session.get(Site, site_id)
        if site is None:
            raise NotFoundError(f"station {site_id} not found", "station_not_found")
        await session.delete(site)
