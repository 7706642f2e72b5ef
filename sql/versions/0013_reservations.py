"""Reservations (ReserveNow / CancelReservation) with their life cycle.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reservation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("charge_point_id", sa.String(length=48), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=True),
        sa.Column("id_tag", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="Pending", nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('Pending', 'Active', 'Rejected', 'Cancelled', 'Used', 'Expired',"
            " 'Removed')",
            name=op.f("ck_reservation_status"),
        ),
        sa.ForeignKeyConstraint(
            ["charge_point_id"], ["charge_point.id"],
            name=op.f("fk_reservation_charge_point_id_charge_point"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation")),
    )  # fmt: skip
    op.create_index(
        "ix_reservation_cp_status", "reservation", ["charge_point_id", "status"]
    )


def downgrade() -> None:
    op.drop_index("ix_reservation_cp_status", table_name="reservation")
    op.drop_table("reservation")
