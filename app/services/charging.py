"""Charging use cases behind the OCPP handlers: provisioning, status, tokens,
transactions and telemetry. Each function is one unit of work that commits
before it returns, so a handler answers only what is stored.

Exactly once: every write is keyed by what the charge point sends (transaction
ids, timestamps, sample keys), so a retried or replayed message changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import TextClause, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db.bulk import autocommit_engine
from app.db.models import (
    ChargePoint,
    IdToken,
    StatusEvent,
    Transaction,
)
from app.live import LiveBus
from app.services.group_commit import GroupCommitter, insert_meter_rows
from app.services.pricing import SessionToPrice, price_session, price_transaction
from app.services.registry import ConnectionRegistry
from app.settings import Settings

logger = logging.getLogger(__name__)

ENERGY_REGISTER: Final = "Energy.Active.Import.Register"
# A 1.6 StartTransaction stamped this long before we receive it was queued offline.
_OFFLINE_SKEW: Final = timedelta(minutes=5)
BUSY: Final = frozenset(
    {"Charging", "Occupied", "Preparing", "SuspendedEV", "SuspendedEVSE", "Finishing"}
)


@dataclass(slots=True)
class OcppContext:
    """Shared resources of the OCPP services (one per app)."""

    maker: async_sessionmaker[AsyncSession]
    bus: LiveBus
    committer: GroupCommitter
    settings: Settings
    #: The live links, for work a session starts on its own (local-list sync).
    registry: ConnectionRegistry | None = None
    #: The same pool in autocommit mode, for the single-statement hot paths.
    autocommit: AsyncEngine = field(init=False)

    def __post_init__(self) -> None:
        self.autocommit = autocommit_engine(self.maker)

    async def one(self, stmt: TextClause, params: dict[str, Any]) -> tuple[Any, ...]:
        """The row of one self-contained statement: on a Core connection in
        autocommit mode, one round trip instead of BEGIN, statement, COMMIT."""
        async with self.autocommit.connect() as conn:
            return tuple((await conn.execute(stmt, params)).one())

    async def execute(self, stmt: TextClause, params: dict[str, Any]) -> None:
        """Run one self-contained statement (autocommit, one round trip)."""
        async with self.autocommit.connect() as conn:
            await conn.execute(stmt, params)

    async def first(
        self, stmt: TextClause, params: dict[str, Any]
    ) -> tuple[Any, ...] | None:
        async with self.autocommit.connect() as conn:
            row = (await conn.execute(stmt, params)).first()
        return None if row is None else tuple(row)


@dataclass(frozen=True, slots=True)
class Identity:
    """A charge point as the handshake and live events need it."""

    id: str
    password_hash: str | None
    security_profile: int
    registration_status: str
    site_id: int | None
    operator_id: int | None
    region_iso: str | None
    password_verifier: str | None = None


_STORE_VERIFIER: Final = text(
    "UPDATE charge_point SET password_verifier = :v WHERE id = :id AND password_hash = :h"
)


async def store_password_verifier(
    ctx: OcppContext, charge_point_id: str, password_hash: str, verifier: str
) -> None:
    """Remember that this password passed argon2 (only while the hash is current)."""
    await ctx.execute(
        _STORE_VERIFIER, {"v": verifier, "id": charge_point_id, "h": password_hash}
    )


@dataclass(frozen=True, slots=True)
class Sample:
    """One sampled value, as reported (value already scaled by any multiplier)."""

    measured_at: datetime
    measurand: str
    value: Decimal
    unit: str | None = None
    phase: str | None = None
    context: str | None = None


@dataclass(frozen=True, slots=True)
class TokenVerdict:
    status: str  # Accepted, Blocked, Expired, Invalid (1.6) / + Unknown (2.0.1)
    expires_at: datetime | None = None
    parent_id_tag: str | None = None


@dataclass(frozen=True, slots=True)
class StartResult:
    transaction_pk: int
    verdict: TokenVerdict


@dataclass(frozen=True, slots=True)
class TransactionEventResult:
    transaction_pk: int
    active: bool
    verdict: TokenVerdict | None
    cost_uzs: int | None = None


def now() -> datetime:
    return datetime.now(UTC)


def utcnow_iso() -> str:
    return datetime.now(UTC).isoformat()


async def data_transfer(
    ctx: OcppContext,  # noqa: ARG001  # kept for a future vendor-specific store
    charge_point_id: str,
    *,
    vendor_id: str,
    message_id: str | None,
    data: str | None,
) -> None:
    """Vendor data: kept in the raw message log; noted here."""
    logger.info(
        "DataTransfer from %s: vendor %s message %s (%d chars)",
        charge_point_id,
        vendor_id,
        message_id,
        len(data or ""),
    )


def utc(ts: datetime) -> datetime:
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


# ---------------------------------------------------------------- identity & connection


_IDENTITY: Final = text(
    "SELECT cp.id, cp.password_hash, cp.security_profile, cp.registration_status,"
    " cp.site_id, s.operator_id, r.iso_code, cp.password_verifier FROM charge_point cp"
    " LEFT JOIN site s ON s.id = cp.site_id LEFT JOIN region r ON r.id = s.region_id"
    " WHERE cp.id = :id"
)


async def identity(ctx: OcppContext, charge_point_id: str) -> Identity | None:
    row = await ctx.first(_IDENTITY, {"id": charge_point_id})
    if row is None:
        return None
    return Identity(*row)


def _event(
    ident: Identity | None,
    charge_point_id: str,
    *,
    type_: str,
    status: str,
    station_status: str,
    at: datetime,
    evse_id: int | None = None,
    connector_id: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "type": type_,
        "charge_point_id": charge_point_id,
        "site_id": ident.site_id if ident else None,
        "operator_id": ident.operator_id if ident else None,
        "region_iso": ident.region_iso if ident else None,
        "evse_id": evse_id,
        "connector_id": connector_id,
        "status": status,
        "station_status": station_status,
        "at": at.isoformat(),
        **extra,
    }


def station_status(connected: bool, evse_statuses: list[str]) -> str:
    """One word for the map, in the order of the ``station_summary`` view:
    offline > available > charging > faulted > unavailable > unknown."""
    if not connected:
        return "offline"
    if any(s == "Available" for s in evse_statuses):
        return "available"
    if any(s in BUSY for s in evse_statuses):
        return "charging"
    if any(s == "Faulted" for s in evse_statuses):
        return "faulted"
    if any(s in ("Unavailable", "Reserved") for s in evse_statuses):
        return "unavailable"
    return "unknown"


async def _identity(
    ctx: OcppContext, charge_point_id: str, known: Identity | None
) -> Identity | None:
    return known if known is not None else await identity(ctx, charge_point_id)


_CONNECTED: Final = text(
    "WITH u AS (UPDATE charge_point SET connected = true, protocol = :protocol,"
    " last_seen_at = :now WHERE id = :id RETURNING id)"
    " SELECT count(DISTINCT u.id) > 0, array_remove(array_agg(e.status::text), NULL)"
    " FROM u LEFT JOIN evse e ON e.charge_point_id = u.id"
)


async def connected(
    ctx: OcppContext, charge_point_id: str, protocol: str, ident: Identity | None = None
) -> None:
    now = datetime.now(UTC)
    found, statuses = await ctx.one(
        _CONNECTED, {"id": charge_point_id, "protocol": protocol, "now": now}
    )
    st = station_status(bool(found), list(statuses or []))
    ident = await _identity(ctx, charge_point_id, ident)
    ctx.bus.publish(
        _event(
            ident,
            charge_point_id,
            type_="connection",
            status="online",
            station_status=st,
            at=now,
        )
    )


_DISCONNECTED: Final = text("UPDATE charge_point SET connected = false WHERE id = :id")


async def disconnected(
    ctx: OcppContext, charge_point_id: str, ident: Identity | None = None
) -> None:
    now = datetime.now(UTC)
    await ctx.execute(_DISCONNECTED, {"id": charge_point_id})
    ident = await _identity(ctx, charge_point_id, ident)
    ctx.bus.publish(
        _event(
            ident,
            charge_point_id,
            type_="connection",
            status="offline",
            station_status="offline",
            at=now,
        )
    )


async def mark_all_disconnected(maker: async_sessionmaker[AsyncSession]) -> None:
    """At start-up nobody is connected to this (only) node yet."""
    async with maker() as db, db.begin():
        await db.execute(
            update(ChargePoint)
            .where(ChargePoint.connected.is_(True))
            .values(connected=False)
        )


# ---------------------------------------------------------------- provisioning


_BOOT: Final = text(
    "INSERT INTO charge_point AS cp (id, vendor, model, serial_number, firmware_version,"
    " protocol, registration_status, security_profile, source, connected, last_seen_at)"
    " VALUES (:id, :vendor, :model, :serial, :firmware, :protocol, :status, 0, 'ocpp',"
    " true, :now) ON CONFLICT (id) DO UPDATE SET vendor = EXCLUDED.vendor,"
    " model = EXCLUDED.model, serial_number = EXCLUDED.serial_number,"
    " firmware_version = EXCLUDED.firmware_version, protocol = EXCLUDED.protocol,"
    " connected = true, last_seen_at = EXCLUDED.last_seen_at"
    " RETURNING cp.registration_status"
)


async def boot(
    ctx: OcppContext,
    charge_point_id: str,
    *,
    vendor: str,
    model: str,
    serial_number: str | None,
    firmware_version: str | None,
    protocol: str,
) -> str:
    """Store what the charge point says it is; return Accepted, Pending or Rejected."""
    policy = ctx.settings.ocpp_unknown_charge_point
    new_status = {"pending": "Pending", "rejected": "Rejected", "accepted": "Accepted"}[
        policy
    ]
    now = datetime.now(UTC)
    row = await ctx.one(
        _BOOT,
        {
            "id": charge_point_id,
            "vendor": vendor,
            "model": model,
            "serial": serial_number,
            "firmware": firmware_version,
            "protocol": protocol,
            "status": new_status,
            "now": now,
        },
    )
    status = str(row[0])
    if status != "Accepted":
        logger.info("boot of %s answered %s", charge_point_id, status)
    return status


async def heartbeat(ctx: OcppContext, charge_point_id: str) -> datetime:
    now = datetime.now(UTC)
    ctx.committer.seen(charge_point_id, now)
    return now


_STATUS_NOTIFICATION: Final = text(
    "SELECT inserted, cp_connected, evse_statuses, evse_id, connector_id, is_current"
    " FROM quvvat_status_notification(:cp, :evse, :conn, :status, :error, :info,"
    " :at, :v16)"
)


async def status_notification(
    ctx: OcppContext,
    charge_point_id: str,
    *,
    evse_id: int,
    connector_id: int | None,
    status: str,
    occurred_at: datetime,
    error_code: str | None = None,
    info: str | None = None,
    v16_connector: bool = False,
    ident: Identity | None = None,
) -> None:
    """History row (once), current EVSE/connector status (never older), and a
    live event unless the notification is a retry or older than the stored status.

    With ``v16_connector`` the 1.6 ``connectorId`` in ``evse_id`` is mapped onto
    the N-th stored connector of the charge point (EVSE, connector order), or onto
    EVSE N / connector 1 when the charge point has fewer stored connectors.
    """
    occurred_at = utc(occurred_at)
    row = await ctx.one(
        _STATUS_NOTIFICATION,
        {
            "cp": charge_point_id,
            "evse": evse_id,
            "conn": connector_id,
            "status": status,
            "error": error_code,
            "info": info,
            "at": occurred_at,
            "v16": v16_connector,
        },
    )
    inserted, connected_, statuses, evse_id, connector_id, current = row
    if not inserted:
        return  # a retry of something already stored and announced
    if not current:
        return  # older than the stored status (an offline replay): history only
    st = station_status(bool(connected_), list(statuses or []))
    ident = await _identity(ctx, charge_point_id, ident)
    ctx.bus.publish(
        _event(
            ident,
            charge_point_id,
            type_="status",
            status=status,
            station_status=st,
            at=occurred_at,
            evse_id=evse_id,
            connector_id=connector_id,
            error_code=error_code,
        )
    )


async def device_status(
    ctx: OcppContext,
    charge_point_id: str,
    *,
    kind: str,
    status: str,
    ident: Identity | None = None,
) -> None:
    """Firmware (``kind='firmware'``) or diagnostics/log upload progress."""
    now = datetime.now(UTC)
    values: dict[str, Any] = (
        {"firmware_status": status, "firmware_status_at": now}
        if kind == "firmware"
        else {"diagnostics_status": status, "diagnostics_status_at": now}
    )
    async with ctx.maker() as db, db.begin():
        await db.execute(
            update(ChargePoint)
            .where(ChargePoint.id == charge_point_id)
            .values(**values)
        )
        await db.execute(
            insert(StatusEvent)
            .values(
                charge_point_id=charge_point_id,
                status=status[:24],
                info=kind,
                occurred_at=now,
            )
            .on_conflict_do_nothing()
        )
    ident = await _identity(ctx, charge_point_id, ident)
    ctx.bus.publish(
        _event(
            ident,
            charge_point_id,
            type_=kind,
            status=status,
            station_status="online",
            at=now,
        )
    )


# ---------------------------------------------------------------- authorization


async def _verdict(db: AsyncSession, token: str, now: datetime) -> TokenVerdict:
    row = await db.scalar(select(IdToken).where(IdToken.token == token))
    if row is None:
        return TokenVerdict("Invalid")
    if row.status != "Accepted":
        return TokenVerdict(row.status, row.expires_at, row.parent_id_tag)
    if row.expires_at is not None and row.expires_at <= now:
        return TokenVerdict("Expired", row.expires_at, row.parent_id_tag)
    return TokenVerdict("Accepted", row.expires_at, row.parent_id_tag)


async def authorize(ctx: OcppContext, token: str) -> TokenVerdict:
    async with ctx.maker() as db:
        return await _verdict(db, token, datetime.now(UTC))


# ---------------------------------------------------------------- transactions


def _meter_rows(
    charge_point_id: str,
    transaction_pk: int | None,
    evse_id: int | None,
    connector_id: int | None,
    samples: list[Sample],
) -> list[dict[str, Any]]:
    return [
        {
            "measured_at": utc(s.measured_at),
            "charge_point_id": charge_point_id,
            "transaction_id": transaction_pk,
            "evse_id": evse_id,
            "connector_id": connector_id,
            "measurand": s.measurand,
            "phase": s.phase,
            "context": s.context,
            "unit": s.unit,
            "value": s.value,
        }
        for s in samples
    ]


async def meter_values(
    ctx: OcppContext,
    charge_point_id: str,
    *,
    evse_id: int | None,
    connector_id: int | None,
    transaction_pk: int | None,
    samples: list[Sample],
    seq_no: int | None = None,
) -> None:
    """Telemetry through group commit; returns after the COMMIT."""
    rows = _meter_rows(charge_point_id, transaction_pk, evse_id, connector_id, samples)
    await ctx.committer.meter_values(rows, transaction_pk=transaction_pk, seq_no=seq_no)


async def _insert_samples(
    db: AsyncSession, ctx: OcppContext, rows: list[dict[str, Any]]
) -> None:
    if rows:
        await ctx.committer.ensure_partitions(rows)
        await insert_meter_rows(db, rows)


async def _energy_bounds_wh(
    db: AsyncSession, transaction_pk: int
) -> tuple[int | None, int | None]:
    row = (
        await db.execute(
            text(
                "SELECT min(v), max(v) FROM (SELECT CASE WHEN unit = 'kWh' THEN value * 1000"
                " ELSE value END AS v FROM meter_value WHERE transaction_id = :tx"
                " AND measurand = :m AND phase IS NULL) s"
            ),
            {"tx": transaction_pk, "m": ENERGY_REGISTER},
        )
    ).one()
    return (
        int(row[0]) if row[0] is not None else None,
        int(row[1]) if row[1] is not None else None,
    )


async def _finish(db: AsyncSession, ctx: OcppContext, tx: Transaction) -> None:
    """Energy, duration and cost of a stopped session."""
    if tx.stopped_at is None:
        return
    if tx.meter_start_wh is None or tx.meter_stop_wh is None:
        lo, hi = await _energy_bounds_wh(db, tx.id)
        tx.meter_start_wh = tx.meter_start_wh if tx.meter_start_wh is not None else lo
        tx.meter_stop_wh = tx.meter_stop_wh if tx.meter_stop_wh is not None else hi
    if tx.meter_start_wh is not None and tx.meter_stop_wh is not None:
        tx.energy_wh = max(tx.meter_stop_wh - tx.meter_start_wh, 0)
    site_id = await db.scalar(
        select(ChargePoint.site_id).where(ChargePoint.id == tx.charge_point_id)
    )
    price = await price_session(
        db,
        SessionToPrice(
            charge_point_id=tx.charge_point_id,
            site_id=site_id,
            connector_id=tx.connector_id,
            started_at=tx.started_at,
            stopped_at=tx.stopped_at,
            energy_wh=tx.energy_wh or 0,
            flat_uzs_per_kwh=ctx.settings.flat_tariff_uzs_per_kwh,
            evse_id=tx.evse_id,
            transaction_pk=tx.id,
        ),
    )
    tx.cost_uzs = price.cost_uzs
    tx.tariff_id = price.tariff_id
    tx.status = "completed"


async def start_transaction_v16(
    ctx: OcppContext,
    charge_point_id: str,
    *,
    connector_id: int,
    id_tag: str,
    meter_start_wh: int,
    timestamp: datetime,
) -> StartResult:
    """Create the session once; a retried StartTransaction gets the same id back."""
    timestamp = utc(timestamp)
    now = datetime.now(UTC)
    uid = f"{connector_id}@{timestamp.isoformat()}#{meter_start_wh}"
    async with ctx.maker() as db, db.begin():
        verdict = await _verdict(db, id_tag, now)
        stmt = insert(Transaction).values(
            charge_point_id=charge_point_id,
            transaction_uid=uid,
            evse_id=connector_id,
            connector_id=connector_id,
            id_tag=id_tag,
            status="active",
            started_at=timestamp,
            meter_start_wh=meter_start_wh,
            offline=timestamp < now.replace(microsecond=0) - _OFFLINE_SKEW,
        )
        upsert = stmt.on_conflict_do_update(
            constraint="uq_transaction_cp_uid", set_={"id_tag": stmt.excluded.id_tag}
        ).returning(Transaction.id)
        pk = int((await db.execute(upsert)).scalar_one())
    return StartResult(pk, verdict)


async def stop_transaction_v16(
    ctx: OcppContext,
    charge_point_id: str,
    *,
    transaction_pk: int,
    meter_stop_wh: int,
    timestamp: datetime,
    reason: str | None,
    id_tag: str | None,
    samples: list[Sample],
) -> TokenVerdict | None:
    timestamp = utc(timestamp)
    async with ctx.maker() as db, db.begin():
        tx = await db.scalar(
            select(Transaction)
            .where(
                Transaction.id == transaction_pk,
                Transaction.charge_point_id == charge_point_id,
            )
            .with_for_update()
        )
        rows = _meter_rows(
            charge_point_id,
            tx.id if tx else None,
            tx.evse_id if tx else None,
            tx.connector_id if tx else None,
            samples,
        )
        await _insert_samples(db, ctx, rows)
        if tx is None:
            logger.warning(
                "StopTransaction for unknown transaction %s from %s (acknowledged; samples kept)",
                transaction_pk,
                charge_point_id,
            )
        elif tx.stopped_at is None:
            tx.stopped_at = timestamp
            tx.meter_stop_wh = meter_stop_wh
            tx.stop_reason = reason or "Local"
            await _finish(db, ctx, tx)
        verdict = await _verdict(db, id_tag, datetime.now(UTC)) if id_tag else None
    return verdict


async def transaction_event_v201(
    ctx: OcppContext,
    charge_point_id: str,
    *,
    event_type: str,
    transaction_uid: str,
    seq_no: int,
    timestamp: datetime,
    evse_id: int | None,
    connector_id: int | None,
    id_token: str | None,
    offline: bool,
    stopped_reason: str | None,
    samples: list[Sample],
) -> TransactionEventResult:
    """Started/Updated/Ended in any order, any number of times: one session row."""
    timestamp = utc(timestamp)
    async with ctx.maker() as db, db.begin():
        stmt = insert(Transaction).values(
            charge_point_id=charge_point_id,
            transaction_uid=transaction_uid,
            evse_id=evse_id,
            connector_id=connector_id,
            id_tag=id_token,
            status="active",
            started_at=timestamp,
            last_seq_no=seq_no,
            offline=offline,
        )
        upsert = stmt.on_conflict_do_update(
            constraint="uq_transaction_cp_uid",
            set_={
                "started_at": func.least(
                    Transaction.started_at, stmt.excluded.started_at
                ),
                "last_seq_no": func.greatest(
                    Transaction.last_seq_no, stmt.excluded.last_seq_no
                ),
                "evse_id": func.coalesce(Transaction.evse_id, stmt.excluded.evse_id),
                "connector_id": func.coalesce(
                    Transaction.connector_id, stmt.excluded.connector_id
                ),
                "id_tag": func.coalesce(Transaction.id_tag, stmt.excluded.id_tag),
                "offline": Transaction.offline | stmt.excluded.offline,
            },
        ).returning(Transaction.id)
        pk = int((await db.execute(upsert)).scalar_one())
        tx = await db.get(Transaction, pk, with_for_update=True, populate_existing=True)
        if tx is None:  # just upserted in this very transaction
            raise RuntimeError(f"transaction {pk} vanished")
        rows = _meter_rows(charge_point_id, pk, tx.evse_id, tx.connector_id, samples)
        await _insert_samples(db, ctx, rows)
        if event_type == "Ended" and tx.stopped_at is None:
            tx.stopped_at = timestamp
            tx.stop_reason = stopped_reason or "Local"
            await _finish(db, ctx, tx)
        elif tx.stopped_at is not None and rows:
            # A late (replayed) sample of a finished session: recompute from all samples.
            tx.meter_start_wh = tx.meter_stop_wh = None
            await _finish(db, ctx, tx)
        verdict = await _verdict(db, id_token, datetime.now(UTC)) if id_token else None
        return TransactionEventResult(pk, tx.stopped_at is None, verdict, tx.cost_uzs)


async def running_cost(ctx: OcppContext, transaction_pk: int) -> Decimal | None:
    """The session's cost so far in so'm by the tariff in effect when it started
    (None when the session is gone)."""
    async with ctx.maker() as db:
        tx = await db.get(Transaction, transaction_pk)
        if tx is None:
            return None
        price = await price_transaction(
            db, tx, flat_uzs_per_kwh=ctx.settings.flat_tariff_uzs_per_kwh
        )
    return Decimal(price.total_uzs)
