"""credit

Revision ID: 16a3eb4a0a93
Revises: 3e1dbe3c1752
Create Date: 2026-11-21 10:58:09.168174
"""
from alembic import op
import sqlalchemy as sa
import app.models.base
from sqlalchemy import Text  # noqa: F401 - used by JSONB columns


revision = '16a3eb4a0a93'
down_revision = '3e1dbe3c1752'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('credit_record',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('source', sa.String(length=100), nullable=True),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_credit_record_case_id_case'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_record'))
    )
    with op.batch_alter_table('credit_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_record_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_record_credit_code'), ['credit_code'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('credit_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_record_credit_code'))
        batch_op.drop_index(batch_op.f('ix_credit_record_case_id'))

    op.drop_table('credit_record')
