"""stored working days

Tasks and cases finished before this revision keep NULL durations until `flask stats backfill`
(the statistics count them from their timestamps meanwhile).

Revision ID: 2a5d206d4814
Revises: c157684d4596
Create Date: 2026-11-21 12:11:42.908104
"""
from alembic import op
import sqlalchemy as sa
import app.models.base
from sqlalchemy import Text  # noqa: F401 - used by JSONB columns


revision = '2a5d206d4814'
down_revision = 'c157684d4596'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('working_days', sa.Integer(), nullable=True))
        batch_op.create_index('ix_case_stats_days', ['process_key', 'working_days', 'status', 'completed_at'], unique=False)
        batch_op.create_index('ix_case_completed_status', ['completed_at', 'status'], unique=False)
        batch_op.create_index('ix_case_submitted_process', ['submitted_at', 'process_key'], unique=False)

    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('working_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('on_time', sa.Boolean(), nullable=True))
        batch_op.create_index('ix_human_task_stats_steps', ['state', 'process_key', 'bpmn_id', 'candidate_group', 'working_days', 'on_time', 'escalation_level', 'completed_at'], unique=False)
        batch_op.create_index('ix_human_task_stats_on_time', ['state', 'on_time', 'completed_at', 'due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_stats_on_time')
        batch_op.drop_index('ix_human_task_stats_steps')
        batch_op.drop_column('on_time')
        batch_op.drop_column('working_days')

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_submitted_process')
        batch_op.drop_index('ix_case_completed_status')
        batch_op.drop_index('ix_case_stats_days')
        batch_op.drop_column('working_days')
