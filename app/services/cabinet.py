"""The driver's cabinet: own charging tokens, sessions with live cost, receipts,
favourite stations, and the export and deletion of one's personal data.

A client only ever reaches rows linked to their account: sessions are theirs
when ``transaction.user_id`` is theirs or the session's ``id_tag`` is one of
their tokens. Anything else is "not found".
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.models import (
    AuditLog,
    ChargePoint,
    FavouriteSite,
    IdToken,
    Payment,
    Site,
    Transaction,
    UserAccount,
)
from app.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    UnauthorizedError,
)
from app.services import accounts, audit, commands, pricing, security
from app.services.principal import Principal
from app.services.receipts import Language, ReceiptData, render_receipt
from app.services.registry import ConnectionRegistry

TokenKind = Literal["rfid", "app"]


def _uid(principal: Principal) -> int:
    if principal.user_id is None:
        raise InvalidInputError("the admin token has no cabinet", "no_profile")
    return principal.user_id


# ---------------------------------------------------------------- tokens


async def list_tokens(session: AsyncSession, principal: Principal) -> list[IdToken]:
    rows = await session.execute(
        select(IdToken).where(IdToken.user_id == _uid(principal)).order_by(IdToken.id)
    )
    return list(rows.scalars())


async def link_token(
    session: AsyncSession, principal: Principal, *, kind: TokenKind, uid: str | None
) -> IdToken:
    """Link an RFID card (its UID, hex) or create an app token for the driver."""
    user_id = _uid(principal)
    if kind == "rfid":
        if not uid:
            raise InvalidInputError("uid: the card's UID is required", "missing_uid")
        value = uid.strip().upper().replace(":", "").replace(" ", "")
        if not (4 <= len(value) <= 20) or any(
            c not in "0123456789ABCDEF" for c in value
        ):
            raise InvalidInputError(
                "uid: an RFID UID is 4-20 hex digits (e.g. 04A2B3C4D5E680)",
                "invalid_uid",
            )
        id_type = "ISO14443"
    else:
        value = "APP" + secrets.token_hex(8).upper()
        id_type = "Central"
    async with session.begin():
        taken = (
            await session.execute(select(IdToken).where(IdToken.token == value))
        ).scalar_one_or_none()
        if taken is not None:
            raise ConflictError(f"uid: card {value} is already linked", "token_taken")
        row = IdToken(
            token=value, token_type=id_type, status="Accepted", user_id=user_id
        )
        session.add(row)
        try:
            await session.flush()
        except IntegrityError as e:
            raise ConflictError(
                f"uid: card {value} is already linked", "token_taken"
            ) from e
        await audit.record(
            session, principal, "link", "id_token", row.id, after=audit.snapshot(row)
        )
    return row


async def unlink_token(
    session: AsyncSession, principal: Principal, token_id: int
) -> None:
    """Remove a card or app token: the OCPP server stops authorizing it."""
    async with session.begin():
        row = await session.get(IdToken, token_id, with_for_update=True)
        if row is None or row.user_id != _uid(principal):
            raise NotFoundError(f"token {token_id} not found")
        before = audit.snapshot(row)
        await session.delete(row)
        await audit.record(
            session, principal, "unlink", "id_token", token_id, before=before
        )


# ---------------------------------------------------------------- sessions


@dataclass(frozen=True, slots=True)
class OwnSessionFilter:
    since: datetime | None = None
    until: datetime | None = None
    status: Literal["active", "completed"] | None = None
    site_id: int | None = None
    charge_point_id: str | None = None


def _own(principal: Principal) -> Any:
    uid = _uid(principal)
    tags = select(IdToken.token).where(IdToken.user_id == uid)
    return or_(Transaction.user_id == uid, Transaction.id_tag.in_(tags))


@dataclass(frozen=True, slots=True)
class SessionDetail:
    tx: Transaction
    site: Site | None
    price: pricing.PriceBreakdown


async def list_sessions(
    session: AsyncSession,
    principal: Principal,
    f: OwnSessionFilter,
    *,
    limit: int,
    offset: int,
    flat_uzs_per_kwh: int,
) -> list[SessionDetail]:
    stmt = (
        select(Transaction, Site)
        .join(ChargePoint, ChargePoint.id == Transaction.charge_point_id, isouter=True)
        .join(Site, Site.id == ChargePoint.site_id, isouter=True)
        .where(_own(principal))
        .order_by(Transaction.started_at.desc())
        .limit(limit)
        .offset(offset)
    )
    if f.since is not None:
        stmt = stmt.where(Transaction.started_at >= f.since)
    if f.until is not None:
        stmt = stmt.where(Transaction.started_at < f.until)
    if f.status == "active":
        stmt = stmt.where(Transaction.stopped_at.is_(None))
    elif f.status == "completed":
        stmt = stmt.where(Transaction.stopped_at.is_not(None))
    if f.site_id is not None:
        stmt = stmt.where(Site.id == f.site_id)
    if f.charge_point_id is not None:
        stmt = stmt.where(Transaction.charge_point_id == f.charge_point_id)
    out = []
    for tx, site in (await session.execute(stmt)).all():
        price = await pricing.price_transaction(
            session, tx, flat_uzs_per_kwh=flat_uzs_per_kwh
        )
        out.append(SessionDetail(tx, site, price))
    return out


async def get_session(
    session: AsyncSession, principal: Principal, tx_id: int, *, flat_uzs_per_kwh: int
) -> SessionDetail:
    row = (
        await session.execute(
            select(Transaction, Site)
            .join(
                ChargePoint, ChargePoint.id == Transaction.charge_point_id, isouter=True
            )
            .join(Site, Site.id == ChargePoint.site_id, isouter=True)
            .where(Transaction.id == tx_id, _own(principal))
        )
    ).first()
    if row is None:
        raise NotFoundError(f"session {tx_id} not found")
    tx, site = row
    price = await pricing.price_transaction(
        session, tx, flat_uzs_per_kwh=flat_uzs_per_kwh
    )
    return SessionDetail(tx, site, price)


async def receipt_pdf(
    session: AsyncSession,
    principal: Principal,
    tx_id: int,
    lang: Language,
    *,
    flat_uzs_per_kwh: int,
) -> bytes:
    d = await get_session(session, principal, tx_id, flat_uzs_per_kwh=flat_uzs_per_kwh)
    data = ReceiptData(
        session_id=d.tx.id,
        site_name=d.site.name if d.site else None,
        address=d.site.address if d.site else None,
        charge_point_id=d.tx.charge_point_id,
        started_at=d.tx.started_at,
        stopped_at=d.tx.stopped_at,
        price=d.price,
    )
    return render_receipt(data, lang)


# ---------------------------------------------------------------- start / stop


async def _charging_token(
    session: AsyncSession, principal: Principal, token_id: int | None
) -> IdToken:
    """The driver's token to start with: the one asked for, else an app token,
    else any usable card. Blocked or expired tokens are refused by name."""
    rows = await list_tokens(session, principal)
    now = datetime.now(UTC)

    def usable(t: IdToken) -> bool:
        return t.status == "Accepted" and (t.expires_at is None or t.expires_at > now)

    if token_id is not None:
        chosen = next((t for t in rows if t.id == token_id), None)
        if chosen is None:
            raise NotFoundError(f"token {token_id} not found", "token_not_found")
        if not usable(chosen):
            state = "expired" if chosen.status == "Accepted" else chosen.status.lower()
            raise ConflictError(
                f"token {token_id} is {state}; use another one", "token_unusable"
            )
        return chosen
    ok = [t for t in rows if usable(t)]
    if not ok:
        raise ConflictError(
            "no usable token: link an RFID card or create an app token first"
            " (POST /api/me/tokens)",
            "no_usable_token",
        )
    app_tokens = [t for t in ok if t.token_type == "Central"]  # noqa: S105  # OCPP type
    return app_tokens[0] if app_tokens else ok[0]


async def start_charge(
    session: AsyncSession,
    maker: async_sessionmaker[AsyncSession],
    registry: ConnectionRegistry,
    principal: Principal,
    *,
    charge_point_id: str,
    evse_id: int | None,
    token_id: int | None,
) -> commands.CommandRecord:
    """Ask the charge point to start a session for the driver (RemoteStartTransaction
    / RequestStartTransaction with one of the driver's tokens). The session itself
    appears when the charge point reports it, as for a card at the station."""
    tag = (await _charging_token(session, principal, token_id)).token
    await session.rollback()  # read only; do not hold a transaction during the call
    rec = await commands.remote_start(
        maker,
        registry,
        charge_point_id,
        id_tag=tag,
        evse_id=evse_id,
        actor=principal.subject,
    )
    status = (rec.response or {}).get("status")
    if status != "Accepted":
        raise ConflictError(
            f"charge point {charge_point_id} refused to start ({status}); the connector"
            " may be busy, reserved or out of order",
            "start_rejected",
        )
    return rec


async def stop_charge(
    session: AsyncSession,
    maker: async_sessionmaker[AsyncSession],
    registry: ConnectionRegistry,
    principal: Principal,
    tx_id: int,
) -> commands.CommandRecord:
    """Ask the charge point to stop one of the driver's own running sessions."""
    tx = (
        await session.execute(
            select(Transaction).where(Transaction.id == tx_id, _own(principal))
        )
    ).scalar_one_or_none()
    if tx is None:
        raise NotFoundError(f"session {tx_id} not found")
    cp = tx.charge_point_id
    await session.rollback()
    rec = await commands.remote_stop(maker, registry, tx_id, actor=principal.subject)
    status = (rec.response or {}).get("status")
    if status != "Accepted":
        raise ConflictError(
            f"charge point {cp} refused to stop session {tx_id} ({status})",
            "stop_rejected",
        )
    return rec


# ---------------------------------------------------------------- favourites


async def list_favourites(session: AsyncSession, principal: Principal) -> list[Site]:
    rows = await session.execute(
        select(Site)
        .join(FavouriteSite, FavouriteSite.site_id == Site.id)
        .where(FavouriteSite.user_id == _uid(principal))
        .order_by(FavouriteSite.created_at, Site.id)
    )
    return list(rows.scalars())


async def add_favourite(
    session: AsyncSession, principal: Principal, site_id: int
) -> Site:
    uid = _uid(principal)
    async with session.begin():
        site = await session.get(Site, site_id)
        if site is None:
            raise NotFoundError(f"station {site_id} not found")
        exists = await session.get(FavouriteSite, (uid, site_id))
        if exists is None:
            session.add(FavouriteSite(user_id=uid, site_id=site_id))
            await audit.record(
                session, principal, "add", "favourite_site", site_id,
                after={"user_id": uid, "site_id": site_id},
            )  # fmt: skip
    return site


async def remove_favourite(
    session: AsyncSession, principal: Principal, site_id: int
) -> None:
    uid = _uid(principal)
    async with session.begin():
        n = await session.execute(
            delete(FavouriteSite).where(
                FavouriteSite.user_id == uid, FavouriteSite.site_id == site_id
            )
        )
        if n.rowcount == 0:  # type: ignore[attr-defined]  # CursorResult of a DELETE
            raise NotFoundError(f"station {site_id} is not a favourite")
        await audit.record(
            session, principal, "remove", "favourite_site", site_id,
            before={"user_id": uid, "site_id": site_id},
        )  # fmt: skip


# ---------------------------------------------------------------- personal data


async def export_personal_data(
    session: AsyncSession, principal: Principal, *, flat_uzs_per_kwh: int
) -> dict[str, Any]:
    """Everything stored about the driver, as JSON-ready data."""
    uid = _uid(principal)
    user = await session.get(UserAccount, uid)
    if user is None:
        raise NotFoundError(f"user {uid} not found")
    tokens = await list_tokens(session, principal)
    sessions = await list_sessions(
        session, principal, OwnSessionFilter(), limit=100_000, offset=0,
        flat_uzs_per_kwh=flat_uzs_per_kwh,
    )  # fmt: skip
    payments = (
        await session.execute(
            select(Payment).where(Payment.user_id == uid).order_by(Payment.id)
        )
    ).scalars()
    favourites = await list_favourites(session, principal)
    trail = (
        await session.execute(
            select(AuditLog)
            .where(
                or_(
                    AuditLog.actor_user_id == uid,
                    (AuditLog.entity == "user") & (AuditLog.entity_id == str(uid)),
                )
            )
            .order_by(AuditLog.id)
        )
    ).scalars()
    return {
        "exported_at": datetime.now(UTC).isoformat(),
        "account": audit.snapshot(user),
        "id_tokens": [audit.snapshot(t) for t in tokens],
        "sessions": [
            {
                **audit.snapshot(s.tx),
                "site": s.site.name if s.site else None,
                "price_total_uzs": s.price.total_uzs,
                "price_vat_uzs": s.price.vat_uzs,
            }
            for s in sessions
        ],
        "payments": [audit.snapshot(p) for p in payments],
        "favourite_sites": [{"id": s.id, "name": s.name} for s in favourites],
        "audit_log": [
            {
                "action": a.action,
                "entity": a.entity,
                "entity_id": a.entity_id,
                "at": a.at.isoformat(),
            }
            for a in trail
        ],
    }


async def delete_account(
    session: AsyncSession, principal: Principal, password: str
) -> None:
    """Delete one's own account after confirming the password."""
    uid = _uid(principal)
    user = await session.get(UserAccount, uid)
    stored = user.password_hash if user is not None else None
    await session.rollback()
    if not security.verify_password(stored, password):
        raise UnauthorizedError("password: incorrect", "bad_credentials")
    await accounts.delete_user(session, principal, uid)
