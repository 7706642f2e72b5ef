"""Operator commands to charge points: routed through the connection registry,
stored with their answer in ``ocpp_command``.

A command to a charge point that is not connected fails at once
(``charge_point_offline``); one that does not answer within
``ocpp_call_timeout_s`` fails with ``charge_point_timeout``; a CALLERROR comes
back as ``charge_point_error`` naming the OCPP error code.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from ocpp.exceptions import OCPPError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.models import ChargePoint, IdToken, OcppCommand
from app.errors import (
    ConflictError,
    DomainError,
    GatewayTimeoutError,
    InvalidInputError,
    NotFoundError,
)
from app.services.registry import ConnectionRegistry, InvalidCommandPayloadError

logger = logging.getLogger(__name__)

# What a central system may send, per protocol.
ACTIONS: Final[dict[str, frozenset[str]]] = {
    "ocpp1.6": frozenset(
        {
            "CancelReservation", "ChangeAvailability", "ChangeConfiguration",
            "ClearCache", "ClearChargingProfile", "DataTransfer", "GetCompositeSchedule",
            "GetConfiguration", "GetDiagnostics", "GetLocalListVersion",
            "RemoteStartTransaction", "RemoteStopTransaction", "ReserveNow", "Reset",
            "SendLocalList", "SetChargingProfile", "TriggerMessage", "UnlockConnector",
            "UpdateFirmware", "ExtendedTriggerMessage", "GetLog", "SignedUpdateFirmware",
        }
    ),
    "ocpp2.0.1": frozenset(
        {
            "CancelReservation", "ChangeAvailability", "ClearCache",
            "ClearChargingProfile", "ClearDisplayMessage", "ClearVariableMonitoring",
            "CostUpdated", "CustomerInformation", "DataTransfer", "GetBaseReport",
            "GetChargingProfiles", "GetCompositeSchedule", "GetDisplayMessages",
            "GetLocalListVersion", "GetLog", "GetMonitoringReport", "GetReport",
            "GetTransactionStatus", "GetVariables", "RequestStartTransaction",
            "RequestStopTransaction", "ReserveNow", "Reset", "SendLocalList",
            "SetChargingProfile", "SetDisplayMessage", "SetMonitoringBase",
            "SetMonitoringLevel", "SetNetworkProfile", "SetVariableMonitoring",
            "SetVariables", "TriggerMessage", "UnlockConnector", "UpdateFirmware",
        }
    ),
}  # fmt: skip


class ChargePointError(DomainError):
    """The charge point answered with a CALLERROR."""

    status_code = 502
    default_code = "charge_point_error"


@dataclass(frozen=True, slots=True)
class CommandRecord:
    id: int
    charge_point_id: str
    action: str
    request: dict[str, Any]
    status: str
    response: dict[str, Any] | None
    error_code: str | None
    error_detail: str | None
    requested_by: str
    requested_at: datetime
    completed_at: datetime | None


def _record(r: OcppCommand) -> CommandRecord:
    return CommandRecord(
        r.id, r.charge_point_id, r.action, r.request, r.status, r.response,
        r.error_code, r.error_detail, r.requested_by, r.requested_at, r.completed_at,
    )  # fmt: skip


async def _finish(
    maker: async_sessionmaker[AsyncSession], pk: int, **values: Any
) -> CommandRecord:
    async with maker() as db, db.begin():
        row = await db.get(OcppCommand, pk, with_for_update=True)
        if row is None:  # inserted by send() before the call
            raise RuntimeError(f"ocpp_command {pk} vanished")
        for k, v in values.items():
            setattr(row, k, v)
        row.completed_at = datetime.now(UTC)
        return _record(row)


async def send(
    maker: async_sessionmaker[AsyncSession],
    registry: ConnectionRegistry,
    charge_point_id: str,
    action: str,
    payload: dict[str, Any],
    *,
    actor: str,
) -> CommandRecord:
    """Send ``action`` with its OCPP ``payload`` (camelCase) and store the answer."""
    async with maker() as db:
        protocol = (
            await db.execute(
                select(ChargePoint.protocol).where(ChargePoint.id == charge_point_id)
            )
        ).first()
    if protocol is None:
        raise NotFoundError(
            f"charge point {charge_point_id} not found", "charge_point_not_found"
        )
    link = registry.get(charge_point_id)
    if link is None:
        raise ConflictError(
            f"charge point {charge_point_id} is offline; the command was not sent",
            "charge_point_offline",
        )
    allowed = ACTIONS[link.protocol]
    if action not in allowed:
        raise InvalidInputError(
            f"{action} is not an {link.protocol} command; allowed: {', '.join(sorted(allowed))}",
            "unsupported_command",
        )
    async with maker() as db, db.begin():
        row = OcppCommand(
            charge_point_id=charge_point_id,
            action=action,
            request=payload,
            requested_by=actor,
        )
        db.add(row)
        await db.flush()
        pk = row.id
    try:
        response = await link.send_command(action, payload)
    except TimeoutError as e:
        await _finish(maker, pk, status="timeout", error_detail="no answer")
        raise GatewayTimeoutError(
            f"charge point {charge_point_id} did not answer {action} in time",
            "charge_point_timeout",
        ) from e
    except InvalidCommandPayloadError as e:
        await _finish(
            maker, pk, status="error", error_code="invalid_payload", error_detail=str(e)
        )
        raise InvalidInputError(
            f"invalid {action} payload: {e}", "invalid_payload"
        ) from e
    except OCPPError as e:
        detail = str(
            e.details.get("cause", e.description) if isinstance(e.details, dict) else e
        )
        await _finish(
            maker, pk, status="error", error_code=e.code, error_detail=detail[:2000]
        )
        raise ChargePointError(
            f"charge point {charge_point_id} answered {action} with {e.code}: {detail}"
        ) from e
    except asyncio.CancelledError:
        await _finish(maker, pk, status="error", error_detail="cancelled")
        raise
    return await _finish(maker, pk, status="answered", response=response)


async def list_commands(
    db: AsyncSession, charge_point_id: str, limit: int
) -> list[CommandRecord]:
    rows = (
        await db.scalars(
            select(OcppCommand)
            .where(OcppCommand.charge_point_id == charge_point_id)
            .order_by(OcppCommand.id.desc())
            .limit(limit)
        )
    ).all()
    return [_record(r) for r in rows]


async def sync_local_list(
    maker: async_sessionmaker[AsyncSession],
    registry: ConnectionRegistry,
    charge_point_id: str,
    *,
    actor: str,
) -> CommandRecord:
    """Send the full local authorization list (every id token) with a new version."""
    link = registry.get(charge_point_id)
    async with maker() as db:
        version = await db.scalar(
            select(ChargePoint.local_list_version).where(
                ChargePoint.id == charge_point_id
            )
        )
        tokens = (await db.scalars(select(IdToken).order_by(IdToken.token))).all()
    if version is None:
        raise NotFoundError(
            f"charge point {charge_point_id} not found", "charge_point_not_found"
        )
    new_version = version + 1
    digest = token_digest(tokens)
    v201 = link is not None and link.protocol == "ocpp2.0.1"
    entries: list[dict[str, Any]] = []
    for t in tokens:
        status = t.status
        if v201:
            info: dict[str, Any] = {"status": status}
            if t.expires_at:
                info["cacheExpiryDateTime"] = t.expires_at.isoformat()
            if t.parent_id_tag:
                info["groupIdToken"] = {"idToken": t.parent_id_tag, "type": "Central"}
            entries.append(
                {
                    "idToken": {"idToken": t.token, "type": t.token_type},
                    "idTokenInfo": info,
                }
            )
        else:
            tag: dict[str, Any] = {"status": status}
            if t.expires_at:
                tag["expiryDate"] = t.expires_at.isoformat()
            if t.parent_id_tag:
                tag["parentIdTag"] = t.parent_id_tag
            entries.append({"idTag": t.token, "idTagInfo": tag})
    payload: dict[str, Any] = {
        "versionNumber" if v201 else "listVersion": new_version,
        "updateType": "Full",
    }
    payload["localAuthorizationList"] = entries
    record = await send(
        maker, registry, charge_point_id, "SendLocalList", payload, actor=actor
    )
    if record.response and record.response.get("status") == "Accepted":
        async with maker() as db, db.begin():
            await db.execute(
                update(ChargePoint)
                .where(ChargePoint.id == charge_point_id)
                .values(local_list_version=new_version, local_list_digest=digest)
            )
    return record


def token_digest(tokens: Sequence[IdToken]) -> str:
    """What a local list built from ``tokens`` holds, as a sha256 hex digest."""
    h = hashlib.sha256()
    for t in sorted(tokens, key=lambda t: t.token):
        expires = t.expires_at.isoformat() if t.expires_at else ""
        fields = (t.token, t.token_type, t.status, expires, t.parent_id_tag or "")
        h.update("\x1f".join(fields).encode())
        h.update(b"\x1e")
    return h.hexdigest()


# (token count, latest update) -> digest: a boot storm reads the tokens once.
_DIGESTS: dict[tuple[int, datetime | None], str | None] = {}


async def _current_digest(db: AsyncSession) -> str | None:
    """Digest of the id tokens now (None when there are none). Cached on the
    count and the latest ``updated_at`` (set by every change made through the
    app); a change made in SQL behind the app's back is seen at the next one."""
    count, latest = (
        await db.execute(select(func.count(IdToken.id), func.max(IdToken.updated_at)))
    ).one()
    key = (int(count), latest)
    if key not in _DIGESTS:
        tokens = (await db.scalars(select(IdToken))).all()
        _DIGESTS.clear()
        _DIGESTS[key] = token_digest(tokens) if tokens else None
    return _DIGESTS[key]


