"""Charge points for operators: live status, pending approvals, passwords."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import anyio
from argon2 import PasswordHasher
from sqlalchemy import Engine, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import ChargePoint, Evse, Region, Site, StatusEvent
from app.errors import InvalidInputError, NotFoundError
from app.services.charging import station_status
from app.services.registry import ConnectionRegistry


@dataclass(frozen=True, slots=True)
class EvseStatus:
    evse_id: int
    status: str
    status_at: datetime | None


@dataclass(frozen=True, slots=True)
class ChargePointView:
    id: str
    site_id: int | None
    region_iso: str | None
    vendor: str | None
    model: str | None
    serial_number: str | None
    firmware_version: str | None
    protocol: str | None
    security_profile: int
    registration_status: str
    connected: bool
    last_seen_at: datetime | None
    station_status: str
    firmware_status: str | None
    diagnostics_status: str | None
    source: str
    evses: list[EvseStatus]


@dataclass(frozen=True, slots=True)
class StatusHistoryItem:
    evse_id: int | None
    connector_id: int | None
    status: str
    error_code: str | None
    info: str | None
    occurred_at: datetime


async def list_charge_points(
    db: AsyncSession,
    registry: ConnectionRegistry,
    *,
    site_id: int | None = None,
    region: str | None = None,
    registration_status: str | None = None,
    connected: bool | None = None,
    limit: int = 100,
    offset: int = 0,
    operator_ids: frozenset[int] | None = None,
) -> list[ChargePointView]:
    """``operator_ids``: only charge points of these operators (None: all)."""
    q = (
        select(ChargePoint, Region.iso_code)
        .outerjoin(Site, Site.id == ChargePoint.site_id)
        .outerjoin(Region, Region.id == Site.region_id)
    )
    if operator_ids is not None:
        q = q.where(Site.operator_id.in_(sorted(operator_ids)))
    if site_id is not None:
        q = q.where(ChargePoint.site_id == site_id)
    if region is not None:
        q = q.where(Region.iso_code == region)
    if registration_status is not None:
        q = q.where(ChargePoint.registration_status == registration_status)
    if connected is not None:
        q = q.where(ChargePoint.connected.is_(connected))
    rows = (
        await db.execute(q.order_by(ChargePoint.id).limit(limit).offset(offset))
    ).all()
    ids = [cp.id for cp, _ in rows]
    evses: dict[str, list[EvseStatus]] = {i: [] for i in ids}
    if ids:
        for e in (
            await db.scalars(
                select(Evse).where(Evse.charge_point_id.in_(ids)).order_by(Evse.evse_id)
            )
        ).all():
            evses[e.charge_point_id].append(
                EvseStatus(e.evse_id, e.status, e.status_at)
            )
    out = []
    for cp, iso in rows:
        live = registry.get(cp.id) is not None
        out.append(
            ChargePointView(
                id=cp.id,
                site_id=cp.site_id,
                region_iso=iso,
                vendor=cp.vendor,
                model=cp.model,
                serial_number=cp.serial_number,
                firmware_version=cp.firmware_version,
                protocol=cp.protocol,
                security_profile=cp.security_profile,
                registration_status=cp.registration_status,
                connected=live,
                last_seen_at=cp.last_seen_at,
                # Offline only once it has connected here (as station_summary does).
                station_status=station_status(
                    live or cp.last_seen_at is None, [e.status for e in evses[cp.id]]
                ),
                firmware_status=cp.firmware_status,
                diagnostics_status=cp.diagnostics_status,
                source=cp.source,
                evses=evses[cp.id],
            )
        )
    return out


async def get_charge_point(
    db: AsyncSession,
    registry: ConnectionRegistry,
    charge_point_id: str,
    operator_ids: frozenset[int] | None = None,
) -> ChargePointView:
    exists_q = select(ChargePoint.id).where(ChargePoint.id == charge_point_id)
    if operator_ids is not None:
        exists_q = exists_q.join(Site, Site.id == ChargePoint.site_id).where(
            Site.operator_id.in_(sorted(operator_ids))
        )
    exists = await db.scalar(exists_q)
    if exists is None:
        raise NotFoundError(
            f"charge point {charge_point_id} not found", "charge_point_not_found"
        )
    q = select(ChargePoint.site_id).where(ChargePoint.id == charge_point_id)
    site_id = await db.scalar(q)
    views = await list_charge_points(db, registry, site_id=site_id, limit=10_000)
    return next(v for v in views if v.id == charge_point_id)


async def status_history(
    db: AsyncSession, charge_point_id: str, *, limit: int
) -> list[StatusHistoryItem]:
    rows = (
        await db.scalars(
            select(StatusEvent)
            .where(StatusEvent.charge_point_id == charge_point_id)
            .order_by(StatusEvent.occurred_at.desc(), StatusEvent.id.desc())
            .limit(limit)
        )
    ).all()
    return [
        StatusHistoryItem(
            r.evse_id, r.connector_id, r.status, r.error_code, r.info, r.occurred_at
        )
        for r in rows
    ]


# OWASP's argon2id setting (m=19 MiB, t=2, p=1): charge point passwords are
# machine-made secrets checked at every (re)connect of thousands of stations.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def password_hasher() -> PasswordHasher:
    return _HASHER


def new_password() -> str:
    """A random 32-character password (OCPP allows 16 to 40)."""
    return secrets.token_urlsafe(24)


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_HASHER.hash, password)


async def set_password(
    db: AsyncSession, charge_point_id: str, password: str, security_profile: int = 1
) -> None:
    if not 16 <= len(password) <= 40:
        raise InvalidInputError(
            "password must be 16 to 40 characters (OCPP)", "bad_password"
        )
    digest = await hash_password(password)
    async with db.begin():
        result = await db.execute(
            update(ChargePoint)
            .where(ChargePoint.id == charge_point_id)
            .values(
                password_hash=digest,
                password_verifier=None,
                security_profile=security_profile,
            )
        )
    if not result.rowcount:  # type: ignore[attr-defined]  # CursorResult
        raise NotFoundError(
            f"charge point {charge_point_id} not found", "charge_point_not_found"
        )


async def set_registration(db: AsyncSession, charge_point_id: str, status: str) -> None:
    async with db.begin():
        result = await db.execute(
            update(ChargePoint)
            .where(ChargePoint.id == charge_point_id)
            .values(registration_status=status)
        )
    if not result.rowcount:  # type: ignore[attr-defined]  # CursorResult
        raise NotFoundError(
            f"charge point {charge_point_id} not found", "charge_point_not_found"
        )


def provision_demo_passwords(engine: Engine, n: int) -> dict[str, str]:
    """Give the first ``n`` demo charge points a fresh password (stored hashed).

    Used by ``quvvat run`` so that the simulated fleet can log in with HTTP
    Basic (security profile 1), like real stations. Returns id -> password.
    """
    with engine.begin() as conn:
        ids = list(
            conn.execute(
                select(ChargePoint.id)
                .where(ChargePoint.source == "demo")
                .order_by(ChargePoint.id)
                .limit(n)
            ).scalars()
        )
        out: dict[str, str] = {}
        for cp_id in ids:
            password = new_password()
            conn.execute(
                update(ChargePoint)
                .where(ChargePoint.id == cp_id)
                .values(
                    password_hash=_HASHER.hash(password),
                    password_verifier=None,
                    security_profile=1,
                    registration_status="Accepted",
                )
            )
            out[cp_id] = password
    return out
