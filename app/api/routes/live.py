"""Live status events for browsers: ``/ws/live?region=UZ-TK&site=12``."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from app.live import LiveBus

router = APIRouter(tags=["live"])


@router.websocket("/ws/live")
async def live(
    websocket: WebSocket,
    region: Annotated[
        str | None, Query(description="Region ISO code, e.g. UZ-TK")
    ] = None,
    site: Annotated[int | None, Query(description="Site id")] = None,
) -> None:
    """Public: every status change (the same data as the public map), as JSON."""
    bus: LiveBus = websocket.app.state.live
    await websocket.accept()
    with bus.subscribe(region=region, site_id=site) as sub:

        async def pump() -> None:
            while True:
                await websocket.send_json(await sub.queue.get())

        sender = asyncio.create_task(pump())
        try:
            while True:  # the client may only close; anything it sends is ignored
                await websocket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            sender.cancel()
            with contextlib.suppress(
                asyncio.CancelledError, WebSocketDisconnect, RuntimeError
            ):
                await sender