_BOOT_SYNC: Final = asyncio.Semaphore(
    2
)  # a boot storm must not send 10,000 lists at once


async def sync_local_list_if_changed(
    maker: async_sessionmaker[AsyncSession],
    registry: ConnectionRegistry,
    charge_point_id: str,
    *,
    delay_s: float = 0.0,
) -> CommandRecord | None:
    """After an accepted boot: send the full local list when the id tokens changed
    since the list the charge point last accepted (none when there are no tokens
    and it never had a list). Errors are logged, never raised: a charge point
    without local-list support keeps working."""
    await asyncio.sleep(delay_s)
    async with _BOOT_SYNC:
        try:
            async with maker() as db:
                stored = await db.scalar(
                    select(ChargePoint.local_list_digest).where(
                        ChargePoint.id == charge_point_id
                    )
                )
                current = await _current_digest(db)
            if stored == current or (stored is None and current is None):
                return None
            if registry.get(charge_point_id) is None:
                return None  # gone again; the next boot tries once more
            return await sync_local_list(
                maker, registry, charge_point_id, actor="system:boot"
            )
        except Exception as e:  # logged; the session goes on
            logger.warning(
                "local list sync after the boot of %s failed: %s", charge_point_id, e
            )
            return None


# ---------------------------------------------------------------- version-neutral helpers


