"""Organisation scope: a technician or partner only ever sees their operators' data.

Use in every service that reads or changes operator-owned rows::

    stmt = select(Site).where(operator_clause(principal, Site.operator_id))
    ensure_operator(principal, site.operator_id, what=f"site {site.id}")

Admins see everything; clients see no operator data through these helpers
(their own rows are filtered by ``user_id`` instead). A row of another operator
is reported as *not found* (404), never as forbidden, so ids do not leak.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import ChargePoint, Site, Transaction
from app.errors import NotFoundError
from app.services.principal import Principal


def visible_operator_ids(principal: Principal) -> frozenset[int] | None:
    """``None`` means all operators (admin); otherwise the allowed set."""
    if principal.sees_all_operators:
        return None
    if principal.role in ("technician", "partner"):
        return principal.operator_ids
    return frozenset()


def operator_clause(principal: Principal, column: Any) -> ColumnElement[bool]:
    """A WHERE clause on an ``operator_id`` column limiting rows to the scope."""
    ids = visible_operator_ids(principal)
    if ids is None:
        return true()
    if not ids:
        return false()
    clause: ColumnElement[bool] = column.in_(sorted(ids))
    return clause


def can_see_operator(principal: Principal, operator_id: int | None) -> bool:
    ids = visible_operator_ids(principal)
    if ids is None:
        return True
    return operator_id is not None and operator_id in ids


def ensure_operator(
    principal: Principal, operator_id: int | None, *, what: str
) -> None:
    """Raise :class:`NotFoundError` (``what`` names it) outside the scope."""
    if not can_see_operator(principal, operator_id):
        raise NotFoundError(f"{what} not found", "not_found")


async def ensure_charge_point(
    db: AsyncSession, principal: Principal, charge_point_id: str
) -> None:
    """404 unless the charge point exists and its site's operator is in scope."""
    row = (
        await db.execute(
            select(Site.operator_id)
            .select_from(ChargePoint)
            .outerjoin(Site, Site.id == ChargePoint.site_id)
            .where(ChargePoint.id == charge_point_id)
        )
    ).first()
    if row is None or not can_see_operator(principal, row[0]):
        raise NotFoundError(
            f"charge point {charge_point_id} not found", "charge_point_not_found"
        )


async def ensure_transaction(
    db: AsyncSession, principal: Principal, transaction_id: int
) -> None:
    """404 unless the session exists and its charge point's operator is in scope."""
    row = (
        await db.execute(
            select(Site.operator_id)
            .select_from(Transaction)
            .join(ChargePoint, ChargePoint.id == Transaction.charge_point_id)
            .outerjoin(Site, Site.id == ChargePoint.site_id)
            .where(Transaction.id == transaction_id)
        )
    ).first()
    if row is None or not can_see_operator(principal, row[0]):
        raise NotFoundError(f"session {transaction_id} not found", "session_not_found")
