"""certificate key id and user session version

Certificates name the key that signed them (NULL: the SECRET_KEY, as every certificate issued
before), so the certificate key can rotate; users carry a page-session version that logout bumps,
so a session cookie saved before logout no longer works.

Revision ID: 6efdaccb2a20
Revises: e70e8b345cf1
Create Date: 2026-12-01 21:52:32.882956
"""
from alembic import op
import sqlalchemy as sa


revision = '6efdaccb2a20'
down_revision = 'e70e8b345cf1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), nullable=True))

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_version')

    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_column('key_id')
