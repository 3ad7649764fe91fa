"""initial schema

Revision ID: 3b2565f19ea1
Revises: 
Create Date: 2026-11-21 09:26:24.819321
"""
from alembic import op
import sqlalchemy as sa
import app.models.base
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = '3b2565f19ea1'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('group',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('escalates_to', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group')),
    sa.UniqueConstraint('slug', name=op.f('uq_group_slug'))
    )
    op.create_table('user',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.Enum('staff', 'applicant', name='userkind', native_enum=False, length=20), nullable=False),
    sa.Column('roles', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('token_version', sa.Integer(), nullable=False),
    sa.Column('company_name', sa.String(length=200), nullable=True),
    sa.Column('credit_code', sa.String(length=18), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('username', name=op.f('uq_user_username'))
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_credit_code'), ['credit_code'], unique=False)

    op.create_table('membership',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('is_supervisor', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['group.id'], name=op.f('fk_membership_group_id_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_membership_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership')),
    sa.UniqueConstraint('user_id', 'group_id', name=op.f('uq_membership_user_id_group_id'))
    )
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_membership_user_id'), ['user_id'], unique=False)

    op.create_table('process_version',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('bpmn_xml', sa.Text(), nullable=False),
    sa.Column('files', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('meta', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('spec_json', sa.Text(), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('deployed_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deployed_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('source_path', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['deployed_by_id'], ['user.id'], name=op.f('fk_process_version_deployed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_version')),
    sa.UniqueConstraint('key', 'hash', name=op.f('uq_process_version_key_hash'))
    )
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.create_index('ix_process_version_current', ['key', 'is_current'], unique=False)

    op.create_table('case',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('query_code_hash', sa.String(length=128), nullable=False),
    sa.Column('process_key', sa.String(length=64), nullable=False),
    sa.Column('process_version_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('applicant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('status', sa.Enum('in_progress', 'waiting_for_applicant', 'approved', 'rejected', 'closed', 'error', name='casestatus', native_enum=False, length=32), nullable=False),
    sa.Column('stage', sa.String(length=500), nullable=True),
    sa.Column('stage_en', sa.String(length=500), nullable=True),
    sa.Column('project_name', sa.String(length=200), nullable=True),
    sa.Column('submitted_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('due_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('time_limit', sa.String(length=20), nullable=True),
    sa.Column('clock_pauses', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('state_format', sa.String(length=20), nullable=False),
    sa.Column('error', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['applicant_id'], ['user.id'], name=op.f('fk_case_applicant_id_user')),
    sa.ForeignKeyConstraint(['process_version_id'], ['process_version.id'], name=op.f('fk_case_process_version_id_process_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case')),
    sa.UniqueConstraint('number', name=op.f('uq_case_number'))
    )
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index('ix_case_applicant_submitted', ['applicant_id', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_process_version_id'), ['process_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_project_name'), ['project_name'], unique=False)
        batch_op.create_index('ix_case_status_process', ['status', 'process_key'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('actor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_audit_event_actor_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_audit_event_case_id_case'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_event_hash'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_case', ['case_id', 'id'], unique=False)

    op.create_table('human_task',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_number', sa.String(length=40), nullable=False),
    sa.Column('process_key', sa.String(length=64), nullable=False),
    sa.Column('project_name', sa.String(length=200), nullable=True),
    sa.Column('spiff_task_id', sa.String(length=40), nullable=False),
    sa.Column('bpmn_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('candidate_group', sa.String(length=64), nullable=True),
    sa.Column('assignee_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('state', sa.Enum('open', 'completed', 'cancelled', name='taskstate', native_enum=False, length=16), nullable=False),
    sa.Column('form_key', sa.String(length=200), nullable=True),
    sa.Column('time_limit', sa.String(length=20), nullable=True),
    sa.Column('pauses_clock', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('due_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('warn_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=64), nullable=True),
    sa.Column('context', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('submitted', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['user.id'], name=op.f('fk_human_task_assignee_id_user')),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_human_task_case_id_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['completed_by_id'], ['user.id'], name=op.f('fk_human_task_completed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_human_task')),
    sa.UniqueConstraint('spiff_task_id', name=op.f('uq_human_task_spiff_task_id'))
    )
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_case_created', ['case_id', 'created_at'], unique=False)
        batch_op.create_index('ix_human_task_open_assignee_due', ['assignee_id', 'due_at', 'id'], unique=False, postgresql_where=sa.text("state = 'open'"), sqlite_where=sa.text("state = 'open'"))
        batch_op.create_index('ix_human_task_open_group_due', ['candidate_group', 'due_at', 'id'], unique=False, postgresql_where=sa.text("state = 'open'"), sqlite_where=sa.text("state = 'open'"))

    op.create_table('timer',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.Enum('bpmn', 'sla_warning', 'sla_overdue', 'escalation', name='timerkind', native_enum=False, length=20), nullable=False),
    sa.Column('human_task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('spiff_task_id', sa.String(length=40), nullable=True),
    sa.Column('bpmn_id', sa.String(length=200), nullable=True),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('due_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fired_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_timer_case_id_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['human_task_id'], ['human_task.id'], name=op.f('fk_timer_human_task_id_human_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timer'))
    )
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.create_index('ix_timer_case', ['case_id'], unique=False)
        batch_op.create_index('ix_timer_unfired_due', ['due_at'], unique=False, postgresql_where=sa.text('fired_at IS NULL'), sqlite_where=sa.text('fired_at IS NULL'))




def downgrade() -> None:

    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.drop_index('ix_timer_unfired_due', postgresql_where=sa.text('fired_at IS NULL'), sqlite_where=sa.text('fired_at IS NULL'))
        batch_op.drop_index('ix_timer_case')

    op.drop_table('timer')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_open_group_due', postgresql_where=sa.text("state = 'open'"), sqlite_where=sa.text("state = 'open'"))
        batch_op.drop_index('ix_human_task_open_assignee_due', postgresql_where=sa.text("state = 'open'"), sqlite_where=sa.text("state = 'open'"))
        batch_op.drop_index('ix_human_task_case_created')

    op.drop_table('human_task')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_case')

    op.drop_table('audit_event')
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_status_process')
        batch_op.drop_index(batch_op.f('ix_case_project_name'))
        batch_op.drop_index(batch_op.f('ix_case_process_version_id'))
        batch_op.drop_index('ix_case_applicant_submitted')

    op.drop_table('case')
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.drop_index('ix_process_version_current')

    op.drop_table('process_version')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_user_id'))
        batch_op.drop_index(batch_op.f('ix_membership_group_id'))

    op.drop_table('membership')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_credit_code'))

    op.drop_table('user')
    op.drop_table('group')

