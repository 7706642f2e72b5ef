"""charge_point.local_list_digest: what the last accepted SendLocalList held.

After a BootNotification is accepted, the server compares this digest with the
current id tokens and sends the full list only when they differ, so charge
points keep authorizing with current cards while their link is down.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "charge_point", sa.Column("local_list_digest", sa.String(64), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("charge_point", "local_list_digest")
