"""one objection per person per pairing; a renewal decline is stored

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 08:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Repeated objections filed before the rule: keep one per person and pairing, the pending one
    # if any (it is what holds the pairing), else the first.
    op.execute(
        "DELETE FROM objections WHERE id NOT IN (SELECT keep FROM (SELECT COALESCE("
        "MIN(CASE WHEN decision IS NULL THEN id END), MIN(id)) AS keep FROM objections "
        "GROUP BY pairing_id, filed_by) AS kept)"
    )
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_objections_pairing_filed_by', ['pairing_id', 'filed_by'])
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('renew_commissioner_declined_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('renew_enterprise_declined_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_column('renew_enterprise_declined_at')
        batch_op.drop_column('renew_commissioner_declined_at')
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.drop_constraint('uq_objections_pairing_filed_by', type_='unique')
