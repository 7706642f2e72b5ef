"""What every import reports and records: summaries, rejects, ``import_run``,
``layer_version``; and a bulk upsert helper shared by the sample loader."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from sqlalchemy import Connection, text

#: progress(done, total): called by long jobs; the CLI renders it with rich.
Progress = Callable[[int, int], None]

#: Layers that ``quvvat import LAYER FILE`` fills (``population`` is a raster).
IMPORT_LAYERS: Final = (
    "stations",
    "planned_sites",
    "candidate_sites",
    "parcels",
    "substations",
    "grid_lines",
    "roads",
    "districts",
    "pois",
    "population",
)


@dataclass(frozen=True, slots=True)
class Reject:
    """One feature that was not imported, and why."""

    feature: str
    reason: str


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """Counts of one import into one layer."""

    layer: str
    source_name: str
    read: int
    inserted: int
    updated: int
    rejected: int
    repaired: int = 0
    rejects: tuple[Reject, ...] = ()
    rejects_path: str | None = None
    run_id: int | None = None
    layer_version: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["rejects"] = [asdict(r) for r in self.rejects]
        d["notes"] = list(self.notes)
        return d


def record_run(conn: Connection, summary: ImportSummary) -> ImportSummary:
    """Write the ``import_run`` row and bump ``layer_version`` (in the caller's tx)."""
    run_id = conn.execute(
        text(
            "INSERT INTO import_run (layer, source_name, read, inserted, updated,"
            " rejected, rejects) VALUES (:layer, :src, :read, :ins, :upd, :rej,"
            " CAST(:rejects AS jsonb)) RETURNING id"
        ),
        {
            "layer": summary.layer,
            "src": summary.source_name,
            "read": summary.read,
            "ins": summary.inserted,
            "upd": summary.updated,
            "rej": summary.rejected,
            "rejects": json.dumps(
                [asdict(r) for r in summary.rejects[:1000]], ensure_ascii=False
            ),
        },
    ).scalar_one()
    version = conn.execute(
        text(
            "INSERT INTO layer_version (layer, version, updated_at)"
            " VALUES (:layer, 1, now()) ON CONFLICT (layer) DO UPDATE"
            " SET version = layer_version.version + 1, updated_at = now()"
            " RETURNING version"
        ),
        {"layer": summary.layer},
    ).scalar_one()
    return _replace(summary, run_id=int(run_id), layer_version=int(version))


def _replace(summary: ImportSummary, **changes: Any) -> ImportSummary:
    d = {f: getattr(summary, f) for f in summary.__dataclass_fields__}
    d.update(changes)
    return ImportSummary(**d)


@dataclass(frozen=True, slots=True)
class Col:
    """A column fed by an array parameter: ``sql_type`` is the array element type,
    ``expr`` (optional) turns ``u.<name>`` into the stored value."""

    name: str
    sql_type: str
    values: Sequence[Any]
    expr: str | None = None


def upsert_arrays(
    conn: Connection,
    table: str,
    cols: Sequence[Col],
    *,
    conflict: str,
    returning: str = "(xmax = 0)",
    touch_updated_at: bool = False,
) -> list[Any]:
    """``INSERT ... SELECT FROM unnest(arrays) ON CONFLICT (conflict) DO UPDATE``.

    One round trip per call; returns the ``returning`` rows (by default one bool
    per row: True when inserted, False when updated). ``table``, column names,
    types and expressions come from code, never from user input.
    """
    if not cols or not cols[0].values:
        return []
    params = {f"p{i}": list(c.values) for i, c in enumerate(cols)}
    unnest = ", ".join(f"CAST(:p{i} AS {c.sql_type}[])" for i, c in enumerate(cols))
    alias = ", ".join(c.name for c in cols)
    select = ", ".join(c.expr or f"u.{c.name}" for c in cols)
    keys = {k.strip() for k in conflict.split(",")}
    sets = [f"{c.name} = EXCLUDED.{c.name}" for c in cols if c.name not in keys]
    if touch_updated_at:
        sets.append("updated_at = now()")
    action = f"DO UPDATE SET {', '.join(sets)}" if sets else "DO NOTHING"
    sql = (
        f"INSERT INTO {table} ({alias}) SELECT {select} FROM unnest({unnest})"
        f" AS u({alias}) ON CONFLICT ({conflict}) {action} RETURNING {returning}"
    )
    result = conn.execute(text(sql), params)
    return list(result.all())
