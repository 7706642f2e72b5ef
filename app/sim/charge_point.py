"""Simulated charge points (OCPP 1.6J and 2.0.1) on the ``ocpp`` library's classes.

A simulated charge point boots, reports its EVSEs, sends heartbeats, runs
charging sessions with meter values, answers every operator command of the
issue, and can go offline: while offline it queues its transaction messages
(with their original timestamps) and replays them in order after reconnecting.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import websockets
from ocpp.v16 import ChargePoint as OcppChargePointV16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as OcppChargePointV201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

from app.ocpp import schema
from app.ocpp.routing import on

# Like a charge point's firmware, the simulator checks what it sends and gets
# against the schemas; with the server's exact, compiled, inline checks
# (app.ocpp.schema), so that a fleet of 10,000 does not measure its own validator.
schema.install()

logger = logging.getLogger(__name__)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Stats:
    """Latency of every CALL we sent (seconds), per action; errors by kind."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    answered: int = 0
    #: Calls answered after this monotonic time also count as steady state
    #: (set by the fleet once every charge point has connected and booted).
    steady_after: float = float("inf")
    #: Steady-state latencies per ``WINDOW_S`` window since ``steady_after``.
    windows: dict[int, list[float]] = field(default_factory=dict)
    #: How late the simulator's own event loop woke up (seconds): the share of
    #: every latency above that is the client's, not the server's.
    loop_lag: list[float] = field(default_factory=list)

    WINDOW_S: ClassVar[float] = 60.0

    @property
    def steady(self) -> list[float]:
        """Every steady-state latency."""
        return [x for w in self.windows.values() for x in w]

    def record(self, action: str, seconds: float) -> None:
        self.latencies.setdefault(action, []).append(seconds)
        self.answered += 1
        now = time.monotonic()
        if now >= self.steady_after:
            window = int((now - self.steady_after) // self.WINDOW_S)
            self.windows.setdefault(window, []).append(seconds)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


@dataclass
class SimSession:
    """One charging session on one EVSE."""

    evse_id: int
    id_tag: str
    meter_wh: int
    power_kw: float
    uid: str = field(default_factory=lambda: uuid.uuid4().hex[:20])
    tx_id: int | None = None  # 1.6: assigned by the central system
    seq_no: int = 0
    started_iso: str = field(default_factory=now_iso)
    stop_requested: bool = False

    def next_seq(self) -> int:
        n = self.seq_no
        self.seq_no += 1
        return n


class SimBase:
    """Behaviour shared by both versions; subclasses build the payloads."""

    protocol: str
    stats: Stats
    evses: int
    online: bool
    queue: list[tuple[str, Callable[[], Any]]]
    sessions: dict[int, SimSession]
    meter: dict[int, int]
    id: str
    config: dict[str, str]
    local_list_version: int

    def _sim_init(self, evses: int, stats: Stats | None) -> None:
        self.stats = stats or Stats()
        self.evses = evses
        self.online = False
        self.queue = []
        self.sessions = {}
        self.meter = {
            e: random.randint(1_000_000, 9_000_000) for e in range(1, evses + 1)
        }
        self.config = {"HeartbeatInterval": "60", "MeterValueSampleInterval": "10"}
        self.local_list_version = 0
        #: OCPP 2.0.1 running cost per transaction id (CostUpdated).
        self.costs: dict[str, float] = {}
        self._background: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def timed_call(self, payload: Any) -> Any:
        """``call`` with latency bookkeeping; raises on CALLERROR."""
        action = type(payload).__name__
        t0 = time.perf_counter()
        self.stats.sent += 1
        result = await self.call(payload, suppress=False)  # type: ignore[attr-defined]
        self.stats.record(action, time.perf_counter() - t0)
        return result

    async def send_or_queue(self, action: str, build: Callable[[], Any]) -> Any:
        """Send now when online, else queue for replay (payload built at send time)."""
        if not self.online:
            self.queue.append((action, build))
            return None
        return await self.timed_call(build())

    async def replay(self) -> int:
        """Send everything queued while offline, in order; returns how many."""
        n = 0
        while self.queue:
            _, build = self.queue[0]
            if isinstance(build, _Deferred):
                await build.start()
            else:
                await self.timed_call(build())
            self.queue.pop(0)
            n += 1
        return n

    async def go_offline(self) -> None:
        """Drop the link; from now on transaction messages are queued."""
        self.online = False
        await self._connection.close()  # type: ignore[attr-defined]


# ---------------------------------------------------------------- OCPP 1.6


class SimChargePointV16(SimBase, OcppChargePointV16):  # type: ignore[misc]  # untyped base
    protocol = "ocpp1.6"

    def __init__(
        self, cp_id: str, connection: Any, evses: int = 2, stats: Stats | None = None
    ) -> None:
        super().__init__(cp_id, connection, response_timeout=30)
        self._sim_init(evses, stats)

    async def boot(self) -> str:
        r = await self.timed_call(
            call16.BootNotification(
                charge_point_model="QV-Sim-DC",
                charge_point_vendor="Quvvat",
                charge_point_serial_number=f"SN-{self.id}",
                firmware_version="1.0.0",
            )
        )
        self.online = True
        return str(r.status)

    async def heartbeat(self) -> None:
        await self.timed_call(call16.Heartbeat())

    async def status(self, evse_id: int, status: str) -> None:
        ts = now_iso()
        await self.send_or_queue(
            "StatusNotification",
            lambda: call16.StatusNotification(
                connector_id=evse_id, error_code="NoError", status=status, timestamp=ts
            ),
        )

    async def authorize(self, id_tag: str) -> str:
        r = await self.timed_call(call16.Authorize(id_tag=id_tag))
        return str(r.id_tag_info["status"])

    def _sample(self, s: SimSession, ts: str, context: str) -> list[dict[str, Any]]:
        return [
            {
                "timestamp": ts,
                "sampledValue": [
                    {"value": str(self.meter[s.evse_id]), "context": context,
                     "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                    {"value": f"{s.power_kw * 1000:.0f}", "context": context,
                     "measurand": "Power.Active.Import", "unit": "W"},
                    {"value": f"{s.power_kw * 1000 / 400:.1f}", "context": context,
                     "measurand": "Current.Import", "unit": "A"},
                    {"value": "400", "context": context, "measurand": "Voltage", "unit": "V"},
                    {"value": str(min(100, 20 + s.seq_no)), "context": context,
                     "measurand": "SoC", "unit": "Percent"},
                ],
            }
        ]  # fmt: skip

    async def start_session(
        self, evse_id: int, id_tag: str, power_kw: float = 50.0
    ) -> SimSession:
        s = SimSession(evse_id, id_tag, self.meter[evse_id], power_kw)
        self.sessions[evse_id] = s
        ts, meter = now_iso(), self.meter[evse_id]
        await self.status(evse_id, "Preparing")

        async def start() -> None:
            r = await self.timed_call(
                call16.StartTransaction(
                    connector_id=evse_id, id_tag=id_tag, meter_start=meter, timestamp=ts
                )
            )
            s.tx_id = int(r.transaction_id)

        if self.online:
            await start()
        else:
            self.queue.append(("StartTransaction", _Deferred(start)))  # type: ignore[arg-type]
        await self.status(evse_id, "Charging")
        return s

    async def meter_tick(self, s: SimSession, seconds: float) -> None:
        self.meter[s.evse_id] += int(s.power_kw * 1000 * seconds / 3600)
        s.seq_no += 1
        ts = now_iso()
        sample = self._sample(s, ts, "Sample.Periodic")
        await self.send_or_queue(
            "MeterValues",
            lambda: call16.MeterValues(
                connector_id=s.evse_id, meter_value=sample, transaction_id=s.tx_id
            ),
        )

    async def stop_session(self, s: SimSession, reason: str = "Local") -> None:
        ts, meter = now_iso(), self.meter[s.evse_id]
        end = self._sample(s, ts, "Transaction.End")
        await self.send_or_queue(
            "StopTransaction",
            lambda: call16.StopTransaction(
                meter_stop=meter,
                timestamp=ts,
                transaction_id=s.tx_id or 0,
                reason=reason,
                id_tag=s.id_tag,
                transaction_data=end,
            ),
        )
        self.sessions.pop(s.evse_id, None)
        await self.status(s.evse_id, "Finishing")
        await self.status(s.evse_id, "Available")

    # commands ---------------------------------------------------------

    @on("RemoteStartTransaction")
    async def on_remote_start(
        self, id_tag: str, connector_id: int | None = None, **_: Any
    ) -> Any:
        evse = connector_id or next(
            (e for e in range(1, self.evses + 1) if e not in self.sessions), 0
        )
        if not evse or evse in self.sessions:
            return result16.RemoteStartTransaction(status="Rejected")
        self.spawn(self.start_session(evse, id_tag))
        return result16.RemoteStartTransaction(status="Accepted")

    @on("RemoteStopTransaction")
    async def on_remote_stop(self, transaction_id: int) -> Any:
        for s in self.sessions.values():
            if s.tx_id == transaction_id:
                s.stop_requested = True
                self.spawn(self.stop_session(s, "Remote"))
                return result16.RemoteStopTransaction(status="Accepted")
        return result16.RemoteStopTransaction(status="Rejected")

    @on("Reset")
    async def on_reset(self, type: str) -> Any:  # OCPP field name
        return result16.Reset(status="Accepted")

    @on("ChangeAvailability")
    async def on_change_availability(self, connector_id: int, type: str) -> Any:
        status = "Available" if type == "Operative" else "Unavailable"
        for e in [connector_id] if connector_id else range(1, self.evses + 1):
            self.spawn(self.status(e, status))
        return result16.ChangeAvailability(status="Accepted")

    @on("UnlockConnector")
    async def on_unlock(self, connector_id: int) -> Any:
        return result16.UnlockConnector(status="Unlocked")

    @on("GetConfiguration")
    async def on_get_configuration(self, key: list[str] | None = None) -> Any:
        keys = key or list(self.config)
        known = [
            {"key": k, "readonly": False, "value": self.config[k]}
            for k in keys
            if k in self.config
        ]
        unknown = [k for k in keys if k not in self.config]
        return result16.GetConfiguration(
            configuration_key=known, unknown_key=unknown or None
        )

    @on("ChangeConfiguration")
    async def on_change_configuration(self, key: str, value: str) -> Any:
        self.config[key] = value
        return result16.ChangeConfiguration(status="Accepted")

    @on("ClearCache")
    async def on_clear_cache(self) -> Any:
        return result16.ClearCache(status="Accepted")

    @on("SetChargingProfile")
    async def on_set_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any]
    ) -> Any:
        return result16.SetChargingProfile(status="Accepted")

    @on("ClearChargingProfile")
    async def on_clear_profile(self, **_: Any) -> Any:
        return result16.ClearChargingProfile(status="Accepted")

    @on("GetCompositeSchedule")
    async def on_composite(self, connector_id: int, duration: int, **_: Any) -> Any:
        return result16.GetCompositeSchedule(
            status="Accepted", connector_id=connector_id, schedule_start=now_iso(),
            charging_schedule={"duration": duration, "chargingRateUnit": "W",
                               "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 22000.0}]},
        )  # fmt: skip

    @on("UpdateFirmware")
    async def on_update_firmware(
        self, location: str, retrieve_date: str, **_: Any
    ) -> Any:
        async def progress() -> None:
            for st in ("Downloading", "Downloaded", "Installing", "Installed"):
                await asyncio.sleep(0.01)
                await self.timed_call(call16.FirmwareStatusNotification(status=st))

        self.spawn(progress())
        return result16.UpdateFirmware()

    @on("GetDiagnostics")
    async def on_get_diagnostics(self, location: str, **_: Any) -> Any:
        async def progress() -> None:
            for st in ("Uploading", "Uploaded"):
                await asyncio.sleep(0.01)
                await self.timed_call(call16.DiagnosticsStatusNotification(status=st))

        self.spawn(progress())
        return result16.GetDiagnostics(file_name=f"diag-{self.id}.zip")

    @on("DataTransfer")
    async def on_data_transfer(self, vendor_id: str, **kw: Any) -> Any:
        return result16.DataTransfer(
            status="Accepted", data=f"echo:{kw.get('data', '')}"
        )

    @on("ReserveNow")
    async def on_reserve_now(self, connector_id: int, **_: Any) -> Any:
        if connector_id in self.sessions:
            return result16.ReserveNow(status="Occupied")
        self.spawn(self.status(connector_id, "Reserved"))
        return result16.ReserveNow(status="Accepted")

    @on("CancelReservation")
    async def on_cancel_reservation(self, reservation_id: int) -> Any:
        return result16.CancelReservation(status="Accepted")

    @on("TriggerMessage")
    async def on_trigger(
        self, requested_message: str, connector_id: int | None = None
    ) -> Any:
        actions: dict[str, Callable[[], Awaitable[Any]]] = {
            "BootNotification": self.boot,
            "Heartbeat": self.heartbeat,
            "StatusNotification": lambda: self.status(connector_id or 1, "Available"),
        }
        if requested_message not in actions:
            return result16.TriggerMessage(status="NotImplemented")
        self.spawn(actions[requested_message]())
        return result16.TriggerMessage(status="Accepted")

    @on("SendLocalList")
    async def on_send_local_list(
        self, list_version: int, update_type: str, **_: Any
    ) -> Any:
        self.local_list_version = list_version
        return result16.SendLocalList(status="Accepted")

    @on("GetLocalListVersion")
    async def on_get_local_list_version(self) -> Any:
        return result16.GetLocalListVersion(list_version=self.local_list_version)


# ---------------------------------------------------------------- OCPP 2.0.1


class SimChargePointV201(SimBase, OcppChargePointV201):  # type: ignore[misc]  # untyped base
    protocol = "ocpp2.0.1"

    def __init__(
        self, cp_id: str, connection: Any, evses: int = 2, stats: Stats | None = None
    ) -> None:
        super().__init__(cp_id, connection, response_timeout=30)
        self._sim_init(evses, stats)
        self.variables: dict[tuple[str, str], str] = {
            ("OCPPCommCtrlr", "HeartbeatInterval"): "60",
            ("SampledDataCtrlr", "TxUpdatedInterval"): "10",
        }

    async def boot(self) -> str:
        r = await self.timed_call(
            call201.BootNotification(
                charging_station={
                    "model": "QV-Sim-DC",
                    "vendor_name": "Quvvat",
                    "serial_number": f"SN-{self.id}",
                    "firmware_version": "1.0.0",
                },
                reason="PowerUp",
            )
        )
        self.online = True
        return str(r.status)

    async def heartbeat(self) -> None:
        await self.timed_call(call201.Heartbeat())

    async def status(self, evse_id: int, status: str) -> None:
        ts = now_iso()
        st = {
            "Preparing": "Occupied",
            "Charging": "Occupied",
            "Finishing": "Occupied",
        }.get(status, status)
        await self.send_or_queue(
            "StatusNotification",
            lambda: call201.StatusNotification(
                timestamp=ts, connector_status=st, evse_id=evse_id, connector_id=1
            ),
        )

    async def authorize(self, id_tag: str) -> str:
        r = await self.timed_call(
            call201.Authorize(id_token={"id_token": id_tag, "type": "ISO14443"})
        )
        return str(r.id_token_info["status"])

    def _sample(self, s: SimSession, ts: str, context: str) -> list[dict[str, Any]]:
        return [
            {
                "timestamp": ts,
                "sampled_value": [
                    {"value": self.meter[s.evse_id], "context": context,
                     "measurand": "Energy.Active.Import.Register", "unit_of_measure": {"unit": "Wh"}},
                    {"value": s.power_kw, "context": context, "measurand": "Power.Active.Import",
                     "unit_of_measure": {"unit": "W", "multiplier": 3}},
                    {"value": round(s.power_kw * 1000 / 400, 1), "context": context,
                     "measurand": "Current.Import", "unit_of_measure": {"unit": "A"}},
                    {"value": 400, "context": context, "measurand": "Voltage",
                     "unit_of_measure": {"unit": "V"}},
                    {"value": min(100, 20 + s.seq_no), "context": context, "measurand": "SoC",
                     "unit_of_measure": {"unit": "Percent"}},
                ],
            }
        ]  # fmt: skip

    def _event(
        self,
        s: SimSession,
        event_type: str,
        trigger: str,
        ts: str,
        context: str,
        **extra: Any,
    ) -> Callable[[], Any]:
        seq = s.next_seq()
        offline = not self.online
        sample = self._sample(s, ts, context)
        info: dict[str, Any] = {"transaction_id": s.uid}
        if "stopped_reason" in extra:
            info["stopped_reason"] = extra.pop("stopped_reason")
        return lambda: call201.TransactionEvent(
            event_type=event_type, timestamp=ts, trigger_reason=trigger, seq_no=seq,
            transaction_info=info, meter_value=sample, offline=offline or None,
            evse={"id": s.evse_id, "connector_id": 1}, **extra,
        )  # fmt: skip

    async def start_session(
        self, evse_id: int, id_tag: str, power_kw: float = 50.0
    ) -> SimSession:
        s = SimSession(evse_id, id_tag, self.meter[evse_id], power_kw)
        self.sessions[evse_id] = s
        await self.status(evse_id, "Occupied")
        build = self._event(
            s, "Started", "Authorized", now_iso(), "Transaction.Begin",
            id_token={"id_token": id_tag, "type": "ISO14443"},
        )  # fmt: skip
        await self.send_or_queue("TransactionEvent", build)
        return s

    async def meter_tick(self, s: SimSession, seconds: float) -> None:
        self.meter[s.evse_id] += int(s.power_kw * 1000 * seconds / 3600)
        build = self._event(
            s, "Updated", "MeterValuePeriodic", now_iso(), "Sample.Periodic"
        )
        await self.send_or_queue("TransactionEvent", build)

    async def stop_session(self, s: SimSession, reason: str = "Local") -> None:
        trigger = "RemoteStop" if reason == "Remote" else "StopAuthorized"
        build = self._event(
            s, "Ended", trigger, now_iso(), "Transaction.End", stopped_reason=reason
        )
        await self.send_or_queue("TransactionEvent", build)
        self.sessions.pop(s.evse_id, None)
        await self.status(s.evse_id, "Available")

    # commands ---------------------------------------------------------

    @on("RequestStartTransaction")
    async def on_request_start(
        self, id_token: dict[str, Any], remote_start_id: int, **kw: Any
    ) -> Any:
        evse = kw.get("evse_id") or next(
            (e for e in range(1, self.evses + 1) if e not in self.sessions), 0
        )
        if not evse or evse in self.sessions:
            return result201.RequestStartTransaction(status="Rejected")
        self.spawn(self.start_session(evse, id_token["id_token"]))
        return result201.RequestStartTransaction(status="Accepted")

    @on("CostUpdated")
    async def on_cost_updated(self, total_cost: float, transaction_id: str) -> Any:
        self.costs[transaction_id] = total_cost  # what the station's display shows
        return result201.CostUpdated()

    @on("RequestStopTransaction")
    async def on_request_stop(self, transaction_id: str, **_: Any) -> Any:
        for s in self.sessions.values():
            if s.uid == transaction_id:
                s.stop_requested = True
                self.spawn(self.stop_session(s, "Remote"))
                return result201.RequestStopTransaction(status="Accepted")
        return result201.RequestStopTransaction(status="Rejected")

    @on("Reset")
    async def on_reset(self, type: str, **_: Any) -> Any:  # OCPP field name
        return result201.Reset(status="Accepted")

    @on("ChangeAvailability")
    async def on_change_availability(
        self, operational_status: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> Any:
        status = "Available" if operational_status == "Operative" else "Unavailable"
        for e in [evse["id"]] if evse else range(1, self.evses + 1):
            self.spawn(self.status(e, status))
        return result201.ChangeAvailability(status="Accepted")

    @on("UnlockConnector")
    async def on_unlock(self, evse_id: int, connector_id: int, **_: Any) -> Any:
        return result201.UnlockConnector(status="Unlocked")

    @on("GetVariables")
    async def on_get_variables(
        self, get_variable_data: list[dict[str, Any]], **_: Any
    ) -> Any:
        out = []
        for d in get_variable_data:
            key = (d["component"]["name"], d["variable"]["name"])
            found = key in self.variables
            item: dict[str, Any] = {
                "attribute_status": "Accepted" if found else "UnknownVariable",
                "component": d["component"], "variable": d["variable"],
            }  # fmt: skip
            if found:
                item["attribute_value"] = self.variables[key]
            out.append(item)
        return result201.GetVariables(get_variable_result=out)

    @on("SetVariables")
    async def on_set_variables(
        self, set_variable_data: list[dict[str, Any]], **_: Any
    ) -> Any:
        out = []
        for d in set_variable_data:
            self.variables[(d["component"]["name"], d["variable"]["name"])] = d[
                "attribute_value"
            ]
            out.append(
                {
                    "attribute_status": "Accepted",
                    "component": d["component"],
                    "variable": d["variable"],
                }
            )
        return result201.SetVariables(set_variable_result=out)

    @on("GetBaseReport")
    async def on_get_base_report(
        self, request_id: int, report_base: str, **_: Any
    ) -> Any:
        return result201.GetBaseReport(status="Accepted")

    @on("ClearCache")
    async def on_clear_cache(self, **_: Any) -> Any:
        return result201.ClearCache(status="Accepted")

    @on("SetChargingProfile")
    async def on_set_profile(
        self, evse_id: int, charging_profile: dict[str, Any], **_: Any
    ) -> Any:
        return result201.SetChargingProfile(status="Accepted")

    @on("ClearChargingProfile")
    async def on_clear_profile(self, **_: Any) -> Any:
        return result201.ClearChargingProfile(status="Accepted")

    @on("GetChargingProfiles")
    async def on_get_profiles(self, request_id: int, **_: Any) -> Any:
        return result201.GetChargingProfiles(status="NoProfiles")

    @on("GetCompositeSchedule")
    async def on_composite(self, duration: int, evse_id: int, **_: Any) -> Any:
        return result201.GetCompositeSchedule(
            status="Accepted",
            schedule={"evse_id": evse_id, "duration": duration, "schedule_start": now_iso(),
                      "charging_rate_unit": "W",
                      "charging_schedule_period": [{"start_period": 0, "limit": 22000.0}]},
        )  # fmt: skip

    @on("UpdateFirmware")
    async def on_update_firmware(
        self, request_id: int, firmware: dict[str, Any], **_: Any
    ) -> Any:
        async def progress() -> None:
            for st in ("Downloading", "Downloaded", "Installing", "Installed"):
                await asyncio.sleep(0.01)
                await self.timed_call(
                    call201.FirmwareStatusNotification(status=st, request_id=request_id)
                )

        self.spawn(progress())
        return result201.UpdateFirmware(status="Accepted")

    @on("GetLog")
    async def on_get_log(
        self, log: dict[str, Any], log_type: str, request_id: int, **_: Any
    ) -> Any:
        async def progress() -> None:
            for st in ("Uploading", "Uploaded"):
                await asyncio.sleep(0.01)
                await self.timed_call(
                    call201.LogStatusNotification(status=st, request_id=request_id)
                )

        self.spawn(progress())
        return result201.GetLog(status="Accepted", filename=f"log-{self.id}.zip")

    @on("DataTransfer")
    async def on_data_transfer(self, vendor_id: str, **kw: Any) -> Any:
        return result201.DataTransfer(
            status="Accepted", data=f"echo:{kw.get('data', '')}"
        )

    @on("ReserveNow")
    async def on_reserve_now(
        self, id: int, expiry_date_time: str, id_token: dict[str, Any], **kw: Any
    ) -> Any:
        evse = kw.get("evse_id") or 1
        if evse in self.sessions:
            return result201.ReserveNow(status="Occupied")
        self.spawn(self.status(evse, "Reserved"))
        return result201.ReserveNow(status="Accepted")

    @on("CancelReservation")
    async def on_cancel_reservation(self, reservation_id: int, **_: Any) -> Any:
        return result201.CancelReservation(status="Accepted")

    @on("TriggerMessage")
    async def on_trigger(
        self, requested_message: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> Any:
        actions: dict[str, Callable[[], Awaitable[Any]]] = {
            "BootNotification": self.boot,
            "Heartbeat": self.heartbeat,
            "StatusNotification": lambda: self.status(
                (evse or {}).get("id", 1), "Available"
            ),
        }
        if requested_message not in actions:
            return result201.TriggerMessage(status="NotImplemented")
        self.spawn(actions[requested_message]())
        return result201.TriggerMessage(status="Accepted")

    @on("SendLocalList")
    async def on_send_local_list(
        self, version_number: int, update_type: str, **_: Any
    ) -> Any:
        self.local_list_version = version_number
        return result201.SendLocalList(status="Accepted")

    @on("GetLocalListVersion")
    async def on_get_local_list_version(self, **_: Any) -> Any:
        return result201.GetLocalListVersion(version_number=self.local_list_version)


class _Deferred:
    """A queued 1.6 StartTransaction: replay runs the coroutine that learns the id."""

    def __init__(self, start: Callable[[], Awaitable[None]]) -> None:
        self.start = start


SIM_CLASSES: dict[str, Any] = {
    "ocpp1.6": SimChargePointV16,
    "ocpp2.0.1": SimChargePointV201,
}


def basic_auth(cp_id: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{cp_id}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@contextlib.asynccontextmanager
async def connected(
    url: str,
    cp_id: str,
    protocol: str,
    *,
    password: str | None = None,
    evses: int = 2,
    stats: Stats | None = None,
) -> Any:
    """Open a socket and run a simulated charge point's receive loop on it."""
    headers = basic_auth(cp_id, password) if password else None
    ws = await websockets.connect(
        f"{url.rstrip('/')}/{cp_id}", subprotocols=[protocol],  # type: ignore[list-item]
        additional_headers=headers, open_timeout=30, max_size=2**22,
    )  # fmt: skip
    cp: Any = SIM_CLASSES[protocol](cp_id, ws, evses=evses, stats=stats)
    loop = asyncio.create_task(cp.start())
    try:
        yield cp
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
            await loop
        await ws.close()
