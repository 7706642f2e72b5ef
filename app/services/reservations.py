"""Reservations: ReserveNow / CancelReservation with a stored life cycle.

Pending (stored, being sent) -> Active (the charge point accepted) or Rejected
(it answered Faulted, Occupied, Rejected or Unavailable); an Active one ends as
Cancelled (CancelReservation accepted), Used (a transaction started with its
reservationId), Removed or Expired (OCPP 2.0.1 ReservationStatusUpdate), and is
shown Expired once ``expires_at`` passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.models import IdToken, Reservation
from app.errors import ConflictError, InvalidInputError, NotFoundError
from app.services import commands
from app.services.registry import ConnectionRegistry


@dataclass(frozen=True, slots=True)
class ReservationView:
    id: int
    charge_point_id: str
    evse_id: int | None
    id_tag: str
    expires_at: datetime
    status: str
    detail: str | None
    transaction_id: int | None
    requested_by: str
    created_at: datetime


def _view(r: Reservation, now: datetime | None = None) -> ReservationView:
    now = now or datetime.now(UTC)
    status = "Expired" if r.status == "Active" and r.expires_at <= now else r.status
    return ReservationView(
        r.id, r.charge_point_id, r.evse_id, r.id_tag, r.expires_at, status,
        r.detail, r.transaction_id, r.requested_by, r.created_at,
    )  # fmt: skip


async def _set(
    maker: async_sessionmaker[AsyncSession], rid: int, **values: Any
) -> Reservation:
    async with maker() as db, db.begin():
        row = await db.get(Reservation, rid)
        if row is None:  # deleted with its charge point meanwhile
            raise NotFoundError(f"reservation {rid} not found", "reservation_not_found")
        for k, v in values.items():
            setattr(row, k, v)
        return row


async def reserve(
    maker: async_sessionmaker[AsyncSession],
    registry: ConnectionRegistry,
    charge_point_id: str,
    *,
    evse_id: int | None,
    id_tag: str,
    expires_at: datetime,
    actor: str,
) -> ReservationView:
    """Store the reservation, send ReserveNow with its id, keep the answer."""
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    if expires_at <= datetime.now(UTC):
        raise InvalidInputError(
            "expires_at: must be in the future", "reservation_in_the_past"
        )
    # Unknown (404) or offline (409): no row for a reservation that cannot be sent.
    protocol = await commands.protocol_of(maker, registry, charge_point_id)
    async with maker() as db, db.begin():
        token_type = await db.scalar(
            select(IdToken.token_type).where(IdToken.token == id_tag)
        )
        row = Reservation(
            charge_point_id=charge_point_id,
            evse_id=evse_id,
            id_tag=id_tag,
            expires_at=expires_at,
            requested_by=actor,
        )
        db.add(row)
        await db.flush()
        rid = row.id
    if protocol == "ocpp1.6":
        payload: dict[str, Any] = {
            "connectorId": evse_id or 0,
            "expiryDate": expires_at.isoformat(),
            "idTag": id_tag,
            "reservationId": rid,
        }
    else:
        payload = {
            "id": rid,
            "expiryDateTime": expires_at.isoformat(),
            "idToken": {"idToken": id_tag, "type": token_type or "Central"},
        }
        if evse_id is not None:
            payload["evseId"] = evse_id
    try:
        rec = await commands.send(
            maker, registry, charge_point_id, "ReserveNow", payload, actor=actor
        )
    except Exception as e:
        await _set(maker, rid, status="Rejected", detail=f"not sent: {e}"[:500])
        raise
    answer = (rec.response or {}).get("status", "")
    if answer == "Accepted":
        row = await _set(maker, rid, status="Active")
    else:
        row = await _set(
            maker, rid, status="Rejected", detail=f"charge point answered {answer}"
        )
    return _view(row)


async def cancel(
    maker: async_sessionmaker[AsyncSession],
    registry: ConnectionRegistry,
    charge_point_id: str,
    reservation_id: int,
    *,
    actor: str,
) -> ReservationView:
    async with maker() as db:
        row = await db.get(Reservation, reservation_id)
    if row is None or row.charge_point_id != charge_point_id:
        raise NotFoundError(
            f"reservation {reservation_id} not found", "reservation_not_found"
        )
    current = _view(row).status
    if current != "Active":
        raise ConflictError(
            f"reservation {reservation_id} is {current.lower()}, not active",
            "reservation_not_active",
        )
    rec = await commands.send(
        maker,
        registry,
        charge_point_id,
        "CancelReservation",
        {"reservationId": reservation_id},
        actor=actor,
    )
    answer = (rec.response or {}).get("status", "")
    if answer != "Accepted":
        raise ConflictError(
            f"charge point {charge_point_id} refused to cancel reservation"
            f" {reservation_id} ({answer})",
            "cancel_rejected",
        )
    return _view(await _set(maker, reservation_id, status="Cancelled"))


async def list_for(
    db: AsyncSession, charge_point_id: str, *, limit: int = 100
) -> list[ReservationView]:
    rows = (
        await db.scalars(
            select(Reservation)
            .where(Reservation.charge_point_id == charge_point_id)
            .order_by(Reservation.id.desc())
            .limit(limit)
        )
    ).all()
    now = datetime.now(UTC)
    return [_view(r, now) for r in rows]


async def mark(
    maker: async_sessionmaker[AsyncSession],
    charge_point_id: str,
    reservation_id: int,
    status: str,
    *,
    transaction_pk: int | None = None,
) -> None:
    """What the charge point reported about one of its reservations (ids of
    another charge point or unknown ids are ignored)."""
    values: dict[str, Any] = {"status": status}
    if transaction_pk is not None:
        values["transaction_id"] = transaction_pk
    async with maker() as db, db.begin():
        await db.execute(
            update(Reservation)
            .where(
                Reservation.id == reservation_id,
                Reservation.charge_point_id == charge_point_id,
            )
            .values(**values)
        )
