"""applicant contact name

Revision ID: 55f5669e3133
Revises: b11e59666edd
Create Date: 2026-11-21 10:04:05.573738
"""
from alembic import op
import sqlalchemy as sa
import app.models.base
from sqlalchemy import Text  # noqa: F401 - used by JSONB columns


revision = '55f5669e3133'
down_revision = 'b11e59666edd'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_name', sa.String(length=100), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('contact_name')

