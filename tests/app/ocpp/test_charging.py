"""Provisioning, status, authorization, transactions and telemetry, both versions."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import websockets

from app.sim.charge_point import basic_auth, connected
from tests.app.ocpp.conftest import PASSWORD, LiveServer, eventually

PROTOCOLS = ["ocpp1.6", "ocpp2.0.1"]


def _tag(
    live: LiveServer,
    status: str = "Accepted",
    expires: datetime | None = None,
    parent: str | None = None,
) -> str:
    tag = f"TAG{uuid.uuid4().hex[:8].upper()}"
    live.sql(
        "INSERT INTO id_token (token, status, expires_at, parent_id_tag) VALUES (:t, :s, :e, :p)",
        t=tag, s=status, e=expires, p=parent,
    )  # fmt: skip
    return tag


@pytest.mark.anyio
@pytest.mark.parametrize("proto", PROTOCOLS)
async def test_boot_heartbeat_status_are_stored(
    live_server: LiveServer, proto: str
) -> None:
    cp_id = live_server.add_charge_point()
    async with connected(live_server.ws, cp_id, proto, password=PASSWORD) as cp:
        assert await cp.boot() == "Accepted"
        await cp.heartbeat()
        await cp.status(1, "Available")
        await cp.status(2, "Faulted")
        await cp.status(1, "Charging")
        row = live_server.sql(
            "SELECT vendor, model, serial_number, firmware_version, protocol, connected, last_seen_at"
            " FROM charge_point WHERE id=:i", i=cp_id,
        )[0]  # fmt: skip
        assert row[:6] == ("Quvvat", "QV-Sim-DC", f"SN-{cp_id}", "1.0.0", proto, True)
        assert row[6] > datetime.now(UTC) - timedelta(seconds=30)
        history = live_server.sql(
            "SELECT evse_id, status FROM status_event WHERE charge_point_id=:i ORDER BY occurred_at",
            i=cp_id,
        )
        charging = "Charging" if proto == "ocpp1.6" else "Occupied"
        assert [tuple(h) for h in history] == [
            (1, "Available"),
            (2, "Faulted"),
            (1, charging),
        ]
        async with live_server.client() as http:
            view = (await http.get(f"/charge-points/{cp_id}")).json()
        assert view["station_status"] == "charging"
        assert [(e["evse_id"], e["status"]) for e in view["evses"]] == [
            (1, charging),
            (2, "Faulted"),
        ]
    await eventually(
        lambda: (
            live_server.sql("SELECT connected FROM charge_point WHERE id=:i", i=cp_id)[
                0
            ][0]
            is False
        )
    )


@pytest.mark.anyio
async def test_heartbeat_interval_comes_from_settings(live_server: LiveServer) -> None:
    cp_id = live_server.add_charge_point()
    async with connected(live_server.ws, cp_id, "ocpp2.0.1", password=PASSWORD) as cp:
        from ocpp.v201 import call  # noqa: PLC0415

        r = await cp.call(
            call.BootNotification(
                charging_station={"model": "m", "vendor_name": "v"}, reason="PowerUp"
            )
        )
        assert r.interval == live_server.settings.ocpp_heartbeat_interval_s


@pytest.mark.anyio
async def test_heartbeats_keep_last_seen_current(live_server: LiveServer) -> None:
    """Heartbeats are answered at once; last-seen reaches the database within a
    few seconds (written in bulk), never moves backwards, and the API shows it."""
    cp_id = live_server.add_charge_point()
    async with connected(live_server.ws, cp_id, "ocpp1.6", password=PASSWORD) as cp:
        await cp.boot()
        old = datetime.now(UTC) - timedelta(hours=1)
        live_server.sql(
            "UPDATE charge_point SET last_seen_at = :t WHERE id = :i", t=old, i=cp_id
        )
        sent_at = datetime.now(UTC)
        await cp.heartbeat()
        await cp.heartbeat()
        seen = await eventually(
            lambda: [
                t
                for (t,) in live_server.sql(
                    "SELECT last_seen_at FROM charge_point WHERE id = :i", i=cp_id
                )
                if t > old
            ]
        )
        assert sent_at - timedelta(seconds=1) <= seen[0] <= datetime.now(UTC)
        async with live_server.client() as http:
            view = (await http.get(f"/charge-points/{cp_id}")).json()
        assert datetime.fromisoformat(view["last_seen_at"]) == seen[0]


@pytest.mark.anyio
@pytest.mark.parametrize("proto", PROTOCOLS)
async def test_authorize_against_id_tokens(live_server: LiveServer, proto: str) -> None:
    cp_id = live_server.add_charge_point()
    ok = _tag(live_server, parent="FLEET-1")
    blocked = _tag(live_server, "Blocked")
    expired = _tag(live_server, expires=datetime.now(UTC) - timedelta(days=1))
    unknown = "NO-SUCH-TAG"
    async with connected(live_server.ws, cp_id, proto, password=PASSWORD) as cp:
        await cp.boot()
        assert await cp.authorize(ok) == "Accepted"
        assert await cp.authorize(blocked) == "Blocked"
        assert await cp.authorize(expired) == "Expired"
        assert await cp.authorize(unknown) == (
            "Invalid" if proto == "ocpp1.6" else "Unknown"
        )
        if proto == "ocpp1.6":
            from ocpp.v16 import call  # noqa: PLC0415

            r = await cp.call(call.Authorize(id_tag=ok))
            assert r.id_tag_info["parent_id_tag"] == "FLEET-1"
        else:
            from ocpp.v201 import call as c201  # noqa: PLC0415

            r = await cp.call(
                c201.Authorize(id_token={"id_token": ok, "type": "ISO14443"})
            )
            assert r.id_token_info["group_id_token"]["id_token"] == "FLEET-1"


@pytest.mark.anyio
@pytest.mark.parametrize("proto", PROTOCOLS)
async def test_session_with_meter_values_energy_and_cost(
    live_server: LiveServer, proto: str
) -> None:
    cp_id = live_server.add_charge_point()
    tag = _tag(live_server)
    async with connected(live_server.ws, cp_id, proto, password=PASSWORD) as cp:
        await cp.boot()
        s = await cp.start_session(1, tag, power_kw=60.0)
        start_meter = s.meter_wh
        for _ in range(3):
            await cp.meter_tick(s, 60)  # 60 kW for a minute = 1 kWh per tick
        await cp.stop_session(s)
        stop_meter = cp.meter[1]
    assert stop_meter - start_meter == 3000
    tx = live_server.sql(
        "SELECT id, status, energy_wh, cost_uzs, id_tag, stopped_at > started_at FROM transaction"
        " WHERE charge_point_id=:i", i=cp_id,
    )  # fmt: skip
    assert len(tx) == 1
    pk, status, energy, cost, id_tag, ordered = tx[0]
    assert (status, energy, id_tag, ordered) == ("completed", 3000, tag, True)
    assert cost == 3 * live_server.settings.flat_tariff_uzs_per_kwh
    measurands = live_server.sql(
        "SELECT measurand, count(*) FROM meter_value WHERE transaction_id=:t GROUP BY 1 ORDER BY 1",
        t=pk,
    )
    counts = dict(measurands)
    assert set(counts) == {
        "Current.Import",
        "Energy.Active.Import.Register",
        "Power.Active.Import",
        "SoC",
        "Voltage",
    }
    # start (2.0.1 only carries one), 3 periodic samples, end
    assert counts["Energy.Active.Import.Register"] == (4 if proto == "ocpp1.6" else 5)
    power = live_server.sql(
        "SELECT DISTINCT value, unit FROM meter_value WHERE transaction_id=:t AND measurand='Power.Active.Import'",
        t=pk,
    )
    assert [(float(v), u) for v, u in power] == [(60000.0, "W")]

    async with live_server.client() as http:
        r = await http.get("/sessions", params={"charge_point_id": cp_id})
        assert r.status_code == 200
        data = r.json()["data"]
        assert [(d["id"], d["energy_kwh"], d["cost_uzs"]) for d in data] == [
            (pk, 3.0, cost)
        ]
        assert (await http.get("/sessions", params={"id_tag": tag})).json()[
            "count"
        ] == 1
        future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        assert (
            await http.get("/sessions", params={"id_tag": tag, "since": future})
        ).json()["count"] == 0
        r = await http.get("/sessions", params={"since": future, "until": future})
        assert r.status_code == 422 and r.json()["code"] == "bad_period"
        r = await http.get("/sessions/export.csv", params={"charge_point_id": cp_id})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert [(row["id"], row["energy_kwh"], row["cost_uzs"]) for row in rows] == [
            (str(pk), "3.0", str(cost))
        ]
        detail = (await http.get(f"/sessions/{pk}")).json()
        assert detail["session"]["duration_s"] is not None
        assert len(detail["meter_values"]) == sum(counts.values())
        r = await http.get("/sessions/999999999")
        assert r.status_code == 404 and r.json()["code"] == "session_not_found"


@pytest.mark.anyio
@pytest.mark.parametrize("proto", PROTOCOLS)
async def test_offline_replay_is_stored_once_in_time_order(
    live_server: LiveServer, proto: str
) -> None:
    cp_id = live_server.add_charge_point()
    tag = _tag(live_server)
    async with connected(live_server.ws, cp_id, proto, password=PASSWORD) as cp:
        await cp.boot()
        await cp.go_offline()
        s = await cp.start_session(1, tag, power_kw=60.0)
        for _ in range(4):
            await cp.meter_tick(s, 60)
        await cp.stop_session(s)
        queued = list(cp.queue)
        assert len(queued) >= 6
        assert (
            live_server.sql(
                "SELECT count(*) FROM transaction WHERE charge_point_id=:i", i=cp_id
            )[0][0]
            == 0
        )

        # The link comes back: same charge point, new socket, boot, replay the queue.
        ws = await websockets.connect(
            f"{live_server.ws}/{cp_id}", subprotocols=[proto],  # type: ignore[list-item]
            additional_headers=basic_auth(cp_id, PASSWORD),
        )  # fmt: skip
        cp._connection = ws
        loop = asyncio.create_task(cp.start())
        try:
            await cp.boot()
            assert await cp.replay() == len(queued)
            # A flaky link makes the charge point send it all again: nothing doubles.
            cp.queue = list(queued)
            assert await cp.replay() == len(queued)
        finally:
            loop.cancel()
            await ws.close()

    tx = live_server.sql(
        "SELECT id, energy_wh, offline, status FROM transaction WHERE charge_point_id=:i",
        i=cp_id,
    )
    assert len(tx) == 1
    pk, energy, offline, status = tx[0]
    assert (energy, status) == (4000, "completed")
    if proto == "ocpp2.0.1":
        assert offline is True
    regs = live_server.sql(
        "SELECT measured_at, value FROM meter_value WHERE transaction_id=:t"
        " AND measurand='Energy.Active.Import.Register' ORDER BY measured_at", t=pk,
    )  # fmt: skip
    values = [float(v) for _, v in regs]
    assert values == sorted(values)  # the register never runs backwards in time order
    # 1.6: 4 periodic + the stop sample; 2.0.1 also the start sample. Once each.
    assert len(regs) == len({t for t, _ in regs}) == (5 if proto == "ocpp1.6" else 6)
    statuses = live_server.sql(
        "SELECT count(*), count(DISTINCT (evse_id, status, occurred_at)) FROM status_event WHERE charge_point_id=:i",
        i=cp_id,
    )[0]
    assert statuses[0] == statuses[1]


@pytest.mark.anyio
async def test_transaction_events_out_of_order_201(live_server: LiveServer) -> None:
    """Ended before Started and Updated (seqNo 2, 0, 1): one session, right energy."""
    cp_id = live_server.add_charge_point()
    async with connected(live_server.ws, cp_id, "ocpp2.0.1", password=PASSWORD) as cp:
        await cp.boot()
        cp.online = False
        s = await cp.start_session(1, "ANY", power_kw=60.0)
        await cp.meter_tick(s, 60)
        await cp.stop_session(s)
        events = [b for a, b in cp.queue if a == "TransactionEvent"]
        cp.online = True
        cp.queue = []
        for build in reversed(events):
            await cp.timed_call(build())
    tx = live_server.sql(
        "SELECT energy_wh, last_seq_no, stopped_at > started_at, status FROM transaction WHERE charge_point_id=:i",
        i=cp_id,
    )
    assert [tuple(t) for t in tx] == [(1000, 2, True, "completed")]
