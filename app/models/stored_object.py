"""Stored files kept in the database (the default storage backend, app/services/storage.py): one row
per file and its content in chunks, so a file is written and read a chunk at a time and a backup of
the database is a backup of every file."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class StoredObject(Base):
    """One stored file, named by its storage key (``<case id>/<uid>``, ``drafts/<draft uid>/<uid>``)."""

    __tablename__ = "stored_object"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    chunks: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class StoredChunk(Base):
    """One piece of a stored file's content, in order of ``seq``."""

    __tablename__ = "stored_chunk"

    key: Mapped[str] = mapped_column(
        String(200), ForeignKey("stored_object.key", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)
