"""Map layers as GeoJSON, and exports of any layer for ministries."""

from __future__ import annotations

import shutil
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from app.api.auth import Anyone, require_role
from app.api.deps import SessionDep, SyncEngineDep
from app.api.params import parse_bbox
from app.services import layers as svc
from app.services.sample import attribution as sample_attribution

router = APIRouter(tags=["layers"])

GEOJSON = "application/geo+json"
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Restricted layer and no credentials"},
    403: {"description": "Restricted layer and a role that may not read it"},
    404: {"description": "Unknown layer; `detail` lists the known ones"},
    422: {"description": "Invalid parameter; `detail` names it"},
}
RegionQ = Annotated[str | None, Query(description="ISO 3166-2 region code, e.g. UZ-SA")]


@router.get("/api/layers", summary="The layers with feature and demo counts")
async def list_layers(session: SessionDep, _: Anyone) -> list[dict[str, Any]]:
    """Rows whose ``source`` is ``'demo'`` are generated demo data (see docs/demo-data.md)."""
    return await svc.layer_catalogue(session)


@router.get(
    "/api/layers/{layer}",
    summary="One layer as GeoJSON",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}, **ERRORS},
)
async def get_layer(
    layer: str,
    session: SessionDep,
    principal: Anyone,
    bbox: Annotated[
        str | None, Query(description="minlon,minlat,maxlon,maxlat in EPSG:4326")
    ] = None,
    region: RegionQ = None,
    limit: Annotated[int, Query(ge=1, le=200000)] = 50000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Public layers for anyone; parcels, substations, grid lines and candidate sites
    for admins, technicians and partners."""
    spec = svc.get_layer(layer, principal.role if principal else None)
    q = svc.LayerQuery(bbox=parse_bbox(bbox), region=region, limit=limit, offset=offset)
    return Response(await svc.layer_geojson(session, spec, q), media_type=GEOJSON)


@router.get(
    "/api/export/{layer}",
    summary="Export a layer as GeoJSON, GeoPackage or CSV",
    response_class=FileResponse,
    responses={
        200: {"content": {m: {} for m in svc.MEDIA_TYPES.values()}},
        **ERRORS,
    },
)
async def export_layer(
    layer: str,
    session: SessionDep,
    engine: SyncEngineDep,
    principal: Annotated[Any, Depends(require_role("admin", "technician", "partner"))],
    format: Annotated[
        svc.ExportFormat, Query(description="geojson, gpkg or csv")
    ] = "geojson",
    region: RegionQ = None,
) -> FileResponse:
    """The whole layer (or one region) as a file to download."""
    spec = svc.get_layer(layer, principal.role)
    await svc.check_region(session, region)
    path = await anyio.to_thread.run_sync(
        svc.export_layer, engine, spec, format, region
    )
    name = f"quvvat-{layer}{'-' + region if region else ''}{path.suffix}"
    return FileResponse(
        path,
        media_type=svc.MEDIA_TYPES[format],
        filename=name,
        background=BackgroundTask(shutil.rmtree, path.parent, ignore_errors=True),
    )


@router.get("/api/attribution", summary="Data sources and licences to show on maps")
async def attribution(_: Anyone) -> dict[str, str]:
    """The attribution line (OSM data is ODbL; GeoNames and Open Charge Map CC BY 4.0)."""
    return {"attribution": sample_attribution()}
