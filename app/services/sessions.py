"""Charging sessions for operators: filters, detail with telemetry, CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import ChargePoint, MeterValue, Site, Transaction
from app.errors import InvalidInputError, NotFoundError


@dataclass(frozen=True, slots=True)
class SessionFilter:
    charge_point_id: str | None = None
    site_id: int | None = None
    id_tag: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class SessionView:
    id: int
    charge_point_id: str
    transaction_uid: str
    evse_id: int | None
    connector_id: int | None
    id_tag: str | None
    status: str
    started_at: datetime
    stopped_at: datetime | None
    duration_s: int | None
    energy_wh: int | None
    energy_kwh: float | None
    cost_uzs: int | None
    stop_reason: str | None
    offline: bool


@dataclass(frozen=True, slots=True)
class MeterSample:
    measured_at: datetime
    measurand: str
    phase: str | None
    context: str | None
    unit: str | None
    value: Decimal


def _view(t: Transaction) -> SessionView:
    duration = (
        int((t.stopped_at - t.started_at).total_seconds()) if t.stopped_at else None
    )
    return SessionView(
        t.id, t.charge_point_id, t.transaction_uid, t.evse_id, t.connector_id, t.id_tag,
        t.status, t.started_at, t.stopped_at, duration, t.energy_wh,
        round(t.energy_wh / 1000, 3) if t.energy_wh is not None else None, t.cost_uzs,
        t.stop_reason, t.offline,
    )  # fmt: skip


def _query(
    f: SessionFilter, operator_ids: frozenset[int] | None = None
) -> Select[Transaction]:
    """``operator_ids``: only sessions at these operators' sites (None: all)."""
    if f.since and f.until and f.since >= f.until:
        raise InvalidInputError("since must be before until", "bad_period")
    q = select(Transaction)
    if operator_ids is not None:
        owned = (
            select(ChargePoint.id)
            .join(Site, Site.id == ChargePoint.site_id)
            .where(Site.operator_id.in_(sorted(operator_ids)))
        )
        q = q.where(Transaction.charge_point_id.in_(owned))
    if f.charge_point_id:
        q = q.where(Transaction.charge_point_id == f.charge_point_id)
    if f.site_id is not None:
        q = q.join(ChargePoint, ChargePoint.id == Transaction.charge_point_id).where(
            ChargePoint.site_id == f.site_id
        )
    if f.id_tag:
        q = q.where(Transaction.id_tag == f.id_tag)
    if f.status:
        q = q.where(Transaction.status == f.status)
    if f.since:
        q = q.where(Transaction.started_at >= f.since)
    if f.until:
        q = q.where(Transaction.started_at < f.until)
    return q.order_by(Transaction.started_at.desc(), Transaction.id.desc())


async def list_sessions(
    db: AsyncSession,
    f: SessionFilter,
    *,
    limit: int,
    offset: int,
    operator_ids: frozenset[int] | None = None,
) -> list[SessionView]:
    q = _query(f, operator_ids).limit(limit).offset(offset)
    rows = (await db.scalars(q)).all()
    return [_view(t) for t in rows]


async def get_session(
    db: AsyncSession, pk: int, operator_ids: frozenset[int] | None = None
) -> tuple[SessionView, list[MeterSample]]:
    t = await db.scalar(
        _query(SessionFilter(), operator_ids).where(Transaction.id == pk)
    )
    if t is None:
        raise NotFoundError(f"session {pk} not found", "session_not_found")
    rows = (
        await db.scalars(
            select(MeterValue)
            .where(MeterValue.transaction_id == pk)
            .order_by(MeterValue.measured_at, MeterValue.measurand)
        )
    ).all()
    samples = [
        MeterSample(m.measured_at, m.measurand, m.phase, m.context, m.unit, m.value)
        for m in rows
    ]
    return _view(t), samples


CSV_FIELDS = (
    "id", "charge_point_id", "transaction_uid", "evse_id", "connector_id", "id_tag",
    "status", "started_at", "stopped_at", "duration_s", "energy_kwh", "cost_uzs",
    "stop_reason", "offline",
)  # fmt: skip


async def export_csv(
    db: AsyncSession,
    f: SessionFilter,
    *,
    limit: int,
    operator_ids: frozenset[int] | None = None,
) -> Iterator[str]:
    rows = await list_sessions(db, f, limit=limit, offset=0, operator_ids=operator_ids)

    def lines() -> Iterator[str]:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(CSV_FIELDS)
        for r in rows:
            w.writerow(
                [getattr(r, k) if getattr(r, k) is not None else "" for k in CSV_FIELDS]
            )
            if buf.tell() > 64_000:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()

    return lines()
