"""raster_layer: imported rasters (population grids) kept as files under .data/rasters

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 00:11:03.385367
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_geospatial_table('raster_layer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), server_default='population', nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('crs_wkt', sa.Text(), nullable=False),
    sa.Column('epsg', sa.Integer(), nullable=True),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('band_count', sa.SmallInteger(), nullable=False),
    sa.Column('dtype', sa.Text(), nullable=False),
    sa.Column('nodata', sa.Double(), nullable=True),
    sa.Column('pixel_size_x', sa.Double(), nullable=False),
    sa.Column('pixel_size_y', sa.Double(), nullable=False),
    sa.Column('band1_sum', sa.Double(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('source_name', sa.Text(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint('width > 0 AND height > 0', name=op.f('ck_raster_layer_size_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_raster_layer')),
    sa.UniqueConstraint('name', name='uq_raster_layer_name')
    )
    op.create_geospatial_index('idx_raster_layer_geom', 'raster_layer', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})


def downgrade() -> None:
    op.drop_geospatial_index('idx_raster_layer_geom', table_name='raster_layer', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('raster_layer')
