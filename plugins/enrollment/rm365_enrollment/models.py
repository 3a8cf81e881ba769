"""Enrollment tables (logical database ``attendance``): people, the code counter,
fingerprint templates (encrypted) and the purge log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from rm365_core import UTCDateTime, database_metadata, utcnow


class Base(DeclarativeBase):
    metadata = database_metadata("attendance")


class Employee(Base):
    """A person who clocks: employee or student. ``code_number`` orders codes by number."""

    __tablename__ = "enrollment_employees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_number: Mapped[int] = mapped_column(Integer, unique=True)
    employee_code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="employee")
    location: Mapped[str] = mapped_column(String(80), default="", index=True)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    #: Normalised (upper-case hex); unique: one card, one holder.
    card_uid: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    fingerprints: Mapped[list[Fingerprint]] = relationship(
        back_populates="employee", cascade="all, delete-orphan", order_by="Fingerprint.finger", lazy="selectin"
    )


class Fingerprint(Base):
    """One enrolled finger; the template is encrypted and never leaves the server except
    to a paired bridge."""

    __tablename__ = "enrollment_fingerprints"
    __table_args__ = (UniqueConstraint("employee_id", "finger", name="uq_enrollment_fingerprints_employee_finger"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("enrollment_employees.id", ondelete="CASCADE"))
    finger: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(32), default="")
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    template_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    employee: Mapped[Employee] = relationship(back_populates="fingerprints")


class CodeCounter(Base):
    """The last employee code number handed out: codes are never reused, even after a purge."""

    __tablename__ = "enrollment_code_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Purge(Base):
    """Who erased which person, and when (the person's data itself is gone)."""

    __tablename__ = "enrollment_purges"
    __table_args__ = (Index("ix_enrollment_purges_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_code: Mapped[str] = mapped_column(String(16))
    by: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    erased: Mapped[str] = mapped_column(String(255), default="")
