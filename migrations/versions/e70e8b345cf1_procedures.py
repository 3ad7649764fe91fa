"""procedures

Administrative procedures: the service rating (好差评) of finished cases with its follow-up task,
the working days an approved extension (延期) adds to a case, and the procedure of a task the
platform opens itself (a follow-up, a 督办 reply, an extension approval).

Revision ID: e70e8b345cf1
Revises: 9742d670a11e
Create Date: 2026-12-01 21:02:50.348515
"""
from alembic import op
import sqlalchemy as sa
import app.models.base
from sqlalchemy import Text  # noqa: F401 - used by JSONB columns


revision = 'e70e8b345cf1'
down_revision = '9742d670a11e'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('service_rating',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('process_key', sa.String(length=64), nullable=False),
    sa.Column('group', sa.String(length=64), nullable=True),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('comment', sa.String(length=500), nullable=True),
    sa.Column('rated_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('follow_up_task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('replied_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_service_rating_case_id_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['follow_up_task_id'], ['human_task.id'], name=op.f('fk_service_rating_follow_up_task_id_human_task'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rated_by_id'], ['user.id'], name=op.f('fk_service_rating_rated_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_rating')),
    sa.UniqueConstraint('case_id', name=op.f('uq_service_rating_case_id'))
    )
    with op.batch_alter_table('service_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_rating_group'), ['group'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_rating_process_key'), ['process_key'], unique=False)

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extension_days', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('procedure', sa.String(length=32), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('procedure')

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_column('extension_days')

    with op.batch_alter_table('service_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_rating_process_key'))
        batch_op.drop_index(batch_op.f('ix_service_rating_group'))

    op.drop_table('service_rating')
