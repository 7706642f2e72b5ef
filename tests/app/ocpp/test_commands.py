"""Operator commands over REST, routed to the connected charge point, both versions."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
import websockets

from app.sim.charge_point import basic_auth, connected
from tests.app.ocpp.conftest import PASSWORD, LiveServer, eventually

PROFILE_16 = {
    "chargingProfileId": 7, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Absolute",
    "chargingSchedule": {"chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000.0}]},
}  # fmt: skip
PROFILE_201 = {
    "id": 7, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",
    "chargingSchedule": [{"id": 1, "chargingRateUnit": "W", "startSchedule": "2026-01-01T00:00:00Z",
                          "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000.0}]}],
}  # fmt: skip
V16: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("Reset", {"type": "Hard"}, {"status": "Accepted"}),
    ("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}, {"status": "Accepted"}),
    ("UnlockConnector", {"connectorId": 1}, {"status": "Unlocked"}),
    ("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "30"}, {"status": "Accepted"}),
    ("GetConfiguration", {"key": ["MeterValueSampleInterval"]},
     {"configurationKey": [{"key": "MeterValueSampleInterval", "readonly": False, "value": "30"}]}),
    ("SetChargingProfile", {"connectorId": 1, "csChargingProfiles": PROFILE_16}, {"status": "Accepted"}),
    ("GetCompositeSchedule", {"connectorId": 1, "duration": 3600}, {"status": "Accepted"}),
    ("ClearChargingProfile", {"id": 7}, {"status": "Accepted"}),
    ("UpdateFirmware", {"location": "https://fw.example/1.1.bin", "retrieveDate": "2026-01-01T00:00:00Z"}, {}),
    ("GetDiagnostics", {"location": "ftp://diag.example/"}, {"fileName": "diag-{cp}.zip"}),
    ("DataTransfer", {"vendorId": "Quvvat", "data": "ping"}, {"status": "Accepted", "data": "echo:ping"}),
    ("ReserveNow", {"connectorId": 2, "expiryDate": "2030-01-01T00:00:00Z", "idTag": "T1", "reservationId": 5},
     {"status": "Accepted"}),
    ("CancelReservation", {"reservationId": 5}, {"status": "Accepted"}),
    ("TriggerMessage", {"requestedMessage": "Heartbeat"}, {"status": "Accepted"}),
    ("ClearCache", {}, {"status": "Accepted"}),
]  # fmt: skip
V201: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("Reset", {"type": "Immediate"}, {"status": "Accepted"}),
    ("ChangeAvailability", {"operationalStatus": "Inoperative", "evse": {"id": 1}}, {"status": "Accepted"}),
    ("UnlockConnector", {"evseId": 1, "connectorId": 1}, {"status": "Unlocked"}),
    ("SetVariables", {"setVariableData": [{"component": {"name": "SampledDataCtrlr"},
      "variable": {"name": "TxUpdatedInterval"}, "attributeValue": "30"}]},
     {"setVariableResult": [{"attributeStatus": "Accepted", "component": {"name": "SampledDataCtrlr"},
                             "variable": {"name": "TxUpdatedInterval"}}]}),
    ("GetVariables", {"getVariableData": [{"component": {"name": "SampledDataCtrlr"},
      "variable": {"name": "TxUpdatedInterval"}}]},
     {"getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "30",
                             "component": {"name": "SampledDataCtrlr"}, "variable": {"name": "TxUpdatedInterval"}}]}),
    ("SetChargingProfile", {"evseId": 1, "chargingProfile": PROFILE_201}, {"status": "Accepted"}),
    ("GetCompositeSchedule", {"duration": 3600, "evseId": 1}, {"status": "Accepted"}),
    ("ClearChargingProfile", {"chargingProfileId": 7}, {"status": "Accepted"}),
    ("UpdateFirmware", {"requestId": 3, "firmware": {"location": "https://fw.example/1.1.bin",
                                                     "retrieveDateTime": "2026-01-01T00:00:00Z"}},
     {"status": "Accepted"}),
    ("GetLog", {"log": {"remoteLocation": "ftp://diag.example/"}, "logType": "DiagnosticsLog", "requestId": 4},
     {"status": "Accepted", "filename": "log-{cp}.zip"}),
    ("DataTransfer", {"vendorId": "Quvvat", "data": "ping"}, {"status": "Accepted", "data": "echo:ping"}),
    ("ReserveNow", {"id": 5, "expiryDateTime": "2030-01-01T00:00:00Z", "evseId": 2,
                    "idToken": {"idToken": "T1", "type": "ISO14443"}}, {"status": "Accepted"}),
    ("CancelReservation", {"reservationId": 5}, {"status": "Accepted"}),
    ("TriggerMessage", {"requestedMessage": "Heartbeat"}, {"status": "Accepted"}),
    ("GetBaseReport", {"requestId": 9, "reportBase": "FullInventory"}, {"status": "Accepted"}),
]  # fmt: skip


@pytest.mark.anyio
@pytest.mark.parametrize(("proto", "cases"), [("ocpp1.6", V16), ("ocpp2.0.1", V201)])
async def test_every_command_is_routed_answered_and_stored(
    live_server: LiveServer,
    proto: str,
    cases: list[tuple[str, dict[str, Any], dict[str, Any]]],
) -> None:
    cp_id = live_server.add_charge_point()
    async with (
        connected(live_server.ws, cp_id, proto, password=PASSWORD) as cp,
        live_server.client() as http,
    ):
        await cp.boot()
        for action, payload, expected in cases:
            r = await http.post(
                f"/charge-points/{cp_id}/commands",
                json={"action": action, "payload": payload},
            )
            assert r.status_code == 200, (action, r.text)
            body = r.json()
            assert body["status"] == "answered", (action, body)
            want = {
                k: (v.replace("{cp}", cp_id) if isinstance(v, str) else v)
                for k, v in expected.items()
            }
            assert {k: body["response"].get(k) for k in want} == want, action
        # Firmware and diagnostics/log progress reported by the charge point is stored.
        await eventually(lambda: live_server.sql(
            "SELECT firmware_status, diagnostics_status FROM charge_point WHERE id=:i", i=cp_id
        )[0] == ("Installed", "Uploaded"))  # fmt: skip
        history = (
            await http.get(f"/charge-points/{cp_id}/commands", params={"limit": 100})
        ).json()
        assert [h["action"] for h in history][::-1] == [a for a, _, _ in cases]
        assert all(
            h["requested_by"] == "admin-token" and h["completed_at"] for h in history
        )
        # The reservation shows as a status.
        assert (
            live_server.sql(
                "SELECT count(*) FROM status_event WHERE charge_point_id=:i AND status='Reserved'",
                i=cp_id,
            )[0][0]
            == 1
        )


@pytest.mark.anyio
@pytest.mark.parametrize("proto", ["ocpp1.6", "ocpp2.0.1"])
async def test_remote_start_stop_reset_availability_unlock(
    live_server: LiveServer, proto: str
) -> None:
    cp_id = live_server.add_charge_point()
    async with (
        connected(live_server.ws, cp_id, proto, password=PASSWORD) as cp,
        live_server.client() as http,
    ):
        await cp.boot()
        r = await http.post(
            f"/charge-points/{cp_id}/remote-start",
            json={"id_tag": "REMOTE1", "evse_id": 1},
        )
        assert r.status_code == 200 and r.json()["response"]["status"] == "Accepted", (
            r.text
        )
        rows = await eventually(lambda: live_server.sql(
            "SELECT id FROM transaction WHERE charge_point_id=:i AND status='active'", i=cp_id))  # fmt: skip
        r = await http.post(f"/sessions/{rows[0][0]}/remote-stop")
        assert r.status_code == 200 and r.json()["response"]["status"] == "Accepted", (
            r.text
        )
        await eventually(lambda: live_server.sql(
            "SELECT status, stop_reason FROM transaction WHERE charge_point_id=:i", i=cp_id
        ) == [("completed", "Remote")])  # fmt: skip
        r = await http.post(f"/sessions/{rows[0][0]}/remote-stop")
        assert r.status_code == 409 and r.json()["code"] == "session_stopped"
        for path, body in [("reset", {"type": "hard"}), ("availability", {"evse_id": 2, "operative": False}),
                           ("unlock", {"evse_id": 1})]:  # fmt: skip
            r = await http.post(f"/charge-points/{cp_id}/{path}", json=body)
            assert r.status_code == 200, r.text
            assert r.json()["response"]["status"] in ("Accepted", "Unlocked")
        await eventually(lambda: live_server.sql(
            "SELECT status FROM evse WHERE charge_point_id=:i AND evse_id=2", i=cp_id) == [("Unavailable",)])  # fmt: skip


@pytest.mark.anyio
@pytest.mark.parametrize("proto", ["ocpp1.6", "ocpp2.0.1"])
async def test_local_list_sync(live_server: LiveServer, proto: str) -> None:
    cp_id = live_server.add_charge_point()
    live_server.sql(
        "INSERT INTO id_token (token, status) VALUES (:t, 'Blocked')",
        t=f"LL{uuid.uuid4().hex[:8]}",
    )
    async with (
        connected(live_server.ws, cp_id, proto, password=PASSWORD) as cp,
        live_server.client() as http,
    ):
        await cp.boot()
        r = await http.post(f"/charge-points/{cp_id}/local-list/sync")
        assert r.status_code == 200, r.text
        entries = r.json()["request"]["localAuthorizationList"]
        assert any(
            (e.get("idTagInfo") or e.get("idTokenInfo"))["status"] == "Blocked"
            for e in entries
        )
        r = await http.post(
            f"/charge-points/{cp_id}/commands",
            json={"action": "GetLocalListVersion", "payload": {}},
        )
        key = "listVersion" if proto == "ocpp1.6" else "versionNumber"
        assert r.json()["response"][key] == 1 == cp.local_list_version
    assert live_server.sql(
        "SELECT local_list_version FROM charge_point WHERE id=:i", i=cp_id
    ) == [(1,)]


@pytest.mark.anyio
async def test_command_errors_are_clear(live_server: LiveServer) -> None:
    cp_id = live_server.add_charge_point()
    async with live_server.client() as http:
        t0 = time.monotonic()
        r = await http.post(f"/charge-points/{cp_id}/reset", json={"type": "soft"})
        assert time.monotonic() - t0 < 1.0  # at once, no waiting for a timeout
        assert r.status_code == 409
        assert r.json() == {"detail": f"charge point {cp_id} is offline; the command was not sent",
                            "code": "charge_point_offline"}  # fmt: skip
        r = await http.post(
            "/charge-points/NOT-THERE/commands",
            json={"action": "Reset", "payload": {"type": "Soft"}},
        )
        assert r.status_code == 404 and r.json()["code"] == "charge_point_not_found"
        async with connected(live_server.ws, cp_id, "ocpp1.6", password=PASSWORD) as cp:
            await cp.boot()
            r = await http.post(
                f"/charge-points/{cp_id}/commands",
                json={"action": "GetVariables", "payload": {}},
            )
            assert r.status_code == 422 and r.json()["code"] == "unsupported_command"
            r = await http.post(
                f"/charge-points/{cp_id}/commands",
                json={"action": "Reset", "payload": {"type": "Sideways"}},
            )
            assert r.status_code == 422 and r.json()["code"] == "invalid_payload"
            assert "Sideways" in r.json()["detail"]
        async with live_server.client(token=None) as anon:
            r = await anon.post(f"/charge-points/{cp_id}/reset", json={"type": "soft"})
            assert r.status_code == 401


@pytest.mark.anyio
async def test_charge_point_that_never_answers_times_out(
    live_server: LiveServer,
) -> None:
    cp_id = live_server.add_charge_point()
    async with websockets.connect(
        f"{live_server.ws}/{cp_id}", subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        additional_headers=basic_auth(cp_id, PASSWORD),
    ) as ws, live_server.client() as http:  # fmt: skip
        t0 = time.monotonic()
        r = await http.post(f"/charge-points/{cp_id}/reset", json={"type": "soft"})
        elapsed = time.monotonic() - t0
        assert r.status_code == 504
        assert r.json() == {"detail": f"charge point {cp_id} did not answer Reset in time",
                            "code": "charge_point_timeout"}  # fmt: skip
        assert (
            live_server.settings.ocpp_call_timeout_s
            <= elapsed
            < live_server.settings.ocpp_call_timeout_s + 3
        )
        frame = await asyncio.wait_for(ws.recv(), 1)
        assert '"Reset"' in str(frame)
        history = (await http.get(f"/charge-points/{cp_id}/commands")).json()
        assert [(h["action"], h["status"]) for h in history] == [("Reset", "timeout")]
