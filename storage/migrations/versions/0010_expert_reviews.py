"""expert reviews: one reviewer's points per criterion and conclusion (Jincheng 第二十条)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('expert_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('commissioner_id', sa.Integer(), nullable=False),
    sa.Column('reviewer', sa.String(length=80), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('conclusion', sa.String(length=32), nullable=False),
    sa.Column('written_by', sa.String(length=160), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['commissioner_id'], ['commissioners.id'], name=op.f('fk_expert_reviews_commissioner_id_commissioners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_reviews')),
    sa.UniqueConstraint('year', 'commissioner_id', 'reviewer', name='uq_expert_reviews_reviewer')
    )
    with op.batch_alter_table('expert_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_reviews_commissioner_id'), ['commissioner_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('expert_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_reviews_commissioner_id'))
    op.drop_table('expert_reviews')
