"""Payments: a driver pays a finished session; providers call back (signed)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from app.api.auth import Anyone, Principal, public_write, require_role
from app.api.deps import SessionDep
from app.db.models import Payment
from app.services import payments
from app.settings import Settings

router = APIRouter(tags=["payments"])
Driver = Annotated[Principal, Depends(require_role("client"))]


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: int
    provider: Literal["payme", "click", "uzcard"]


class PaymentPublic(BaseModel):
    id: int
    provider: str
    reference: str
    session_id: int | None
    amount_uzs: int
    status: str
    created_at: datetime


class PaymentStarted(BaseModel):
    payment: PaymentPublic
    checkout_url: str


def _pub(p: Payment) -> PaymentPublic:
    return PaymentPublic(
        id=p.id, provider=p.provider, reference=p.external_id,
        session_id=p.transaction_id, amount_uzs=p.amount_uzs, status=p.status,
        created_at=p.created_at,
    )  # fmt: skip


def secrets_of(settings: Settings) -> payments.ProviderSecrets:
    return payments.ProviderSecrets(
        payme_merchant_id=settings.payme_merchant_id,
        payme_key=settings.payme_key.get_secret_value(),
        click_service_id=settings.click_service_id,
        click_merchant_id=settings.click_merchant_id,
        click_secret_key=settings.click_secret_key.get_secret_value(),
        uzcard_secret=settings.uzcard_secret.get_secret_value(),
    )


async def _secrets(request: Request) -> payments.ProviderSecrets:
    return secrets_of(request.app.state.settings)


Secrets = Annotated[payments.ProviderSecrets, Depends(_secrets)]


@router.post("/api/me/payments", status_code=status.HTTP_201_CREATED)
async def start_payment(
    body: PaymentCreate,
    principal: Driver,
    session: SessionDep,
    secrets: Secrets,
    request: Request,
) -> PaymentStarted:
    """Pay a finished own session at its final price; open ``checkout_url``."""
    row, url = await payments.create_payment(
        session, principal, provider_name=body.provider, session_id=body.session_id,
        secrets=secrets, flat_uzs_per_kwh=request.app.state.settings.flat_tariff_uzs_per_kwh,
    )  # fmt: skip
    return PaymentStarted(payment=_pub(row), checkout_url=url)


@router.get("/api/me/payments")
async def list_payments(principal: Driver, session: SessionDep) -> list[PaymentPublic]:
    """The driver's payments."""
    return [_pub(p) for p in await payments.list_payments(session, principal)]


@router.post("/api/payments/{provider}/callback")
@public_write("payment providers authenticate by signature, not by a user token")
async def callback(
    provider: Literal["payme", "click", "uzcard"],
    request: Request,
    session: SessionDep,
    secrets: Secrets,
    _: Anyone,
) -> JSONResponse:
    """Provider callback (Payme JSON-RPC, Click form post, Uzcard signed JSON).

    A bad signature is refused in the provider's error format (Payme -32504,
    Click -1, Uzcard 401) and changes nothing.
    """
    body = await request.body()
    code, answer = await payments.handle_callback(
        session, provider, secrets, dict(request.headers), body
    )
    return JSONResponse(answer, status_code=code)
