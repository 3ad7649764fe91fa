"""case search

The search index of case text (services/search_index.py): a row per case with its text, and the
bigram index over it - a GIN index on the tsvector on PostgreSQL, a contentless FTS5 table on
SQLite. Existing cases are indexed by `flask search reindex` (the step path keeps it current after).

Revision ID: c9f1d3e5a7b2
Revises: c9e1f3a5b7d2
Create Date: 2026-12-02 17:20:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import app.models.base


revision = 'c9f1d3e5a7b2'
down_revision = 'c9e1f3a5b7d2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_search',
        sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
        sa.Column('head', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('grams', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=True),
        sa.Column('indexed_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_case_search_case_id_case'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_search')),
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE INDEX ix_case_search_grams ON case_search USING gin (grams)')
    else:
        # Contentless: the grams are not stored twice; a row is removed by giving its grams again.
        op.execute(
            "CREATE VIRTUAL TABLE case_search_fts USING fts5("
            "head, body, content='', tokenize='unicode61 remove_diacritics 0')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        op.execute('DROP TABLE IF EXISTS case_search_fts')
    op.drop_table('case_search')
