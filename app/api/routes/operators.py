"""Organisations (operators); technicians and partners see only their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from app.api.auth import Admin, Principal, require_role
from app.api.deps import SessionDep
from app.db.models import Operator
from app.schemas.accounts import OperatorCreate, OperatorPublic, OperatorUpdate
from app.services import operators

router = APIRouter(prefix="/api/operators", tags=["operators"])
OrgReader = Annotated[
    Principal, Depends(require_role("admin", "technician", "partner"))
]


def _pub(op: Operator, n: int) -> OperatorPublic:
    return OperatorPublic(id=op.id, name=op.name, source=op.source, site_count=n)


@router.get("")
async def list_operators(
    principal: OrgReader, session: SessionDep
) -> list[OperatorPublic]:
    """Operators the caller may see (admins: all)."""
    return [_pub(o, n) for o, n in await operators.list_operators(session, principal)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_operator(
    body: OperatorCreate, principal: Admin, session: SessionDep
) -> OperatorPublic:
    return _pub(await operators.create_operator(session, principal, body.name), 0)


@router.get("/{operator_id}")
async def read_operator(
    operator_id: int, principal: OrgReader, session: SessionDep
) -> OperatorPublic:
    return _pub(*await operators.get_operator(session, principal, operator_id))


@router.patch("/{operator_id}")
async def update_operator(
    operator_id: int, body: OperatorUpdate, principal: Admin, session: SessionDep
) -> OperatorPublic:
    op = await operators.rename_operator(session, principal, operator_id, body.name)
    await session.rollback()
    return _pub(*await operators.get_operator(session, principal, op.id))


@router.delete("/{operator_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_operator(
    operator_id: int, principal: Admin, session: SessionDep
) -> None:
    """Delete an operator that owns no sites."""
    await operators.delete_operator(session, principal, operator_id)
