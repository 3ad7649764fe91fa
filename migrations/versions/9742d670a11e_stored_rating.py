"""stored rating

The complainant's rating as a column beside the case data (the statistics count it from
ix_case_stats_days instead of parsing every case's JSON), filled from data.rating here; and an index
of open tasks per step with due time and escalation (open now, open overdue from the index alone).

Revision ID: 9742d670a11e
Revises: 2a5d206d4814
Create Date: 2026-11-21 13:15:03.227939
"""
from alembic import op
import sqlalchemy as sa
import app.models.base
from sqlalchemy import Text  # noqa: F401 - used by JSONB columns


revision = '9742d670a11e'
down_revision = '2a5d206d4814'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rating', sa.String(length=16), nullable=True))
        batch_op.drop_index(batch_op.f('ix_case_stats_days'))
        batch_op.create_index('ix_case_stats_days', ['process_key', 'working_days', 'status', 'rating', 'completed_at'], unique=False)

    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_stats_open', ['state', 'process_key', 'bpmn_id', 'candidate_group', 'due_at', 'escalation_level'], unique=False)

    # As services.durations.rating_of: only the ratings the statistics count are kept.
    if op.get_bind().dialect.name == 'postgresql':
        rating = "data->>'rating'"
    else:
        rating = "json_extract(data, '$.rating')"
    op.execute(
        f'UPDATE "case" SET rating = {rating} '
        f"WHERE {rating} IN ('satisfied', 'not_satisfied')"
    )


def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_stats_open')

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_stats_days')
        batch_op.create_index(batch_op.f('ix_case_stats_days'), ['process_key', 'working_days', 'status', 'completed_at'], unique=False)
        batch_op.drop_column('rating')
