"""The search index of case text (全文检索): one row per case, rewritten by the step path.

``head`` holds what public pages may show (number, project name and code, company names) and
``body`` the rest of the case's text (addresses, form text, opinions, complaint descriptions),
both as written, for the highlights. Matching is on overlapping character pairs (bigrams) of
both, so that two Chinese characters find a project: on PostgreSQL ``grams`` is their tsvector
(``head`` weighted A, ``body`` B) under a GIN index; on SQLite they live in the FTS5 table
``case_search_fts`` (rowid = case id), which the migration creates and services/search_index.py
keeps in step. Neither the GIN index nor the FTS5 table is part of the metadata (migrations/env.py
leaves them to the migration)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId

# The bigram vector on PostgreSQL; on SQLite the column stays empty (FTS5 holds the grams).
Grams = Text().with_variant(TSVECTOR(), "postgresql")


class CaseSearch(Base):
    """The indexed text of one case."""

    __tablename__ = "case_search"

    case_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("case.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    head: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    grams: Mapped[str | None] = mapped_column(Grams)
    indexed_at: Mapped[datetime]
