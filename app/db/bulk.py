"""Many rows in one statement or one COPY.

``UnnestInsert`` sends one array parameter per column and ``unnest``-s them: far
less client CPU than ``executemany`` or the ORM bulk insert (one parameter set
per row). ``UnnestInsert.copy`` streams the rows with ``COPY``, whose row
formatting runs in psycopg's C extension instead of its per-element array
dumper in Python: the cheapest way in for the OCPP write paths (meter values,
the message log), which take the driver connection through :func:`raw_connection`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker


def autocommit_engine(maker: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    """The engine behind ``maker`` in autocommit mode: single statements in one
    round trip, and :func:`raw_connection` with explicit transactions."""
    engine: AsyncEngine = maker.kw["bind"]
    return engine.execution_options(isolation_level="AUTOCOMMIT")


@contextlib.asynccontextmanager
async def raw_connection(
    engine: AsyncEngine,
) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    """A psycopg connection from ``engine``'s pool, for paths where SQLAlchemy's
    statement handling costs more than the statement. Use ``conn.transaction()``
    for a transaction (the engine should be in autocommit mode). A connection
    that broke is thrown out of the pool instead of being handed out again."""
    async with engine.connect() as conn:
        pg: psycopg.AsyncConnection[Any] = (
            await conn.get_raw_connection()
        ).driver_connection  # type: ignore[assignment]
        try:
            yield pg
        except psycopg.OperationalError:
            if pg.broken or pg.closed:
                await conn.invalidate()
            raise


@dataclass(frozen=True)
class UnnestInsert:
    """``INSERT INTO table (columns) SELECT * FROM unnest(arrays) [suffix]``."""

    table: str
    #: (column, SQL type of one element), in table order of the INSERT.
    columns: tuple[tuple[str, str], ...]
    #: e.g. ``ON CONFLICT DO NOTHING``.
    suffix: str = ""
    statement: TextClause = field(init=False)
    #: The same statement with psycopg's ``%(name)s`` placeholders.
    raw_statement: str = field(init=False)
    copy_statement: str = field(init=False)

    def __post_init__(self) -> None:
        names = ", ".join(c for c, _ in self.columns)

        def sql(placeholder: str) -> str:
            arrays = ", ".join(
                f"CAST({placeholder.format(c)} AS {t}[])" for c, t in self.columns
            )
            head = f"INSERT INTO {self.table} ({names}) SELECT * FROM unnest({arrays})"
            return f"{head} {self.suffix}".strip()

        object.__setattr__(self, "statement", text(sql(":{}")))
        object.__setattr__(self, "raw_statement", sql("%({})s"))
        object.__setattr__(
            self, "copy_statement", f"COPY {self.table} ({names}) FROM STDIN"
        )

    def _arrays(self, rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
        return {c: [r[c] for r in rows] for c, _ in self.columns}

    async def execute(self, db: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
        await db.execute(self.statement, self._arrays(rows))

    async def execute_raw(
        self, pg: psycopg.AsyncConnection[Any], rows: Sequence[dict[str, Any]]
    ) -> None:
        await pg.execute(self.raw_statement, self._arrays(rows))

    async def copy(
        self, pg: psycopg.AsyncConnection[Any], rows: Sequence[dict[str, Any]]
    ) -> None:
        """COPY the rows in. COPY has no ON CONFLICT: a conflicting row fails the
        whole COPY (callers wrap it in a savepoint and fall back to ``execute_raw``)."""
        names = [c for c, _ in self.columns]
        async with pg.cursor() as cur, cur.copy(self.copy_statement) as copy:
            for r in rows:
                await copy.write_row([r[c] for c in names])
