"""Station status: 'offline' only for charge points that have connected before.

A charge point that has never connected to this server (imported from another
system, or demo data) keeps the connector statuses it was imported with; one that
connected at least once (``last_seen_at`` set) and is now disconnected is offline.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_OFFLINE = "cp.protocol IS NOT NULL AND NOT cp.connected"
_NEW_OFFLINE = "cp.last_seen_at IS NOT NULL AND NOT cp.connected"


def _view(offline: str) -> str:
    return f"""
CREATE OR REPLACE VIEW station_summary AS
SELECT
    s.id AS site_id,
    count(DISTINCT cp.id)::int AS charge_points,
    count(c.id)::int AS connectors,
    max(c.max_power_kw)::float8 AS max_power_kw,
    coalesce(
        array_agg(DISTINCT c.type ORDER BY c.type) FILTER (WHERE c.type IS NOT NULL),
        '{{}}'
    )::text[] AS connector_types,
    CASE
        WHEN count(cp.id) = 0 THEN 'unknown'
        WHEN bool_and({offline}) THEN 'offline'
        WHEN bool_or(c.status = 'Available' AND NOT ({offline})) THEN 'available'
        WHEN bool_or(c.status IN ('Charging', 'Preparing', 'SuspendedEV',
                                  'SuspendedEVSE', 'Finishing', 'Occupied'))
            THEN 'charging'
        WHEN bool_or(c.status = 'Faulted') THEN 'faulted'
        WHEN bool_or(c.status IN ('Unavailable', 'Reserved')) THEN 'unavailable'
        ELSE 'unknown'
    END AS status
FROM site s
LEFT JOIN charge_point cp ON cp.site_id = s.id
LEFT JOIN evse e ON e.charge_point_id = cp.id
LEFT JOIN connector c ON c.evse_pk = e.id
GROUP BY s.id
"""


def upgrade() -> None:
    op.execute(_view(_NEW_OFFLINE))


def downgrade() -> None:
    op.execute(_view(_OLD_OFFLINE))
