"""OCPP: operator commands with their answers, firmware/diagnostics status,
local list version, and one row per retried StatusNotification.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 00:01:22.606096
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ocpp_command',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('charge_point_id', sa.String(length=48), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('request', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='sent', nullable=False),
    sa.Column('response', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('error_code', sa.Text(), nullable=True),
    sa.Column('error_detail', sa.Text(), nullable=True),
    sa.Column('requested_by', sa.Text(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('sent', 'answered', 'error', 'timeout')", name=op.f('ck_ocpp_command_status')),
    sa.ForeignKeyConstraint(['charge_point_id'], ['charge_point.id'], name=op.f('fk_ocpp_command_charge_point_id_charge_point'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ocpp_command'))
    )
    op.create_index('ix_ocpp_command_cp_at', 'ocpp_command', ['charge_point_id', 'requested_at'], unique=False)
    op.add_column('charge_point', sa.Column('firmware_status', sa.Text(), nullable=True))
    op.add_column('charge_point', sa.Column('firmware_status_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('charge_point', sa.Column('diagnostics_status', sa.Text(), nullable=True))
    op.add_column('charge_point', sa.Column('diagnostics_status_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('evse', sa.Column('status_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('charge_point', sa.Column('local_list_version', sa.Integer(), server_default='0', nullable=False))
    op.create_unique_constraint('uq_status_event_sample', 'status_event', ['charge_point_id', 'evse_id', 'connector_id', 'status', 'occurred_at'], postgresql_nulls_not_distinct=True)


def downgrade() -> None:
    op.drop_constraint('uq_status_event_sample', 'status_event', type_='unique')
    op.drop_column('charge_point', 'local_list_version')
    op.drop_column('evse', 'status_at')
    op.drop_column('charge_point', 'diagnostics_status_at')
    op.drop_column('charge_point', 'diagnostics_status')
    op.drop_column('charge_point', 'firmware_status_at')
    op.drop_column('charge_point', 'firmware_status')
    op.drop_index('ix_ocpp_command_cp_at', table_name='ocpp_command')
    op.drop_table('ocpp_command')
