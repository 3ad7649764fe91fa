"""runtime settings

Revision ID: 36fb875f5099
Revises: 16a3eb4a0a93
Create Date: 2026-11-21 11:24:45.238423
"""
from alembic import op
import sqlalchemy as sa
import app.models.base
from sqlalchemy import Text  # noqa: F401 - used by JSONB columns


revision = '36fb875f5099'
down_revision = '16a3eb4a0a93'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('runtime_setting',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_runtime_setting_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_runtime_setting'))
    )


def downgrade() -> None:
    op.drop_table('runtime_setting')
