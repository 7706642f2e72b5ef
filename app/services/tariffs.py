"""Tariffs per operator, site, connector type and power class, versioned by
validity period. Two tariffs of the same scope may not overlap in time."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, or_, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import CONNECTOR_TYPES, Operator, Site, Tariff, Transaction
from app.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from app.services import audit
from app.services.principal import Principal
from app.services.scope import ensure_operator, operator_clause


@dataclass(frozen=True, slots=True)
class TariffSpec:
    """Everything that defines a tariff version."""

    name: str
    valid_from: datetime
    operator_id: int | None = None
    site_id: int | None = None
    connector_type: str | None = None
    power_min_kw: Decimal | None = None
    power_max_kw: Decimal | None = None
    valid_to: datetime | None = None
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


def _validate(spec: TariffSpec) -> None:
    money = (
        "energy_uzs_per_kwh", "time_uzs_per_min", "session_fee_uzs",
        "idle_uzs_per_min", "idle_grace_min", "night_energy_uzs_per_kwh",
        "night_time_uzs_per_min",
    )  # fmt: skip
    for name in money:
        v = getattr(spec, name)
        if v is not None and v < 0:
            raise InvalidInputError(
                f"{name}: must not be negative (got {v})", "negative_price"
            )
    if not (Decimal(0) <= spec.vat_percent < 100):
        raise InvalidInputError("vat_percent: must be in [0, 100)", "invalid_vat")
    if spec.valid_from.tzinfo is None or (
        spec.valid_to and spec.valid_to.tzinfo is None
    ):
        raise InvalidInputError(
            "valid_from/valid_to: need a time zone", "naive_datetime"
        )
    if spec.valid_to is not None and spec.valid_to <= spec.valid_from:
        raise InvalidInputError("valid_to: must be after valid_from", "invalid_period")
    if (spec.night_start is None) != (spec.night_end is None):
        raise InvalidInputError("night_start and night_end go together", "night_band")
    if spec.night_start is not None and spec.night_start == spec.night_end:
        raise InvalidInputError("night_end: must differ from night_start", "night_band")
    if spec.night_start is None and (
        spec.night_energy_uzs_per_kwh is not None
        or spec.night_time_uzs_per_min is not None
    ):
        raise InvalidInputError(
            "night prices need night_start and night_end", "night_band"
        )
    if (
        spec.power_min_kw is not None
        and spec.power_max_kw is not None
        and spec.power_max_kw <= spec.power_min_kw
    ):
        raise InvalidInputError("power_max_kw: must exceed power_min_kw", "power_class")
    if spec.connector_type is not None and spec.connector_type not in CONNECTOR_TYPES:
        raise InvalidInputError(
            f"connector_type: {spec.connector_type!r} unknown; allowed: "
            f"{', '.join(CONNECTOR_TYPES)}",
            "invalid_connector_type",
        )
    try:
        ZoneInfo(spec.timezone)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise InvalidInputError(
            f"timezone: unknown {spec.timezone!r}", "invalid_timezone"
        ) from e


def _spec_of(row: Tariff) -> TariffSpec:
    return TariffSpec(**{f.name: getattr(row, f.name) for f in fields(TariffSpec)})


async def _set_end(
    session: AsyncSession,
    principal: Principal,
    row: Tariff,
    valid_to: datetime | None,
    action: str,
) -> None:
    """Move a version's end (``close``: a new version starts; ``reopen``: it was
    withdrawn), audited with before and after."""
    before = audit.snapshot(row)
    row.valid_to = valid_to
    await session.flush()
    await audit.record(
        session, principal, action, "tariff", row.id,
        before=before, after=audit.snapshot(row),
    )  # fmt: skip


def _same_scope(spec: TariffSpec) -> list[Any]:
    def eq(col: Any, v: Any) -> Any:
        return col.is_(None) if v is None else col == v

    return [
        eq(Tariff.operator_id, spec.operator_id),
        eq(Tariff.site_id, spec.site_id),
        eq(Tariff.connector_type, spec.connector_type),
        eq(Tariff.power_min_kw, spec.power_min_kw),
        eq(Tariff.power_max_kw, spec.power_max_kw),
    ]


async def _check_overlap(
    session: AsyncSession, spec: TariffSpec, exclude_id: int | None = None
) -> None:
    # Serialise writers of tariffs: the overlap check and the insert are one step.
    await session.execute(text("SELECT pg_advisory_xact_lock(7007001)"))
    stmt = select(Tariff).where(
        *_same_scope(spec),
        or_(Tariff.valid_to.is_(None), Tariff.valid_to > spec.valid_from),
        Tariff.valid_from < spec.valid_to if spec.valid_to is not None else true(),
    )
    if exclude_id is not None:
        stmt = stmt.where(Tariff.id != exclude_id)
    clash = (await session.execute(stmt.limit(1))).scalar_one_or_none()
    if clash is not None:
        until = clash.valid_to.isoformat() if clash.valid_to else "open end"
        raise ConflictError(
            f"valid_from/valid_to: overlaps tariff {clash.id} ({clash.name!r}, "
            f"{clash.valid_from.isoformat()} to {until}) of the same scope",
            "tariff_overlap",
        )


async def _check_refs(session: AsyncSession, spec: TariffSpec) -> TariffSpec:
    if spec.site_id is not None:
        site = await session.get(Site, spec.site_id)
        if site is None:
            raise InvalidInputError(
                f"site_id: site {spec.site_id} not found", "unknown_site"
            )
        if spec.operator_id is None:
            spec = replace(spec, operator_id=site.operator_id)
        elif site.operator_id != spec.operator_id:
            raise InvalidInputError(
                f"site_id: site {spec.site_id} belongs to another operator",
                "site_operator",
            )
    if (
        spec.operator_id is not None
        and await session.get(Operator, spec.operator_id) is None
    ):
        raise InvalidInputError(
            f"operator_id: operator {spec.operator_id} not found", "unknown_operator"
        )
    return spec


def _can_write(principal: Principal, operator_id: int | None) -> None:
    if principal.role != "admin":
        raise ForbiddenError("only admins change tariffs", "forbidden_role")
    ensure_operator(principal, operator_id, what=f"operator {operator_id}")


async def create_tariff(
    session: AsyncSession, principal: Principal, spec: TariffSpec
) -> Tariff:
    _validate(spec)
    async with session.begin():
        spec = await _check_refs(session, spec)
        _can_write(principal, spec.operator_id)
        await _check_overlap(session, spec)
        row = Tariff(**{f.name: getattr(spec, f.name) for f in fields(spec)}, version=1)
        session.add(row)
        await session.flush()
        await audit.record(
            session, principal, "create", "tariff", row.id, after=audit.snapshot(row)
        )
    return row


async def new_version(
    session: AsyncSession, principal: Principal, tariff_id: int, changes: dict[str, Any]
) -> Tariff:
    """A new version of a tariff from ``changes['valid_from']``; the previous
    version ends there. Versions that already priced sessions stay as they were."""
    if "valid_from" not in changes:
        raise InvalidInputError(
            "valid_from: required for a new version", "missing_field"
        )
    async with session.begin():
        old = await session.get(Tariff, tariff_id, with_for_update=True)
        if old is None or not _visible(principal, old):
            raise NotFoundError(f"tariff {tariff_id} not found")
        base = _spec_of(old)
        scope_keys = {
            "operator_id",
            "site_id",
            "connector_type",
            "power_min_kw",
            "power_max_kw",
        }
        if scope_keys & set(changes):
            raise InvalidInputError(
                "a new version keeps the scope; create a new tariff instead",
                "scope_change",
            )
        spec = replace(base, **{"valid_to": None, **changes})
        _validate(spec)
        _can_write(principal, spec.operator_id)
        if spec.valid_from <= old.valid_from:
            raise InvalidInputError(
                f"valid_from: must be after the current version's start "
                f"({old.valid_from.isoformat()})",
                "invalid_period",
            )
        if old.valid_to is not None and spec.valid_from >= old.valid_to:
            pass  # a gap or a later version: the old one ends as it was
        else:
            await _set_end(session, principal, old, spec.valid_from, "close")
        await _check_overlap(session, spec)
        latest = (
            await session.execute(
                select(func.max(Tariff.version)).where(*_same_scope(spec))
            )
        ).scalar_one()
        row = Tariff(
            **{f.name: getattr(spec, f.name) for f in fields(spec)},
            version=int(latest or 0) + 1,
        )
        session.add(row)
        await session.flush()
        await audit.record(
            session, principal, "create", "tariff", row.id, after=audit.snapshot(row)
        )
    return row


async def delete_tariff(
    session: AsyncSession, principal: Principal, tariff_id: int
) -> None:
    async with session.begin():
        row = await session.get(Tariff, tariff_id, with_for_update=True)
        if row is None or not _visible(principal, row):
            raise NotFoundError(f"tariff {tariff_id} not found")
        _can_write(principal, row.operator_id)
        used = (
            await session.execute(
                select(func.count()).where(Transaction.tariff_id == tariff_id)
            )
        ).scalar_one()
        if used or row.valid_from <= datetime.now(UTC):
            raise ConflictError(
                f"tariff {tariff_id} is or was in effect"
                f"{f' and priced {used} session(s)' if used else ''}; end it with a"
                " new version instead",
                "tariff_in_use",
            )
        before = audit.snapshot(row)
        await session.delete(row)
        await session.flush()  # gone before the previous version takes its period
        await audit.record(
            session, principal, "delete", "tariff", tariff_id, before=before
        )
        # A withdrawn new version (``new_version`` made it, version > 1, and
        # ended the one before at its start): that one runs on as before, so no
        # gap opens in which nothing prices a session. A tariff created on its
        # own (version 1) leaves its neighbours' ends as they were set.
        previous = None
        if row.version > 1:
            previous = (
                await session.execute(
                    select(Tariff)
                    .where(
                        *_same_scope(_spec_of(row)), Tariff.valid_to == row.valid_from
                    )
                    .with_for_update()
                )
            ).scalar_one_or_none()
        if previous is not None:
            await _set_end(session, principal, previous, row.valid_to, "reopen")


def _visible(principal: Principal, row: Tariff) -> bool:
    if principal.role == "admin":
        return True
    return row.operator_id is None or row.operator_id in principal.operator_ids


async def get_tariff(
    session: AsyncSession, principal: Principal, tariff_id: int
) -> Tariff:
    row = await session.get(Tariff, tariff_id)
    if row is None or not _visible(principal, row):
        raise NotFoundError(f"tariff {tariff_id} not found")
    return row


async def list_tariffs(
    session: AsyncSession,
    principal: Principal,
    *,
    operator_id: int | None = None,
    site_id: int | None = None,
    at: datetime | None = None,
) -> list[Tariff]:
    stmt = select(Tariff).where(
        or_(
            Tariff.operator_id.is_(None), operator_clause(principal, Tariff.operator_id)
        )
    )
    if operator_id is not None:
        stmt = stmt.where(Tariff.operator_id == operator_id)
    if site_id is not None:
        stmt = stmt.where(Tariff.site_id == site_id)
    if at is not None:
        stmt = stmt.where(
            Tariff.valid_from <= at,
            or_(Tariff.valid_to.is_(None), Tariff.valid_to > at),
        )
    stmt = stmt.order_by(
        Tariff.operator_id.nulls_first(), Tariff.site_id, Tariff.valid_from
    )
    return list((await session.execute(stmt)).scalars())
