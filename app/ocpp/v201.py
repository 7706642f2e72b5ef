"""OCPP 2.0.1 handlers: convert -> await a service (commits) -> call_result."""

from __future__ import annotations

import logging
import math
import time
from typing import Any, ClassVar, Final

from ocpp.v201 import ChargePoint as OcppChargePoint
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from app.ocpp.base import SessionBase, parse_decimal, parse_ts
from app.ocpp.routing import on
from app.services import charging, reservations
from app.services.charging import Sample, TokenVerdict

logger = logging.getLogger(__name__)

_KNOWN: Final = frozenset(a.value for a in Action)


def id_token_info(v: TokenVerdict) -> dict[str, Any]:
    info: dict[str, Any] = {"status": v.status}
    if v.expires_at is not None:
        info["cacheExpiryDateTime"] = v.expires_at.isoformat()
    if v.parent_id_tag:
        info["groupIdToken"] = {"idToken": v.parent_id_tag, "type": "Central"}
    return info


def samples_v201(meter_value: list[dict[str, Any]] | None) -> list[Sample]:
    """2.0.1 sampledValue: a number, scaled by ``unitOfMeasure.multiplier``."""
    out: list[Sample] = []
    for mv in meter_value or []:
        at = parse_ts(mv["timestamp"], "meterValue.timestamp")
        for sv in mv.get("sampled_value", []):
            measurand = sv.get("measurand", charging.ENERGY_REGISTER)
            uom = sv.get("unit_of_measure") or {}
            unit = uom.get("unit", "Wh" if measurand.startswith("Energy") else None)
            value = parse_decimal(sv["value"], "sampledValue.value")
            multiplier = int(uom.get("multiplier", 0))
            if multiplier:
                value = value.scaleb(multiplier)
            out.append(
                Sample(
                    measured_at=at,
                    measurand=measurand,
                    value=value,
                    unit=unit,
                    phase=sv.get("phase"),
                    context=sv.get("context"),
                )
            )
    return out


