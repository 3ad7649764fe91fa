"""the audit chain's lock and head in one round trip: a PostgreSQL function

Sealing a commit's audit events took two statements on PostgreSQL: the chain's advisory lock, then
the newest event's hash. The head must be read *after* the lock is held (a statement that both
locked and read would read with the snapshot taken before it waited, and chain to a stale head: a
fork). In READ COMMITTED, the level every writer uses, a VOLATILE PL/pgSQL function runs each of
its queries with a fresh snapshot, so one call does both (issue 22). The lock is called by its
schema and with a bigint, so that no function of that name a role could create in another schema
of the search path (an exact match for an integer argument) is called instead. SQLite has one
writer and no such lock: nothing to do there.

Revision ID: c4e6a8b0d2f4
Revises: b3d5f7a9c1e2
Create Date: 2026-12-03 12:40:00
"""
from alembic import op

revision = 'c4e6a8b0d2f4'
down_revision = 'b3d5f7a9c1e2'
branch_labels = None
depends_on = None

# The lock's key is app.services.audit.ADVISORY_LOCK (a migration is fixed once written).
HEAD_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_chain_head() RETURNS varchar
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    head varchar;
BEGIN
    PERFORM pg_catalog.pg_advisory_xact_lock(7253901::bigint);
    SELECT hash INTO head FROM audit_event ORDER BY id DESC LIMIT 1;
    RETURN head;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(HEAD_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP FUNCTION IF EXISTS audit_chain_head()")
