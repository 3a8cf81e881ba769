"""The good sample's table, in the logical database ``samples``."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from rm365_core import make_base

Base = make_base("samples")


class Note(Base):
    __tablename__ = "good_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200), index=True)
