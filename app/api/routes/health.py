"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from app.api.auth import Anyone
from app.api.deps import SessionDep
from app.db.migrate import current_head

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: bool
    postgis_version: str | None
    migration: str | None
    migration_head: str | None


@router.get("/health", summary="Database reachable, PostGIS version, migration head")
async def health(session: SessionDep, _: Anyone) -> Health:
    """Readiness: answers 200 with ``status='ok'`` only when the schema is at head."""
    postgis = (await session.execute(text("SELECT postgis_lib_version()"))).scalar()
    migration = (
        await session.execute(text("SELECT version_num FROM alembic_version"))
    ).scalar()
    head = current_head()
    return Health(
        status="ok" if migration == head else "migration_pending",
        database=True,
        postgis_version=str(postgis) if postgis else None,
        migration=str(migration) if migration else None,
        migration_head=head,
    )
