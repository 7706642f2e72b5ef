"""Annotated dependencies shared by the routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import (
    AsyncSession,
    async_sessionmaker,
)

from app.services.registry import ConnectionRegistry
from app.settings import Settings


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        yield session


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _sync_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.sync_engine
    return engine


SessionDep = Annotated[AsyncSession, Depends(_session)]
SettingsDep = Annotated[Settings, Depends(_settings)]
SyncEngineDep = Annotated[Engine, Depends(_sync_engine)]


async def _maker(request: Request) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return maker


async def _registry(request: Request) -> ConnectionRegistry:
    registry: ConnectionRegistry = request.app.state.registry
    return registry


MakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(_maker)]
RegistryDep = Annotated[ConnectionRegistry, Depends(_registry)]
