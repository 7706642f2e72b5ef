"""poi: points of interest that draw drivers (fuel stations, malls, hotels ...).

Imported like the other layers (``quvvat import pois``, GeoJSON/GPKG/CSV or an
OSM extract); planning weighs them by category as the destination driver of
demand, and fuel stations become candidate sites.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "poi",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ext_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column(
            "properties",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "geom",
            Geometry(geometry_type="POINT", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "weight IS NULL OR weight >= 0", name=op.f("ck_poi_weight_nonneg")
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_poi_region_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poi")),
        sa.UniqueConstraint("ext_id", name="uq_poi_ext_id"),
    )
    op.create_index(
        "idx_poi_geom", "poi", ["geom"], unique=False, postgresql_using="gist"
    )
    op.create_index(op.f("ix_poi_region_id"), "poi", ["region_id"], unique=False)
    op.create_index(op.f("ix_poi_category"), "poi", ["category"], unique=False)


def downgrade() -> None:
    op.drop_table("poi")
