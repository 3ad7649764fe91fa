"""task heads_only

`human_task.heads_only`, the context's `supervisors_only` as a column, and in the open-group
index: the inbox's range of a plain member's groups filters heads-only tasks from the index
instead of each task row's JSON (services/tasks.py `_groups_scope`).

Revision ID: d4a7c2e9f1b3
Revises: c9f1d3e5a7b2
Create Date: 2026-12-02 21:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'd4a7c2e9f1b3'
down_revision = 'c9f1d3e5a7b2'
branch_labels = None
depends_on = None

OPEN = sa.text("state = 'open'")


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heads_only', sa.Boolean(), server_default=sa.false(), nullable=False))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE human_task SET heads_only = true WHERE (context ->> 'supervisors_only')::boolean")
    else:
        op.execute("UPDATE human_task SET heads_only = 1 WHERE json_extract(context, '$.supervisors_only')")
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_open_group_due', postgresql_where=OPEN, sqlite_where=OPEN)
        batch_op.create_index('ix_human_task_open_group_due', ['candidate_group', 'due_at', 'id', 'heads_only'], unique=False, postgresql_where=OPEN, sqlite_where=OPEN)


def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_open_group_due', postgresql_where=OPEN, sqlite_where=OPEN)
        batch_op.create_index('ix_human_task_open_group_due', ['candidate_group', 'due_at', 'id'], unique=False, postgresql_where=OPEN, sqlite_where=OPEN)
        batch_op.drop_column('heads_only')
