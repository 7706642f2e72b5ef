"""Engines and sessions. The async engine serves the API and OCPP; bulk imports
and exports use a sync engine on the same URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app import embedded_pg
from app.settings import Settings


def resolve_database_url(settings: Settings) -> str:
    """``DATABASE_URL`` when set, else start the embedded cluster under ``.data/``."""
    if settings.database_url:
        return settings.database_url
    return embedded_pg.start(settings.data_dir)


def make_async_engine(url: str) -> AsyncEngine:
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def make_read_pool(url: str) -> AsyncConnectionPool[AsyncConnection[tuple[Any, ...]]]:
    """Autocommit psycopg pool for the hottest single-statement reads (vector
    tiles): no ORM layer, no BEGIN/ROLLBACK, statements prepared after a few uses.
    Opened by the app's lifespan (:func:`open_read_pool`)."""
    conninfo = (
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    return AsyncConnectionPool(
        conninfo,
        min_size=2,
        max_size=10,
        kwargs={"autocommit": True},
        open=False,
        name="quvvat-read",
    )


def make_sync_engine(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def session_scope(
    maker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with maker() as session:
        yield session
