"""Admin upload of a file into a layer: the same service as ``quvvat import``."""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request, UploadFile

from app.api.auth import Admin
from app.api.deps import SettingsDep
from app.errors import InvalidInputError, PayloadTooLargeError
from app.schemas.imports import ImportSummaryPublic, RejectPublic
from app.services.import_log import IMPORT_LAYERS
from app.services.importer import ImportOptions, import_file

router = APIRouter(tags=["import"])
_CHUNK = 1 << 20

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No credentials"},
    403: {"description": "Not an admin"},
    413: {"description": "The file is over QUVVAT_MAX_UPLOAD_BYTES"},
    422: {"description": "Unknown layer, unreadable file, bad CRS or all rejected"},
}


@router.post(
    "/api/import/{layer}",
    summary="Import an uploaded file into a layer (admin)",
    response_model=ImportSummaryPublic,
    responses=ERRORS,
)
async def upload(
    layer: str,
    file: UploadFile,
    request: Request,
    settings: SettingsDep,
    _: Admin,
    crs: Annotated[
        str | None,
        Query(description="CRS when the file declares none: EPSG code, WKT, sk42-gk12"),
    ] = None,
    allow_outside: Annotated[
        bool, Query(description="Accept features outside Uzbekistan")
    ] = False,
) -> ImportSummaryPublic:
    """Layers: stations, planned_sites, candidate_sites, parcels, substations,
    grid_lines, roads, districts, population (GeoTIFF). Idempotent by ext_id; a
    failed import changes nothing; rejected features come back with the reason."""
    if layer not in IMPORT_LAYERS:
        raise InvalidInputError(
            f"unknown layer {layer!r}; choose one of {', '.join(IMPORT_LAYERS)}",
            code="unknown_layer",
        )
    limit = settings.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise PayloadTooLargeError(f"upload of {declared} bytes is over {limit:,}")
    name = Path(file.filename or "upload").name
    with tempfile.TemporaryDirectory(prefix="quvvat-upload-") as tmp:
        path = Path(tmp) / name
        size = 0
        with path.open("wb") as out:
            while chunk := await file.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLargeError(
                        f"{name} is over the limit of {limit:,} bytes"
                    )
                out.write(chunk)
        opts = ImportOptions(
            crs=crs,
            allow_outside=allow_outside,
            rejects_path=Path(tmp) / "rejects.csv",
            raster_dir=settings.data_dir / "rasters",
        )
        summary = await anyio.to_thread.run_sync(
            partial(
                import_file,
                request.app.state.database_url,
                layer,
                path,
                options=opts,
                max_bytes=limit,
                source_name=name,
            )
        )
    return ImportSummaryPublic(
        layer=summary.layer,
        source_name=summary.source_name,
        read=summary.read,
        inserted=summary.inserted,
        updated=summary.updated,
        rejected=summary.rejected,
        repaired=summary.repaired,
        rejects=[
            RejectPublic(feature=r.feature, reason=r.reason)
            for r in summary.rejects[:1000]
        ],
        run_id=summary.run_id,
        layer_version=summary.layer_version,
        notes=list(summary.notes),
    )
