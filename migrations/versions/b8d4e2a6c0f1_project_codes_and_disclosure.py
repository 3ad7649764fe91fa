"""project codes and disclosure

A case's project code (统一项目代码, for the project page) and its disclosure being withheld (信息公开).
The code of cases started before is taken from their data.

Revision ID: b8d4e2a6c0f1
Revises: a7e3c1f9b2d4
Create Date: 2026-12-02 14:30:00
"""
import json

from alembic import op
import sqlalchemy as sa
import app.models.base


revision = 'b8d4e2a6c0f1'
down_revision = 'a7e3c1f9b2d4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project_code', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('withheld_at', app.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withheld_reason', sa.String(length=500), nullable=True))
        batch_op.create_index(batch_op.f('ix_case_project_code'), ['project_code'], unique=False)
    bind = op.get_bind()
    rows = bind.execute(sa.text('SELECT id, data FROM "case"')).all()
    for case_id, data in rows:
        values = json.loads(data) if isinstance(data, str) else (data or {})
        code = values.get('project_code') if isinstance(values, dict) else None
        if isinstance(code, str) and code:
            bind.execute(sa.text('UPDATE "case" SET project_code = :code WHERE id = :id'), {'code': code[:64], 'id': case_id})


def downgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_project_code'))
        batch_op.drop_column('withheld_reason')
        batch_op.drop_column('withheld_at')
        batch_op.drop_column('project_code')
