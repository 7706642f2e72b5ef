"""Operator commands to connected charge points (technicians and admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from app.api.auth import Staff
from app.api.deps import MakerDep, RegistryDep, SessionDep
from app.schemas.ocpp import (
    AvailabilityRequest,
    CommandPublic,
    CommandRequest,
    RemoteStartRequest,
    ReservationPublic,
    ReservationRequest,
    ResetRequest,
    UnlockRequest,
)
from app.services import commands as svc
from app.services import reservations, scope


async def _in_scope(request: Request, session: SessionDep, who: Staff) -> None:
    """A technician commands only their operators' charge points (404 otherwise)."""
    cp_id = request.path_params.get("charge_point_id")
    if cp_id is not None:
        await scope.ensure_charge_point(session, who, str(cp_id))
    tx_id = request.path_params.get("session_id")
    if tx_id is not None and str(tx_id).isdigit():  # else the route answers 422
        await scope.ensure_transaction(session, who, int(tx_id))


router = APIRouter(tags=["commands"], dependencies=[Depends(_in_scope)])

ERRORS: dict[int | str, dict[str, str]] = {
    404: {"description": "Unknown charge point or session"},
    409: {"description": "Charge point offline (code charge_point_offline)"},
    422: {"description": "Action or payload not valid for the charge point's protocol"},
    502: {"description": "The charge point answered with a CALLERROR"},
    504: {"description": "The charge point did not answer in time"},
}


@router.post(
    "/charge-points/{charge_point_id}/commands",
    summary="Send any OCPP command (payload checked against the official schema)",
    responses=ERRORS,
)
async def send_command(
    charge_point_id: str,
    body: CommandRequest,
    maker: MakerDep,
    registry: RegistryDep,
    who: Staff,
) -> CommandPublic:
    """E.g. ``{"action": "GetConfiguration", "payload": {}}`` (1.6) or
    ``{"action": "GetVariables", "payload": {"getVariableData": [...]}}`` (2.0.1):
    reset, availability, unlock, configuration, variables, charging profiles,
    firmware, diagnostics/logs, data transfer, reservations, trigger message."""
    rec = await svc.send(
        maker, registry, charge_point_id, body.action, body.payload, actor=who.subject
    )
    return CommandPublic.model_validate(rec)


@router.get(
    "/charge-points/{charge_point_id}/commands",
    summary="Commands sent to a charge point with their answers, newest first",
    responses=ERRORS,
)
async def list_commands(
    charge_point_id: str,
    db: SessionDep,
    _: Staff,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[CommandPublic]:
    return [
        CommandPublic.model_validate(r)
        for r in await svc.list_commands(db, charge_point_id, limit)
    ]


@router.post(
    "/charge-points/{charge_point_id}/remote-start", summary="Start charging remotely",
    responses=ERRORS,
)  # fmt: skip
async def remote_start(
    charge_point_id: str,
    body: RemoteStartRequest,
    maker: MakerDep,
    registry: RegistryDep,
    who: Staff,
) -> CommandPublic:
    rec = await svc.remote_start(
        maker,
        registry,
        charge_point_id,
        id_tag=body.id_tag,
        evse_id=body.evse_id,
        actor=who.subject,
    )
    return CommandPublic.model_validate(rec)


@router.post(
    "/charge-points/{charge_point_id}/reservations",
    summary="Reserve an EVSE for an id token (ReserveNow)",
    status_code=201,
    responses=ERRORS,
)
async def reserve(
    charge_point_id: str,
    body: ReservationRequest,
    maker: MakerDep,
    registry: RegistryDep,
    who: Staff,
) -> ReservationPublic:
    """Stored first (its id is the OCPP reservationId), then sent; ``status`` is
    Active when the charge point accepted, else Rejected with the answer."""
    view = await reservations.reserve(
        maker,
        registry,
        charge_point_id,
        evse_id=body.evse_id,
        id_tag=body.id_tag,
        expires_at=body.expires_at,
        actor=who.subject,
    )
    return ReservationPublic.model_validate(view)


@router.get(
    "/charge-points/{charge_point_id}/reservations",
    summary="Reservations of a charge point, newest first",
)
async def list_reservations(
    charge_point_id: str,
    session: SessionDep,
    _: Staff,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ReservationPublic]:
    rows = await reservations.list_for(session, charge_point_id, limit=limit)
    return [ReservationPublic.model_validate(r) for r in rows]


@router.delete(
    "/charge-points/{charge_point_id}/reservations/{reservation_id}",
    summary="Cancel an active reservation (CancelReservation)",
    responses=ERRORS,
)
async def cancel_reservation(
    charge_point_id: str,
    reservation_id: int,
    maker: MakerDep,
    registry: RegistryDep,
    who: Staff,
) -> ReservationPublic:
    view = await reservations.cancel(
        maker, registry, charge_point_id, reservation_id, actor=who.subject
    )
    return ReservationPublic.model_validate(view)


@router.post(
    "/sessions/{session_id}/remote-stop",
    summary="Stop a running session",
    responses=ERRORS,
)
async def remote_stop(
    session_id: int, maker: MakerDep, registry: RegistryDep, who: Staff
) -> CommandPublic:
    rec = await svc.remote_stop(maker, registry, session_id, actor=who.subject)
    return CommandPublic.model_validate(rec)


@router.post(
    "/charge-points/{charge_point_id}/reset",
    summary="Soft or hard reset",
    responses=ERRORS,
)
async def reset(
    charge_point_id: str,
    body: ResetRequest,
    maker: MakerDep,
    registry: RegistryDep,
    who: Staff,
) -> CommandPublic:
    rec = await svc.reset(
        maker, registry, charge_point_id, hard=body.type == "hard", actor=who.subject
    )
    return CommandPublic.model_validate(rec)


@router.post(
    "/charge-points/{charge_point_id}/availability",
    summary="Make an EVSE (or the whole charge point) operative or inoperative",
    responses=ERRORS,
)
async def availability(
    charge_point_id: str,
    body: AvailabilityRequest,
    maker: MakerDep,
    registry: RegistryDep,
    who: Staff,
) -> CommandPublic:
    rec = await svc.change_availability(
        maker, registry, charge_point_id, evse_id=body.evse_id, operative=body.operative,
        actor=who.subject,
    )  # fmt: skip
    return CommandPublic.model_validate(rec)


@router.post(
    "/charge-points/{charge_point_id}/unlock",
    summary="Unlock a connector",
    responses=ERRORS,
)
async def unlock(
    charge_point_id: str,
    body: UnlockRequest,
    maker: MakerDep,
    registry: RegistryDep,
    who: Staff,
) -> CommandPublic:
    rec = await svc.unlock(
        maker, registry, charge_point_id, evse_id=body.evse_id, connector_id=body.connector_id,
        actor=who.subject,
    )  # fmt: skip
    return CommandPublic.model_validate(rec)


@router.post(
    "/charge-points/{charge_point_id}/local-list/sync",
    summary="Send the full local authorization list (all id tokens)",
    responses=ERRORS,
)
async def sync_local_list(
    charge_point_id: str, maker: MakerDep, registry: RegistryDep, who: Staff
) -> CommandPublic:
    rec = await svc.sync_local_list(maker, registry, charge_point_id, actor=who.subject)
    return CommandPublic.model_validate(rec)
