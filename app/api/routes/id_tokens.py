"""Id tokens (RFID cards, app tokens): list, create, block, expire, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.api.auth import Admin
from app.api.deps import SessionDep
from app.schemas.ocpp import IdTokenCreate, IdTokenPublic, IdTokenUpdate
from app.services import id_tokens as svc

router = APIRouter(prefix="/id-tokens", tags=["id-tokens"])


@router.get("", summary="Id tokens")
async def list_tokens(
    db: SessionDep,
    _: Admin,  # drivers' cards are personal data, not an operator's
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[IdTokenPublic]:
    return [
        IdTokenPublic.model_validate(t)
        for t in await svc.list_tokens(db, limit=limit, offset=offset)
    ]


@router.post(
    "", summary="Create an id token", status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "Token exists"}},
)  # fmt: skip
async def create_token(
    body: IdTokenCreate, db: SessionDep, principal: Admin
) -> IdTokenPublic:
    t = await svc.create_token(
        db, token=body.token, token_type=body.token_type, status=body.status,
        expires_at=body.expires_at, parent_id_tag=body.parent_id_tag,
        principal=principal,
    )  # fmt: skip
    return IdTokenPublic.model_validate(t)


@router.patch(
    "/{token}", summary="Block, unblock, expire or re-parent a token",
    responses={404: {"description": "Unknown token"}},
)  # fmt: skip
async def update_token(
    token: str, body: IdTokenUpdate, db: SessionDep, principal: Admin
) -> IdTokenPublic:
    t = await svc.update_token(
        db, token, status=body.status, expires_at=body.expires_at,
        parent_id_tag=body.parent_id_tag,
        clear_expiry="expires_at" in body.model_fields_set and body.expires_at is None,
        principal=principal,
    )  # fmt: skip
    return IdTokenPublic.model_validate(t)


@router.delete(
    "/{token}", summary="Delete a token", status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"description": "Unknown token"}},
)  # fmt: skip
async def delete_token(token: str, db: SessionDep, principal: Admin) -> None:
    await svc.delete_token(db, token, principal)