async def protocol_of(
    maker: async_sessionmaker[AsyncSession],
    registry: ConnectionRegistry,
    charge_point_id: str,
) -> str:
    """The live link's protocol; an unknown charge point is 404 before the online
    check (409 "offline" would mislead)."""
    link = registry.get(charge_point_id)
    if link is None:
        async with maker() as db:
            known = await db.scalar(
                select(ChargePoint.id).where(ChargePoint.id == charge_point_id)
            )
        if known is None:
            raise NotFoundError(
                f"charge point {charge_point_id} not found", "charge_point_not_found"
            )
        raise ConflictError(
            f"charge point {charge_point_id} is offline; the command was not sent",
            "charge_point_offline",
        )
    return link.protocol


async def remote_start(
    maker: async_sessionmaker[AsyncSession],
    registry: ConnectionRegistry,
    charge_point_id: str,
    *,
    id_tag: str,
    evse_id: int | None,
    actor: str,
) -> CommandRecord:
    if await protocol_of(maker, registry, charge_point_id) == "ocpp1.6":
        payload: dict[str, Any] = {"idTag": id_tag}
        if evse_id is not None:
            payload["connectorId"] = evse_id
        return await send(
            maker,
            registry,
            charge_point_id,
            "RemoteStartTransaction",
            payload,
            actor=actor,
        )
    payload = {
        "idToken": {"idToken": id_tag, "type": "Central"},
        "remoteStartId": int(datetime.now(UTC).timestamp() * 1000) % 2_000_000_000,
    }
    if evse_id is not None:
        payload["evseId"] = evse_id
    return await send(
        maker,
        registry,
        charge_point_id,
        "RequestStartTransaction",
        payload,
        actor=actor,
    )


