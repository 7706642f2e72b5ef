"""Many rows in one statement: one array parameter per column, ``unnest``-ed.

Far less client CPU than ``executemany`` or the ORM bulk insert (one parameter
set per row), which matters on the OCPP write paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class UnnestInsert:
    """``INSERT INTO table (columns) SELECT * FROM unnest(arrays) [suffix]``."""

    table: str
    #: (column, SQL type of one element), in table order of the INSERT.
    columns: tuple[tuple[str, str], ...]
    #: e.g. ``ON CONFLICT DO NOTHING``.
    suffix: str = ""
    statement: TextClause = field(init=False)

    def __post_init__(self) -> None:
        names = ", ".join(c for c, _ in self.columns)
        arrays = ", ".join(f"CAST(:{c} AS {t}[])" for c, t in self.columns)
        sql = f"INSERT INTO {self.table} ({names}) SELECT * FROM unnest({arrays})"
        object.__setattr__(self, "statement", text(f"{sql} {self.suffix}".strip()))

    async def execute(self, db: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
        await db.execute(
            self.statement, {c: [r[c] for r in rows] for c, _ in self.columns}
        )
