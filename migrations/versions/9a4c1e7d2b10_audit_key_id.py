"""audit key id: events are sealed with an HMAC under a named key

Revision ID: 9a4c1e7d2b10
Revises: a5c0d1f2e3b4
Create Date: 2026-12-02 02:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '9a4c1e7d2b10'
down_revision = 'a5c0d1f2e3b4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('key_id')
