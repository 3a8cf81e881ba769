"""Pick & pack tables (logical database ``inventory``): sessions with the invoice they were
started from, their lines, every accepted scan, the audit log and takeover requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from rm365_core import UTCDateTime, database_metadata, utcnow

#: A session is open while it is a draft (nobody owns it) or active (its owner scans).
OPEN = ("draft", "active")
STATUSES = ("draft", "active", "completed", "cancelled")
TYPES = ("pick", "return")


class Base(DeclarativeBase):
    """Models stored in the logical database ``inventory``."""

    metadata = database_metadata("inventory")


class PickSession(Base):
    """One pick or return of one invoice. ``guard`` is ``"<invoice_id>:<type>"`` while the
    session is open or completed and NULL once cancelled: its unique index makes two
    simultaneous starts create one session."""

    __tablename__ = "magento_sessions"
    __table_args__ = (
        CheckConstraint("type IN ('pick', 'return')", name="type"),
        CheckConstraint("status IN ('draft', 'active', 'completed', 'cancelled')", name="status"),
        Index("ix_magento_sessions_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12))
    order_number: Mapped[str] = mapped_column(String(64), index=True)
    order_id: Mapped[int] = mapped_column(Integer)
    invoice_number: Mapped[str] = mapped_column(String(64))
    invoice_id: Mapped[int] = mapped_column(Integer)
    guard: Mapped[str | None] = mapped_column(String(80), unique=True)
    owner: Mapped[str | None] = mapped_column(String(150), index=True)
    created_by: Mapped[str] = mapped_column(String(150))
    #: The invoice as Magento gave it when the session started (JSON): reads never ask again.
    invoice: Mapped[str] = mapped_column(Text)
    allow_overscan: Mapped[bool] = mapped_column(default=False)
    shipment_id: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[SessionLine]] = relationship(order_by="SessionLine.position", cascade="all, delete-orphan")


class SessionLine(Base):
    """An invoice line: what should be scanned and what was. ``qty_restored`` counts the units
    a cancel has put back, so a cancel that is retried restores each unit once."""

    __tablename__ = "magento_session_lines"
    __table_args__ = (
        CheckConstraint("qty_scanned >= 0", name="scanned_not_negative"),
        CheckConstraint("qty_restored >= 0 AND qty_restored <= qty_scanned", name="restored_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("magento_sessions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    order_item_id: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    qty_expected: Mapped[int] = mapped_column(Integer)
    qty_scanned: Mapped[int] = mapped_column(Integer, default=0)
    qty_restored: Mapped[int] = mapped_column(Integer, default=0)


class Scan(Base):
    """An accepted scan; ``client_id`` (the caller's, or generated) is unique per session so
    a retried scan applies once. ``adjustment_id`` is the inventory movement it made."""

    __tablename__ = "magento_scans"
    __table_args__ = (UniqueConstraint("session_id", "client_id", name="uq_magento_scans_session_client"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("magento_sessions.id", ondelete="CASCADE"))
    line_id: Mapped[int] = mapped_column(ForeignKey("magento_session_lines.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(150))
    adjustment_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """What happened to a session, by whom and when (JSON details)."""

    __tablename__ = "magento_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("magento_sessions.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    username: Mapped[str] = mapped_column(String(150))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TakeoverRequest(Base):
    """Someone asks the owner for a session; the owner accepts or declines."""

    __tablename__ = "magento_takeover_requests"
    __table_args__ = (CheckConstraint("status IN ('pending', 'accepted', 'declined', 'withdrawn')", name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("magento_sessions.id", ondelete="CASCADE"), index=True)
    requester: Mapped[str] = mapped_column(String(150))
    owner: Mapped[str] = mapped_column(String(150))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
