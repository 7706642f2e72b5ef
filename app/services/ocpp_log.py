"""The raw OCPP message log (both directions), written in batches, with retention."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import psycopg
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.bulk import UnnestInsert, autocommit_engine, raw_connection
from app.db.models import OcppMessage

logger = logging.getLogger(__name__)

FLUSH_EVERY_S: Final = 0.25
MAX_BUFFER: Final = 200_000


# The head of a well-formed frame: [type, "unique id"(, "action")]; anything
# else (escapes, odd spacing, bad JSON) goes through the JSON parser.
_HEAD: Final = re.compile(r'\[([234]),"([^"\\]{1,36})"(?:,"([A-Za-z0-9]{1,64})")?[,\]]')


def _describe(raw: str) -> tuple[int | None, str | None, str | None]:
    """(message type id, unique id, action) of a frame, as far as it parses."""
    m = _HEAD.match(raw)
    if m is not None and (m.group(1) == "2") == (m.group(3) is not None):
        return int(m.group(1)), m.group(2), m.group(3)
    try:
        msg = json.loads(raw)
    except ValueError:
        return None, None, None
    if not isinstance(msg, list) or not msg:
        return None, None, None
    mtype = msg[0] if type(msg[0]) is int and -32768 <= msg[0] <= 32767 else None
    uid = str(msg[1]) if len(msg) > 1 else None
    action = msg[2] if mtype == 2 and len(msg) > 2 and isinstance(msg[2], str) else None
    return mtype, uid, action


_INSERT: Final = UnnestInsert(
    "ocpp_message",
    (
        ("charge_point_id", "text"),
        ("direction", "text"),
        ("message_type", "smallint"),
        ("unique_id", "text"),
        ("action", "text"),
        ("raw", "text"),
        ("at", "timestamptz"),
    ),
)


class MessageLog:
    """Buffers frames and writes them every ``FLUSH_EVERY_S`` in one COPY."""

    def __init__(
        self, maker: async_sessionmaker[AsyncSession], retention_days: int
    ) -> None:
        self._maker = maker
        self._engine = autocommit_engine(maker)
        self._retention = timedelta(days=retention_days)
        self._rows: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0

    def add(self, charge_point_id: str, direction: str, raw: str) -> None:
        if len(self._rows) >= MAX_BUFFER:
            self.dropped += 1
            return
        self._rows.append(
            {
                "charge_point_id": charge_point_id,
                "direction": direction,
                "raw": raw,
                "at": datetime.now(UTC),
            }
        )

    async def start(self) -> None:
        await self.purge()
        self._task = asyncio.create_task(self._run(), name="ocpp-message-log")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

    async def _run(self) -> None:
        last_purge = datetime.now(UTC)
        while True:
            await asyncio.sleep(FLUSH_EVERY_S)
            try:
                await self.flush()
                if datetime.now(UTC) - last_purge > timedelta(hours=1):
                    await self.purge()
                    last_purge = datetime.now(UTC)
            except Exception:
                logger.exception("writing the OCPP message log failed; will retry")

    async def flush(self) -> int:
        rows, self._rows = self._rows, []
        if not rows:
            return 0
        for row in rows:
            row["message_type"], row["unique_id"], row["action"] = _describe(row["raw"])
            row["raw"] = row["raw"].replace("\x00", "\\u0000")
        try:
            async with raw_connection(self._engine) as pg, pg.transaction():
                await _INSERT.copy(pg, rows)
        except psycopg.Error:
            # One unstorable row must not block the others: store them one by one.
            stored = 0
            for row in rows:
                try:
                    async with self._maker() as db, db.begin():
                        await db.execute(insert(OcppMessage), [row])
                    stored += 1
                except DBAPIError:
                    self.dropped += 1
                    logger.exception(
                        "OCPP frame of %s could not be logged", row["charge_point_id"]
                    )
            return stored
        return len(rows)

    async def purge(self) -> int:
        """Delete frames older than the retention period."""
        cutoff = datetime.now(UTC) - self._retention
        async with self._maker() as db, db.begin():
            result = await db.execute(
                delete(OcppMessage).where(OcppMessage.at < cutoff)
            )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]  # CursorResult


@dataclass(frozen=True, slots=True)
class LoggedFrame:
    id: int
    direction: str
    message_type: int | None
    unique_id: str | None
    action: str | None
    raw: str
    at: datetime


async def list_messages(
    db: AsyncSession,
    charge_point_id: str,
    *,
    limit: int,
    before_id: int | None = None,
    action: str | None = None,
) -> list[LoggedFrame]:
    """Newest first."""
    q = select(OcppMessage).where(OcppMessage.charge_point_id == charge_point_id)
    if before_id is not None:
        q = q.where(OcppMessage.id < before_id)
    if action is not None:
        q = q.where(OcppMessage.action == action)
    rows = (await db.scalars(q.order_by(OcppMessage.id.desc()).limit(limit))).all()
    return [
        LoggedFrame(
            r.id, r.direction, r.message_type, r.unique_id, r.action, r.raw, r.at
        )
        for r in rows
    ]
