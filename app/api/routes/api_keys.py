"""Partner API keys: create (shown once), list, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from app.api.auth import Principal, require_role
from app.api.deps import SessionDep
from app.schemas.accounts import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from app.services import accounts

router = APIRouter(prefix="/api/api-keys", tags=["api-keys"])
KeyOwner = Annotated[Principal, Depends(require_role("admin", "partner"))]


def _pub(row: object) -> ApiKeyPublic:
    return ApiKeyPublic.model_validate(row, from_attributes=True)


@router.get("")
async def list_api_keys(principal: KeyOwner, session: SessionDep) -> list[ApiKeyPublic]:
    """The caller's keys (admins: all keys)."""
    return [_pub(k) for k in await accounts.list_api_keys(session, principal)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_api_key(
    body: ApiKeyCreate, principal: KeyOwner, session: SessionDep
) -> ApiKeyCreated:
    """A new read-only key with the given scopes; the key is in this answer only."""
    row, key = await accounts.create_api_key(
        session,
        principal,
        name=body.name,
        scopes=body.scopes,
        expires_at=body.expires_at,
        owner_user_id=body.owner_user_id,
    )
    return ApiKeyCreated.model_validate({**_pub(row).model_dump(), "key": key})


@router.delete("/{key_id}")
async def revoke_api_key(
    key_id: int, principal: KeyOwner, session: SessionDep
) -> ApiKeyPublic:
    """Revoke a key: it stops working at once."""
    return _pub(await accounts.revoke_api_key(session, principal, key_id))
