"""Scenario results: H3 cells, scored candidates, corridor gaps and proposals.

Also adds input versions, error text and run times to ``scenario``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 00:15:42.759911
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_geospatial_table('scenario_corridor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('road', sa.Text(), nullable=False),
    sa.Column('rule', sa.Text(), nullable=False),
    sa.Column('start_km', sa.Double(), nullable=False),
    sa.Column('end_km', sa.Double(), nullable=False),
    sa.Column('geom', Geometry(srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint("kind IN ('gap', 'proposed')", name=op.f('ck_scenario_corridor_kind')),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenario.id'], name=op.f('fk_scenario_corridor_scenario_id_scenario'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenario_corridor'))
    )
    op.create_geospatial_index('idx_scenario_corridor_geom', 'scenario_corridor', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_scenario_corridor_scenario_id'), 'scenario_corridor', ['scenario_id'], unique=False)
    op.create_table('scenario_h3_cell',
    sa.Column('scenario_id', sa.Integer(), nullable=False),
    sa.Column('h3', sa.String(length=15), nullable=False),
    sa.Column('population', sa.Double(), nullable=False),
    sa.Column('demand_kwh_day', sa.Double(), nullable=False),
    sa.Column('traffic_km', sa.Double(), nullable=False),
    sa.Column('distance_m', sa.Double(), nullable=True),
    sa.Column('minutes', sa.Double(), nullable=True),
    sa.Column('covered', sa.Boolean(), nullable=False),
    sa.Column('covered_planned', sa.Boolean(), nullable=False),
    sa.Column('underserved', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenario.id'], name=op.f('fk_scenario_h3_cell_scenario_id_scenario'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('scenario_id', 'h3', name=op.f('pk_scenario_h3_cell'))
    )
    op.create_geospatial_table('scenario_candidate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.Integer(), nullable=False),
    sa.Column('candidate_site_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('power_kw', sa.Double(), nullable=False),
    sa.Column('cost_uzs', sa.BigInteger(), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('selected', sa.Boolean(), nullable=False),
    sa.Column('selection_order', sa.Integer(), nullable=True),
    sa.Column('grid_ok', sa.Boolean(), nullable=False),
    sa.Column('substation_id', sa.Integer(), nullable=True),
    sa.Column('breakdown', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('reasons', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['candidate_site_id'], ['candidate_site.id'], name=op.f('fk_scenario_candidate_candidate_site_id_candidate_site'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenario.id'], name=op.f('fk_scenario_candidate_scenario_id_scenario'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['substation_id'], ['grid_substation.id'], name=op.f('fk_scenario_candidate_substation_id_grid_substation'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scenario_candidate'))
    )
    op.create_geospatial_index('idx_scenario_candidate_geom', 'scenario_candidate', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_scenario_candidate_scenario_rank', 'scenario_candidate', ['scenario_id', 'rank'], unique=False)
    op.add_column('scenario', sa.Column('input_versions', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False))
    op.add_column('scenario', sa.Column('error', sa.Text(), nullable=True))
    op.add_column('scenario', sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('scenario', sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('scenario', 'finished_at')
    op.drop_column('scenario', 'started_at')
    op.drop_column('scenario', 'error')
    op.drop_column('scenario', 'input_versions')
    op.drop_index('ix_scenario_candidate_scenario_rank', table_name='scenario_candidate')
    op.drop_geospatial_index('idx_scenario_candidate_geom', table_name='scenario_candidate', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('scenario_candidate')
    op.drop_table('scenario_h3_cell')
    op.drop_index(op.f('ix_scenario_corridor_scenario_id'), table_name='scenario_corridor')
    op.drop_geospatial_index('idx_scenario_corridor_geom', table_name='scenario_corridor', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('scenario_corridor')
