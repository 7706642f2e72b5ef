"""Station status kept in a table by statement-level triggers.

The grouped view of 0002/0003 aggregated every charge point of the country before
a bbox filter applied (about 4 s per query at 100,000 stations), and even a
per-site LATERAL aggregate cost about 45 us a site. Now:

* ``station_status`` holds the summary per site (same rule as 0003), refreshed by ``quvvat_refresh_site_status``
  from AFTER ... FOR EACH STATEMENT triggers (transition tables) on connector, evse
  and charge_point, so a bulk import refreshes each site once;
* the refresh takes a transaction-level advisory lock per site first (a table
  lock for more than 200 sites), so that two concurrent transactions touching one
  site serialise and the later one recomputes from a snapshot that sees the
  earlier commit;
* ``station_summary`` (same columns as before) reads the table; sites without
  charge points are 'unknown'.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AGGREGATES = """
        count(DISTINCT cp.id)::int AS charge_points,
        count(c.id)::int AS connectors,
        max(c.max_power_kw)::float8 AS max_power_kw,
        coalesce(
            array_agg(DISTINCT c.type ORDER BY c.type) FILTER (WHERE c.type IS NOT NULL),
            '{}'
        )::text[] AS connector_types,
        CASE
            WHEN count(cp.id) = 0 THEN 'unknown'
            WHEN bool_and(cp.last_seen_at IS NOT NULL AND NOT cp.connected)
                THEN 'offline'
            WHEN bool_or(c.status = 'Available'
                         AND NOT (cp.last_seen_at IS NOT NULL AND NOT cp.connected))
                THEN 'available'
            WHEN bool_or(c.status IN ('Charging', 'Preparing', 'SuspendedEV',
                                      'SuspendedEVSE', 'Finishing', 'Occupied'))
                THEN 'charging'
            WHEN bool_or(c.status = 'Faulted') THEN 'faulted'
            WHEN bool_or(c.status IN ('Unavailable', 'Reserved')) THEN 'unavailable'
            ELSE 'unknown'
        END AS status
