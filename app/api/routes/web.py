"""The web apps: static files of ``frontend/dist`` at ``/``, ``/embed`` and ``/cabinet``."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from app.api.auth import Anyone
from app.api.deps import SessionDep, SettingsDep
from app.services import tiles as tile_service
from app.services.sample import attribution as sample_attribution

router = APIRouter(tags=["web"])

_MISSING = """<!doctype html><meta charset="utf-8"><title>Quvvat</title>
<body style="font-family:sans-serif;margin:3em">
<h1>The map app is not built</h1>
<p data-testid="build-missing">The folder <code>{dist}</code> has no <code>{page}</code>.
Build it with <code>make setup</code> (runs <code>npm ci</code> and
<code>npm run build</code> in <code>frontend/</code>). The API works without it:
see <a href="/docs">/docs</a>.</p></body>"""


class WebConfig(BaseModel):
    online_basemap: bool
    attribution: str
    flat_tariff_uzs_per_kwh: int


class RegionPublic(BaseModel):
    iso_code: str
    name_en: str
    name_ru: str | None
    name_uz: str | None
    bbox: tuple[float, float, float, float]


def _page(request: Request, page: str) -> FileResponse | HTMLResponse:
    dist: Path = request.app.state.settings.frontend_dist
    path = dist / page
    if not path.is_file():
        return HTMLResponse(_MISSING.format(dist=dist, page=page), status_code=503)
    return FileResponse(
        path, media_type="text/html", headers={"Cache-Control": "no-cache"}
    )


@router.get(
    "/",
    summary="The operator and planner map",
    response_class=HTMLResponse,
    response_model=None,
)
async def index(request: Request, _: Anyone) -> FileResponse | HTMLResponse:
    """The single-page app (503 with instructions when the build is missing)."""
    return _page(request, "index.html")


@router.get(
    "/embed",
    summary="The public read-only map for iframes",
    response_class=HTMLResponse,
    response_model=None,
)
async def embed(request: Request, _: Anyone) -> FileResponse | HTMLResponse:
    """Public map; ``?lang=uz|ru|en|de``, ``?region=UZ-TK``, ``?bbox=minx,miny,maxx,maxy``."""
    return _page(request, "embed.html")


@router.get(
    "/cabinet",
    summary="The driver's cabinet (phone-first web app)",
    response_class=HTMLResponse,
    response_model=None,
)
async def cabinet(request: Request, _: Anyone) -> FileResponse | HTMLResponse:
    """Sign-up and login, tokens, starting and stopping a charge, sessions with
    receipts, favourites, own data; ``?lang=uz|ru|en|de``. Signs in against ``/api``."""
    return _page(request, "cabinet.html")


@router.get("/api/web/config", summary="Settings the map app needs")
async def web_config(settings: SettingsDep, _: Anyone) -> WebConfig:
    """Whether the online base map is allowed, and the data attribution line."""
    return WebConfig(
        online_basemap=settings.online_basemap,
        attribution=sample_attribution(),
        flat_tariff_uzs_per_kwh=settings.flat_tariff_uzs_per_kwh,
    )


@router.get("/api/web/regions", summary="Regions with their extents, for the map")
async def regions(session: SessionDep, _: Anyone) -> list[RegionPublic]:
    """The first-level units (ISO 3166-2 code, names, bbox lon/lat) for filters."""
    return [
        RegionPublic(
            iso_code=r.iso_code,
            name_en=r.name_en,
            name_ru=r.name_ru,
            name_uz=r.name_uz,
            bbox=r.bbox,
        )
        for r in await tile_service.region_summaries(session)
    ]


def mount_assets(app: FastAPI, dist: Path) -> None:
    """Serve ``dist/assets`` (hashed file names: cached for a year by browsers)."""
    assets = dist / "assets"
    app.mount(
        "/assets",
        StaticFiles(directory=assets, check_dir=False),
        name="assets",
    )
