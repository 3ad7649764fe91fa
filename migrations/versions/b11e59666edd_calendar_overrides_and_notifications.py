"""calendar overrides and notifications

Revision ID: b11e59666edd
Revises: 3b2565f19ea1
Create Date: 2026-11-21 09:40:45.056963
"""
from alembic import op
import sqlalchemy as sa
import app.models.base
from sqlalchemy import Text  # noqa: F401 - used by JSONB columns


revision = 'b11e59666edd'
down_revision = '3b2565f19ea1'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('calendar_override',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('is_workday', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_calendar_override_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_override')),
    sa.UniqueConstraint('day', name=op.f('uq_calendar_override_day'))
    )
    op.create_table('notification',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('email_state', sa.Enum('pending', 'sent', 'failed', 'skipped', name='emailstate', native_enum=False, length=16), nullable=False),
    sa.Column('email_attempts', sa.Integer(), nullable=False),
    sa.Column('emailed_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('email_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_notification_case_id_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_notification_user_unread', ['user_id', 'read_at', 'id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_unread')
        batch_op.drop_index(batch_op.f('ix_notification_case_id'))

    op.drop_table('notification')
    op.drop_table('calendar_override')

