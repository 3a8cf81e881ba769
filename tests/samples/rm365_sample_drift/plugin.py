"""The model has a ``colour`` column that the migration never creates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from rm365_core import hookimpl, make_base

Base = make_base("drift")


class Widget(Base):
    __tablename__ = "drift_widgets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    colour: Mapped[str] = mapped_column(String(20))  # missing from 0001_drift


@hookimpl
def register_tables() -> Any:
    return Base
