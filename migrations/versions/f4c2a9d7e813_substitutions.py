"""substitutions

转办 / 委托: a staff member's substitute for a date range (all processes or one).

Revision ID: f4c2a9d7e813
Revises: b3d8f0a1c2e4
Create Date: 2026-12-02 08:20:00
"""
from alembic import op
import sqlalchemy as sa
import app.models.base


revision = 'f4c2a9d7e813'
down_revision = 'b3d8f0a1c2e4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('substitution',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('substitute_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('process_key', sa.String(length=64), nullable=True),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_substitution_user_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['substitute_id'], ['user.id'], name=op.f('fk_substitution_substitute_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_substitution_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_substitution'))
    )
    with op.batch_alter_table('substitution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_substitution_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_substitution_substitute_id'), ['substitute_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('substitution', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_substitution_substitute_id'))
        batch_op.drop_index(batch_op.f('ix_substitution_user_id'))
    op.drop_table('substitution')
