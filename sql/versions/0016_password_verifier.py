"""charge_point.password_verifier: a keyed fast check of a password that already
passed argon2.

After a charge point's password passes the (deliberately slow) argon2 check
once, the server stores HMAC-SHA256(server key, id, hash, password) here, so
after a restart the whole fleet reconnects without one argon2 run each (20-30 ms
of CPU per charge point). Without the server key the value reveals nothing; it
is bound to the current hash, so a new password invalidates it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "charge_point", sa.Column("password_verifier", sa.String(64), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("charge_point", "password_verifier")
