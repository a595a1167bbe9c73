"""enterprise feedback and surveys

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 08:02:10.906356
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by_user_id', sa.Integer(), nullable=True),
    sa.Column('proxy_by_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_surveys_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['answered_by_user_id'], ['users.id'], name=op.f('fk_surveys_answered_by_user_id_users')),
    sa.ForeignKeyConstraint(['proxy_by_user_id'], ['users.id'], name=op.f('fk_surveys_proxy_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
    sa.UniqueConstraint('agreement_id', 'period', name='uq_surveys_agreement_period')
    )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveys_agreement_id'), ['agreement_id'], unique=False)

    op.create_table('visit_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('prompted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reminders_sent', sa.Integer(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by_user_id', sa.Integer(), nullable=True),
    sa.Column('proxy_by_user_id', sa.Integer(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('dispute_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_user_id'], ['users.id'], name=op.f('fk_visit_feedback_answered_by_user_id_users')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_visit_feedback_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['proxy_by_user_id'], ['users.id'], name=op.f('fk_visit_feedback_proxy_by_user_id_users')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_feedback_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_feedback')),
    sa.UniqueConstraint('visit_id', name=op.f('uq_visit_feedback_visit_id'))
    )
    with op.batch_alter_table('visit_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_feedback_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_feedback_status'), ['status'], unique=False)

    # Visits logged before this revision get a pending prompt, as new ones do.
    op.execute(
        "INSERT INTO visit_feedback (visit_id, enterprise_id, status, prompted_at, reminders_sent) "
        "SELECT id, enterprise_id, 'pending', logged_at, 0 FROM visits"
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_column('enterprise_response')



def downgrade() -> None:
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_response', sa.VARCHAR(length=16), nullable=False,
                                      server_default='pending'))

    with op.batch_alter_table('visit_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_feedback_status'))
        batch_op.drop_index(batch_op.f('ix_visit_feedback_enterprise_id'))

    op.drop_table('visit_feedback')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surveys_agreement_id'))

    op.drop_table('surveys')
