"""stored files in the database: stored_object and its stored_chunk rows (PERMITFLOW_STORAGE=database)

Files kept under instance/uploads by earlier versions are read from there until
`flask storage migrate --to database` moves them in.

Revision ID: d21a0f5e7c3b
Revises: c4e2a9b7d1f0
Create Date: 2026-12-02 08:10:00
"""
from alembic import op
import sqlalchemy as sa

import app.models.base


revision = 'd21a0f5e7c3b'
down_revision = "c4e2a9b7d1f0"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'stored_object',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('chunks', sa.Integer(), nullable=False),
        sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_stored_object')),
    )
    op.create_table(
        'stored_chunk',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ['key'], ['stored_object.key'], name=op.f('fk_stored_chunk_key_stored_object'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('key', 'seq', name=op.f('pk_stored_chunk')),
    )


def downgrade() -> None:
    op.drop_table('stored_chunk')
    op.drop_table('stored_object')
