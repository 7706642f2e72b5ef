"""Vector tiles: ``GET /tiles/{layer}/{z}/{x}/{y}.pbf`` (Mapbox Vector Tile)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.routing import Route

from app.api.auth import Anyone, principal_of, public_lazy
from app.api.deps import SessionDep
from app.errors import InvalidInputError
from app.services import tiles as tile_service
from app.services.layers import check_restricted

router = APIRouter(tags=["tiles"])

MVT = "application/vnd.mapbox-vector-tile"
_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"description": "A restricted layer without a token"},
    403: {"description": "A restricted layer for a role that may not read it"},
    404: {"description": "Unknown layer"},
    422: {"description": "Tile out of range or bad filter"},
}


class StationQuery(BaseModel):
    """Filters of the ``stations`` layer; ignored by the other layers."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    status: str | None = Field(
        None,
        description="Comma-separated statuses: available, charging, faulted, "
        "unavailable, offline, unknown",
        max_length=200,
    )
    connector_type: str | None = Field(
        None, description="CCS2, GBT_DC, GBT_AC, CHADEMO or TYPE2", max_length=16
    )
    min_power_kw: float | None = Field(
        None, ge=0, le=1000, description="Minimum max power (kW)"
    )
    operator: str | None = Field(None, max_length=200, description="Operator name")
    region: str | None = Field(
        None, pattern=r"^UZ-[A-Z]{2}$", description="Region, ISO 3166-2 (e.g. UZ-TK)"
    )
    q: str | None = Field(
        None, max_length=100, description="Search in name, city and address"
    )

    def to_filter(self) -> tile_service.StationFilter:
        statuses = None
        if self.status:
            statuses = tuple(s.strip() for s in self.status.split(",") if s.strip())
            if not statuses:
                raise InvalidInputError("status: empty list", "invalid_status")
        return tile_service.StationFilter(
            statuses=statuses,
            connector_type=self.connector_type or None,
            min_power_kw=self.min_power_kw,
            operator=self.operator or None,
            region=self.region,
            q=self.q or None,
        )


def _openapi_parameters() -> list[dict[str, Any]]:
    """The tile route's parameters for the OpenAPI document: the route parses
    them itself (FastAPI's per-parameter handling cost more than the rest of a
    tile request), from the same definitions."""
    path: list[dict[str, Any]] = [
        {"name": "layer", "in": "path", "required": True, "schema": {"type": "string"}},
        *(
            {"name": n, "in": "path", "required": True, "schema": {"type": "integer"}}
            for n in ("z", "x", "y")
        ),
    ]
    props = StationQuery.model_json_schema()["properties"]
    query = [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": prop.pop("description", ""),
            "schema": prop,
        }
        for name, prop in props.items()
    ]
    return path + query


def _coordinate(request: Request, name: str) -> int:
    raw = request.path_params[name]
    try:
        return int(raw)
    except ValueError:
        raise RequestValidationError(
            [
                {
                    "type": "int_parsing",
                    "loc": ("path", name),
                    "msg": "Input should be a valid integer, unable to parse string"
                    " as an integer",
                    "input": raw,
                }
            ]
        ) from None


def _station_query(request: Request) -> StationQuery:
    try:
        return StationQuery.model_validate(request.query_params)
    except ValidationError as e:
        raise RequestValidationError(
            [{**err, "loc": ("query", *err["loc"])} for err in e.errors()]
        ) from None


class TileLayerInfo(BaseModel):
    name: str
    description: str
    mvt_layers: list[str]
    tiles: str


@router.get("/tiles", summary="The tile layers and their URL templates")
async def list_tile_layers(_: Anyone) -> list[TileLayerInfo]:
    """Every layer served under ``/tiles/{layer}/{z}/{x}/{y}.pbf``."""
    return [
        TileLayerInfo(
            name=name,
            description=spec.description,
            mvt_layers=list(spec.mvt_layers),
            tiles=f"/tiles/{name}/{{z}}/{{x}}/{{y}}.pbf",
        )
        for name, spec in tile_service.LAYERS.items()
    ]