async def remote_stop(
    maker: async_sessionmaker[AsyncSession],
    registry: ConnectionRegistry,
    session_pk: int,
    *,
    actor: str,
) -> CommandRecord:
    from app.db.models import Transaction  # noqa: PLC0415  # only this helper needs it

    async with maker() as db:
        tx = await db.get(Transaction, session_pk)
    if tx is None:
        raise NotFoundError(f"session {session_pk} not found", "session_not_found")
    if tx.stopped_at is not None:
        raise ConflictError(f"session {session_pk} already stopped", "session_stopped")
    cp = tx.charge_point_id
    if await protocol_of(maker, registry, cp) == "ocpp1.6":
        return await send(
            maker,
            registry,
            cp,
            "RemoteStopTransaction",
            {"transactionId": tx.id},
            actor=actor,
        )
    return await send(
        maker,
        registry,
        cp,
        "RequestStopTransaction",
        {"transactionId": tx.transaction_uid},
        actor=actor,
    )


async def reset(
    maker: async_sessionmaker[AsyncSession],
    registry: ConnectionRegistry,
    charge_point_id: str,
    *,
    hard: bool,
    actor: str,
) -> CommandRecord:
    if await protocol_of(maker, registry, charge_point_id) == "ocpp1.6":
        payload = {"type": "Hard" if hard else "Soft"}
    else:
        payload = {"type": "Immediate" if hard else "OnIdle"}
    return await send(maker, registry, charge_point_id, "Reset", payload, actor=actor)


async def change_availability(
    maker: async_sessionmaker[AsyncSession],
    registry: ConnectionRegistry,
    charge_point_id: str,
    *,
    evse_id: int,
    operative: bool,
    actor: str,
) -> CommandRecord:
    kind = "Operative" if operative else "Inoperative"
    if await protocol_of(maker, registry, charge_point_id) == "ocpp1.6":
        payload: dict[str, Any] = {"connectorId": evse_id, "type": kind}
    else:
        payload = {"operationalStatus": kind}
        if evse_id:
            payload["evse"] = {"id": evse_id}
    return await send(
        maker, registry, charge_point_id, "ChangeAvailability", payload, actor=actor
    )


async def unlock(
    maker: async_sessionmaker[AsyncSession],
    registry: ConnectionRegistry,
    charge_point_id: str,
    *,
    evse_id: int,
    connector_id: int,
    actor: str,
) -> CommandRecord:
    if await protocol_of(maker, registry, charge_point_id) == "ocpp1.6":
        payload: dict[str, Any] = {"connectorId": evse_id}
    else:
        payload = {"evseId": evse_id, "connectorId": connector_id}
    return await send(
        maker, registry, charge_point_id, "UnlockConnector", payload, actor=actor
    )
