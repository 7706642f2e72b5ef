"""OCPP 2.0.1 cost updates: the running cost reaches the station while it charges."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from app.sim.charge_point import connected
from tests.app.ocpp.conftest import PASSWORD, LiveServer, dedicated_server, eventually
from tests.pg import PgServer


@pytest.fixture(scope="module")
def cost_server(pg: PgServer, schema_template: str) -> Iterator[LiveServer]:
    yield from dedicated_server(
        pg,
        schema_template,
        "quvvat_t_ocpp_cost",
        ocpp_cost_update_interval_s=1,
        flat_tariff_uzs_per_kwh=2500,
    )


@pytest.mark.anyio
async def test_running_cost_is_sent_while_charging(cost_server: LiveServer) -> None:
    cp_id = cost_server.add_charge_point()
    tag = f"COST{cp_id[-6:]}"
    cost_server.sql(
        "INSERT INTO id_token (token, status) VALUES (:t, 'Accepted')", t=tag
    )
    async with (
        connected(cost_server.ws, cp_id, "ocpp2.0.1", password=PASSWORD) as cp,
    ):
        await cp.boot()
        s = await cp.start_session(1, tag, power_kw=60.0)
        await cp.meter_tick(s, 600)  # 10 min at 60 kW: 10 kWh
        costs = await eventually(lambda: cp.costs.get(s.uid))
        # The flat tariff (no operator tariff here): 10 kWh x 2,500 so'm per kWh.
        assert costs == pytest.approx(25_000)
        # At most one update per interval: a tick within it sends nothing ...
        await cp.meter_tick(s, 600)  # 20 kWh now
        await asyncio.sleep(0.3)
        assert cp.costs[s.uid] == pytest.approx(25_000)
        # ... the first tick after it carries the new total.
        await asyncio.sleep(1.0)
        await cp.meter_tick(s, 0)
        await eventually(lambda: cp.costs[s.uid] == pytest.approx(50_000))
