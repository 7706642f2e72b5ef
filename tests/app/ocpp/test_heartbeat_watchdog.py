"""A charge point whose heartbeats stop is disconnected and shown offline."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from app.sim.charge_point import connected
from tests.app.ocpp.conftest import PASSWORD, LiveServer, dedicated_server, eventually
from tests.pg import PgServer


@pytest.fixture(scope="module")
def fast_server(pg: PgServer, schema_template: str) -> Iterator[LiveServer]:
    """Heartbeat every 1 s, offline after 2 x 1 s + 0.5 s of silence."""
    yield from dedicated_server(
        pg,
        schema_template,
        "quvvat_t_ocpp_hb",
        ocpp_heartbeat_interval_s=1,
        ocpp_heartbeat_grace_s=0.5,
    )


def _connected(server: LiveServer, cp_id: str) -> bool:
    rows = server.sql("SELECT connected FROM charge_point WHERE id=:i", i=cp_id)
    return bool(rows[0][0])


@pytest.mark.anyio
async def test_silent_charge_point_goes_offline_a_beating_one_stays(
    fast_server: LiveServer,
) -> None:
    silent, beating = fast_server.add_charge_point(), fast_server.add_charge_point()
    async with (
        connected(fast_server.ws, silent, "ocpp1.6", password=PASSWORD) as quiet,
        connected(fast_server.ws, beating, "ocpp2.0.1", password=PASSWORD) as alive,
        fast_server.client() as http,
    ):
        assert await quiet.boot() == "Accepted"
        assert await alive.boot() == "Accepted"
        assert _connected(fast_server, silent) and _connected(fast_server, beating)
        for _ in range(10):  # 4 s: well past the 2.5 s limit
            await alive.heartbeat()
            await asyncio.sleep(0.4)
        # The silent one was closed by the server and is offline; the other is not.
        await eventually(lambda: not _connected(fast_server, silent), timeout=5)
        assert _connected(fast_server, beating)
        r = await http.get(f"/charge-points/{silent}")
        assert r.status_code == 200 and r.json()["connected"] is False
        r = await http.get(f"/charge-points/{beating}")
        assert r.json()["connected"] is True
