"""Id tokens (RFID cards, app tokens) that may authorize charging."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import IdToken
from app.errors import ConflictError, NotFoundError
from app.services import audit
from app.services.principal import Principal


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
    principal: Principal | None = None,
) -> TokenView:
    row = IdToken(
        token=token, token_type=token_type, status=status, expires_at=expires_at,
        parent_id_tag=parent_id_tag,
    )  # fmt: skip
    try:
        async with db.begin():
            db.add(row)
            await db.flush()
            await audit.record(
                db, principal, "create", "id_token", row.id, after=audit.snapshot(row)
            )
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
    principal: Principal | None = None,
) -> TokenView:
    async with db.begin():
        row = await db.scalar(
            select(IdToken).where(IdToken.token == token).with_for_update()
        )
        if row is None:
            raise NotFoundError(f"id token {token!r} not found", "id_token_not_found")
        before = audit.snapshot(row)
        if status is not None:
            row.status = status
        if expires_at is not None or clear_expiry:
            row.expires_at = expires_at
        if parent_id_tag is not None:
            row.parent_id_tag = parent_id_tag or None
        await db.flush()
        await audit.record(
            db, principal, "update", "id_token", row.id,
            before=before, after=audit.snapshot(row),
        )  # fmt: skip
    return _view(row)


async def delete_token(
    db: AsyncSession, token: str, principal: Principal | None = None
) -> None:
    async with db.begin():
        row = await db.scalar(select(IdToken).where(IdToken.token == token))
        if row is None:
            raise NotFoundError(f"id token {token!r} not found", "id_token_not_found")
        before = audit.snapshot(row)
        await db.delete(row)
        await audit.record(db, principal, "delete", "id_token", row.id, before=before)
