"""The FastAPI application: ``create_app(settings)``."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.api import auth
from app.api.auth import token_digest
from app.api.routes import (
    api_keys,
    audit,
    cabinet,
    charge_points,
    commands,
    health,
    id_tokens,
    imports,
    layers,
    live,
    operators,
    payments,
    route,
    scenarios,
    sessions,
    stations,
    tariffs,
    tiles,
    users,
    web,
)
from app.api.routes import auth as auth_routes
from app.db.session import (
    make_async_engine,
    make_read_pool,
    make_sessionmaker,
    make_sync_engine,
    resolve_database_url,
)
from app.errors import add_exception_handlers
from app.live import LiveBus
from app.ocpp import server as ocpp_server
from app.services.accounts import AuthConfig
from app.services.notify import make_sender
from app.services.planning import PlanningJobs
from app.services.registry import ConnectionRegistry
from app.services.tiles import TileCache
from app.settings import Settings, get_settings

logger = logging.getLogger(__name__)


def _auth_config(settings: Settings) -> AuthConfig:
    secret = settings.jwt_secret.get_secret_value()
    if not secret:  # development only: settings refuse this elsewhere
        logger.warning("QUVVAT_JWT_SECRET unset: logins last until the next restart")
        secret = secrets.token_urlsafe(48)
    return AuthConfig(
        jwt_secret=secret,
        access_ttl_s=settings.access_token_ttl_s,
        refresh_ttl_s=settings.refresh_token_ttl_s,
        max_failures=settings.login_max_failures,
        window_s=settings.login_window_s,
        reset_ttl_s=settings.reset_code_ttl_s,
    )


ACCOUNT_ROUTERS = (
    auth_routes.router,
    auth_routes.me_router,
    users.router,
    operators.router,
    api_keys.router,
    audit.router,
    tariffs.router,
    cabinet.router,
    payments.router,
)


def _route_id(route: APIRoute) -> str:
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; nothing touches the database until the lifespan starts."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = resolve_database_url(settings)
        app.state.database_url = url
        app.state.engine = make_async_engine(url)
        app.state.read_pool = make_read_pool(url)
        await app.state.read_pool.open(wait=False)
        app.state.sync_engine = make_sync_engine(url)
        app.state.sessionmaker = make_sessionmaker(app.state.engine)
        app.state.planning_jobs = PlanningJobs()
        await ocpp_server.start_runtime(app, settings)
        try:
            yield
        finally:
            await ocpp_server.stop_runtime(app)
            await app.state.planning_jobs.shutdown()
            await app.state.engine.dispose()
            await app.state.read_pool.close()
            app.state.sync_engine.dispose()

    app = FastAPI(
        title="Quvvat",
        summary="Plan and run Uzbekistan's national network of EV charging stations",
        version="0.1.0",
        lifespan=lifespan,
        generate_unique_id_function=_route_id,
    )
    app.state.settings = settings
    app.state.live = LiveBus()
    app.state.registry = ConnectionRegistry()
    secret = settings.admin_token.get_secret_value()
    app.state.admin_token_digest = token_digest(secret) if secret else ""
    auth.install(app, _auth_config(settings))
    app.state.code_sender = make_sender(settings.reset_sender)
    add_exception_handlers(app)
    # Routers are matched in order: the charge points' WebSocket first (a boot
    # storm otherwise walks every HTTP route per connection; an HTTP request
    # skips a WebSocket route at once), then the hottest HTTP route (map tiles,
    # as a plain Starlette route: see app.api.routes.tiles.serve_tile).
    app.include_router(ocpp_server.router)
    app.router.routes.append(tiles.fast_route)
    app.include_router(tiles.router)
    app.include_router(health.router)
    app.include_router(stations.router)
    app.include_router(layers.router)
    app.include_router(route.router)
    app.include_router(scenarios.router)
    app.include_router(charge_points.router)
    app.include_router(commands.router)
    app.include_router(sessions.router)
    app.include_router(id_tokens.router)
    app.include_router(live.router)
    app.include_router(imports.router)
    for router in ACCOUNT_ROUTERS:
        app.include_router(router)
    app.state.tile_cache = TileCache(settings.tile_cache_items)
    app.include_router(web.router)
    web.mount_assets(app, settings.frontend_dist)
    return app
