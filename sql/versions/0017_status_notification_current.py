"""``quvvat_status_notification`` also says whether the notification is current.

A charge point that was offline replays its queued StatusNotifications with
their old timestamps. Each is kept in the history, but the EVSE and connector
status only ever move forward in time, so a notification older than the stored
status changes nothing on the map: the new ``is_current`` output is false for
it, and the server announces no live event for it (before, a replayed
"Charging" from an hour ago re-coloured a connector that is Available now).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DROP = (
    "DROP FUNCTION quvvat_status_notification(text, integer, integer, text, text,"
    " text, timestamptz, boolean)"
)


def upgrade() -> None:
    op.execute(_DROP)
    op.execute(
        """
CREATE FUNCTION quvvat_status_notification(
    p_cp text, p_evse integer, p_conn integer, p_status text, p_error text,
    p_info text, p_at timestamptz, p_v16_connector boolean,
    OUT inserted boolean, OUT cp_connected boolean, OUT evse_statuses text[],
    OUT evse_id integer, OUT connector_id integer, OUT is_current boolean)
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
    -- The whole charge point (1.6 connectorId 0, 2.0.1 without an EVSE) has
    -- no stored status to move: such a notification is always current.
    is_current := true;
    IF p_evse >= 1 THEN
        INSERT INTO evse AS e (charge_point_id, evse_id, status, status_at)
        VALUES (p_cp, p_evse, p_status, p_at)
        ON CONFLICT ON CONSTRAINT uq_evse_cp_evse DO UPDATE
            SET status = EXCLUDED.status, status_at = EXCLUDED.status_at
            WHERE e.status_at IS NULL OR e.status_at <= EXCLUDED.status_at;
        is_current := FOUND;
        UPDATE connector c SET status = p_status, status_at = p_at
        FROM evse e
        WHERE c.evse_pk = e.id AND e.charge_point_id = p_cp AND e.evse_id = p_evse
          AND (p_conn IS NULL OR c.connector_id = p_conn)
          AND (c.status_at IS NULL OR c.status_at <= p_at);
        -- A connector's own newer status counts too (an EVSE with two
        -- connectors gets the latest of either).
        is_current := is_current OR FOUND;
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
    'StatusNotification in one call: history row once, EVSE/connector status forward only,'
    ' is_current false for a notification older than the stored status';
"""
    )


def downgrade() -> None:
    op.execute(_DROP)
    # The previous definition is revision 0011's.
    path = Path(__file__).with_name("0011_ocpp_status_function.py")
    spec = importlib.util.spec_from_file_location("quvvat_migration_0011", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    previous = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(previous)
    previous.upgrade()
