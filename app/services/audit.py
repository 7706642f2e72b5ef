"""Audit log: who changed what, when, with the row before and after.

Services call :func:`record` inside their unit of work, so an audit entry is
committed exactly when the change is.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AuditLog
from app.services.principal import Principal

# Never written to the log, whatever the entity.
_SECRET_FIELDS = frozenset(
    {"password_hash", "key_hash", "token_hash", "code_hash", "password"}
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | frozenset | set):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def snapshot(obj: object) -> dict[str, Any]:
    """The loaded column values of an ORM object, JSON-ready, secrets left out.

    Columns the database sets on write (``updated_at``) are not loaded until
    refreshed; they are left out rather than fetched (the entry has its ``at``).
    """
    mapper = inspect(type(obj))
    unloaded = inspect(obj).unloaded
    return {
        attr.key: _plain(getattr(obj, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in _SECRET_FIELDS and attr.key not in unloaded
    }


def actor_of(principal: Principal | None) -> str:
    if principal is None:
        return "anonymous"
    return principal.subject


async def record(
    session: AsyncSession,
    principal: Principal | None,
    action: str,
    entity: str,
    entity_id: object | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add one audit entry to the current unit of work (the caller commits)."""
    session.add(
        AuditLog(
            actor=actor_of(principal),
            actor_user_id=principal.user_id if principal else None,
            actor_api_key_id=principal.api_key_id if principal else None,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            before=_plain(before) if before is not None else None,
            after=_plain(after) if after is not None else None,
        )
    )
