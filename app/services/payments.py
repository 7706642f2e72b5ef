"""Payments through Payme, Click and Uzcard behind one Protocol.

Each provider turns its signed callback into :class:`CallbackEvent` (after
checking the signature: Payme's Basic auth with the merchant key, Click's MD5
``sign_string``, an HMAC-SHA256 header on the Uzcard webhook) and renders the
answer its protocol expects. :data:`PROVIDERS` is the explicit registry.

Nothing is stored twice: a payment row is created once by the driver (our
reference is its ``external_id``); callbacks only move its status forward, and
a repeated callback gets the same answer without another change.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal, Protocol
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Payment, Transaction
from app.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    UnauthorizedError,
)
from app.services import audit
from app.services.cabinet import get_session
from app.services.principal import Principal

EventKind = Literal["check", "reserve", "pay", "cancel", "status"]


class InvalidSignatureError(UnauthorizedError):
    default_code = "invalid_signature"


@dataclass(frozen=True, slots=True)
class ProviderSecrets:
    payme_merchant_id: str = ""
    payme_key: str = ""
    click_service_id: str = ""
    click_merchant_id: str = ""
    click_secret_key: str = ""
    uzcard_secret: str = ""


@dataclass(frozen=True, slots=True)
class CallbackEvent:
    """A verified callback: what the provider asks us to do."""

    kind: EventKind
    reference: str | None  # our payment.external_id
    provider_tx: str | None
    amount_uzs: int | None
    raw: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Outcome:
    payment: Payment | None
    error: str | None = None  # stable code
    detail: str | None = None


class PaymentProvider(Protocol):
    name: str

    def checkout_url(self, payment: Payment) -> str: ...

    def verify(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent: ...

    def answer(
        self, event: CallbackEvent | None, outcome: Outcome
    ) -> tuple[int, dict[str, Any]]: ...


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise InvalidInputError("body: not JSON", "invalid_json") from e
    if not isinstance(data, dict):
        raise InvalidInputError("body: a JSON object is expected", "invalid_json")
    return data


# ---------------------------------------------------------------- Payme


class Payme:
    """Payme (Paycom) Merchant API: JSON-RPC 2.0, amounts in tiyin (1/100 so'm)."""

    name = "payme"
    _KINDS: Final = {
        "CheckPerformTransaction": "check",
        "CreateTransaction": "reserve",
        "PerformTransaction": "pay",
        "CancelTransaction": "cancel",
        "CheckTransaction": "status",
    }

    def __init__(self, s: ProviderSecrets) -> None:
        self.merchant_id = s.payme_merchant_id
        self.key = s.payme_key

    def checkout_url(self, payment: Payment) -> str:
        params = f"m={self.merchant_id};ac.payment_id={payment.external_id};a={payment.amount_uzs * 100}"
        return (
            "https://checkout.paycom.uz/" + base64.b64encode(params.encode()).decode()
        )

    def verify(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        expected = "Basic " + base64.b64encode(f"Paycom:{self.key}".encode()).decode()
        got = headers.get("authorization", "")
        if not self.key or not hmac.compare_digest(got.encode(), expected.encode()):
            raise InvalidSignatureError(
                "Payme authorization does not match the merchant key"
            )
        data = _json(body)
        method = str(data.get("method", ""))
        if method not in self._KINDS:
            raise InvalidInputError(
                f"method: unknown Payme method {method!r}", "unknown_method"
            )
        params = data.get("params") or {}
        account = params.get("account") or {}
        amount = params.get("amount")
        if amount is not None and (not isinstance(amount, int) or amount % 100):
            raise InvalidInputError(
                "amount: whole so'm in tiyin expected", "invalid_amount"
            )
        return CallbackEvent(
            kind=self._KINDS[method],  # type: ignore[arg-type]  # values are EventKind
            reference=account.get("payment_id"),
            provider_tx=params.get("id"),
            amount_uzs=None if amount is None else amount // 100,
            raw=data,
        )

    def answer(
        self, event: CallbackEvent | None, outcome: Outcome
    ) -> tuple[int, dict[str, Any]]:
        rpc_id = event.raw.get("id") if event else None
        codes = {"invalid_signature": -32504, "wrong_amount": -31001, "payment_not_found": -31050,
                 "already_paid": -31008, "cancelled": -31008, "transaction_not_found": -31003}  # fmt: skip
        if outcome.error is not None:
            err = {"code": codes.get(outcome.error, -32400), "message": outcome.detail or outcome.error,
                   "data": outcome.error}  # fmt: skip
            return 200, {"jsonrpc": "2.0", "id": rpc_id, "error": err}
        p = outcome.payment
        if p is None or event is None:
            raise ValueError("a successful outcome has a payment and an event")
        state = {"created": 1, "pending": 1, "paid": 2, "cancelled": -1}.get(
            p.status, 1
        )
        ms = int(p.updated_at.timestamp() * 1000) if p.updated_at else 0
        result: dict[str, Any]
        if event.kind == "check":
            result = {"allow": True}
        else:
            result = {"transaction": str(p.id), "state": state,
                      "create_time": int(p.payload.get("create_time", ms)),
                      "perform_time": int(p.payload.get("perform_time", 0)),
                      "cancel_time": int(p.payload.get("cancel_time", 0))}  # fmt: skip
        return 200, {"jsonrpc": "2.0", "id": rpc_id, "result": result}


# ---------------------------------------------------------------- Click


class Click:
    """Click SHOP API: form posts Prepare (action 0) and Complete (action 1)."""

    name = "click"

    def __init__(self, s: ProviderSecrets) -> None:
        self.service_id = s.click_service_id
        self.merchant_id = s.click_merchant_id
        self.secret = s.click_secret_key

    def checkout_url(self, payment: Payment) -> str:
        q = urlencode({"service_id": self.service_id, "merchant_id": self.merchant_id,
                       "amount": payment.amount_uzs, "transaction_param": payment.external_id})  # fmt: skip
        return f"https://my.click.uz/services/pay?{q}"

    @staticmethod
    def sign(secret: str, f: Mapping[str, str]) -> str:
        prepare = f.get("merchant_prepare_id", "") if f.get("action") == "1" else ""
        text = (f.get("click_trans_id", "") + f.get("service_id", "") + secret
                + f.get("merchant_trans_id", "") + prepare + f.get("amount", "")
                + f.get("action", "") + f.get("sign_time", ""))  # fmt: skip
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

    def verify(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:  # noqa: ARG002  # Click signs the form, not headers
        f = dict(parse_qsl(body.decode(errors="replace")))
        expected = self.sign(self.secret, f)
        if not self.secret or not hmac.compare_digest(
            f.get("sign_string", ""), expected
        ):
            raise InvalidSignatureError("Click sign_string does not match")
        action = f.get("action")
        if action not in ("0", "1"):
            raise InvalidInputError(
                "action: 0 (prepare) or 1 (complete)", "unknown_method"
            )
        try:
            amount = int(float(f.get("amount", "")))  # Click sends "1000.00"
        except ValueError as e:
            raise InvalidInputError("amount: not a number", "invalid_amount") from e
        kind: EventKind = "reserve" if action == "0" else "pay"
        if action == "1" and f.get("error", "0") != "0":
            kind = "cancel"
        return CallbackEvent(
            kind, f.get("merchant_trans_id"), f.get("click_trans_id"), amount, f
        )

    def answer(
        self, event: CallbackEvent | None, outcome: Outcome
    ) -> tuple[int, dict[str, Any]]:
        codes = {"invalid_signature": -1, "wrong_amount": -2, "payment_not_found": -5,
                 "already_paid": -4, "cancelled": -9, "transaction_not_found": -6}  # fmt: skip
        raw = event.raw if event else {}
        body: dict[str, Any] = {
            "click_trans_id": raw.get("click_trans_id"),
            "merchant_trans_id": raw.get("merchant_trans_id"),
        }
        if outcome.error is not None:
            body |= {
                "error": codes.get(outcome.error, -8),
                "error_note": outcome.detail or outcome.error,
            }
            return 200, body
        p = outcome.payment
        if p is None:
            raise ValueError("a successful outcome has a payment")
        key = (
            "merchant_prepare_id"
            if event and event.kind == "reserve"
            else "merchant_confirm_id"
        )
        return 200, body | {key: p.id, "error": 0, "error_note": "Success"}


# ---------------------------------------------------------------- Uzcard


class Uzcard:
    """Uzcard webhook: JSON with ``X-Signature: hex(HMAC-SHA256(secret, body))``.

    Uzcard's merchant protocol is contract-specific; this is the shape our
    gateway agreement would fix, kept to the same rules as the others.
    """

    name = "uzcard"

    def __init__(self, s: ProviderSecrets) -> None:
        self.secret = s.uzcard_secret

    def checkout_url(self, payment: Payment) -> str:
        return (
            f"uzcard://pay?reference={payment.external_id}&amount={payment.amount_uzs}"
        )

    @staticmethod
    def sign(secret: str, body: bytes) -> str:
        return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()

    def verify(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        got = headers.get("x-signature", "")
        if not self.secret or not hmac.compare_digest(
            got, self.sign(self.secret, body)
        ):
            raise InvalidSignatureError("Uzcard X-Signature does not match the body")
        data = _json(body)
        status = data.get("status")
        kinds: dict[str, EventKind] = {
            "paid": "pay",
            "cancelled": "cancel",
            "pending": "reserve",
        }
        if status not in kinds:
            raise InvalidInputError(
                "status: paid, cancelled or pending", "unknown_method"
            )
        amount = data.get("amount_uzs")
        if not isinstance(amount, int):
            raise InvalidInputError(
                "amount_uzs: an integer is expected", "invalid_amount"
            )
        return CallbackEvent(
            kinds[status],
            data.get("reference"),
            data.get("transaction_id"),
            amount,
            data,
        )

    def answer(
        self,
        event: CallbackEvent | None,  # noqa: ARG002  # the same answer whatever was asked
        outcome: Outcome,
    ) -> tuple[int, dict[str, Any]]:
        if outcome.error is not None:
            status = {"invalid_signature": 401, "payment_not_found": 404}.get(
                outcome.error, 409
            )
            if outcome.error in (
                "invalid_json",
                "unknown_method",
                "invalid_amount",
                "wrong_amount",
            ):
                status = 422
            return status, {
                "detail": outcome.detail or outcome.error,
                "code": outcome.error,
            }
        p = outcome.payment
        if p is None:
            raise ValueError("a successful outcome has a payment")
        return 200, {"payment_id": p.id, "status": p.status}


PROVIDERS: Final[dict[str, Callable[[ProviderSecrets], PaymentProvider]]] = {
    "payme": Payme,
    "click": Click,
    "uzcard": Uzcard,
}


def provider(name: str, secrets: ProviderSecrets) -> PaymentProvider:
    try:
        return PROVIDERS[name](secrets)
    except KeyError:
        raise NotFoundError(
            f"payment provider {name!r} unknown; known: {', '.join(sorted(PROVIDERS))}",
            "unknown_provider",
        ) from None


# ---------------------------------------------------------------- use cases


async def create_payment(
    session: AsyncSession,
    principal: Principal,
    *,
    provider_name: str,
    session_id: int,
    secrets: ProviderSecrets,
    flat_uzs_per_kwh: int,
) -> tuple[Payment, str]:
    """A payment for a finished own session, at its final price; returns the
    checkout URL of the provider. One open or paid payment per session."""
    prov = provider(provider_name, secrets)
    uid = principal.user_id
    if uid is None:
        raise InvalidInputError("the admin token has no cabinet", "no_profile")
    detail = await get_session(
        session, principal, session_id, flat_uzs_per_kwh=flat_uzs_per_kwh
    )
    running = detail.tx.stopped_at is None
    amount, tariff_id = detail.price.total_uzs, detail.price.tariff_id
    await session.rollback()
    if running:
        raise ConflictError(f"session {session_id} is still running", "session_running")
    async with session.begin():
        tx = await session.get(Transaction, session_id, with_for_update=True)
        if tx is None:
            raise NotFoundError(f"session {session_id} not found")
        existing = (
            await session.execute(
                select(Payment).where(
                    Payment.transaction_id == session_id,
                    Payment.status.in_(("created", "pending", "paid")),
                )
            )
        ).scalar_one_or_none()
        if existing is not None and existing.status == "paid":
            raise ConflictError(f"session {session_id} is already paid", "already_paid")
        if existing is not None:
            return existing, PROVIDERS[existing.provider](secrets).checkout_url(
                existing
            )
        if tx.cost_uzs is None:
            tx.cost_uzs = amount
            tx.tariff_id = tx.tariff_id or tariff_id
        row = Payment(
            provider=prov.name, external_id=uuid.uuid4().hex, transaction_id=session_id,
            user_id=uid, amount_uzs=amount, status="created", payload={},
        )  # fmt: skip
        session.add(row)
        await session.flush()
        await audit.record(
            session, principal, "create", "payment", row.id, after=audit.snapshot(row)
        )
    return row, prov.checkout_url(row)


async def list_payments(session: AsyncSession, principal: Principal) -> list[Payment]:
    rows = await session.execute(
        select(Payment).where(Payment.user_id == principal.user_id).order_by(Payment.id)
    )
    return list(rows.scalars())


def _ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


async def handle_callback(
    session: AsyncSession,
    provider_name: str,
    secrets: ProviderSecrets,
    headers: Mapping[str, str],
    body: bytes,
) -> tuple[int, dict[str, Any]]:
    """Verify and apply one provider callback; answer in the provider's format."""
    prov = provider(provider_name, secrets)
    try:
        event = prov.verify(headers, body)
    except (InvalidSignatureError, InvalidInputError) as e:
        return prov.answer(None, Outcome(None, e.code, e.detail))
    outcome = await _apply(session, prov.name, event)
    return prov.answer(event, outcome)


async def _apply(  # noqa: PLR0911, PLR0912  # one branch per payment state
    session: AsyncSession, provider_name: str, ev: CallbackEvent
) -> Outcome:
    actor = Principal(subject=f"provider:{provider_name}", role="admin")
    async with session.begin():
        stmt = (
            select(Payment).where(Payment.provider == provider_name).with_for_update()
        )
        if ev.reference:
            stmt = stmt.where(Payment.external_id == ev.reference)
        elif ev.provider_tx:
            stmt = stmt.where(Payment.payload["provider_tx"].astext == ev.provider_tx)
        else:
            return Outcome(
                None, "payment_not_found", "no payment reference in the callback"
            )
        p = (await session.execute(stmt)).scalar_one_or_none()
        if p is None:
            return Outcome(None, "payment_not_found", "no such payment")
        if ev.amount_uzs is not None and ev.amount_uzs != p.amount_uzs:
            return Outcome(
                None, "wrong_amount", f"amount: {ev.amount_uzs} != {p.amount_uzs} so'm"
            )
        known_tx = p.payload.get("provider_tx")
        if (
            ev.provider_tx
            and known_tx
            and ev.provider_tx != known_tx
            and ev.kind != "check"
        ):
            return Outcome(None, "already_paid" if p.status == "paid" else "transaction_not_found",
                           f"payment {p.id} belongs to provider transaction {known_tx}")  # fmt: skip
        before = audit.snapshot(p)
        payload = dict(p.payload)
        if ev.kind in ("check", "status"):
            return Outcome(p)
        if ev.kind == "reserve":
            if p.status in ("paid", "cancelled"):
                return (
                    Outcome(p)
                    if known_tx == ev.provider_tx
                    else Outcome(
                        None,
                        p.status if p.status == "cancelled" else "already_paid",
                        f"payment {p.id} is {p.status}",
                    )
                )
            payload.setdefault("provider_tx", ev.provider_tx)
            payload.setdefault("create_time", _ms())
            p.status = "pending"
        elif ev.kind == "pay":
            if p.status == "cancelled":
                return Outcome(None, "cancelled", f"payment {p.id} was cancelled")
            if p.status == "paid":
                return Outcome(p)  # repeated: same answer, nothing changes
            payload.setdefault("provider_tx", ev.provider_tx)
            payload["perform_time"] = _ms()
            p.status = "paid"
        elif ev.kind == "cancel":
            if p.status == "cancelled":
                return Outcome(p)
            payload["cancel_time"] = _ms()
            p.status = "cancelled"
        p.payload = payload
        await session.flush()
        await audit.record(
            session,
            actor,
            ev.kind,
            "payment",
            p.id,
            before=before,
            after=audit.snapshot(p),
        )
    await session.refresh(p)
    return Outcome(p)
