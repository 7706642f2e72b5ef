"""Garbage collector settings for a process that holds thousands of connections.

Every open connection keeps a few hundred tracked objects alive (session,
tasks, futures, protocol state): about 1.8 million at 10,000 charge points.
With CPython's default thresholds (700, 10, 10) a full collection runs every
70,000 net allocations while that heap grows, and each one walks all of it: the
server and the simulator stalled for 0.3-1.0 s every 4-8 s during a
10,000-charge-point run (measured with ``gc.callbacks``), which was most of its
p99 latency.

So, once the process has started:
- ``gc.freeze()`` moves the start-up heap (modules, app, engines) out of the
  collector's sight for good;
- the young generation is collected every ``YOUNG`` net allocations (a few ms
  each; objects that die by reference counting, nearly all of a message's, never
  count), and a full collection needs ``OLD`` collections of the middle
  generation instead of 10: one every 5 million net allocations. A
  10,000-point connection storm (about 1.8 million objects) then causes at most
  one. Steady traffic at 10,000 charge points still brings one now and then
  (the server showed CPU spikes of about 1 s every 70 s in one 10-minute run on
  a slow machine). ``app.stall_watch`` logs every event-loop stall over 100 ms
  with the GC time in it, so a pause that matters shows in the server's log.
Cyclic garbage is still collected; what outlives two young collections (a closed
connection's objects, say) waits for the next full collection, which busy
traffic brings every few minutes and light traffic, with little garbage, rarely.

Tried and dropped: a young generation of 100,000 (each young collection during
a storm walked up to 100,000 live connection objects: 90-250 ms pauses, the
middle one a million: 0.7 s); the default young generation of 700 with ``OLD``
100 (full collections every 700,000 net allocations: two of 2.1-2.4 s as a
10,000-point storm ended); ``OLD`` = 1,000, which in one 10-minute run at
10,000 gave a per-minute p99 of 450-1,080 ms instead of 90-430 ms (not
understood yet).
"""

from __future__ import annotations

import gc
from typing import Final

YOUNG: Final = 5_000
OLD: Final = 100


def tune_for_many_connections() -> None:
    """Call once start-up is done (everything built so far lives as long as
    the process)."""
    gc.collect()
    gc.freeze()
    _, middle, _ = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, OLD)
