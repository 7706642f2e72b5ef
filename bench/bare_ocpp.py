"""The baseline: a bare central system written directly with the ``ocpp`` library.

It answers the same messages as Quvvat (boot, heartbeat, status, authorize,
transactions, meter values) with fixed answers and stores nothing. Run as
``python -m bench.bare_ocpp --port N``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
from datetime import UTC, datetime
from typing import Any

import ocpp.messages
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Cp16
from ocpp.v16 import call_result as r16
from ocpp.v201 import ChargePoint as Cp201
from ocpp.v201 import call_result as r201

ocpp.messages.ASYNC_VALIDATION = False  # same setting as Quvvat's server
_ids = itertools.count(1)


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Bare16(Cp16):  # type: ignore[misc]
    @on("BootNotification")
    def boot(self, **_: Any) -> Any:
        return r16.BootNotification(current_time=_now(), interval=60, status="Accepted")

    @on("Heartbeat")
    def hb(self) -> Any:
        return r16.Heartbeat(current_time=_now())

    @on("StatusNotification")
    def status(self, **_: Any) -> Any:
        return r16.StatusNotification()

    @on("Authorize")
    def auth(self, **_: Any) -> Any:
        return r16.Authorize(id_tag_info={"status": "Accepted"})

    @on("StartTransaction")
    def start_tx(self, **_: Any) -> Any:
        return r16.StartTransaction(
            transaction_id=next(_ids), id_tag_info={"status": "Accepted"}
        )

    @on("StopTransaction")
    def stop_tx(self, **_: Any) -> Any:
        return r16.StopTransaction()

    @on("MeterValues")
    def meter(self, **_: Any) -> Any:
        return r16.MeterValues()


class Bare201(Cp201):  # type: ignore[misc]
    @on("BootNotification")
    def boot(self, **_: Any) -> Any:
        return r201.BootNotification(
            current_time=_now(), interval=60, status="Accepted"
        )

    @on("Heartbeat")
    def hb(self) -> Any:
        return r201.Heartbeat(current_time=_now())

    @on("StatusNotification")
    def status(self, **_: Any) -> Any:
        return r201.StatusNotification()

    @on("Authorize")
    def auth(self, **_: Any) -> Any:
        return r201.Authorize(id_token_info={"status": "Accepted"})

    @on("TransactionEvent")
    def tx(self, **_: Any) -> Any:
        return r201.TransactionEvent()

    @on("MeterValues")
    def meter(self, **_: Any) -> Any:
        return r201.MeterValues()


async def handler(ws: Any) -> None:
    cp_id = ws.request.path.rstrip("/").split("/")[-1]
    cls = Bare16 if ws.subprotocol == "ocpp1.6" else Bare201
    cp = cls(cp_id, ws)
    with contextlib.suppress(websockets.ConnectionClosed):
        await cp.start()


async def serve(port: int) -> None:
    async with websockets.serve(
        handler, "127.0.0.1", port, subprotocols=["ocpp1.6", "ocpp2.0.1"],  # type: ignore[list-item]
        ping_interval=None, max_size=2**20,
    ):  # fmt: skip
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(serve(parser.parse_args().port))
