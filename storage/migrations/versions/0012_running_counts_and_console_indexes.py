"""running counts for the console's figures; indexes for its lists

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 13:30:00

The table is filled by `storage.running_counts.ensure_current` (run after every upgrade by
`storage.migrate.upgrade`, and by `tepai db recount`): what is counted is code, which a
migration should not freeze.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'running_counts',
        sa.Column('figure', sa.String(length=16), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('county', sa.String(length=128), nullable=False),
        sa.Column('county2', sa.String(length=128), nullable=False),
        sa.Column('key', sa.String(length=1000), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('figure', 'year', 'county', 'county2', 'key', name=op.f('pk_running_counts')),
    )
    op.create_index('ix_visits_date_id', 'visits', ['visit_date', 'id'], unique=False)
    op.create_index(op.f('ix_commissioners_county'), 'commissioners', ['county'], unique=False)
    op.create_index(op.f('ix_enterprises_county'), 'enterprises', ['county'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_enterprises_county'), table_name='enterprises')
    op.drop_index(op.f('ix_commissioners_county'), table_name='commissioners')
    op.drop_index('ix_visits_date_id', table_name='visits')
    op.drop_table('running_counts')
