"""credit code verified

`user.credit_code_verified`: whether the account's unified social credit code was vouched for (by
the identity provider at an SSO login, or by staff in the admin console). Only verified accounts
perform a company's tasks (security review, session 8, finding 1). Existing accounts start
unverified, except those the identity provider created: their code came from its token (the
account's username is "sso-" and the hash of its issuer and subject, services/sso_accounts.py).
Demo accounts are verified again by `demo load`.

Revision ID: b8e4d2f6a1c3
Revises: d4a7c2e9f1b3
Create Date: 2026-12-02 21:00:00
"""

import hashlib

from alembic import op
import sqlalchemy as sa


revision = "b8e4d2f6a1c3"
down_revision = "d4a7c2e9f1b3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, not a batch: on SQLite a batch with an expression default rebuilds the table,
    # and dropping "user" with foreign keys on cascades to every row that references it (identities,
    # memberships, notifications).
    op.add_column(
        'user', sa.Column('credit_code_verified', sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            'SELECT u.id, u.username, e.issuer, e.subject FROM "user" u '
            "JOIN external_identity e ON e.user_id = u.id WHERE u.credit_code IS NOT NULL"
        )
    ).fetchall()
    created = {
        user_id
        for user_id, username, issuer, subject in rows
        if username == "sso-" + hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:16]
    }
    for user_id in sorted(created):
        bind.execute(
            sa.text('UPDATE "user" SET credit_code_verified = :yes WHERE id = :id'),
            {"yes": True, "id": user_id},
        )


def downgrade() -> None:
    op.drop_column('user', 'credit_code_verified')  # SQLite 3.35+ drops a column in place
