"""Map layers as GeoJSON and as exports (GeoJSON, GeoPackage, CSV).

Each layer is a whitelisted SELECT (identifiers never come from the request);
values are bound parameters. Layers that describe the grid or land (parcels,
substations, grid lines, candidate sites) are restricted to staff and partners.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import geopandas as gpd
from sqlalchemy import Engine, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import (
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UnauthorizedError,
)

ExportFormat = Literal["geojson", "gpkg", "csv"]
RESTRICTED_ROLES: Final = frozenset({"admin", "technician", "partner"})


@dataclass(frozen=True, slots=True)
class Layer:
    """One queryable layer: a SELECT with named columns and a ``geom`` column."""

    name: str
    title: str
    geometry_type: str
    select: str  # "SELECT ... FROM ... " with alias t for the main table
    region_filter: str  # SQL condition using :region (an ISO code)
    restricted: bool = False


def _by_region_id(alias: str = "t") -> str:
    return f"{alias}.region_id = (SELECT id FROM region WHERE iso_code = :region)"


def _by_region_geom(alias: str = "t") -> str:
    return f"ST_Intersects({alias}.geom, (SELECT geom FROM region WHERE iso_code = :region))"


LAYERS: Final[dict[str, Layer]] = {
    layer.name: layer
    for layer in (
        Layer(
            "regions", "Regions", "MultiPolygon",
            "SELECT t.id, t.iso_code, t.name_en, t.name_ru, t.name_uz, t.area_km2,"
            " t.source, t.license, t.geom FROM region t",
            "t.iso_code = :region",
        ),
        Layer(
            "districts", "Districts (5 regions)", "MultiPolygon",
            "SELECT t.id, t.ext_id, r.iso_code AS region_iso, t.name_en, t.name_ru,"
            " t.name_uz, t.source, t.geom FROM district t"
            " LEFT JOIN region r ON r.id = t.region_id",
            _by_region_id(),
        ),
        Layer(
            "cities", "Cities and towns", "Point",
            "SELECT t.id, t.name, t.name_ru, t.population, r.iso_code AS region_iso,"
            " t.source, t.geom FROM city t LEFT JOIN region r ON r.id = t.region_id",
            _by_region_id(),
        ),
        Layer(
            "roads", "Main roads", "LineString",
            "SELECT t.id, t.ext_id, t.ref, t.name, t.road_class, t.maxspeed_kmh,"
            " t.length_km, t.source, t.geom FROM road t",
            _by_region_geom(),
        ),
        Layer(
            "stations", "Charging stations", "Point",
            "SELECT t.id, t.ext_id, t.name, o.name AS operator,"
            " r.iso_code AS region_iso, t.city, t.address, t.source, ss.status,"
            " ss.max_power_kw, array_to_string(ss.connector_types, ',')"
            " AS connector_types, ss.charge_points, ss.connectors, t.geom FROM site t"
            " JOIN station_summary ss ON ss.site_id = t.id"
            " LEFT JOIN operator o ON o.id = t.operator_id"
            " LEFT JOIN region r ON r.id = t.region_id",
            _by_region_id(),
        ),
        Layer(
            "planned_sites", "Planned stations", "Point",
            "SELECT t.id, t.ext_id, t.name, t.year, t.phase, t.power_kw::float8 AS"
            " power_kw, r.iso_code AS region_iso, t.source, t.geom FROM planned_site t"
            " LEFT JOIN region r ON r.id = t.region_id",
            _by_region_id(),
        ),
        Layer(
            "candidate_sites", "Candidate sites", "Point",
            "SELECT t.id, t.ext_id, t.name, t.power_kw::float8 AS power_kw,"
            " r.iso_code AS region_iso, t.source, t.geom FROM candidate_site t"
            " LEFT JOIN region r ON r.id = t.region_id",
            _by_region_id(),
            restricted=True,
        ),
        Layer(
            "parcels", "Cadastre parcels", "MultiPolygon",
            "SELECT t.id, t.ext_id, t.land_use, t.owner_type, t.status, t.area_m2,"
            " r.iso_code AS region_iso, t.source, t.geom FROM cadastre_parcel t"
            " LEFT JOIN region r ON r.id = t.region_id",
            _by_region_id(),
            restricted=True,
        ),
        Layer(
            "substations", "Grid substations", "Point",
            "SELECT t.id, t.ext_id, t.name, t.voltage_kv, t.capacity_kw, t.spare_kw,"
            " r.iso_code AS region_iso, t.source, t.geom FROM grid_substation t"
            " LEFT JOIN region r ON r.id = t.region_id",
            _by_region_id(),
            restricted=True,
        ),
        Layer(
            "grid_lines", "Grid lines", "LineString",
            "SELECT t.id, t.ext_id, t.voltage_kv, t.capacity_kw, t.spare_kw, t.source,"
            " t.geom FROM grid_line t",
            _by_region_geom(),
            restricted=True,
        ),
    )
}  # fmt: skip


def get_layer(name: str, role: str | None) -> Layer:
    """The layer called ``name`` if a caller with ``role`` (None: anonymous) may read it."""
    layer = LAYERS.get(name)
    if layer is None:
        raise NotFoundError(
            f"unknown layer {name!r}; known: {', '.join(LAYERS)}", "unknown_layer"
        )
    if layer.restricted:
        check_restricted(name, role)
    return layer


def check_restricted(name: str, role: str | None) -> None:
    """Refuse a restricted layer (cadastre, grid, candidate sites: as a GeoJSON
    layer, an export or vector tiles) to anyone but admins, technicians and
    partners: 401 when not signed in, 403 for another role."""
    if role is None:
        raise UnauthorizedError(
            f"layer {name!r} needs a signed-in admin, technician or partner",
            "not_authenticated",
        )
    if role not in RESTRICTED_ROLES:
        raise ForbiddenError(
            f"role {role!r} may not read layer {name!r}", "forbidden_role"
        )


@dataclass(frozen=True, slots=True)
class LayerQuery:
    bbox: tuple[float, float, float, float] | None = None
    region: str | None = None
    limit: int | None = None
    offset: int = 0


def _sql(layer: Layer, q: LayerQuery) -> tuple[str, dict[str, Any]]:
    where: list[str] = []
    params: dict[str, Any] = {}
    if q.bbox is not None:
        where.append("t.geom && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326)")
        params.update(zip(("minx", "miny", "maxx", "maxy"), q.bbox, strict=True))
    if q.region is not None:
        where.append(layer.region_filter)
        params["region"] = q.region
    sql = layer.select + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY t.id"
    if q.limit is not None:
        sql += " LIMIT :limit OFFSET :offset"
        params.update(limit=q.limit, offset=q.offset)
    return sql, params


async def check_region(session: AsyncSession, iso: str | None) -> None:
    if iso is None:
        return
    ok = await session.scalar(
        text("SELECT 1 FROM region WHERE iso_code = :r"), {"r": iso}
    )
    if ok is None:
        codes = (
            await session.scalars(text("SELECT iso_code FROM region ORDER BY 1"))
        ).all()
        raise InvalidInputError(
            f"region: unknown region {iso!r}; known: {', '.join(codes)}",
            "unknown_region",
        )


async def layer_geojson(session: AsyncSession, layer: Layer, q: LayerQuery) -> bytes:
    """A GeoJSON FeatureCollection of the layer, built in PostgreSQL."""
    await check_region(session, q.region)
    inner, params = _sql(layer, q)
    sql = f"""
    SELECT json_build_object(
        'type', 'FeatureCollection',
        'numberReturned', count(*),
        'features', coalesce(json_agg(json_build_object(
            'type', 'Feature', 'id', p.id,
            'geometry', ST_AsGeoJSON(p.geom, 6)::json,
            'properties', to_jsonb(p) - 'geom'
        )), '[]'::json)
    )::text FROM ({inner}) p
    """
    body = await session.scalar(text(sql), params)
    return str(body).encode()


async def layer_catalogue(session: AsyncSession) -> list[dict[str, Any]]:
    """Every layer with its feature count and how many rows are demo data."""
    out = []
    for layer in LAYERS.values():
        table = layer.select.split(" FROM ")[1].split()[0]
        row = (
            await session.execute(
                text(
                    f"SELECT count(*), count(*) FILTER (WHERE source = 'demo') FROM {table}"
                )
            )
        ).one()
        out.append(
            {
                "name": layer.name,
                "title": layer.title,
                "geometry_type": layer.geometry_type,
                "count": int(row[0]),
                "demo_count": int(row[1]),
                "restricted": layer.restricted,
            }
        )
    return out


MEDIA_TYPES: Final[dict[str, str]] = {
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "csv": "text/csv; charset=utf-8",
}


def export_layer(
    engine: Engine, layer: Layer, fmt: ExportFormat, region: str | None
) -> Path:
    """Write the layer (optionally one region) to a temporary file; return its path.

    CSV carries the geometry as WKT, plus ``lon``/``lat`` for point layers.
    """
    sql, params = _sql(layer, LayerQuery(region=region))
    with engine.connect() as conn:
        gdf = gpd.read_postgis(text(sql), conn, geom_col="geom", params=params)
    gdf = gdf.set_crs(4326, allow_override=True)
    for col in gdf.columns:
        if col != "geom" and gdf[col].dtype == object:
            gdf[col] = gdf[col].map(
                lambda v: ",".join(map(str, v)) if isinstance(v, list | tuple) else v
            )
    suffix = {"geojson": ".geojson", "gpkg": ".gpkg", "csv": ".csv"}[fmt]
    tmp = Path(tempfile.mkdtemp(prefix="quvvat-export-")) / f"{layer.name}{suffix}"
    if fmt == "csv":
        df = gdf.drop(columns="geom")
        if layer.geometry_type == "Point":
            df["lon"] = gdf.geometry.x.round(6)
            df["lat"] = gdf.geometry.y.round(6)
        df["wkt"] = gdf.geometry.to_wkt(rounding_precision=6)
        df.to_csv(tmp, index=False)
    elif fmt == "gpkg":
        gdf.to_file(tmp, driver="GPKG", layer=layer.name, engine="pyogrio")
    else:
        gdf.to_file(tmp, driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=6)
    return tmp
