"""Attendance tables (logical database ``attendance``): raw clock events, idempotency keys,
the correction audit, and per person per day results computed from the events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rm365_core import UTCDateTime, database_metadata, utcnow


class Base(DeclarativeBase):
    metadata = database_metadata("attendance")


class ClockEvent(Base):
    """One clock event as it happened. ``direction`` follows from the events before it in
    time order (recomputed when a late one arrives) unless ``pinned`` by a correction."""

    __tablename__ = "attendance_events"
    __table_args__ = (
        Index("ix_attendance_events_employee_at", "employee_id", "at"),
        Index("ix_attendance_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    direction: Mapped[str] = mapped_column(String(3))
    #: manual, kiosk, api, card, fingerprint, correction, automatic
    source: Mapped[str] = mapped_column(String(16))
    device_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    device_name: Mapped[str] = mapped_column(String(120), default="")
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClockKey(Base):
    """An idempotency key (a client's ``event_id``, or ``device:<id>:<event id>``) and the
    answer it got: the same key again gets the same answer and records nothing."""

    __tablename__ = "attendance_clock_keys"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    employee_id: Mapped[int] = mapped_column(Integer, index=True)
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Correction(Base):
    """Who changed which event, when, why, and what it was before and after."""

    __tablename__ = "attendance_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_ref: Mapped[int | None] = mapped_column(Integer, nullable=True)
    employee_id: Mapped[int] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class WorkDay(Base):
    """Results of one person's day (local date of each session's check-in), kept up to date
    from the events so that reports over a year read rows, not events."""

    __tablename__ = "attendance_days"
    __table_args__ = (Index("ix_attendance_days_day", "day"),)

    employee_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    first_in: Mapped[datetime] = mapped_column(UTCDateTime)
    last_out: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    worked_seconds: Mapped[int] = mapped_column(Integer, default=0)
    break_seconds: Mapped[int] = mapped_column(Integer, default=0)
    sessions: Mapped[int] = mapped_column(Integer, default=0)
    #: A check-in of this day has no check-out (forgotten, or still at work).
    open: Mapped[bool] = mapped_column(Boolean, default=False)
