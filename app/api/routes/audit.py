"""The audit log (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.auth import Admin
from app.api.deps import SessionDep
from app.schemas.accounts import AuditEntries, AuditEntry
from app.services import operators

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("")
async def list_audit(
    _: Admin,
    session: SessionDep,
    *,
    entity: Annotated[str | None, Query(max_length=64, examples=["tariff"])] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=64, examples=["user:1"])] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AuditEntries:
    """Who changed what and when, newest first, with the row before and after."""
    rows, total = await operators.list_audit(
        session,
        entity=entity,
        entity_id=entity_id,
        actor=actor,
        limit=limit,
        offset=offset,
    )
    return AuditEntries(
        data=[AuditEntry.model_validate(r, from_attributes=True) for r in rows],
        count=total,
    )
