"""the bureau's escalated tasks, in due order

A partial index on the open tasks at the leaders' escalation level (2), in due order: the bureau's
`scope=all` reads its escalated range from it instead of sorting every escalated task.

Revision ID: c9e1f3a5b7d2
Revises: 95e8d8705b17
Create Date: 2026-12-02 17:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c9e1f3a5b7d2'
down_revision = '95e8d8705b17'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index(
            'ix_human_task_open_escalated_due',
            ['due_at', 'id', 'candidate_group'],
            unique=False,
            postgresql_where=sa.text("state = 'open' AND escalation_level >= 2"),
            sqlite_where=sa.text("state = 'open' AND escalation_level >= 2"),
        )


def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_open_escalated_due')
