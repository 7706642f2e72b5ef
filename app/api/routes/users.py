"""Operator cabinet: user accounts, roles and organisation membership (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.api.auth import Admin
from app.api.deps import SessionDep
from app.api.routes.auth import user_public
from app.schemas.accounts import (
    RoleName,
    UserCreate,
    UserPublic,
    UsersPublic,
    UserUpdate,
)
from app.services import accounts

router = APIRouter(prefix="/api/users", tags=["users"])


@router.get("")
async def list_users(
    _: Admin,
    session: SessionDep,
    *,
    role: RoleName | None = None,
    operator_id: int | None = None,
    q: Annotated[
        str | None, Query(max_length=100, description="e-mail/name/phone contains")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> UsersPublic:
    """Every account, filtered by role, operator or text."""
    rows = await accounts.list_users(
        session, role=role, operator_id=operator_id, q=q, limit=limit, offset=offset
    )
    return UsersPublic(data=[user_public(u, ids) for u, ids in rows], count=len(rows))


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_user(
    body: UserCreate, principal: Admin, session: SessionDep
) -> UserPublic:
    """Create an account of any role; technicians and partners get operators."""
    user, ids = await accounts.create_user(
        session,
        principal,
        email=body.email,
        password=body.password,
        role=body.role,
        phone=body.phone,
        full_name=body.full_name,
        operator_ids=body.operator_ids,
    )
    return user_public(user, ids)


@router.get("/{user_id}")
async def read_user(user_id: int, _: Admin, session: SessionDep) -> UserPublic:
    user, ids = await accounts.get_user(session, user_id)
    return user_public(user, ids)


@router.patch("/{user_id}")
async def update_user(
    user_id: int, body: UserUpdate, principal: Admin, session: SessionDep
) -> UserPublic:
    """Change role, operators, activity, contact data or password of an account."""
    user, ids = await accounts.update_user(
        session, principal, user_id, **body.model_dump(exclude_unset=True)
    )
    return user_public(user, ids)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user(user_id: int, principal: Admin, session: SessionDep) -> None:
    """Delete an account and its personal data (sessions stay, anonymised)."""
    await accounts.delete_user(session, principal, user_id)
