"""Session pricing: the tariff in effect when a session started prices it.

Components (all prices include VAT, which the receipt shows separately):

* energy, so'm per kWh, with an optional night rate,
* time while charging, so'm per minute, with an optional night rate,
* idle fee per minute once charging has ended and the car still occupies the
  connector, after a grace period,
* a fixed fee per session.

The OCPP server calls :func:`price_session` (``SessionToPrice`` in, ``Price``
out) when a session ends; the cabinet shows :func:`price_transaction` live.

Energy between two meter readings is spread evenly over that interval and split
at the day/night band boundaries (local time of the tariff's zone); charging
ends at the first reading that reached the final meter value. Amounts are
``Decimal`` while computed and whole so'm (``int``) once each component is
rounded half-up; money is never a float.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import (
    ChargePoint,
    Connector,
    Evse,
    MeterValue,
    Site,
    Tariff,
    Transaction,
)

ENERGY_MEASURAND: Final = "Energy.Active.Import.Register"
_MIN: Final = Decimal(60)
_KWH: Final = Decimal(1000)


@dataclass(frozen=True, slots=True)
class Rates:
    """The prices of one tariff version (so'm, VAT included)."""

    energy_uzs_per_kwh: int = 0
    time_uzs_per_min: int = 0
    session_fee_uzs: int = 0
    idle_uzs_per_min: int = 0
    idle_grace_min: int = 0
    vat_percent: Decimal = Decimal(12)
    night_start: time | None = None
    night_end: time | None = None
    night_energy_uzs_per_kwh: int | None = None
    night_time_uzs_per_min: int | None = None
    timezone: str = "Asia/Tashkent"
    tariff_id: int | None = None


@dataclass(frozen=True, slots=True)
class EnergySample:
    """A cumulative meter reading (Wh) at a moment."""

    at: datetime
    energy_wh: int


@dataclass(frozen=True, slots=True)
class PriceBreakdown:
    """What a session costs, by component; ``total_uzs`` includes ``vat_uzs``."""

    tariff_id: int | None
    energy_wh: int
    energy_day_wh: Decimal
    energy_night_wh: Decimal
    charging_min_day: Decimal
    charging_min_night: Decimal
    idle_min: Decimal
    idle_billed_min: Decimal
    energy_uzs: int
    time_uzs: int
    idle_uzs: int
    session_fee_uzs: int
    total_uzs: int
    vat_percent: Decimal
    vat_uzs: int
    charging_ended_at: datetime | None
    final: bool


def _round(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _is_night(t: time, start: time, end: time) -> bool:
    if start < end:
        return start <= t < end
    return t >= start or t < end


def split_bands(
    a: datetime, b: datetime, rates: Rates
) -> Iterator[tuple[datetime, datetime, bool]]:
    """Cut ``[a, b)`` at the night band's edges: ``(start, end, is_night)`` pieces."""
    if b <= a:
        return
    start, end = rates.night_start, rates.night_end
    if start is None or end is None or start == end:
        yield a, b, False
        return
    tz = ZoneInfo(rates.timezone)
    cursor = a
    while cursor < b:
        local = cursor.astimezone(tz)
        night = _is_night(local.timetz().replace(tzinfo=None), start, end)
        edges = [
            datetime.combine(local.date() + timedelta(days=d), t, tzinfo=tz)
            for d in (0, 1)
            for t in (start, end)
        ]
        nxt = min(e for e in edges if e > local).astimezone(UTC)
        seg_end = min(b, nxt)
        yield cursor, seg_end, night
        cursor = seg_end


def _minutes(a: datetime, b: datetime) -> Decimal:
    return Decimal((b - a).total_seconds()) / _MIN if b > a else Decimal(0)


def compute_price(
    rates: Rates,
    *,
    started_at: datetime,
    ended_at: datetime,
    samples: Sequence[EnergySample],
    final: bool = True,
) -> PriceBreakdown:
    """Price one session from its meter readings.

    Parameters
    ----------
    rates
        The tariff version in effect at ``started_at``.
    started_at, ended_at
        Session start and end (or *now* for a live session), tz-aware.
    samples
        Cumulative energy readings, including the start and last reading.
    final
        ``False`` for a running session (the idle fee then counts up to now).
    """
    pts = sorted(
        (s for s in samples if started_at <= s.at <= ended_at), key=lambda s: s.at
    )
    energy_day = energy_night = Decimal(0)
    charging_end: datetime | None = None
    total_wh = 0
    if pts:
        total_wh = max(p.energy_wh for p in pts) - pts[0].energy_wh
        final_wh = max(p.energy_wh for p in pts)
        charging_end = next(p.at for p in pts if p.energy_wh >= final_wh)
        for p, q in pairwise(pts):
            delta = q.energy_wh - p.energy_wh
            span = (q.at - p.at).total_seconds()
            if delta <= 0 or span <= 0:
                continue
            for s, e, night in split_bands(p.at, q.at, rates):
                share = (
                    Decimal(delta) * Decimal((e - s).total_seconds()) / Decimal(span)
                )
                if night:
                    energy_night += share
                else:
                    energy_day += share
        if total_wh == 0:
            charging_end = started_at
    if not final and charging_end is not None and pts and charging_end == pts[-1].at:
        # Still drawing energy at the last reading: charging goes on until now.
        charging_end = ended_at
    charge_stop = charging_end or ended_at
    min_day = min_night = Decimal(0)
    for s, e, night in split_bands(started_at, charge_stop, rates):
        if night:
            min_night += _minutes(s, e)
        else:
            min_day += _minutes(s, e)
    idle = _minutes(charge_stop, ended_at)
    idle_billed = max(Decimal(0), idle - rates.idle_grace_min)

    night_e = rates.night_energy_uzs_per_kwh
    night_t = rates.night_time_uzs_per_min
    energy_uzs = _round(
        energy_day / _KWH * rates.energy_uzs_per_kwh
        + energy_night
        / _KWH
        * (rates.energy_uzs_per_kwh if night_e is None else night_e)
    )
    time_uzs = _round(
        min_day * rates.time_uzs_per_min
        + min_night * (rates.time_uzs_per_min if night_t is None else night_t)
    )
    idle_uzs = _round(idle_billed * rates.idle_uzs_per_min)
    fee = rates.session_fee_uzs
    total = energy_uzs + time_uzs + idle_uzs + fee
    vat = _round(Decimal(total) * rates.vat_percent / (100 + rates.vat_percent))
    return PriceBreakdown(
        tariff_id=rates.tariff_id,
        energy_wh=total_wh,
        energy_day_wh=energy_day,
        energy_night_wh=energy_night,
        charging_min_day=min_day,
        charging_min_night=min_night,
        idle_min=idle,
        idle_billed_min=idle_billed,
        energy_uzs=energy_uzs,
        time_uzs=time_uzs,
        idle_uzs=idle_uzs,
        session_fee_uzs=fee,
        total_uzs=total,
        vat_percent=rates.vat_percent,
        vat_uzs=vat,
        charging_ended_at=charging_end,
        final=final,
    )


def rates_of(tariff: Tariff) -> Rates:
    return Rates(
        energy_uzs_per_kwh=tariff.energy_uzs_per_kwh,
        time_uzs_per_min=tariff.time_uzs_per_min,
        session_fee_uzs=tariff.session_fee_uzs,
        idle_uzs_per_min=tariff.idle_uzs_per_min,
        idle_grace_min=tariff.idle_grace_min,
        vat_percent=Decimal(tariff.vat_percent),
        night_start=tariff.night_start,
        night_end=tariff.night_end,
        night_energy_uzs_per_kwh=tariff.night_energy_uzs_per_kwh,
        night_time_uzs_per_min=tariff.night_time_uzs_per_min,
        timezone=tariff.timezone,
        tariff_id=tariff.id,
    )


def flat_rates(uzs_per_kwh: int) -> Rates:
    """The fallback when no tariff matches: energy only (settings' flat price)."""
    return Rates(energy_uzs_per_kwh=uzs_per_kwh)


# ---------------------------------------------------------------- database side


@dataclass(frozen=True, slots=True)
class ConnectorInfo:
    operator_id: int | None
    site_id: int | None
    connector_type: str | None
    max_power_kw: Decimal | None


async def connector_info(
    session: AsyncSession,
    charge_point_id: str,
    *,
    evse_id: int | None = None,
    connector_id: int | None = None,
) -> ConnectorInfo:
    """Operator, site, type and power of a connector (the first one if unknown)."""
    stmt = (
        select(Site.operator_id, Site.id, Connector.type, Connector.max_power_kw)
        .select_from(ChargePoint)
        .outerjoin(Site, Site.id == ChargePoint.site_id)
        .outerjoin(Evse, Evse.charge_point_id == ChargePoint.id)
        .outerjoin(Connector, Connector.evse_pk == Evse.id)
        .where(ChargePoint.id == charge_point_id)
        .order_by(Evse.evse_id, Connector.connector_id)
    )
    if evse_id is not None:
        stmt = stmt.where(Evse.evse_id == evse_id)
    if connector_id is not None and evse_id is not None:
        stmt = stmt.where(Connector.connector_id == connector_id)
    row = (await session.execute(stmt.limit(1))).first()
    if row is None and evse_id is None and connector_id is not None:
        # OCPP 1.6 numbers connectors across the charge point: take the n-th.
        row = (await session.execute(stmt.offset(connector_id - 1).limit(1))).first()
    if row is None:
        owner = (await session.execute(
            select(Site.operator_id, Site.id)
            .select_from(ChargePoint)
            .outerjoin(Site, Site.id == ChargePoint.site_id)
            .where(ChargePoint.id == charge_point_id)
        )).first()  # fmt: skip
        if owner is None:
            return ConnectorInfo(None, None, None, None)
        return ConnectorInfo(owner[0], owner[1], None, None)
    return ConnectorInfo(row[0], row[1], row[2], row[3])


async def tariff_in_effect(
    session: AsyncSession, info: ConnectorInfo, at: datetime
) -> Tariff | None:
    """The most specific tariff valid at ``at`` for that connector.

    Specificity: site, then connector type, then power class, then operator;
    a tariff with ``operator_id`` NULL is the network-wide default.
    """
    conds = [
        Tariff.valid_from <= at,
        or_(Tariff.valid_to.is_(None), Tariff.valid_to > at),
        or_(Tariff.operator_id.is_(None), Tariff.operator_id == info.operator_id),
        or_(Tariff.site_id.is_(None), Tariff.site_id == info.site_id),
        or_(
            Tariff.connector_type.is_(None),
            Tariff.connector_type == info.connector_type,
        ),
    ]
    if info.max_power_kw is not None:
        conds += [
            or_(
                Tariff.power_min_kw.is_(None), Tariff.power_min_kw <= info.max_power_kw
            ),
            or_(Tariff.power_max_kw.is_(None), Tariff.power_max_kw > info.max_power_kw),
        ]
    else:
        conds += [Tariff.power_min_kw.is_(None), Tariff.power_max_kw.is_(None)]
    stmt = (
        select(Tariff)
        .where(and_(*conds))
        .order_by(
            Tariff.site_id.is_(None),
            Tariff.connector_type.is_(None),
            and_(Tariff.power_min_kw.is_(None), Tariff.power_max_kw.is_(None)),
            Tariff.operator_id.is_(None),
            Tariff.valid_from.desc(),
        )
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def tariff_for_transaction(
    session: AsyncSession, tx: Transaction
) -> Tariff | None:
    """The tariff pinned on the session, else the one in effect at its start."""
    if tx.tariff_id is not None:
        return await session.get(Tariff, tx.tariff_id)
    info = await connector_info(
        session, tx.charge_point_id, evse_id=tx.evse_id, connector_id=tx.connector_id
    )
    return await tariff_in_effect(session, info, tx.started_at)


async def energy_samples(session: AsyncSession, tx: Transaction) -> list[EnergySample]:
    """Start reading, the session's energy register readings, and the stop reading."""
    rows = await session.execute(
        select(MeterValue.measured_at, MeterValue.value, MeterValue.unit)
        .where(
            MeterValue.transaction_id == tx.id,
            MeterValue.measurand == ENERGY_MEASURAND,
            MeterValue.phase.is_(None),
        )
        .order_by(MeterValue.measured_at)
    )
    out: list[EnergySample] = []
    if tx.meter_start_wh is not None:
        out.append(EnergySample(tx.started_at, tx.meter_start_wh))
    for at, value, unit in rows.all():
        wh = Decimal(value) * (_KWH if (unit or "Wh").lower() == "kwh" else 1)
        out.append(EnergySample(at, int(wh)))
    if tx.meter_stop_wh is not None and tx.stopped_at is not None:
        out.append(EnergySample(tx.stopped_at, tx.meter_stop_wh))
    elif tx.energy_wh is not None and tx.meter_start_wh is not None and tx.stopped_at:
        out.append(EnergySample(tx.stopped_at, tx.meter_start_wh + tx.energy_wh))
    return out


async def price_transaction(
    session: AsyncSession,
    tx: Transaction,
    *,
    flat_uzs_per_kwh: int = 2000,
    now: datetime | None = None,
) -> PriceBreakdown:
    """The session's price: final once stopped, else live up to ``now``."""
    tariff = await tariff_for_transaction(session, tx)
    rates = rates_of(tariff) if tariff is not None else flat_rates(flat_uzs_per_kwh)
    final = tx.stopped_at is not None
    end = tx.stopped_at if final and tx.stopped_at else (now or datetime.now(UTC))
    samples = await energy_samples(session, tx)
    return compute_price(
        rates, started_at=tx.started_at, ended_at=max(end, tx.started_at),
        samples=samples, final=final,
    )  # fmt: skip


# ---------------------------------------------------------------- OCPP server's entry


@dataclass(frozen=True, slots=True)
class SessionToPrice:
    """What the OCPP server knows of an ending session."""

    charge_point_id: str
    site_id: int | None
    connector_id: int | None
    started_at: datetime
    stopped_at: datetime
    energy_wh: int
    flat_uzs_per_kwh: int
    evse_id: int | None = None
    transaction_pk: int | None = None


@dataclass(frozen=True, slots=True)
class Price:
    cost_uzs: int
    tariff_id: int | None


async def price_session(db: AsyncSession, s: SessionToPrice) -> Price:
    """Final price of a session by the tariff in effect when it started.

    With ``transaction_pk`` the session's meter readings split the energy into
    day and night and find when charging ended (idle fee); without, energy is
    spread evenly from start to stop. No matching tariff: the flat price.
    """
    info = await connector_info(
        db, s.charge_point_id, evse_id=s.evse_id, connector_id=s.connector_id
    )
    tariff = await tariff_in_effect(db, info, s.started_at)
    rates = rates_of(tariff) if tariff is not None else flat_rates(s.flat_uzs_per_kwh)
    samples: list[EnergySample] = []
    if s.transaction_pk is not None:
        tx = await db.get(Transaction, s.transaction_pk)
        if tx is not None:
            samples = await energy_samples(db, tx)
    if len(samples) < 2:
        samples = [
            EnergySample(s.started_at, 0),
            EnergySample(s.stopped_at, max(s.energy_wh, 0)),
        ]
    p = compute_price(
        rates, started_at=s.started_at, ended_at=max(s.stopped_at, s.started_at),
        samples=samples,
    )  # fmt: skip
    return Price(cost_uzs=p.total_uzs, tariff_id=p.tariff_id)
