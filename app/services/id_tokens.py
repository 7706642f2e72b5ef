"""Id tokens (RFID cards, app tokens) that may authorize charging."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import IdToken
from app.errors import ConflictError, NotFoundError


@dataclass(frozen=True, slots=True)
class TokenView:
    id: int
    token: str
    token_type: str
    status: str
    expires_at: datetime | None
    parent_id_tag: str | None


def _view(t: IdToken) -> TokenView:
    return TokenView(
        t.id, t.token, t.token_type, t.status, t.expires_at, t.parent_id_tag
    )


async def list_tokens(db: AsyncSession, *, limit: int, offset: int) -> list[TokenView]:
    rows = (
        await db.scalars(
            select(IdToken).order_by(IdToken.token).limit(limit).offset(offset)
        )
    ).all()
    return [_view(t) for t in rows]


async def create_token(
    db: AsyncSession,
    *,
    token: str,
    token_type: str,
    status: str,
    expires_at: datetime | None,
    parent_id_tag: str | None,
) -> TokenView:
    row = IdToken(
        token=token, token_type=token_type, status=status, expires_at=expires_at,
        parent_id_tag=parent_id_tag,
    )  # fmt: skip
    try:
        async with db.begin():
            db.add(row)
    except IntegrityError as e:
        raise ConflictError(
            f"id token {token!r} already exists", "id_token_exists"
        ) from e
    return _view(row)


async def update_token(
    db: AsyncSession,
    token: str,
    *,
    status: str | None,
    expires_at: datetime | None,
    parent_id_tag: str | None,
    clear_expiry: bool = False,
) -> TokenView:
    async with db.begin():
        row = await db.scalar(
            select(IdToken).where(IdToken.token == token).with_for_update()
        )
        if row is None:
            raise NotFoundError(f"id token {token!r} not found", "id_token_not_found")
        if status is not None:
            row.status = status
        if expires_at is not None or clear_expiry:
            row.expires_at = expires_at
        if parent_id_tag is not None:
            row.parent_id_tag = parent_id_tag or None
    return _view(row)


async def delete_token(db: AsyncSession, token: str) -> None:
    async with db.begin():
        row = await db.scalar(select(IdToken).where(IdToken.token == token))
        if row is None:
            raise NotFoundError(f"id token {token!r} not found", "id_token_not_found")
        await db.delete(row)
