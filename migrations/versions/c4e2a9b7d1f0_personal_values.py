"""personal data in forms: the values of fields marked x-personal, encrypted, out of case data

Revision ID: c4e2a9b7d1f0
Revises: f4c2a9d7e813
Create Date: 2026-12-02 08:00:00
"""

from alembic import op
import sqlalchemy as sa

import app.models.base


revision = "c4e2a9b7d1f0"
down_revision = "f4c2a9d7e813"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "personal_value",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("ref", sa.String(length=48), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("lookup_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_personal_value_case_id_case"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_value")),
        sa.UniqueConstraint("ref", name=op.f("uq_personal_value_ref")),
    )
    with op.batch_alter_table("personal_value", schema=None) as batch_op:
        batch_op.create_index("ix_personal_value_case", ["case_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_personal_value_lookup_hash"), ["lookup_hash"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("personal_value", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_personal_value_lookup_hash"))
        batch_op.drop_index("ix_personal_value_case")
    op.drop_table("personal_value")
