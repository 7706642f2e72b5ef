"""A driver starts and stops a charge from the cabinet: real OCPP sessions, both versions."""

from __future__ import annotations

import uuid

import httpx
import pytest

from app.sim.charge_point import connected
from tests.app.ocpp.conftest import PASSWORD, LiveServer, eventually

DRIVER_PASSWORD = "Str0ng!Passw0rd-driver"


async def _driver(live_server: LiveServer) -> httpx.AsyncClient:
    """A freshly registered driver, logged in (client with its bearer token)."""
    email = f"driver-{uuid.uuid4().hex[:8]}@example.uz"
    async with live_server.client(token=None) as anon:
        r = await anon.post(
            "/api/auth/register", json={"email": email, "password": DRIVER_PASSWORD}
        )
        assert r.status_code == 201, r.text
        r = await anon.post(
            "/api/auth/token", data={"username": email, "password": DRIVER_PASSWORD}
        )
        assert r.status_code == 200, r.text
    return live_server.client(token=r.json()["access_token"])


@pytest.mark.anyio
@pytest.mark.parametrize("proto", ["ocpp1.6", "ocpp2.0.1"])
async def test_driver_starts_sees_and_stops_a_charge(
    live_server: LiveServer, proto: str
) -> None:
    cp_id = live_server.add_charge_point()
    async with (
        await _driver(live_server) as me,
        await _driver(live_server) as other,
        connected(live_server.ws, cp_id, proto, password=PASSWORD) as cp,
    ):
        await cp.boot()
        # Without a token there is nothing to start with.
        r = await me.post("/api/me/charge", json={"charge_point_id": cp_id})
        assert r.status_code == 409 and r.json()["code"] == "no_usable_token", r.text
        r = await me.post("/api/me/tokens", json={"kind": "app"})
        assert r.status_code == 201, r.text
        token = r.json()

        r = await me.post(
            "/api/me/charge", json={"charge_point_id": cp_id, "evse_id": 1}
        )
        assert r.status_code == 202, r.text
        assert r.json()["response"]["status"] == "Accepted"
        assert r.json()["requested_by"].startswith("user:")

        # The charge point starts the session with the driver's token; it is theirs.
        rows = await eventually(lambda: live_server.sql(
            "SELECT id, id_tag FROM transaction WHERE charge_point_id=:i AND status='active'",
            i=cp_id))  # fmt: skip
        tx_id, id_tag = rows[0]
        assert id_tag == token["token"]
        r = await me.get("/api/me/sessions", params={"status": "active"})
        assert [s["id"] for s in r.json()["data"]] == [tx_id]
        assert r.json()["data"][0]["charge_point_id"] == cp_id

        # Another driver can neither see nor stop it.
        r = await other.post(f"/api/me/sessions/{tx_id}/stop")
        assert r.status_code == 404, r.text
        # A busy connector refuses a second start, with a clear error.
        r = await me.post(
            "/api/me/charge", json={"charge_point_id": cp_id, "evse_id": 1}
        )
        assert r.status_code == 409 and r.json()["code"] == "start_rejected", r.text

        r = await me.post(f"/api/me/sessions/{tx_id}/stop")
        assert r.status_code == 202, r.text
        assert r.json()["response"]["status"] == "Accepted"
        await eventually(lambda: live_server.sql(
            "SELECT status, stop_reason FROM transaction WHERE id=:t", t=tx_id
        ) == [("completed", "Remote")])  # fmt: skip
        r = await me.get(f"/api/me/sessions/{tx_id}")
        assert r.json()["status"] == "completed"
        r = await me.post(f"/api/me/sessions/{tx_id}/stop")
        assert r.status_code == 409 and r.json()["code"] == "session_stopped"


@pytest.mark.anyio
async def test_start_errors_name_the_problem(live_server: LiveServer) -> None:
    offline = live_server.add_charge_point()
    async with await _driver(live_server) as me:
        r = await me.post("/api/me/tokens", json={"kind": "rfid", "uid": "04A2B3C4"})
        assert r.status_code == 201, r.text
        card = r.json()["id"]
        r = await me.post("/api/me/charge", json={"charge_point_id": offline})
        assert r.status_code == 409 and r.json()["code"] == "charge_point_offline"
        r = await me.post("/api/me/charge", json={"charge_point_id": "NO-SUCH-CP"})
        assert r.status_code == 404 and r.json()["code"] == "charge_point_not_found"
        r = await me.post(
            "/api/me/charge", json={"charge_point_id": offline, "token_id": 999999}
        )
        assert r.status_code == 404 and r.json()["code"] == "token_not_found"
        live_server.sql("UPDATE id_token SET status='Blocked' WHERE id=:i", i=card)
        r = await me.post(
            "/api/me/charge", json={"charge_point_id": offline, "token_id": card}
        )
        assert r.status_code == 409 and r.json()["code"] == "token_unusable"
        assert "blocked" in r.json()["detail"]
        r = await me.post("/api/me/charge", json={"charge_point_id": offline})
        assert r.status_code == 409 and r.json()["code"] == "no_usable_token"
        r = await me.post("/api/me/sessions/123456789/stop")
        assert r.status_code == 404
