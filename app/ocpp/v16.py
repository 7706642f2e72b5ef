"""OCPP 1.6J handlers: convert -> await a service (commits) -> call_result."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Final

from ocpp.v16 import ChargePoint as OcppChargePoint
from ocpp.v16 import call_result
from ocpp.v16.enums import Action

from app.ocpp.base import SessionBase, parse_decimal, parse_ts
from app.ocpp.routing import on
from app.services import charging, reservations
from app.services.charging import ENERGY_REGISTER, Sample, TokenVerdict

# OCPP-J 1.6 spells two error codes differently from 2.0.1 (and the library).
_V16_CODES: Final = {
    "FormatViolation": "FormationViolation",
    "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
    "MessageTypeNotSupported": "ProtocolError",
    "RpcFrameworkError": "ProtocolError",
}
_KNOWN: Final = frozenset(a.value for a in Action)


def id_tag_info(v: TokenVerdict) -> dict[str, Any]:
    info: dict[str, Any] = {"status": v.status if v.status != "Unknown" else "Invalid"}
    if v.expires_at is not None:
        info["expiryDate"] = v.expires_at.isoformat()
    if v.parent_id_tag:
        info["parentIdTag"] = v.parent_id_tag
    return info


def samples_v16(meter_value: list[dict[str, Any]]) -> list[Sample]:
    """1.6 sampledValue: value is a string; default measurand is the energy register."""
    out: list[Sample] = []
    for mv in meter_value:
        at = parse_ts(mv["timestamp"], "meterValue.timestamp")
        for sv in mv.get("sampled_value", []):
            if sv.get("format") == "SignedData":
                continue  # signed blobs are kept in the raw message log only
            measurand = sv.get("measurand", ENERGY_REGISTER)
            unit = sv.get("unit", "Wh" if measurand.startswith("Energy") else None)
            out.append(
                Sample(
                    measured_at=at,
                    measurand=measurand,
                    value=parse_decimal(sv["value"], "sampledValue.value"),
                    unit=unit,
                    phase=sv.get("phase"),
                    context=sv.get("context"),
                )
            )
    return out


class ChargePointSessionV16(SessionBase, OcppChargePoint):  # type: ignore[misc]  # untyped base
    """One connected OCPP 1.6 charge point."""

    protocol: ClassVar[str] = "ocpp1.6"

    def _error_code(self, code: str) -> str:
        return _V16_CODES.get(code, code)

    def _known_action(self, action: str) -> bool:
        return action in _KNOWN

    @on(Action.boot_notification)
    async def on_boot_notification(
        self,
        charge_point_vendor: str,
        charge_point_model: str,
        charge_point_serial_number: str | None = None,
        charge_box_serial_number: str | None = None,
        firmware_version: str | None = None,
        **_: Any,
    ) -> call_result.BootNotification:
        status = await charging.boot(
            self.ctx,
            self.id,
            vendor=charge_point_vendor,
            model=charge_point_model,
            serial_number=charge_point_serial_number or charge_box_serial_number,
            firmware_version=firmware_version,
            protocol=self.protocol,
        )
        self.after_boot(status)
        return call_result.BootNotification(
            current_time=charging.utcnow_iso(),
            interval=self.ctx.settings.ocpp_heartbeat_interval_s,
            status=status,
        )

    @on(Action.heartbeat)
    async def on_heartbeat(self) -> call_result.Heartbeat:
        at: datetime = await charging.heartbeat(self.ctx, self.id)
        return call_result.Heartbeat(current_time=at.isoformat())

    @on(Action.status_notification)
    async def on_status_notification(
        self,
        connector_id: int,
        error_code: str,
        status: str,
        timestamp: str | None = None,
        info: str | None = None,
        **_: Any,
    ) -> call_result.StatusNotification:
        await charging.status_notification(
            self.ctx,
            self.id,
            evse_id=connector_id,
            connector_id=1 if connector_id >= 1 else None,
            status=status,
            occurred_at=parse_ts(timestamp, "timestamp")
            if timestamp
            else charging.now(),
            error_code=None if error_code == "NoError" else error_code,
            info=info,
            v16_connector=True,
            ident=self.identity,
        )
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, id_tag: str) -> call_result.Authorize:
        verdict = await charging.authorize(self.ctx, id_tag)
        return call_result.Authorize(id_tag_info=id_tag_info(verdict))

    @on(Action.start_transaction)
    async def on_start_transaction(
        self,
        connector_id: int,
        id_tag: str,
        meter_start: int,
        timestamp: str,
        reservation_id: int | None = None,
        **_: Any,
    ) -> call_result.StartTransaction:
        result = await charging.start_transaction_v16(
            self.ctx,
            self.id,
            connector_id=connector_id,
            id_tag=id_tag,
            meter_start_wh=meter_start,
            timestamp=parse_ts(timestamp, "timestamp"),
        )
        if reservation_id is not None:
            await reservations.mark(
                self.ctx.maker,
                self.id,
                reservation_id,
                "Used",
                transaction_pk=result.transaction_pk,
            )
        return call_result.StartTransaction(
            transaction_id=result.transaction_pk,
            id_tag_info=id_tag_info(result.verdict),
        )

    @on(Action.stop_transaction)
    async def on_stop_transaction(
        self,
        meter_stop: int,
        timestamp: str,
        transaction_id: int,
        reason: str | None = None,
        id_tag: str | None = None,
        transaction_data: list[dict[str, Any]] | None = None,
    ) -> call_result.StopTransaction:
        verdict = await charging.stop_transaction_v16(
            self.ctx,
            self.id,
            transaction_pk=transaction_id,
            meter_stop_wh=meter_stop,
            timestamp=parse_ts(timestamp, "timestamp"),
            reason=reason,
            id_tag=id_tag,
            samples=samples_v16(transaction_data or []),
        )
        return call_result.StopTransaction(
            id_tag_info=id_tag_info(verdict) if verdict else None
        )

    @on(Action.meter_values)
    async def on_meter_values(
        self,
        connector_id: int,
        meter_value: list[dict[str, Any]],
        transaction_id: int | None = None,
    ) -> call_result.MeterValues:
        await charging.meter_values(
            self.ctx,
            self.id,
            evse_id=connector_id,
            connector_id=1 if connector_id >= 1 else None,
            transaction_pk=transaction_id,
            samples=samples_v16(meter_value),
        )
        return call_result.MeterValues()

    @on(Action.firmware_status_notification)
    async def on_firmware_status_notification(
        self, status: str
    ) -> call_result.FirmwareStatusNotification:
        await charging.device_status(self.ctx, self.id, kind="firmware", status=status)
        return call_result.FirmwareStatusNotification()

    @on(Action.diagnostics_status_notification)
    async def on_diagnostics_status_notification(
        self, status: str
    ) -> call_result.DiagnosticsStatusNotification:
        await charging.device_status(
            self.ctx, self.id, kind="diagnostics", status=status, ident=self.identity
        )
        return call_result.DiagnosticsStatusNotification()

    @on(Action.data_transfer)
    async def on_data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None
    ) -> call_result.DataTransfer:
        await charging.data_transfer(
            self.ctx, self.id, vendor_id=vendor_id, message_id=message_id, data=data
        )
        return call_result.DataTransfer(status="Accepted")
