"""Tariffs: operator cabinet (admins write; technicians and partners read their
operators'), and the public price of a connector."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from app.api.auth import Admin, Anyone, Principal, require_role
from app.api.deps import SessionDep
from app.db.models import Tariff
from app.errors import InvalidInputError, NotFoundError
from app.schemas.tariffs import (
    ConnectorType,
    TariffCreate,
    TariffPublic,
    TariffVersion,
)
from app.services import pricing, tariffs
from app.services.tariffs import TariffSpec

router = APIRouter(prefix="/api/tariffs", tags=["tariffs"])
Reader = Annotated[Principal, Depends(require_role("admin", "technician", "partner"))]


def _pub(row: Tariff) -> TariffPublic:
    return TariffPublic.model_validate(row)


@router.get("")
async def list_tariffs(
    principal: Reader,
    session: SessionDep,
    *,
    operator_id: int | None = None,
    site_id: int | None = None,
    at: Annotated[
        datetime | None, Query(description="Only versions valid then")
    ] = None,
) -> list[TariffPublic]:
    """Tariff versions the caller may see, oldest first."""
    rows = await tariffs.list_tariffs(
        session, principal, operator_id=operator_id, site_id=site_id, at=at
    )
    return [_pub(r) for r in rows]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_tariff(
    body: TariffCreate, principal: Admin, session: SessionDep
) -> TariffPublic:
    """A tariff for an operator, a site, a connector type and/or a power class.

    Periods of tariffs with the same scope may not overlap (409 ``tariff_overlap``).
    """
    data = body.model_dump()
    spec = TariffSpec(**{f.name: data[f.name] for f in fields(TariffSpec)})
    return _pub(await tariffs.create_tariff(session, principal, spec))


@router.get("/effective")
async def effective_tariff(
    session: SessionDep,
    _: Anyone,
    *,
    charge_point_id: Annotated[str | None, Query(min_length=1, max_length=48)] = None,
    evse_id: Annotated[int | None, Query(ge=1)] = None,
    connector_id: Annotated[int | None, Query(ge=1)] = None,
    operator_id: Annotated[
        int | None, Query(description="Without a charge point: the operator")
    ] = None,
    connector_type: Annotated[
        ConnectorType | None, Query(description="Without a charge point")
    ] = None,
    power_kw: Annotated[
        Decimal | None,
        Query(gt=0, le=1000, description="Without a charge point: connector power"),
    ] = None,
    at: Annotated[
        datetime | None, Query(description="When the session starts (default: now)")
    ] = None,
) -> TariffPublic:
    """The tariff a session started at ``at`` (default now) would be priced by: at
    a charge point's connector, or, without ``charge_point_id``, at any connector of
    ``operator_id`` with ``connector_type`` and ``power_kw`` (a preview)."""
    if charge_point_id is not None:
        info = await pricing.connector_info(
            session, charge_point_id, evse_id=evse_id, connector_id=connector_id
        )
        if (
            info.site_id is None
            and info.operator_id is None
            and info.connector_type is None
        ):
            raise NotFoundError(f"charge point {charge_point_id!r} not found")
        what = repr(charge_point_id)
    else:
        info = pricing.ConnectorInfo(operator_id, None, connector_type, power_kw)
        what = f"operator {operator_id}" if operator_id is not None else "the network"
    if at is not None and at.tzinfo is None:
        raise InvalidInputError("at: needs a time zone", "naive_datetime")
    row = await pricing.tariff_in_effect(session, info, at or datetime.now(UTC))
    if row is None:
        raise NotFoundError(f"no tariff in effect for {what}", "no_tariff")
    return _pub(row)


@router.get("/{tariff_id}")
async def read_tariff(
    tariff_id: int, principal: Reader, session: SessionDep
) -> TariffPublic:
    return _pub(await tariffs.get_tariff(session, principal, tariff_id))


@router.post("/{tariff_id}/versions", status_code=status.HTTP_201_CREATED)
async def new_tariff_version(
    tariff_id: int, body: TariffVersion, principal: Admin, session: SessionDep
) -> TariffPublic:
    """Change prices from ``valid_from`` on: the current version ends there."""
    changes = body.model_dump(exclude_unset=True)
    return _pub(await tariffs.new_version(session, principal, tariff_id, changes))


@router.delete("/{tariff_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_tariff(tariff_id: int, principal: Admin, session: SessionDep) -> None:
    """Delete a tariff that has not come into effect yet."""
    await tariffs.delete_tariff(session, principal, tariff_id)
