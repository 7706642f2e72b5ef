"""Organisations (operators) that own sites; scoped by :mod:`app.services.scope`."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AuditLog, Operator, Site
from app.errors import ConflictError, NotFoundError
from app.services import audit
from app.services.principal import Principal
from app.services.scope import ensure_operator, operator_clause


async def list_operators(
    session: AsyncSession, principal: Principal
) -> list[tuple[Operator, int]]:
    counts = (
        select(Site.operator_id, func.count().label("n"))
        .group_by(Site.operator_id)
        .subquery()
    )
    stmt = (
        select(Operator, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.operator_id == Operator.id)
        .where(operator_clause(principal, Operator.id))
        .order_by(Operator.id)
    )
    return [(o, int(n)) for o, n in (await session.execute(stmt)).all()]


async def get_operator(
    session: AsyncSession, principal: Principal, operator_id: int
) -> tuple[Operator, int]:
    ensure_operator(principal, operator_id, what=f"operator {operator_id}")
    op = await session.get(Operator, operator_id)
    if op is None:
        raise NotFoundError(f"operator {operator_id} not found")
    n = (
        await session.execute(
            select(func.count()).where(Site.operator_id == operator_id)
        )
    ).scalar_one()
    return op, int(n)


async def create_operator(
    session: AsyncSession, principal: Principal, name: str
) -> Operator:
    async with session.begin():
        if (
            await session.execute(select(Operator.id).where(Operator.name == name))
        ).first():
            raise ConflictError(f"name: operator {name!r} exists", "duplicate_operator")
        op = Operator(name=name, source="cabinet")
        session.add(op)
        try:
            await session.flush()
        except IntegrityError as e:
            raise ConflictError(
                f"name: operator {name!r} exists", "duplicate_operator"
            ) from e
        await audit.record(
            session, principal, "create", "operator", op.id, after=audit.snapshot(op)
        )
    return op


async def rename_operator(
    session: AsyncSession, principal: Principal, operator_id: int, name: str
) -> Operator:
    async with session.begin():
        op = await session.get(Operator, operator_id, with_for_update=True)
        if op is None:
            raise NotFoundError(f"operator {operator_id} not found")
        clash = (
            await session.execute(
                select(Operator.id).where(
                    Operator.name == name, Operator.id != operator_id
                )
            )
        ).first()
        if clash:
            raise ConflictError(f"name: operator {name!r} exists", "duplicate_operator")
        before = audit.snapshot(op)
        op.name = name
        await session.flush()
        await audit.record(
            session, principal, "update", "operator", op.id,
            before=before, after=audit.snapshot(op),
        )  # fmt: skip
    return op


async def delete_operator(
    session: AsyncSession, principal: Principal, operator_id: int
) -> None:
    async with session.begin():
        op = await session.get(Operator, operator_id, with_for_update=True)
        if op is None:
            raise NotFoundError(f"operator {operator_id} not found")
        n = (
            await session.execute(
                select(func.count()).where(Site.operator_id == operator_id)
            )
        ).scalar_one()
        if n:
            raise ConflictError(
                f"operator {operator_id} still owns {n} site(s); move or delete them first",
                "operator_in_use",
            )
        before = audit.snapshot(op)
        await session.delete(op)
        await audit.record(
            session, principal, "delete", "operator", operator_id, before=before
        )


async def list_audit(
    session: AsyncSession,
    *,
    entity: str | None,
    entity_id: str | None,
    actor: str | None,
    limit: int,
    offset: int,
) -> tuple[list[AuditLog], int]:
    stmt = select(AuditLog)
    if entity:
        stmt = stmt.where(AuditLog.entity == entity)
    if entity_id:
        stmt = stmt.where(AuditLog.entity_id == entity_id)
    if actor:
        stmt = stmt.where(AuditLog.actor == actor)
    total = (
        await session.execute(select(func.count()).select_from(stmt.subquery()))
    ).scalar_one()
    rows = await session.execute(
        stmt.order_by(AuditLog.id.desc()).limit(limit).offset(offset)
    )
    return list(rows.scalars()), int(total)
