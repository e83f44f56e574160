"""Canned replies: ready-made answers with placeholders, per brand and language."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Base
from app.models.types import UTCDateTime, utcnow

LANGUAGES = ("fr", "en")


def fold(text: str) -> str:
    """Lower-case, accent-free form of a text, for case- and accent-insensitive search."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


class CannedReply(Base):
    """A reply an agent can insert; ``brand_id`` empty means every brand."""

    __tablename__ = "canned_replies"
    __table_args__ = (Index("ix_canned_language_brand", "language", "brand_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id"))
    language: Mapped[str] = mapped_column(String(2))
    # The triage category it answers (None: any); the composer suggests these first.
    category: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    # fold(title + body), kept in step by the services: searched with LIKE on every backend.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def refresh_search_text(self) -> None:
        """Recompute the folded search text after a change of title or body."""
        self.search_text = fold(f"{self.title} {self.body}")
