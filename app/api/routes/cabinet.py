"""The driver's cabinet: tokens, sessions with cost, receipts, favourites, own data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from app.api.auth import Principal, require_role
from app.api.deps import MakerDep, RegistryDep, SessionDep
from app.db.models import Site
from app.schemas.cabinet import (
    DeleteAccount,
    FavouritePublic,
    OwnSession,
    OwnSessions,
    StartCharge,
    TokenLink,
    TokenPublic,
)
from app.schemas.ocpp import CommandPublic
from app.schemas.tariffs import PricePublic
from app.services import cabinet

router = APIRouter(prefix="/api/me", tags=["cabinet"])
Driver = Annotated[Principal, Depends(require_role("client"))]


async def _flat(request: Request) -> int:
    return int(request.app.state.settings.flat_tariff_uzs_per_kwh)


Flat = Annotated[int, Depends(_flat)]
ERRORS: dict[int | str, dict[str, str]] = {
    404: {"description": "Unknown charge point, own session or own token"},
    409: {
        "description": "Charge point offline, no usable token, session already"
        " stopped, or the charge point refused (start_rejected / stop_rejected)"
    },
    502: {"description": "The charge point answered with a CALLERROR"},
    504: {"description": "The charge point did not answer in time"},
}


def _session_pub(d: cabinet.SessionDetail) -> OwnSession:
    p = d.price
    price = PricePublic(
        tariff_id=p.tariff_id,
        final=p.final,
        energy_wh=p.energy_wh,
        energy_day_wh=int(p.energy_day_wh),
        energy_night_wh=int(p.energy_night_wh),
        charging_min_day=round(p.charging_min_day, 2),
        charging_min_night=round(p.charging_min_night, 2),
        idle_min=round(p.idle_min, 2),
        idle_billed_min=round(p.idle_billed_min, 2),
        energy_uzs=p.energy_uzs,
        time_uzs=p.time_uzs,
        idle_uzs=p.idle_uzs,
        session_fee_uzs=p.session_fee_uzs,
        total_uzs=p.total_uzs,
        vat_percent=p.vat_percent,
        vat_uzs=p.vat_uzs,
    )
    tx = d.tx
    return OwnSession(
        id=tx.id,
        charge_point_id=tx.charge_point_id,
        evse_id=tx.evse_id,
        connector_id=tx.connector_id,
        site_id=d.site.id if d.site else None,
        site_name=d.site.name if d.site else None,
        status="completed" if tx.stopped_at else "active",
        started_at=tx.started_at,
        stopped_at=tx.stopped_at,
        energy_wh=p.energy_wh,
        cost_uzs=p.total_uzs,
        price=price,
    )


@router.get("/tokens")
async def list_tokens(principal: Driver, session: SessionDep) -> list[TokenPublic]:
    """The driver's RFID cards and app tokens."""
    return [
        TokenPublic.model_validate(t)
        for t in await cabinet.list_tokens(session, principal)
    ]


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
async def link_token(
    body: TokenLink, principal: Driver, session: SessionDep
) -> TokenPublic:
    """Link an RFID card by its UID, or create an app token; stations then accept it."""
    row = await cabinet.link_token(session, principal, kind=body.kind, uid=body.uid)
    return TokenPublic.model_validate(row)


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def unlink_token(token_id: int, principal: Driver, session: SessionDep) -> None:
    await cabinet.unlink_token(session, principal, token_id)


@router.get("/sessions")
async def list_sessions(
    principal: Driver,
    session: SessionDep,
    flat: Flat,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    state: Annotated[
        Literal["active", "completed"] | None, Query(alias="status")
    ] = None,
    site_id: int | None = None,
    charge_point_id: Annotated[str | None, Query(max_length=48)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> OwnSessions:
    """Own sessions, newest first, with energy and cost (live while charging)."""
    f = cabinet.OwnSessionFilter(since, until, state, site_id, charge_point_id)
    rows = await cabinet.list_sessions(
        session, principal, f, limit=limit, offset=offset, flat_uzs_per_kwh=flat
    )
    return OwnSessions(data=[_session_pub(d) for d in rows], count=len(rows))


@router.get("/sessions/{session_id}")
async def read_session(
    session_id: int, principal: Driver, session: SessionDep, flat: Flat
) -> OwnSession:
    """One own session; while it runs, the cost is computed up to now."""
    return _session_pub(
        await cabinet.get_session(session, principal, session_id, flat_uzs_per_kwh=flat)
    )


@router.post("/charge", status_code=status.HTTP_202_ACCEPTED, responses=ERRORS)
async def start_charge(
    body: StartCharge,
    principal: Driver,
    session: SessionDep,
    maker: MakerDep,
    registry: RegistryDep,
) -> CommandPublic:
    """Start charging at a chosen charge point / connector from the phone: the
    charge point is asked to start with one of the driver's tokens. 202 once it
    accepted; the session shows under ``/api/me/sessions`` when it begins."""
    rec = await cabinet.start_charge(
        session,
        maker,
        registry,
        principal,
        charge_point_id=body.charge_point_id,
        evse_id=body.evse_id,
        token_id=body.token_id,
    )
    return CommandPublic.model_validate(rec)


@router.post(
    "/sessions/{session_id}/stop",
    status_code=status.HTTP_202_ACCEPTED,
    responses=ERRORS,
)
async def stop_charge(
    session_id: int,
    principal: Driver,
    session: SessionDep,
    maker: MakerDep,
    registry: RegistryDep,
) -> CommandPublic:
    """Stop one of the driver's own running sessions (202 once the charge point
    accepted; the session completes when it reports the stop)."""
    rec = await cabinet.stop_charge(session, maker, registry, principal, session_id)
    return CommandPublic.model_validate(rec)


@router.get(
    "/sessions/{session_id}/receipt.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def receipt(
    session_id: int,
    principal: Driver,
    session: SessionDep,
    flat: Flat,
    lang: Literal["uz", "ru", "en", "de"] = "uz",
) -> Response:
    """The session's receipt as PDF in Uzbek, Russian, English or German."""
    pdf = await cabinet.receipt_pdf(
        session, principal, session_id, lang, flat_uzs_per_kwh=flat
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="quvvat-{session_id}-{lang}.pdf"'
        },
    )


def _fav(s: Site) -> FavouritePublic:
    return FavouritePublic(
        id=s.id, name=s.name, address=s.address, city=s.city, operator_id=s.operator_id
    )


@router.get("/favourites")
async def list_favourites(
    principal: Driver, session: SessionDep
) -> list[FavouritePublic]:
    return [_fav(s) for s in await cabinet.list_favourites(session, principal)]


@router.put("/favourites/{site_id}")
async def add_favourite(
    site_id: int, principal: Driver, session: SessionDep
) -> FavouritePublic:
    """Mark a station as favourite (idempotent)."""
    return _fav(await cabinet.add_favourite(session, principal, site_id))


@router.delete("/favourites/{site_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_favourite(
    site_id: int, principal: Driver, session: SessionDep
) -> None:
    await cabinet.remove_favourite(session, principal, site_id)


@router.get("/export")
async def export_data(
    principal: Driver, session: SessionDep, flat: Flat
) -> dict[str, Any]:
    """Everything stored about the driver, as JSON (right of access)."""
    return await cabinet.export_personal_data(session, principal, flat_uzs_per_kwh=flat)


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
async def delete_account(
    body: DeleteAccount, principal: Driver, session: SessionDep
) -> None:
    """Delete the account and personal data; sessions stay for accounting, anonymised."""
    await cabinet.delete_account(session, principal, body.password)
