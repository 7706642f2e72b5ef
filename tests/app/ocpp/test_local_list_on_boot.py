"""After an accepted boot the local authorization list is brought up to date, once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest

from app.sim.charge_point import connected
from tests.app.ocpp.conftest import PASSWORD, LiveServer, dedicated_server, eventually
from tests.pg import PgServer


@pytest.fixture(scope="module")
def sync_server(pg: PgServer, schema_template: str) -> Iterator[LiveServer]:
    yield from dedicated_server(
        pg, schema_template, "quvvat_t_ocpp_ll", ocpp_local_list_sync_on_boot=True
    )


def _boot_syncs(server: LiveServer, cp_id: str) -> int:
    rows = server.sql(
        "SELECT count(*) FROM ocpp_command WHERE charge_point_id=:i"
        " AND action='SendLocalList' AND requested_by='system:boot'",
        i=cp_id,
    )
    return int(rows[0][0])


@pytest.mark.anyio
@pytest.mark.parametrize("proto", ["ocpp1.6", "ocpp2.0.1"])
async def test_boot_sends_the_list_only_when_tokens_changed(
    sync_server: LiveServer, proto: str
) -> None:
    cp_id = sync_server.add_charge_point()
    tag = f"LB{uuid.uuid4().hex[:8].upper()}"
    sync_server.sql(
        "INSERT INTO id_token (token, status) VALUES (:t, 'Accepted')", t=tag
    )

    async with connected(sync_server.ws, cp_id, proto, password=PASSWORD) as cp:
        await cp.boot()
        await eventually(lambda: _boot_syncs(sync_server, cp_id) == 1)
        await eventually(lambda: cp.local_list_version == 1)
        # Stored once the charge point accepted it.
        await eventually(lambda: sync_server.sql(
            "SELECT local_list_version, local_list_digest IS NOT NULL FROM charge_point"
            " WHERE id=:i", i=cp_id) == [(1, True)])  # fmt: skip

    # Reconnect with nothing changed: no second list.
    async with connected(sync_server.ws, cp_id, proto, password=PASSWORD) as cp:
        await cp.boot()
        await asyncio.sleep(2.5)  # longer than the 0.2-2 s spread before a sync
        assert _boot_syncs(sync_server, cp_id) == 1

    # A card is blocked (as the API does it: updated_at moves): the next boot syncs.
    sync_server.sql(
        "UPDATE id_token SET status='Blocked', updated_at=now() WHERE token=:t", t=tag
    )
    async with connected(sync_server.ws, cp_id, proto, password=PASSWORD) as cp:
        await cp.boot()
        await eventually(lambda: _boot_syncs(sync_server, cp_id) == 2)
        await eventually(lambda: sync_server.sql(
            "SELECT local_list_version FROM charge_point WHERE id=:i", i=cp_id
        ) == [(2,)])  # fmt: skip