"""

SQL_UP = f"""
CREATE FUNCTION quvvat_refresh_site_status(ids integer[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN RETURN; END IF;
    -- Serialise per site (per table for bulk changes, to spare the lock table);
    -- the statements below then take snapshots that see earlier commits.
    IF cardinality(ids) > 200 THEN
        LOCK TABLE station_status IN SHARE ROW EXCLUSIVE MODE;
        -- Bulk loads run in one transaction before autovacuum saw the rows:
        -- fresh statistics keep the planner on hash joins.
        ANALYZE charge_point, evse, connector;
    ELSE
        PERFORM pg_advisory_xact_lock(20250, id)
            FROM (SELECT DISTINCT unnest(ids) AS id ORDER BY 1) x;
    END IF;
    DELETE FROM station_status st USING unnest(ids) AS u(id)
        WHERE st.site_id = u.id AND NOT EXISTS (SELECT 1 FROM charge_point cp WHERE cp.site_id = st.site_id);
    INSERT INTO station_status AS st (site_id, charge_points, connectors, max_power_kw,
                                      connector_types, status, updated_at)
    SELECT cp.site_id, {_AGGREGATES}, now()
    FROM (SELECT DISTINCT unnest(ids) AS id) u
    JOIN charge_point cp ON cp.site_id = u.id
    LEFT JOIN evse e ON e.charge_point_id = cp.id
    LEFT JOIN connector c ON c.evse_pk = e.id
    GROUP BY cp.site_id
    ON CONFLICT (site_id) DO UPDATE SET
        charge_points = EXCLUDED.charge_points, connectors = EXCLUDED.connectors,
        max_power_kw = EXCLUDED.max_power_kw, connector_types = EXCLUDED.connector_types,
        status = EXCLUDED.status, updated_at = EXCLUDED.updated_at;
END $$;
COMMENT ON FUNCTION quvvat_refresh_site_status(integer[]) IS
    'Recomputes station_status for the given sites (called by triggers)';

CREATE FUNCTION quvvat_tg_connector_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM quvvat_refresh_site_status(ARRAY(
        SELECT DISTINCT cp.site_id FROM changed x
        JOIN evse e ON e.id = x.evse_pk
        JOIN charge_point cp ON cp.id = e.charge_point_id
        WHERE cp.site_id IS NOT NULL));
    RETURN NULL;
END $$;

CREATE FUNCTION quvvat_tg_evse_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM quvvat_refresh_site_status(ARRAY(
        SELECT DISTINCT cp.site_id FROM changed x
        JOIN charge_point cp ON cp.id = x.charge_point_id
        WHERE cp.site_id IS NOT NULL));
    RETURN NULL;
END $$;

CREATE FUNCTION quvvat_tg_charge_point_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM quvvat_refresh_site_status(ARRAY(
        SELECT DISTINCT site_id FROM changed WHERE site_id IS NOT NULL));
    RETURN NULL;
END $$;

CREATE FUNCTION quvvat_tg_charge_point_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM quvvat_refresh_site_status(ARRAY(
        SELECT site_id FROM changed WHERE site_id IS NOT NULL
        UNION SELECT site_id FROM changed_old WHERE site_id IS NOT NULL));
    RETURN NULL;
END $$;

CREATE TRIGGER connector_status_ins AFTER INSERT ON connector
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION quvvat_tg_connector_status();
CREATE TRIGGER connector_status_upd AFTER UPDATE ON connector
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION quvvat_tg_connector_status();
CREATE TRIGGER connector_status_del AFTER DELETE ON connector
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION quvvat_tg_connector_status();
CREATE TRIGGER evse_status_ins AFTER INSERT ON evse
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION quvvat_tg_evse_status();
CREATE TRIGGER evse_status_del AFTER DELETE ON evse
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION quvvat_tg_evse_status();
CREATE TRIGGER charge_point_status_ins AFTER INSERT ON charge_point
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION quvvat_tg_charge_point_status();
CREATE TRIGGER charge_point_status_upd AFTER UPDATE ON charge_point
    REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION quvvat_tg_charge_point_moved();
CREATE TRIGGER charge_point_status_del AFTER DELETE ON charge_point
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION quvvat_tg_charge_point_status();

DROP VIEW station_summary;
CREATE VIEW station_summary AS
SELECT s.id AS site_id,
       coalesce(st.charge_points, 0) AS charge_points,
       coalesce(st.connectors, 0) AS connectors,
       st.max_power_kw,
       coalesce(st.connector_types, '{{}}'::text[]) AS connector_types,
       coalesce(st.status, 'unknown') AS status
FROM site s LEFT JOIN station_status st ON st.site_id = s.id;
COMMENT ON VIEW station_summary IS
    'Per site: counts, max power, connector types and aggregate status (station_status)';

SELECT quvvat_refresh_site_status(ARRAY(SELECT id FROM site));
"""

SQL_DOWN = f"""
DROP VIEW station_summary;
DROP TRIGGER connector_status_ins ON connector;
DROP TRIGGER connector_status_upd ON connector;
DROP TRIGGER connector_status_del ON connector;
DROP TRIGGER evse_status_ins ON evse;
DROP TRIGGER evse_status_del ON evse;
DROP TRIGGER charge_point_status_ins ON charge_point;
DROP TRIGGER charge_point_status_upd ON charge_point;
DROP TRIGGER charge_point_status_del ON charge_point;
DROP FUNCTION quvvat_tg_connector_status();
DROP FUNCTION quvvat_tg_evse_status();
DROP FUNCTION quvvat_tg_charge_point_status();
DROP FUNCTION quvvat_tg_charge_point_moved();
DROP FUNCTION quvvat_refresh_site_status(integer[]);
"""


def upgrade() -> None:
    op.create_table(
        "station_status",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("charge_points", sa.Integer(), nullable=False),
        sa.Column("connectors", sa.Integer(), nullable=False),
        sa.Column("max_power_kw", sa.Double(), nullable=True),
        sa.Column("connector_types", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
            name=op.f("fk_station_status_site_id_site"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_station_status")),
    )
    op.execute(SQL_UP)


def downgrade() -> None:
    op.execute(SQL_DOWN)
    # Back to the 0003 shape: a grouped view.
    op.execute(
        f"CREATE VIEW station_summary AS SELECT s.id AS site_id, {_AGGREGATES}"
        " FROM site s LEFT JOIN charge_point cp ON cp.site_id = s.id"
        " LEFT JOIN evse e ON e.charge_point_id = cp.id"
        " LEFT JOIN connector c ON c.evse_pk = e.id GROUP BY s.id"
    )
    op.drop_table("station_status")
