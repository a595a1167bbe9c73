"""selection and agreement lifecycle

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 12:24:17.092706
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('needs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=128), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('expected_help', sa.Text(), nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('file_ids', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=160), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_needs_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_needs')),
    sa.UniqueConstraint('code', name=op.f('uq_needs_code'))
    )
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_needs_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_status'), ['status'], unique=False)

    op.create_table('disqualifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('commissioner_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('article', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.String(length=160), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('barred_until', sa.Date(), nullable=False),
    sa.Column('recover_subsidies', sa.Boolean(), nullable=False),
    sa.Column('agreements_ended', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['commissioner_id'], ['commissioners.id'], name=op.f('fk_disqualifications_commissioner_id_commissioners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disqualifications'))
    )
    with op.batch_alter_table('disqualifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disqualifications_commissioner_id'), ['commissioner_id'], unique=False)

    op.create_table('change_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('requested_by', sa.String(length=160), nullable=False),
    sa.Column('requester_role', sa.String(length=16), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=160), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_change_requests_agreement_id_agreements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_requests'))
    )
    with op.batch_alter_table('change_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_change_requests_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_change_requests_status'), ['status'], unique=False)

    op.create_table('pairings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('commissioner_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('commissioner_interest_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('enterprise_interest_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by', sa.String(length=160), nullable=True),
    sa.Column('notice_start', sa.Date(), nullable=True),
    sa.Column('notice_end', sa.Date(), nullable=True),
    sa.Column('unit_signs', sa.Boolean(), nullable=False),
    sa.Column('signed_commissioner_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_enterprise_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_unit_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('agreement_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_pairings_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['commissioner_id'], ['commissioners.id'], name=op.f('fk_pairings_commissioner_id_commissioners')),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_pairings_need_id_needs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pairings')),
    sa.UniqueConstraint('need_id', 'commissioner_id', name='uq_pairings_need_commissioner')
    )
    with op.batch_alter_table('pairings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pairings_commissioner_id'), ['commissioner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pairings_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pairings_status'), ['status'], unique=False)

    op.create_table('objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pairing_id', sa.Integer(), nullable=False),
    sa.Column('filed_by', sa.String(length=160), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('decided_by', sa.String(length=160), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['pairing_id'], ['pairings.id'], name=op.f('fk_objections_pairing_id_pairings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objections'))
    )
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objections_pairing_id'), ['pairing_id'], unique=False)

    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('targets', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('renew_commissioner_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('renew_enterprise_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('commissioners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keywords', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('capacity', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='active', nullable=False))
        batch_op.add_column(sa.Column('barred_until', sa.Date(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('commissioners', schema=None) as batch_op:
        batch_op.drop_column('barred_until')
        batch_op.drop_column('status')
        batch_op.drop_column('capacity')
        batch_op.drop_column('keywords')

    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_column('renew_enterprise_at')
        batch_op.drop_column('renew_commissioner_at')
        batch_op.drop_column('targets')

    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objections_pairing_id'))

    op.drop_table('objections')
    with op.batch_alter_table('pairings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pairings_status'))
        batch_op.drop_index(batch_op.f('ix_pairings_need_id'))
        batch_op.drop_index(batch_op.f('ix_pairings_commissioner_id'))

    op.drop_table('pairings')
    with op.batch_alter_table('change_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_change_requests_status'))
        batch_op.drop_index(batch_op.f('ix_change_requests_agreement_id'))

    op.drop_table('change_requests')
    with op.batch_alter_table('disqualifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disqualifications_commissioner_id'))

    op.drop_table('disqualifications')
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_needs_status'))
        batch_op.drop_index(batch_op.f('ix_needs_enterprise_id'))

    op.drop_table('needs')
