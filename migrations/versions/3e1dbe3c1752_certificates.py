"""certificates

Revision ID: 3e1dbe3c1752
Revises: 43f869f8cb84
Create Date: 2026-11-21 10:50:10.490252
"""
from alembic import op
import sqlalchemy as sa
import app.models.base
from sqlalchemy import Text  # noqa: F401 - used by JSONB columns


revision = '3e1dbe3c1752'
down_revision = '43f869f8cb84'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('certificate',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('holder_name', sa.String(length=200), nullable=False),
    sa.Column('holder_credit_code', sa.String(length=18), nullable=True),
    sa.Column('project_name', sa.String(length=200), nullable=False),
    sa.Column('project_code', sa.String(length=64), nullable=True),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('floor_area', sa.Float(), nullable=True),
    sa.Column('investment', sa.Float(), nullable=True),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('issued_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=False),
    sa.Column('revoked_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_certificate_case_id_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate')),
    sa.UniqueConstraint('case_id', name=op.f('uq_certificate_case_id')),
    sa.UniqueConstraint('number', name=op.f('uq_certificate_number'))
    )


def downgrade() -> None:
    op.drop_table('certificate')
