"""running counts: a long key kept whole beside its digest

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 19:30:00

A cohort count's key joined every span a commissioner's agreements cover: some 45 separate
periods overflowed `key` (String(1000)) on PostgreSQL, and a key that long in the primary key
could pass PostgreSQL's limit for a btree entry. Now `key` is at most 100 characters, a longer
one stored as its digest with the whole key in `long_key`.

The counts are derived data: the table is emptied, and `storage.migrate.upgrade` fills
it (`running_counts.ensure_current`, as after 0012); so does the downgrade's old table.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text('DELETE FROM running_counts'))  # derived data, counted again after the upgrade
    with op.batch_alter_table('running_counts') as batch_op:
        batch_op.alter_column('key', existing_type=sa.String(length=1000), type_=sa.String(length=100),
                              existing_nullable=False)
        batch_op.add_column(sa.Column('long_key', sa.Text(), nullable=True))


def downgrade() -> None:
    op.execute(sa.text('DELETE FROM running_counts'))
    with op.batch_alter_table('running_counts') as batch_op:
        batch_op.drop_column('long_key')
        batch_op.alter_column('key', existing_type=sa.String(length=100), type_=sa.String(length=1000),
                              existing_nullable=False)
