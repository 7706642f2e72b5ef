"""Say in the log when the server was slow, and why: event-loop stalls,
garbage-collector pauses and slow group commits.

Every OCPP answer waits for the event loop, and every acknowledged write for
its group commit; a charge point sees either as latency. ``StallWatch`` wakes
every ``TICK_S`` and measures how late it woke (the loop's stall), while a
``gc.callbacks`` hook times every collection, so a stall says how much of it
was the garbage collector. ``SlowEvents`` gathers slow events and writes one
WARNING line per ``REPORT_EVERY_S`` at most (a connection storm must not
flood the log), for example::

    event loop stalled 3 times over 100 ms in the last 10 s: longest 240 ms,
    GC 180 ms of it (generation 2 collected 1x, longest 175 ms)
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from typing import Any, Final

logger = logging.getLogger(__name__)

WARN_S: Final = 0.1  # the OCPP latency budget (p99 < 100 ms)
TICK_S: Final = 0.02
REPORT_EVERY_S: Final = 10.0


class SlowEvents:
    """Counts events slower than ``warn_s`` and reports them in one line per
    ``every_s`` (checked when the next slow event arrives or on ``flush``)."""

    def __init__(
        self, what: str, warn_s: float = WARN_S, every_s: float = REPORT_EVERY_S
    ) -> None:
        self.what = what
        self.warn_s = warn_s
        self.every_s = every_s
        self.total = 0  # slow events since start (for tests and status pages)
        self._count = 0
        self._longest = 0.0
        self._detail = ""
        self._since = time.monotonic()

    def add(self, seconds: float, detail: str = "") -> None:
        if seconds < self.warn_s:
            return
        self.total += 1
        self._count += 1
        if seconds >= self._longest:
            self._longest, self._detail = seconds, detail
        if time.monotonic() - self._since >= self.every_s:
            self.flush()

    def flush(self) -> None:
        now = time.monotonic()
        if self._count:
            logger.warning(
                "%s %d time%s over %d ms in the last %.0f s: longest %d ms%s",
                self.what,
                self._count,
                "" if self._count == 1 else "s",
                round(self.warn_s * 1000),
                now - self._since,
                round(self._longest * 1000),
                f", {self._detail}" if self._detail else "",
            )
        self._count, self._longest, self._detail, self._since = 0, 0.0, "", now


class StallWatch:
    """Event-loop stall and GC pause watch for one process (``start`` once
    the loop runs, ``stop`` at shutdown)."""

    def __init__(self, warn_s: float = WARN_S, tick_s: float = TICK_S) -> None:
        self.tick_s = tick_s
        self.stalls = SlowEvents("event loop stalled", warn_s)
        self.gc_seconds = 0.0
        self.gc_runs = [0, 0, 0]
        self._gc_started = 0.0
        self._gen_runs_in_window = [0, 0, 0]
        self._gen_longest = [0.0, 0.0, 0.0]
        self._task: asyncio.Task[None] | None = None

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
            return
        took = time.perf_counter() - self._gc_started
        gen = int(info["generation"])
        self.gc_seconds += took
        self.gc_runs[gen] += 1
        self._gen_runs_in_window[gen] += 1
        self._gen_longest[gen] = max(self._gen_longest[gen], took)

    def start(self) -> None:
        if self._task is not None:
            return
        gc.callbacks.append(self._on_gc)
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name="stall-watch"
        )

    async def stop(self) -> None:
        if self._task is None:
            return
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._on_gc)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        self.stalls.flush()

    async def _run(self) -> None:
        while True:
            gc_before = self.gc_seconds
            self._gen_runs_in_window = [0, 0, 0]
            self._gen_longest = [0.0, 0.0, 0.0]
            t0 = time.perf_counter()
            await asyncio.sleep(self.tick_s)
            lag = time.perf_counter() - t0 - self.tick_s
            if lag >= self.stalls.warn_s:
                self.stalls.add(lag, self._gc_detail(self.gc_seconds - gc_before))

    def _gc_detail(self, gc_s: float) -> str:
        if gc_s <= 0:
            return "no GC in it"
        gen = max(range(3), key=lambda g: self._gen_longest[g])
        return (
            f"GC {round(gc_s * 1000)} ms of it (generation {gen} collected"
            f" {self._gen_runs_in_window[gen]}x, longest"
            f" {round(self._gen_longest[gen] * 1000)} ms)"
        )
