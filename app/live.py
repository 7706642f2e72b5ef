"""The live bus: every status change as a JSON event, in-process pub/sub.

Subscribers are browsers on ``/ws/live`` (each with a bounded queue, filtered by
region or site) and the MQTT publisher, which sends each event to
``quvvat/{operator}/{site}/{charge_point}/status``. The bus lives on
``app.state.live``; publishing never blocks and never fails the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlparse

import aiomqtt

logger = logging.getLogger(__name__)

Event = dict[str, Any]
QUEUE_SIZE: Final = 1000
MQTT_BACKLOG: Final = 10_000
#: stopping the MQTT publisher: cancellations sent, seconds waited after each
STOP_TRIES: Final = 3
STOP_WAIT_S: Final = 2.0


@dataclass(slots=True, eq=False)
class Subscription:
    """One subscriber: a bounded queue plus its filter."""

    region: str | None = None
    site_id: int | None = None
    queue: asyncio.Queue[Event] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE)
    )
    dropped: int = 0

    def wants(self, event: Event) -> bool:
        if self.region is not None and event.get("region_iso") != self.region:
            return False
        return not (self.site_id is not None and event.get("site_id") != self.site_id)


def mqtt_topic(event: Event) -> str:
    """``quvvat/{operator}/{site}/{charge_point}/status``; ids, ``none`` when unset."""
    operator = event.get("operator_id")
    site = event.get("site_id")
    return (
        f"quvvat/{operator if operator is not None else 'none'}/"
        f"{site if site is not None else 'none'}/{event['charge_point_id']}/status"
    )


class LiveBus:
    """In-process publish/subscribe of live events."""

    def __init__(self) -> None:
        self._subs: set[Subscription] = set()
        self.published = 0

    def publish(self, event: Event) -> None:
        """Hand ``event`` to every interested subscriber without waiting."""
        self.published += 1
        for sub in list(self._subs):
            if not sub.wants(event):
                continue
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                # A slow browser loses its oldest live update, never the server.
                sub.dropped += 1
                with contextlib.suppress(asyncio.QueueEmpty):
                    sub.queue.get_nowait()
                sub.queue.put_nowait(event)

    @contextlib.contextmanager
    def subscribe(self, region: str | None = None, site_id: int | None = None) -> Any:
        sub = Subscription(region=region, site_id=site_id)
        self._subs.add(sub)
        try:
            yield sub
        finally:
            self._subs.discard(sub)

    async def events(
        self, region: str | None = None, site_id: int | None = None
    ) -> AsyncIterator[Event]:
        with self.subscribe(region, site_id) as sub:
            while True:
                yield await sub.queue.get()


class MqttPublisher:
    """Publishes live events to MQTT; survives a broker that is down.

    While the broker is unreachable, events wait in a bounded backlog (the
    oldest go first when it overflows, counted in ``dropped``) and the publisher
    retries with back-off, logging the outage once and the recovery once.
    """

    def __init__(self, bus: LiveBus, url: str) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("mqtt", "mqtts", "tcp"):
            raise ValueError(f"mqtt_url must start with mqtt://, got {url!r}")
        self._host = parsed.hostname or "127.0.0.1"
        self._port = parsed.port or (8883 if parsed.scheme == "mqtts" else 1883)
        self._user = parsed.username
        self._password = parsed.password
        self._bus = bus
        self._task: asyncio.Task[None] | None = None
        self.sent = 0
        self.dropped = 0
        self.connected = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mqtt-publisher")

    async def stop(self) -> None:
        """Stop publishing; never holds up a shutdown for long.

        The client's graceful disconnect waits for the broker; a cancellation
        that arrives while it waits is repeated (up to :data:`STOP_TRIES`
        times, :data:`STOP_WAIT_S` apart) and then the task is left behind
        with a warning rather than hanging the server's shutdown.
        """
        task, self._task = self._task, None
        if task is None:
            return
        for _ in range(STOP_TRIES):
            task.cancel()
            done, _pending = await asyncio.wait([task], timeout=STOP_WAIT_S)
            if done:
                if not task.cancelled() and task.exception() is not None:
                    logger.warning("MQTT publisher ended with %r", task.exception())
                return
        logger.warning(
            "MQTT publisher did not stop within %.0f s (broker %s:%s); shutting down without it",
            STOP_TRIES * STOP_WAIT_S, self._host, self._port,
        )  # fmt: skip

    async def _run(self) -> None:
        backlog: asyncio.Queue[Event] = asyncio.Queue(MQTT_BACKLOG)
        with self._bus.subscribe() as sub:
            pump = asyncio.create_task(self._pump(sub, backlog))
            try:
                await self._publish_forever(backlog)
            finally:
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pump

    async def _pump(self, sub: Subscription, backlog: asyncio.Queue[Event]) -> None:
        while True:
            event = await sub.queue.get()
            if backlog.full():
                self.dropped += 1
                backlog.get_nowait()
            backlog.put_nowait(event)

    async def _publish_forever(self, backlog: asyncio.Queue[Event]) -> None:
        delay = 1.0
        down_logged = False
        pending: Event | None = None
        while True:
            try:
                async with aiomqtt.Client(
                    self._host,
                    self._port,
                    username=self._user,
                    password=self._password,
                    timeout=5,
                ) as client:
                    self.connected = True
                    delay = 1.0
                    if down_logged:
                        logger.warning(
                            "MQTT broker %s:%s is back", self._host, self._port
                        )
                        down_logged = False
                    while True:
                        if pending is None:
                            pending = await backlog.get()
                        await client.publish(
                            mqtt_topic(pending),
                            json.dumps(pending, default=str),
                            qos=1,
                            retain=True,
                        )
                        self.sent += 1
                        pending = None
            except aiomqtt.MqttError as e:
                self.connected = False
                if not down_logged:
                    logger.warning(
                        "MQTT broker %s:%s unreachable (%s); live events wait in a "
                        "backlog, retrying",
                        self._host,
                        self._port,
                        e,
                    )
                    down_logged = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
