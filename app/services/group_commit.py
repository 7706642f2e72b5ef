"""Group commit: many small OCPP writes share one transaction.

A handler submits its rows and awaits the returned future; the writer drains
the queue, writes everything in one transaction and resolves every future only
after the COMMIT. A failing batch is retried one job at a time, so one bad
message fails alone and the others are still stored and acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.bulk import UnnestInsert

logger = logging.getLogger(__name__)

MAX_BATCH: Final = 2000


@dataclass(slots=True)
class _Job:
    meter_rows: list[dict[str, Any]] = field(default_factory=list)
    seen: tuple[str, datetime] | None = None
    seq: tuple[int, int] | None = None  # (transaction pk, seqNo)
    future: asyncio.Future[None] | None = None


class GroupCommitter:
    """Batches meter values and last-seen updates into shared transactions."""

    def __init__(self, maker: async_sessionmaker[AsyncSession]) -> None:
        self._maker = maker
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._months: set[tuple[int, int]] = set()
        self._months_lock = asyncio.Lock()
        self.batches = 0
        self.jobs = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="group-commit")

    async def stop(self) -> None:
        """Finish what is queued, then stop."""
        if self._task is None:
            return
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

    async def seen(self, charge_point_id: str, at: datetime) -> None:
        await self._submit(_Job(seen=(charge_point_id, at)))

    async def _submit(self, job: _Job) -> None:
        job.future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(job)
        await job.future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write(batch)
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
            if job.seen is not None:
                cp, at = job.seen
                seen[cp] = max(at, seen.get(cp, at))
        seqs: dict[int, int] = {}
        for job in batch:
            if job.seq is not None:
                tx, no = job.seq
                seqs[tx] = max(no, seqs.get(tx, no))
        if rows:
            await self.ensure_partitions(rows)
        async with self._maker() as db, db.begin():
            if rows:
                await insert_meter_rows(db, rows)
            if seen:
                await db.execute(
                    text(
                        "UPDATE charge_point c SET last_seen_at = v.at"
                        " FROM unnest(CAST(:ids AS text[]), CAST(:ats AS timestamptz[]))"
                        " AS v(id, at) WHERE c.id = v.id"
                        " AND (c.last_seen_at IS NULL OR c.last_seen_at < v.at)"
                    ),
                    {"ids": list(seen), "ats": list(seen.values())},
                )
            if seqs:
                await db.execute(
                    text(
                        'UPDATE "transaction" t SET last_seq_no = v.no'
                        " FROM unnest(CAST(:ids AS bigint[]), CAST(:nos AS int[]))"
                        " AS v(id, no) WHERE t.id = v.id"
                        " AND (t.last_seq_no IS NULL OR t.last_seq_no < v.no)"
                    ),
                    {"ids": list(seqs), "nos": list(seqs.values())},
                )
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
