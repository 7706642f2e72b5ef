"""Monthly meter_value partitions: safe when many sessions create the same one.

``CREATE TABLE IF NOT EXISTS ... PARTITION OF`` is not safe under concurrency:
two transactions that both see the partition missing race on the catalog and the
loser fails with ``duplicate_table`` (seen in the OCPP benchmark when hundreds of
charge points sent their first meter values of a new month at once). The
function now serialises on a transaction-level advisory lock per partition name
and treats ``duplicate_table`` as success.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BODY = """
CREATE OR REPLACE FUNCTION quvvat_ensure_meter_value_partition(ts timestamptz)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    month_start timestamptz := date_trunc('month', ts AT TIME ZONE 'UTC')
        AT TIME ZONE 'UTC';
    part text := 'meter_value_' || to_char(month_start AT TIME ZONE 'UTC',
        'YYYYMM');
BEGIN
    IF to_regclass(part) IS NULL THEN
        {create}
    END IF;
    RETURN part;
END $$;
"""

_CREATE = """EXECUTE format(
            'CREATE TABLE IF NOT EXISTS %I PARTITION OF meter_value '
            'FOR VALUES FROM (%L) TO (%L)',
            part, month_start, month_start + interval '1 month');"""


def upgrade() -> None:
    op.execute(
        _BODY.replace(
            "{create}",
            "PERFORM pg_advisory_xact_lock(hashtext('quvvat_partition:' || part));\n"
            "        IF to_regclass(part) IS NULL THEN\n"
            "            BEGIN\n"
            f"                {_CREATE}\n"
            "            EXCEPTION WHEN duplicate_table THEN\n"
            "                NULL;  -- created by a concurrent session meanwhile\n"
            "            END;\n"
            "        END IF;",
        )
    )


def downgrade() -> None:
    op.execute(_BODY.replace("{create}", _CREATE))
