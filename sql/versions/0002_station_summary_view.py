"""Station summary view: one row per site with its aggregate live status.

Used by the stations API, the station tiles and the live events, so that every
place computes a station's status the same way.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIEW = """
CREATE OR REPLACE VIEW station_summary AS
SELECT
    s.id AS site_id,
    count(DISTINCT cp.id)::int AS charge_points,
    count(c.id)::int AS connectors,
    max(c.max_power_kw)::float8 AS max_power_kw,
    coalesce(
        array_agg(DISTINCT c.type ORDER BY c.type) FILTER (WHERE c.type IS NOT NULL),
        '{}'
    )::text[] AS connector_types,
    CASE
        WHEN count(cp.id) = 0 THEN 'unknown'
        WHEN bool_and(cp.protocol IS NOT NULL AND NOT cp.connected) THEN 'offline'
        WHEN bool_or(c.status = 'Available'
                     AND NOT (cp.protocol IS NOT NULL AND NOT cp.connected))
            THEN 'available'
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
GROUP BY s.id;
COMMENT ON VIEW station_summary IS
    'Per site: charge point and connector counts, max power, connector types and '
    'the aggregate status (offline > available > charging > faulted > unavailable)';
"""


def upgrade() -> None:
    op.execute(VIEW)
    op.create_index("ix_connector_evse_pk", "connector", ["evse_pk"])
    op.create_index("ix_evse_charge_point_id", "evse", ["charge_point_id"])


def downgrade() -> None:
    op.drop_index("ix_evse_charge_point_id", table_name="evse")
    op.drop_index("ix_connector_evse_pk", table_name="connector")
    op.execute("DROP VIEW IF EXISTS station_summary")
