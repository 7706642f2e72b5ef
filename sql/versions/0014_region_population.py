"""region.population: the official permanent population of each region.

Planning uses it as the control total of each region: the people of the
populated places are spread with the city kernel and the rest of the region's
figure is spread evenly over its cells, so a region's population in a
scenario matches the statistics office instead of a national rural density.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("region", sa.Column("population", sa.BigInteger(), nullable=True))
    op.add_column("region", sa.Column("population_as_of", sa.Date(), nullable=True))
    op.add_column("region", sa.Column("population_source", sa.Text(), nullable=True))
    op.create_check_constraint(
        op.f("ck_region_population_nonneg"),
        "region",
        "population IS NULL OR population >= 0",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_region_population_nonneg"), "region", type_="check")
    op.drop_column("region", "population_source")
    op.drop_column("region", "population_as_of")
    op.drop_column("region", "population")
