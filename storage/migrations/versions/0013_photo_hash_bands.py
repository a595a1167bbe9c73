"""indexes on the bands of the photos' perceptual hashes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 17:00:00

The reuse check read every image of every live visit for each new visit: at a province's size,
hundreds of thousands of rows a confirm. Two hashes at most 6 bits apart agree on one of seven
bands (domain.evidence.PHASH_BANDS), so it now reads the photos that share a band, through these
indexes on expressions (PostgreSQL and SQLite both have them).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# domain.evidence.PHASH_BANDS when this was written: a migration keeps its own copy.
BANDS = ((1, 3), (4, 3), (7, 2), (9, 2), (11, 2), (13, 2), (15, 2))


def upgrade() -> None:
    for i, (start, length) in enumerate(BANDS):
        op.create_index(f'ix_stored_files_phash_b{i}', 'stored_files', [sa.text(f'substr(phash, {start}, {length})')])


def downgrade() -> None:
    for i in range(len(BANDS)):
        op.drop_index(f'ix_stored_files_phash_b{i}', table_name='stored_files')
