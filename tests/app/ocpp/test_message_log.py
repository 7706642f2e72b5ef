"""The raw OCPP message log: every frame in both directions, byte for byte, as
the technician reads it from ``GET /charge-points/{id}/messages``."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.sync.client import connect

from app.sim.charge_point import basic_auth
from tests.app.ocpp.conftest import PASSWORD, LiveServer

# Characters COPY's text format must escape, a non-ASCII name and a NUL (which
# PostgreSQL text cannot hold: logged as the JSON escape \u0000).
ODD = "tab\there, line\nbreak, back\\slash, \\N, Toshkent – Тошкент, nul\x00end"


@pytest.mark.anyio
async def test_frames_are_logged_both_ways_exactly(live_server: LiveServer) -> None:
    cp_id = live_server.add_charge_point()
    sent = [
        json.dumps([2, "log-1", "Heartbeat", {}]),
        json.dumps(
            [2, "log-2", "DataTransfer", {"vendorId": "uz.quvvat", "data": ODD}],
            ensure_ascii=False,
        ),
        "{not json\t\\",
    ]
    answers: list[str] = []
    with connect(
        f"{live_server.ws}/{cp_id}", subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        additional_headers=basic_auth(cp_id, PASSWORD), open_timeout=10,
    ) as ws:  # fmt: skip
        for frame in sent:
            ws.send(frame)
            answers.append(str(ws.recv(timeout=10)))
    assert [json.loads(a)[0] for a in answers] == [3, 3, 4]

    async def frames(**params: Any) -> list[dict[str, Any]]:
        async with live_server.client() as http:
            r = await http.get(f"/charge-points/{cp_id}/messages", params=params)
        assert r.status_code == 200, r.text
        return list(r.json())

    for _ in range(100):  # the log is written every 0.25 s
        got = await frames()
        if len(got) >= 6:
            break
        await asyncio.sleep(0.1)
    oldest_first = list(reversed(got))
    expected = [x for pair in zip(sent, answers, strict=True) for x in pair]
    expected[2] = expected[2].replace("\x00", "\\u0000")
    assert [f["raw"] for f in oldest_first] == expected
    assert [f["direction"] for f in oldest_first] == ["in", "out"] * 3
    assert [(f["message_type"], f["unique_id"], f["action"]) for f in oldest_first] == [
        (2, "log-1", "Heartbeat"),
        (3, "log-1", None),
        (2, "log-2", "DataTransfer"),
        (3, "log-2", None),
        (None, None, None),
        (4, "-1", None),
    ]
    assert [f["unique_id"] for f in await frames(action="DataTransfer")] == ["log-2"]
    page = await frames(limit=2)
    assert [f["id"] for f in await frames(before_id=page[-1]["id"])] == [
        f["id"] for f in got[2:]
    ]

    # A stranger's id is a clear 404, not an empty list.
    async with live_server.client() as http:
        r = await http.get("/charge-points/NO-SUCH-CP/messages")
    assert r.status_code == 404
    assert "NO-SUCH-CP" in r.json()["detail"]
