"""Charge points: live status, approvals, passwords, history and message log."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.api.auth import Admin, Staff
from app.api.deps import RegistryDep, SessionDep
from app.schemas.ocpp import (
    ApproveRequest,
    ChargePointPublic,
    ChargePointsPublic,
    OcppFramePublic,
    PasswordPublic,
    RegistrationPublic,
    StatusHistoryPublic,
)
from app.services import charge_points as svc
from app.services import ocpp_log
from app.services.scope import visible_operator_ids

router = APIRouter(prefix="/charge-points", tags=["charge-points"])

ERRORS: dict[int | str, dict[str, str]] = {
    404: {"description": "Unknown charge point"},
    401: {"description": "Not signed in"},
    403: {"description": "Role not allowed"},
}


@router.get("", summary="Charge points with live status", responses=ERRORS)
async def list_charge_points(
    db: SessionDep,
    registry: RegistryDep,
    who: Staff,
    site_id: Annotated[int | None, Query(description="Only this site")] = None,
    region: Annotated[
        str | None, Query(description="Region ISO code, e.g. UZ-TK")
    ] = None,
    registration_status: Annotated[
        Literal["Accepted", "Pending", "Rejected"] | None, Query()
    ] = None,
    connected: Annotated[bool | None, Query(description="Only (dis)connected")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ChargePointsPublic:
    rows = await svc.list_charge_points(
        db, registry, site_id=site_id, region=region,
        registration_status=registration_status, connected=connected,
        limit=limit, offset=offset, operator_ids=visible_operator_ids(who),
    )  # fmt: skip
    data = [ChargePointPublic.model_validate(r) for r in rows]
    return ChargePointsPublic(data=data, count=len(data))


@router.get("/pending", summary="Charge points waiting for approval", responses=ERRORS)
async def list_pending(
    db: SessionDep, registry: RegistryDep, _: Staff
) -> ChargePointsPublic:
    rows = await svc.list_charge_points(
        db, registry, registration_status="Pending", limit=1000
    )
    data = [ChargePointPublic.model_validate(r) for r in rows]
    return ChargePointsPublic(data=data, count=len(data))


@router.get("/{charge_point_id}", summary="One charge point", responses=ERRORS)
async def get_charge_point(
    charge_point_id: str, db: SessionDep, registry: RegistryDep, who: Staff
) -> ChargePointPublic:
    return ChargePointPublic.model_validate(
        await svc.get_charge_point(
            db, registry, charge_point_id, visible_operator_ids(who)
        )
    )


@router.post(
    "/{charge_point_id}/approve",
    summary="Accept a pending charge point and give it a password",
    responses=ERRORS,
)
async def approve(
    charge_point_id: str, body: ApproveRequest, db: SessionDep, _: Admin
) -> PasswordPublic:
    """The password is shown once; the charge point reconnects with it (Basic auth)."""
    password = body.password or svc.new_password()
    await svc.set_registration(db, charge_point_id, "Accepted")
    await svc.set_password(db, charge_point_id, password, body.security_profile)
    return PasswordPublic(
        charge_point_id=charge_point_id,
        password=password,
        security_profile=body.security_profile,
    )


@router.post(
    "/{charge_point_id}/reject", summary="Reject a charge point", responses=ERRORS
)
async def reject(charge_point_id: str, db: SessionDep, _: Admin) -> RegistrationPublic:
    await svc.set_registration(db, charge_point_id, "Rejected")
    return RegistrationPublic(
        charge_point_id=charge_point_id, registration_status="Rejected"
    )


@router.put(
    "/{charge_point_id}/password",
    summary="Set or rotate the Basic-auth password",
    responses=ERRORS,
)
async def set_password(
    charge_point_id: str, body: ApproveRequest, db: SessionDep, _: Admin
) -> PasswordPublic:
    password = body.password or svc.new_password()
    await svc.set_password(db, charge_point_id, password, body.security_profile)
    return PasswordPublic(
        charge_point_id=charge_point_id,
        password=password,
        security_profile=body.security_profile,
    )


@router.get(
    "/{charge_point_id}/status-history", summary="Status notifications, newest first",
    responses=ERRORS,
)  # fmt: skip
async def status_history(
    charge_point_id: str,
    db: SessionDep,
    registry: RegistryDep,
    _: Staff,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[StatusHistoryPublic]:
    await svc.get_charge_point(db, registry, charge_point_id)
    rows = await svc.status_history(db, charge_point_id, limit=limit)
    return [StatusHistoryPublic.model_validate(r) for r in rows]


@router.get(
    "/{charge_point_id}/messages",
    summary="Raw OCPP frames, newest first",
    responses=ERRORS,
)
async def messages(
    charge_point_id: str,
    db: SessionDep,
    registry: RegistryDep,
    _: Staff,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[
        int | None, Query(description="Page: frames older than this id")
    ] = None,
    action: Annotated[
        str | None, Query(description="Only CALLs of this action")
    ] = None,
) -> list[OcppFramePublic]:
    await svc.get_charge_point(db, registry, charge_point_id)
    rows = await ocpp_log.list_messages(
        db, charge_point_id, limit=limit, before_id=before_id, action=action
    )
    return [OcppFramePublic.model_validate(r) for r in rows]
