"""Live events: /ws/live for browsers (filtered) and MQTT for everyone else."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aiomqtt
import pytest
import websockets
from ocpp.v201 import call as call201

from app.live import LiveBus, MqttPublisher
from app.sim.charge_point import connected
from tests.app.ocpp.conftest import PASSWORD, LiveServer

FIELDS = {"type", "charge_point_id", "site_id", "region_iso", "evse_id", "connector_id", "status",
          "station_status", "at"}  # fmt: skip


def _site(live: LiveServer, region: str) -> int:
    rows = live.sql(
        "WITH r AS (INSERT INTO region (iso_code, name_en, source, geom) VALUES (:iso, :name, 'test',"
        " ST_Multi(ST_GeomFromText('POLYGON((69 41,69.1 41,69.1 41.1,69 41))', 4326)))"
        " ON CONFLICT (iso_code) DO UPDATE SET source = 'test' RETURNING id),"
        " o AS (INSERT INTO operator (name) VALUES (:op) RETURNING id)"
        " INSERT INTO site (ext_id, operator_id, name, region_id, source, geom)"
        " SELECT :ext, o.id, 'Test site', r.id, 'test', ST_SetSRID(ST_MakePoint(69.05, 41.05), 4326)"
        " FROM r, o RETURNING id",
        iso=region, name=f"Region {region}", op=f"op-{uuid.uuid4().hex[:6]}", ext=f"site-{uuid.uuid4().hex[:6]}",
    )  # fmt: skip
    return int(rows[0][0])


@pytest.mark.anyio
async def test_ws_live_gets_status_events_filtered_by_region_and_site(
    live_server: LiveServer,
) -> None:
    region = f"UZ-Q{uuid.uuid4().hex[:2].upper()}"
    site = _site(live_server, region)
    cp_id = live_server.add_charge_point()
    live_server.sql("UPDATE charge_point SET site_id=:s WHERE id=:i", s=site, i=cp_id)
    base = f"ws://127.0.0.1:{live_server.port}/ws/live"
    async with websockets.connect(f"{base}?region={region}") as by_region, \
            websockets.connect(f"{base}?site={site}") as by_site, \
            websockets.connect(f"{base}?region=UZ-NONE") as other:  # fmt: skip
        async with connected(
            live_server.ws, cp_id, "ocpp2.0.1", password=PASSWORD
        ) as cp:
            await cp.boot()
            await cp.status(1, "Faulted")
            for ws in (by_region, by_site):
                events: list[dict[str, Any]] = []
                while not any(e["type"] == "status" for e in events):
                    events.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
                assert (
                    events[0]["type"] == "connection"
                    and events[0]["status"] == "online"
                )
                status = events[-1]
                assert set(status) >= FIELDS
                assert (status["charge_point_id"], status["site_id"], status["region_iso"], status["evse_id"],
                        status["connector_id"], status["status"], status["station_status"]) == (
                    cp_id, site, region, 1, 1, "Faulted", "faulted")  # fmt: skip
        offline = json.loads(await asyncio.wait_for(by_site.recv(), 5))
        assert (offline["status"], offline["station_status"]) == ("offline", "offline")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(other.recv(), 0.3)


@pytest.mark.anyio
async def test_a_replayed_older_status_is_kept_but_not_announced(
    live_server: LiveServer,
) -> None:
    """A charge point back from offline replays queued StatusNotifications with
    old timestamps: they belong in the history, but must not re-colour a
    connector whose newer status is already known."""
    region = f"UZ-R{uuid.uuid4().hex[:2].upper()}"
    site = _site(live_server, region)
    cp_id = live_server.add_charge_point()
    live_server.sql("UPDATE charge_point SET site_id=:s WHERE id=:i", s=site, i=cp_id)
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()

    async def next_status(ws: Any) -> dict[str, Any]:
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if event["type"] == "status":
                return event  # type: ignore[no-any-return]

    async with (
        websockets.connect(
            f"ws://127.0.0.1:{live_server.port}/ws/live?site={site}"
        ) as ws,
        connected(live_server.ws, cp_id, "ocpp2.0.1", password=PASSWORD) as cp,
    ):
        await cp.boot()
        await cp.status(1, "Faulted")
        assert (await next_status(ws))["status"] == "Faulted"
        await cp.timed_call(
            call201.StatusNotification(
                timestamp=hour_ago,
                connector_status="Occupied",
                evse_id=1,
                connector_id=1,
            )
        )
        await cp.status(1, "Available")  # a newer one is announced as usual
        after = await next_status(ws)
    assert (after["status"], after["station_status"]) == ("Available", "available")
    history = live_server.sql(
        "SELECT status FROM status_event WHERE charge_point_id=:i AND evse_id=1"
        " ORDER BY occurred_at",
        i=cp_id,
    )
    assert [r[0] for r in history] == ["Occupied", "Faulted", "Available"]


@pytest.mark.anyio
async def test_mqtt_receives_status_on_the_documented_topic(
    live_server: LiveServer,
) -> None:
    region = f"UZ-M{uuid.uuid4().hex[:2].upper()}"
    site = _site(live_server, region)
    operator = live_server.sql("SELECT operator_id FROM site WHERE id=:s", s=site)[0][0]
    cp_id = live_server.add_charge_point()
    live_server.sql("UPDATE charge_point SET site_id=:s WHERE id=:i", s=site, i=cp_id)
    topic = f"quvvat/{operator}/{site}/{cp_id}/status"
    async with aiomqtt.Client("127.0.0.1", 1883) as mqtt:
        await mqtt.subscribe(topic, qos=1)
        async with connected(live_server.ws, cp_id, "ocpp1.6", password=PASSWORD) as cp:
            await cp.boot()
            await cp.status(2, "Charging")

            async def first_status() -> dict[str, object]:
                async for msg in mqtt.messages:
                    assert str(msg.topic) == topic
                    event = json.loads(bytes(msg.payload))
                    if event["type"] == "status":
                        return event  # type: ignore[no-any-return]
                raise AssertionError("no message")

            event = await asyncio.wait_for(first_status(), 10)
    assert (event["charge_point_id"], event["evse_id"], event["status"], event["station_status"]) == (
        cp_id, 2, "Charging", "charging")  # fmt: skip
    assert event["region_iso"] == region


@pytest.mark.anyio
async def test_mqtt_broker_down_keeps_working_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = LiveBus()
    publisher = MqttPublisher(bus, "mqtt://127.0.0.1:1")  # nothing listens there
    await publisher.start()
    try:
        for i in range(3):
            bus.publish(
                {"type": "status", "charge_point_id": f"X{i}", "status": "Available"}
            )
        await asyncio.sleep(0.3)
        assert publisher.connected is False
        assert bus.published == 3
        warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
        assert len(warnings) == 1  # said once, not once per event or retry
    finally:
        await publisher.stop()
