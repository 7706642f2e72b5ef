"""One round trip per StatusNotification: ``quvvat_status_notification``.

The OCPP server spent most of its CPU building and executing four to five
statements per StatusNotification (a boot storm of 1,000 charge points sends
three of them each). The function does the same work in the database: map a
1.6 ``connectorId`` onto the stored EVSE/connector, store the history row once
(retries are ignored), move the EVSE and connector status forward (never back
in time), and return whether the row was new with what the live event needs.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
CREATE FUNCTION quvvat_status_notification(
    p_cp text, p_evse integer, p_conn integer, p_status text, p_error text,
    p_info text, p_at timestamptz, p_v16_connector boolean,
    OUT inserted boolean, OUT cp_connected boolean, OUT evse_statuses text[],
    OUT evse_id integer, OUT connector_id integer)
LANGUAGE plpgsql AS $$
DECLARE
    m record;
BEGIN
    IF p_v16_connector AND p_evse >= 1 THEN
        SELECT e.evse_id AS e_id, c.connector_id AS c_id INTO m
        FROM connector c JOIN evse e ON e.id = c.evse_pk
        WHERE e.charge_point_id = p_cp
        ORDER BY e.evse_id, c.connector_id OFFSET p_evse - 1 LIMIT 1;
        IF FOUND THEN
            p_evse := m.e_id;
            p_conn := m.c_id;
        END IF;
    END IF;
    INSERT INTO status_event (charge_point_id, evse_id, connector_id, status,
                              error_code, info, occurred_at)
    VALUES (p_cp, p_evse, p_conn, p_status, p_error, p_info, p_at)
    ON CONFLICT DO NOTHING;
    inserted := FOUND;
    IF p_evse >= 1 THEN
        INSERT INTO evse AS e (charge_point_id, evse_id, status, status_at)
        VALUES (p_cp, p_evse, p_status, p_at)
        ON CONFLICT ON CONSTRAINT uq_evse_cp_evse DO UPDATE
            SET status = EXCLUDED.status, status_at = EXCLUDED.status_at
            WHERE e.status_at IS NULL OR e.status_at <= EXCLUDED.status_at;
        UPDATE connector c SET status = p_status, status_at = p_at
        FROM evse e
        WHERE c.evse_pk = e.id AND e.charge_point_id = p_cp AND e.evse_id = p_evse
          AND (p_conn IS NULL OR c.connector_id = p_conn)
          AND (c.status_at IS NULL OR c.status_at <= p_at);
    END IF;
    SELECT cp.connected, array_remove(array_agg(e.status::text), NULL)
    INTO cp_connected, evse_statuses
    FROM charge_point cp LEFT JOIN evse e ON e.charge_point_id = cp.id
    WHERE cp.id = p_cp GROUP BY cp.connected;
    evse_id := p_evse;
    connector_id := p_conn;
END $$;
COMMENT ON FUNCTION quvvat_status_notification(text, integer, integer, text, text,
    text, timestamptz, boolean) IS
    'StatusNotification in one call: history row once, EVSE/connector status forward only';
"""
    )


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION quvvat_status_notification(text, integer, integer, text, text,"
        " text, timestamptz, boolean)"
    )
