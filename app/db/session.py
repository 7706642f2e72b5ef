"""Engines and sessions. The async engine serves the API and OCPP; bulk imports
and exports use a sync engine on the same URL."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import Engine, create_engine
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


def make_read_engine(url: str) -> AsyncEngine:
    """Autocommit pool for hot single-statement reads (vector tiles): one round trip
    per request instead of ping + BEGIN + statement + ROLLBACK. No pre-ping: a
    connection that died with the server fails one request and the pool
    is invalidated, so the next request reconnects."""
    return create_async_engine(
        url,
        pool_size=10,
        max_overflow=10,
        pool_recycle=600,
        isolation_level="AUTOCOMMIT",
        # Autocommit leaves no transaction to roll back when a connection returns
        # to the pool: skip the reset (a ROLLBACK round trip per request).
        pool_reset_on_return=None,
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
