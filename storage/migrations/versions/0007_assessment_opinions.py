"""assessment opinions: the county's opinion and the host units' evaluations

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 08:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('opinions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('commissioner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('written_by', sa.String(length=160), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['commissioner_id'], ['commissioners.id'], name=op.f('fk_opinions_commissioner_id_commissioners')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_opinions_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opinions'))
    )
    op.create_index('ix_opinions_year_commissioner', 'opinions', ['year', 'commissioner_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_opinions_year_commissioner', table_name='opinions')
    op.drop_table('opinions')
