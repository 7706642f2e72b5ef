"""Vector tile functions (sql/functions/tiles_*.sql) for /tiles/{layer}/{z}/{x}/{y}.pbf.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 00:10:00
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A later revision that changes a function re-runs its file (CREATE OR REPLACE).
_FILES = ("tiles_base.sql", "tiles_stations.sql")
_FUNCTIONS = (
    "quvvat_tile_stations(integer, integer, integer, text[], text, double precision, text, text, text)",
    "quvvat_tile_grid_lines(integer, integer, integer)",
    "quvvat_tile_substations(integer, integer, integer)",
    "quvvat_tile_parcels(integer, integer, integer)",
    "quvvat_tile_candidates(integer, integer, integer)",
    "quvvat_tile_planned(integer, integer, integer)",
    "quvvat_tile_basemap(integer, integer, integer)",
    "quvvat_tile_roads(integer, integer, integer)",
    "quvvat_tile_cities(integer, integer, integer)",
    "quvvat_tile_districts(integer, integer, integer)",
    "quvvat_tile_country(integer, integer, integer)",
    "quvvat_tile_regions(integer, integer, integer)",
    "quvvat_tile_tolerance(integer)",
)


def upgrade() -> None:
    folder = Path(__file__).resolve().parent.parent / "functions"
    # The files hold literal '%' (ILIKE patterns): run them on the DBAPI cursor
    # without parameters, so nothing is taken for a placeholder. Same transaction.
    cursor = op.get_bind().connection.dbapi_connection.cursor()
    try:
        for name in _FILES:
            cursor.execute((folder / name).read_text(encoding="utf-8"))
    finally:
        cursor.close()


def downgrade() -> None:
    bind = op.get_bind()
    for signature in _FUNCTIONS:
        bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {signature}")
