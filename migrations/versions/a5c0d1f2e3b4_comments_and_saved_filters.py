"""comments on cases, saved inbox filters, SMS opt-in and outbox

Revision ID: a5c0d1f2e3b4
Revises: 6efdaccb2a20
Create Date: 2026-12-02 01:45:00
"""
from alembic import op
import sqlalchemy as sa
import app.models.base
from sqlalchemy import Text  # noqa: F401 - used by JSONB columns
from sqlalchemy.dialects import postgresql


revision = 'a5c0d1f2e3b4'
down_revision = '6efdaccb2a20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_comment',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('author_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
        sa.Column('group', sa.String(length=64), nullable=True),
        sa.Column('text', sa.String(length=2000), nullable=False),
        sa.Column('visibility', sa.String(length=16), nullable=False),
        sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_case_comment_author_id_user')),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_case_comment_case_id_case'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_comment')),
    )
    op.create_index('ix_case_comment_case_created', 'case_comment', ['case_id', 'created_at'], unique=False)
    op.create_table(
        'saved_filter',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('group', sa.String(length=64), nullable=True),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('query', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
        sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_saved_filter_owner_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_filter')),
        sa.UniqueConstraint('owner_id', 'name', name='uq_saved_filter_owner_name'),
    )
    op.create_index(op.f('ix_saved_filter_group'), 'saved_filter', ['group'], unique=False)
    op.create_index(op.f('ix_saved_filter_owner_id'), 'saved_filter', ['owner_id'], unique=False)
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_opt_in', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_state', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('sms_sent_at', app.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sms_message_id', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('sms_message_id')
        batch_op.drop_column('sms_sent_at')
        batch_op.drop_column('sms_state')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('sms_opt_in')
    op.drop_index(op.f('ix_saved_filter_owner_id'), table_name='saved_filter')
    op.drop_index(op.f('ix_saved_filter_group'), table_name='saved_filter')
    op.drop_table('saved_filter')
    op.drop_index('ix_case_comment_case_created', table_name='case_comment')
    op.drop_table('case_comment')
