"""personal data at rest: phone numbers encrypted (wider column) with a keyed lookup hash

Existing numbers stay readable as they are until `flask pii rotate` encrypts them (the key is a
setting, which a migration does not have).

Revision ID: b3d8f0a1c2e4
Revises: 9a4c1e7d2b10
Create Date: 2026-12-02 02:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'b3d8f0a1c2e4'
down_revision = '9a4c1e7d2b10'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('phone', existing_type=sa.String(length=32), type_=sa.String(length=200))
        batch_op.add_column(sa.Column('phone_hash', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_user_phone_hash', ['phone_hash'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index('ix_user_phone_hash')
        batch_op.drop_column('phone_hash')
        batch_op.alter_column('phone', existing_type=sa.String(length=200), type_=sa.String(length=32))
