"""Group commit: many small OCPP writes share one transaction.

A handler submits its rows and awaits the returned future; the writer drains
the queue, writes everything in one transaction and resolves every future only
after the COMMIT. A failing batch is retried one job at a time, so one bad
message fails alone and the others are still stored and acknowledged.

Last-seen times are liveness, not data a charge point hands over: a Heartbeat
is answered at once and the latest time per charge point is written every
``SEEN_FLUSH_S`` (and on shutdown) in one statement. At 10,000 charge points
that is one UPDATE every 2 s instead of 167 transactions a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.bulk import UnnestInsert, autocommit_engine, raw_connection
from app.stall_watch import SlowEvents

logger = logging.getLogger(__name__)

MAX_BATCH: Final = 2000
SEEN_FLUSH_S: Final = 2.0

_SEEN: Final = (
    "UPDATE charge_point c SET last_seen_at = v.at"
    " FROM unnest(CAST(%s AS text[]), CAST(%s AS timestamptz[])) AS v(id, at)"
    " WHERE c.id = v.id AND (c.last_seen_at IS NULL OR c.last_seen_at < v.at)"
)
_SEQ: Final = (
    'UPDATE "transaction" t SET last_seq_no = v.no'
    " FROM unnest(CAST(%s AS bigint[]), CAST(%s AS int[])) AS v(id, no)"
    " WHERE t.id = v.id AND (t.last_seq_no IS NULL OR t.last_seq_no < v.no)"
)


@dataclass(slots=True)
class _Job:
    meter_rows: list[dict[str, Any]] = field(default_factory=list)
    seen: dict[str, datetime] | None = None
    seq: tuple[int, int] | None = None  # (transaction pk, seqNo)
    future: asyncio.Future[None] | None = None


class GroupCommitter:
    """Batches meter values and last-seen updates into shared transactions."""

    def __init__(self, maker: async_sessionmaker[AsyncSession]) -> None:
        self._maker = maker
        # The writer speaks psycopg directly (COPY, no ORM session per batch).
        self._engine = autocommit_engine(maker)
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._seen_task: asyncio.Task[None] | None = None
        #: Latest unwritten last-seen time per charge point.
        self._seen: dict[str, datetime] = {}
        self._months: set[tuple[int, int]] = set()
        self._months_lock = asyncio.Lock()
        self.batches = 0
        self.jobs = 0
        #: Batches slower than the OCPP latency budget, summarised in the log.
        self.slow = SlowEvents("group commit was slow")

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="group-commit")
        self._seen_task = asyncio.create_task(self._seen_loop(), name="last-seen")

    async def stop(self) -> None:
        """Finish what is queued, then stop."""
        if self._task is None:
            return
        if self._seen_task is not None:
            self._seen_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._seen_task
        with contextlib.suppress(Exception):  # logged by flush_seen
            await self.flush_seen()
        while not self._queue.empty():
            await asyncio.sleep(0.01)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def meter_values(
        self,
        rows: list[dict[str, Any]],
        *,
        transaction_pk: int | None = None,
        seq_no: int | None = None,
    ) -> None:
        """Store meter samples (duplicates ignored) and a transaction's latest
        seqNo; returns after the commit."""
        seq = (
            (transaction_pk, seq_no)
            if transaction_pk is not None and seq_no is not None
            else None
        )
        if rows or seq:
            await self._submit(_Job(meter_rows=rows, seq=seq))

    def seen(self, charge_point_id: str, at: datetime) -> None:
        """Note a charge point's last-seen time (written within ``SEEN_FLUSH_S``)."""
        prev = self._seen.get(charge_point_id)
        if prev is None or prev < at:
            self._seen[charge_point_id] = at

    async def flush_seen(self) -> None:
        """Write the noted last-seen times now (kept for the next try on error)."""
        if not self._seen:
            return
        batch, self._seen = self._seen, {}
        try:
            await self._submit(_Job(seen=batch))
        except Exception:
            logger.exception("writing last-seen times failed; will retry")
            for cp, at in batch.items():
                self.seen(cp, at)
            raise

    async def _seen_loop(self) -> None:
        while True:
            await asyncio.sleep(SEEN_FLUSH_S)
            with contextlib.suppress(Exception):  # logged by flush_seen
                await self.flush_seen()

    async def _submit(self, job: _Job) -> None:
        job.future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(job)
        await job.future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            t0 = time.perf_counter()
            try:
                await self._write(batch)
                self.slow.add(
                    time.perf_counter() - t0,
                    f"{len(batch)} jobs, waiting {self._queue.qsize()} after it",
                )
            except Exception as e:  # isolate the bad job below
                if len(batch) == 1:
                    self._resolve(batch, e)
                    continue
                logger.warning(
                    "group commit of %d jobs failed (%s); retrying one by one",
                    len(batch),
                    e,
                )
                for job in batch:
                    try:
                        await self._write([job])
                    except Exception as one:  # handed to the waiter
                        self._resolve([job], one)
                    else:
                        self._resolve([job], None)
                continue
            self._resolve(batch, None)

    @staticmethod
    def _resolve(jobs: list[_Job], error: BaseException | None) -> None:
        for job in jobs:
            if job.future is not None and not job.future.done():
                if error is None:
                    job.future.set_result(None)
                else:
                    job.future.set_exception(error)

    async def ensure_partitions(self, rows: list[dict[str, Any]]) -> None:
        months = {
            (r["measured_at"].year, r["measured_at"].month): r["measured_at"]
            for r in rows
        }
        missing = {k: v for k, v in months.items() if k not in self._months}
        if not missing:
            return
        async with self._months_lock:  # one creator per process; SQL locks across
            missing = {k: v for k, v in missing.items() if k not in self._months}
            if not missing:
                return
            async with self._maker() as db, db.begin():
                for ts in missing.values():
                    await db.execute(
                        text("SELECT quvvat_ensure_meter_value_partition(:t)"),
                        {"t": ts},
                    )
            self._months.update(missing)

    async def _write(self, batch: list[_Job]) -> None:
        rows = [r for job in batch for r in job.meter_rows]
        seen: dict[str, datetime] = {}
        for job in batch:
            for cp, at in (job.seen or {}).items():
                seen[cp] = max(at, seen.get(cp, at))
        seqs: dict[int, int] = {}
        for job in batch:
            if job.seq is not None:
                tx, no = job.seq
                seqs[tx] = max(no, seqs.get(tx, no))
        if rows:
            await self.ensure_partitions(rows)
        async with raw_connection(self._engine) as pg, pg.transaction():
            if rows:
                await copy_meter_rows(pg, rows)
            if seen:
                await pg.execute(_SEEN, (list(seen), list(seen.values())))
            if seqs:
                await pg.execute(_SEQ, (list(seqs), list(seqs.values())))
        self.batches += 1
        self.jobs += len(batch)


_METER_ROWS: Final = UnnestInsert(
    "meter_value",
    (
        ("measured_at", "timestamptz"),
        ("charge_point_id", "text"),
        ("transaction_id", "bigint"),
        ("evse_id", "integer"),
        ("connector_id", "integer"),
        ("measurand", "text"),
        ("phase", "text"),
        ("context", "text"),
        ("unit", "text"),
        ("value", "numeric"),
    ),
    "ON CONFLICT DO NOTHING",
)


async def insert_meter_rows(db: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Store meter samples (exactly once: retries hit the unique key) in one
    statement."""
    await _METER_ROWS.execute(db, rows)


async def copy_meter_rows(
    pg: psycopg.AsyncConnection[Any], rows: list[dict[str, Any]]
) -> None:
    """Store meter samples with COPY; when one is already stored (a retried or
    replayed message), the batch goes in again with ON CONFLICT DO NOTHING.
    Call inside a transaction (the COPY runs in a savepoint)."""
    try:
        async with pg.transaction():
            await _METER_ROWS.copy(pg, rows)
    except psycopg.errors.UniqueViolation:
        await _METER_ROWS.execute_raw(pg, rows)
