"""message receipts keep the signature (replays refused) and the body hash (a key reused with
another body refused); the idempotency key becomes optional

Revision ID: b3d5f7a9c1e2
Revises: b8e4d2f6a1c3
Create Date: 2026-12-02 21:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'b3d5f7a9c1e2'
down_revision = 'b8e4d2f6a1c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('message_receipt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signature', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('body_hash', sa.String(length=64), nullable=True))
        batch_op.alter_column('idempotency_key', existing_type=sa.String(length=200), nullable=True)
        batch_op.create_unique_constraint(
            batch_op.f('uq_message_receipt_client_id_signature'), ['client_id', 'signature']
        )


def downgrade() -> None:
    op.execute("DELETE FROM message_receipt WHERE idempotency_key IS NULL")
    with op.batch_alter_table('message_receipt', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_message_receipt_client_id_signature'), type_='unique')
        batch_op.alter_column('idempotency_key', existing_type=sa.String(length=200), nullable=False)
        batch_op.drop_column('body_hash')
        batch_op.drop_column('signature')
