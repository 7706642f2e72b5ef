"""Reservations: stored, sent, answered, cancelled, used and expired; both versions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from app.sim.charge_point import connected, now_iso
from tests.app.ocpp.conftest import PASSWORD, LiveServer, eventually


def _later(minutes: float = 60) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


@pytest.mark.anyio
@pytest.mark.parametrize("proto", ["ocpp1.6", "ocpp2.0.1"])
async def test_reservation_life_cycle(live_server: LiveServer, proto: str) -> None:
    cp_id = live_server.add_charge_point()
    tag = f"RS{uuid.uuid4().hex[:8].upper()}"
    live_server.sql(
        "INSERT INTO id_token (token, status) VALUES (:t, 'Accepted')", t=tag
    )
    base = f"/charge-points/{cp_id}/reservations"
    async with (
        connected(live_server.ws, cp_id, proto, password=PASSWORD) as cp,
        live_server.client() as http,
    ):
        await cp.boot()
        r = await http.post(
            base, json={"id_tag": tag, "evse_id": 1, "expires_at": _later()}
        )
        assert r.status_code == 201, r.text
        first = r.json()
        assert first["status"] == "Active" and first["requested_by"] == "admin-token"
        await eventually(lambda: live_server.sql(
            "SELECT count(*) FROM status_event WHERE charge_point_id=:i AND status='Reserved'",
            i=cp_id)[0][0] >= 1)  # fmt: skip

        # A second one is cancelled; cancelling twice is a clear conflict.
        r = await http.post(
            base, json={"id_tag": tag, "evse_id": 2, "expires_at": _later()}
        )
        second = r.json()["id"]
        r = await http.delete(f"{base}/{second}")
        assert r.status_code == 200 and r.json()["status"] == "Cancelled", r.text
        r = await http.delete(f"{base}/{second}")
        assert r.status_code == 409 and r.json()["code"] == "reservation_not_active"

        # The driver arrives: the transaction starts with the reservation's id.
        if proto == "ocpp1.6":
            await cp.call(call16.StartTransaction(
                connector_id=1, id_tag=tag, meter_start=0, timestamp=now_iso(),
                reservation_id=first["id"]))  # fmt: skip
        else:
            await cp.call(call201.TransactionEvent(
                event_type="Started", timestamp=now_iso(), trigger_reason="Authorized",
                seq_no=0, transaction_info={"transaction_id": f"R{first['id']}"},
                id_token={"id_token": tag, "type": "ISO14443"},
                evse={"id": 1, "connector_id": 1}, reservation_id=first["id"]))  # fmt: skip
        listed = (await http.get(base)).json()
        assert [(x["id"], x["status"]) for x in listed] == [
            (second, "Cancelled"),
            (first["id"], "Used"),
        ]
        assert (
            listed[1]["transaction_id"]
            == live_server.sql(
                "SELECT id FROM transaction WHERE charge_point_id=:i", i=cp_id
            )[0][0]
        )

        # A busy EVSE: stored as Rejected with the charge point's answer.
        await cp.start_session(2, tag)
        r = await http.post(
            base, json={"id_tag": tag, "evse_id": 2, "expires_at": _later()}
        )
        assert r.status_code == 201 and r.json()["status"] == "Rejected", r.text
        assert r.json()["detail"] == "charge point answered Occupied"

        if proto == "ocpp2.0.1":  # the station reports its own expiry
            r = await http.post(base, json={"id_tag": tag, "expires_at": _later(1)})
            rid = r.json()["id"]
            await cp.call(call201.ReservationStatusUpdate(
                reservation_id=rid, reservation_update_status="Expired"))  # fmt: skip
            listed = (await http.get(base)).json()
            assert listed[0]["id"] == rid and listed[0]["status"] == "Expired"

        # Bad input and an offline charge point: clear errors, nothing stored.
        r = await http.post(base, json={"id_tag": tag, "expires_at": _later(-5)})
        assert r.status_code == 422 and r.json()["code"] == "reservation_in_the_past"
    offline = live_server.add_charge_point()
    async with live_server.client() as http:
        r = await http.post(
            f"/charge-points/{offline}/reservations",
            json={"id_tag": tag, "expires_at": _later()},
        )
        assert r.status_code == 409 and r.json()["code"] == "charge_point_offline"
        assert (await http.get(f"/charge-points/{offline}/reservations")).json() == []
        r = await http.delete(f"/charge-points/{offline}/reservations/99999")
        assert r.status_code == 404 and r.json()["code"] == "reservation_not_found"