class ChargePointSessionV201(SessionBase, OcppChargePoint):  # type: ignore[misc]  # untyped base
    """One connected OCPP 2.0.1 charging station."""

    protocol: ClassVar[str] = "ocpp2.0.1"

    def _known_action(self, action: str) -> bool:
        return action in _KNOWN

    def _active(self) -> dict[str, int]:
        """transactionId -> our session pk, for the fast path of Updated events."""
        cache: dict[str, int] | None = getattr(self, "_active_tx", None)
        if cache is None:
            cache = {}
            self._active_tx = cache
        return cache

    def _maybe_send_cost(self, uid: str, pk: int) -> None:
        """Running cost to the station (CostUpdated), at most once per interval per
        session, in the background: the TransactionEvent answer never waits for it."""
        interval = self.ctx.settings.ocpp_cost_update_interval_s
        if interval <= 0:
            return
        now = time.monotonic()
        if now - self.cost_sent_at.get(uid, -math.inf) < interval:
            return
        self.cost_sent_at[uid] = now
        self.spawn(self._send_cost(uid, pk))

    async def _send_cost(self, uid: str, pk: int) -> None:
        try:
            total = await charging.running_cost(self.ctx, pk)
            if total is None:
                return
            await self.call(
                call.CostUpdated(total_cost=float(total), transaction_id=uid),
                suppress=False,
            )
        except Exception as e:  # a station without cost display may refuse it
            logger.info("%s: CostUpdated for %s not delivered: %r", self.id, uid, e)

    @on(Action.boot_notification)
    async def on_boot_notification(
        self,
        charging_station: dict[str, Any],
        reason: str,  # noqa: ARG002  # required by the schema; not stored
        **_: Any,
    ) -> call_result.BootNotification:
        status = await charging.boot(
            self.ctx,
            self.id,
            vendor=charging_station["vendor_name"],
            model=charging_station["model"],
            serial_number=charging_station.get("serial_number"),
            firmware_version=charging_station.get("firmware_version"),
            protocol=self.protocol,
        )
        self.after_boot(status)
        return call_result.BootNotification(
            current_time=charging.utcnow_iso(),
            interval=self.ctx.settings.ocpp_heartbeat_interval_s,
            status=status,
        )

    @on(Action.heartbeat)
    async def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        at = await charging.heartbeat(self.ctx, self.id)
        return call_result.Heartbeat(current_time=at.isoformat())

    @on(Action.status_notification)
    async def on_status_notification(
        self,
        timestamp: str,
        connector_status: str,
        evse_id: int,
        connector_id: int,
        **_: Any,
    ) -> call_result.StatusNotification:
        await charging.status_notification(
            self.ctx,
            self.id,
            evse_id=evse_id,
            connector_id=connector_id,
            status=connector_status,
            occurred_at=parse_ts(timestamp, "timestamp"),
            ident=self.identity,
        )
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(
        self, id_token: dict[str, Any], **_: Any
    ) -> call_result.Authorize:
        verdict = await charging.authorize(self.ctx, id_token["id_token"])
        if verdict.status == "Invalid":
            verdict = TokenVerdict("Unknown")
        return call_result.Authorize(id_token_info=id_token_info(verdict))

    @on(Action.transaction_event)
    async def on_transaction_event(
        self,
        event_type: str,
        timestamp: str,
        trigger_reason: str,  # noqa: ARG002  # kept in the raw message log
        seq_no: int,
        transaction_info: dict[str, Any],
        offline: bool = False,
        evse: dict[str, Any] | None = None,
        id_token: dict[str, Any] | None = None,
        meter_value: list[dict[str, Any]] | None = None,
        reservation_id: int | None = None,
        **_: Any,
    ) -> call_result.TransactionEvent:
        uid: str = transaction_info["transaction_id"]
        samples = samples_v201(meter_value)
        evse_id = evse["id"] if evse else None
        connector_id = evse.get("connector_id") if evse else None
        pk = self._active().get(uid)
        if event_type == "Updated" and pk is not None and id_token is None:
            # Periodic telemetry: group commit, no row lock on the session.
            await charging.meter_values(
                self.ctx,
                self.id,
                evse_id=evse_id,
                connector_id=connector_id,
                transaction_pk=pk,
                samples=samples,
                seq_no=seq_no,
            )
            self._maybe_send_cost(uid, pk)
            return call_result.TransactionEvent()
        result = await charging.transaction_event_v201(
            self.ctx,
            self.id,
            event_type=event_type,
            transaction_uid=uid,
            seq_no=seq_no,
            timestamp=parse_ts(timestamp, "timestamp"),
            evse_id=evse_id,
            connector_id=connector_id,
            id_token=id_token["id_token"] if id_token else None,
            offline=bool(offline),
            stopped_reason=transaction_info.get("stopped_reason"),
            samples=samples,
        )
        if reservation_id is not None and event_type == "Started":
            await reservations.mark(
                self.ctx.maker,
                self.id,
                reservation_id,
                "Used",
                transaction_pk=result.transaction_pk,
            )
        if result.active:
            self._active()[uid] = result.transaction_pk
        else:
            self._active().pop(uid, None)
        verdict = result.verdict
        if verdict is not None and verdict.status == "Invalid":
            verdict = TokenVerdict("Unknown")
        return call_result.TransactionEvent(
            total_cost=result.cost_uzs if event_type == "Ended" else None,
            id_token_info=id_token_info(verdict) if verdict else None,
        )

    @on(Action.meter_values)
    async def on_meter_values(
        self, evse_id: int, meter_value: list[dict[str, Any]], **_: Any
    ) -> call_result.MeterValues:
        await charging.meter_values(
            self.ctx,
            self.id,
            evse_id=evse_id,
            connector_id=None,
            transaction_pk=None,
            samples=samples_v201(meter_value),
        )
        return call_result.MeterValues()

    @on(Action.firmware_status_notification)
    async def on_firmware_status_notification(
        self, status: str, **_: Any
    ) -> call_result.FirmwareStatusNotification:
        await charging.device_status(self.ctx, self.id, kind="firmware", status=status)
        return call_result.FirmwareStatusNotification()

    @on(Action.log_status_notification)
    async def on_log_status_notification(
        self, status: str, **_: Any
    ) -> call_result.LogStatusNotification:
        await charging.device_status(
            self.ctx, self.id, kind="diagnostics", status=status, ident=self.identity
        )
        return call_result.LogStatusNotification()

    @on(Action.data_transfer)
    async def on_data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: Any = None, **_: Any
    ) -> call_result.DataTransfer:
        await charging.data_transfer(
            self.ctx,
            self.id,
            vendor_id=vendor_id,
            message_id=message_id,
            data=None if data is None else str(data),
        )
        return call_result.DataTransfer(status="Accepted")

    @on(Action.notify_report)
    async def on_notify_report(self, **_: Any) -> call_result.NotifyReport:
        return call_result.NotifyReport()  # the frames stay in the message log

    @on(Action.notify_event)
    async def on_notify_event(self, **_: Any) -> call_result.NotifyEvent:
        return call_result.NotifyEvent()

    @on(Action.security_event_notification)
    async def on_security_event_notification(
        self, **_: Any
    ) -> call_result.SecurityEventNotification:
        return call_result.SecurityEventNotification()

    @on(Action.reservation_status_update)
    async def on_reservation_status_update(
        self, reservation_id: int, reservation_update_status: str, **_: Any
    ) -> call_result.ReservationStatusUpdate:
        await reservations.mark(
            self.ctx.maker, self.id, reservation_id, reservation_update_status
        )  # Expired or Removed
        return call_result.ReservationStatusUpdate()