class TileJson(BaseModel):
    """TileJSON 3.0.0, plus ``quvvat``: row count, demo row count, demo flag."""

    tilejson: str = "3.0.0"
    name: str
    description: str
    tiles: list[str]
    minzoom: int = 0
    maxzoom: int = tile_service.MAX_ZOOM
    bounds: list[float] | None
    vector_layers: list[dict[str, str]]
    quvvat: dict[str, int | bool]


@router.get(
    "/tiles/{layer}.json",
    summary="TileJSON of a layer with its extent",
    responses={404: {"description": "Unknown layer"}},
)
async def tilejson(
    request: Request, layer: str, session: SessionDep, principal: Anyone
) -> TileJson:
    """Where the layer has data (``bounds``, lon/lat), how many rows, demo or not
    (restricted layers: for admins, technicians and partners)."""
    known = tile_service.LAYERS.get(layer)
    if known is not None and known.restricted:
        check_restricted(layer, principal.role if principal else None)
    summary = await tile_service.layer_summary(session, layer)  # 404 if unknown
    spec = tile_service.LAYERS[layer]
    base = str(request.base_url).rstrip("/")
    return TileJson(
        name=layer,
        description=spec.description,
        tiles=[f"{base}/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf"],
        bounds=list(summary.bounds) if summary.bounds else None,
        vector_layers=[{"id": name} for name in spec.mvt_layers],
        quvvat={
            "count": summary.count,
            "demo_count": summary.demo_count,
            "demo": summary.demo_count > 0,
        },
    )


TILE_PATH = "/tiles/{layer}/{z}/{x}/{y}.pbf"


@router.get(
    TILE_PATH,
    summary="One vector tile of a layer",
    response_class=Response,
    responses={200: {"content": {MVT: {}}}, **_ERRORS},
    openapi_extra={"parameters": _openapi_parameters()},
)
async def get_tile(
    request: Request, _: Annotated[None, Depends(public_lazy())]
) -> Response:
    """An MVT tile (EPSG:3857, extent 4096); an empty body for an empty tile.

    The station filters (query parameters) apply to the ``stations`` layer.
    Cadastre parcels, grid substations and lines and candidate sites are for
    admins, technicians and partners only (send the bearer token), as their
    GeoJSON layers are."""
    return await serve_tile(request)


async def serve_tile(request: Request) -> Response:
    """The tile request itself. Also served by :data:`fast_route`, matched
    before FastAPI's routes: FastAPI's request handling (dependency solving,
    response checks) cost about a fifth of a tile's server time; the role rule
    is the same (public, restricted layers checked here)."""
    layer = request.path_params["layer"]
    z, x, y = (_coordinate(request, n) for n in ("z", "x", "y"))
    spec = tile_service.check_tile(layer, z, x, y)
    if spec.restricted:
        principal = await principal_of(request)
        check_restricted(layer, principal.role if principal else None)
    stations = _station_query(request).to_filter() if layer == "stations" else None
    cache: tile_service.TileCache = request.app.state.tile_cache
    async with request.app.state.read_pool.connection() as conn:
        tile = await tile_service.render_tile(
            conn, cache, layer, spec, z, x, y, stations
        )
    if layer == "stations":
        headers = {"Cache-Control": "no-cache"}  # live status
    elif spec.restricted:  # a shared cache must not hand it to someone else
        headers = {"Cache-Control": "private, max-age=300", "Vary": "Authorization"}
    else:
        headers = {"Cache-Control": "public, max-age=300"}
    return Response(tile, media_type=MVT, headers=headers)


#: The tile route without FastAPI's per-request machinery (see :func:`serve_tile`);
#: ``get_tile`` above documents it in the OpenAPI schema and the route audit.
fast_route = Route(TILE_PATH, serve_tile, methods=["GET"], include_in_schema=False)
