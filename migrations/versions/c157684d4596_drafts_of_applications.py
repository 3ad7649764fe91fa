"""drafts of applications

Revision ID: c157684d4596
Revises: 36fb875f5099
Create Date: 2026-11-21 11:24:56.452308
"""
from alembic import op
import sqlalchemy as sa
import app.models.base
from sqlalchemy import Text  # noqa: F401 - used by JSONB columns
from sqlalchemy.dialects import postgresql

revision = 'c157684d4596'
down_revision = '36fb875f5099'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('draft',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('applicant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('process_key', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['applicant_id'], ['user.id'], name=op.f('fk_draft_applicant_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draft')),
    sa.UniqueConstraint('uid', name=op.f('uq_draft_uid'))
    )
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.create_index('ix_draft_applicant_updated', ['applicant_id', 'updated_at'], unique=False)

    op.create_table('draft_attachment',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('draft_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['draft_id'], ['draft.id'], name=op.f('fk_draft_attachment_draft_id_draft'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draft_attachment')),
    sa.UniqueConstraint('uid', name=op.f('uq_draft_attachment_uid'))
    )
    with op.batch_alter_table('draft_attachment', schema=None) as batch_op:
        batch_op.create_index('ix_draft_attachment_draft', ['draft_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('draft_attachment', schema=None) as batch_op:
        batch_op.drop_index('ix_draft_attachment_draft')

    op.drop_table('draft_attachment')
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.drop_index('ix_draft_applicant_updated')

    op.drop_table('draft')
