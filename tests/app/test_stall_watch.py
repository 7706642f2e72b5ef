"""The server says in its log when its event loop stalled and whether the
garbage collector was the cause."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable

import pytest

from app.stall_watch import SlowEvents, StallWatch


def _run_with_watch(block: Callable[[], None]) -> StallWatch:
    async def main() -> StallWatch:
        watch = StallWatch()
        watch.start()
        await asyncio.sleep(0.05)  # let the watch take its first tick
        block()
        await asyncio.sleep(0.05)
        await watch.stop()
        return watch

    return asyncio.run(main())


def test_a_blocked_loop_is_reported_with_no_gc(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="app.stall_watch"):
        watch = _run_with_watch(lambda: time.sleep(0.25))
    assert watch.stalls.total == 1
    line = next(r.getMessage() for r in caplog.records)
    assert line.startswith("event loop stalled 1 time over 100 ms")
    assert "no GC in it" in line
    longest = int(line.split("longest ")[1].split(" ms")[0])
    assert 240 <= longest < 1000


def test_a_full_collection_inside_a_stall_is_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def many_cycles() -> None:
        junk = []
        for _ in range(300_000):
            a: list[object] = []
            a.append(a)
            junk.append(a)
        t0 = time.perf_counter()
        gc.collect()  # a full collection of everything just built
        time.sleep(max(0.0, 0.12 - (time.perf_counter() - t0)))  # a stall, surely

    with caplog.at_level(logging.WARNING, logger="app.stall_watch"):
        watch = _run_with_watch(many_cycles)
    assert watch.gc_runs[2] >= 1
    line = next(r.getMessage() for r in caplog.records if "stalled" in r.getMessage())
    assert "generation 2 collected" in line
    assert "no GC" not in line


def test_slow_events_are_summarised_not_logged_one_by_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    slow = SlowEvents("group commit was slow", warn_s=0.1, every_s=3600)
    with caplog.at_level(logging.WARNING, logger="app.stall_watch"):
        slow.add(0.05, "fast: not counted")
        for ms, detail in ((150, "10 jobs"), (400, "2000 jobs"), (120, "5 jobs")):
            slow.add(ms / 1000, detail)
        assert caplog.records == []  # within the report period: nothing yet
        slow.flush()
        slow.flush()  # nothing new: no second line
    assert [r.getMessage() for r in caplog.records] == [
        "group commit was slow 3 times over 100 ms in the last 0 s: longest 400 ms, 2000 jobs"
    ]
    assert slow.total == 3
