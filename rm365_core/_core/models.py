"""Kernel tables in the logical database ``core``: users, roles, tokens, throttling, devices."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .._db import database_metadata
from .._types import UTCDateTime, utcnow

#: A device not heard from for this long is shown offline.
ONLINE_WINDOW = timedelta(seconds=90)


class Base(DeclarativeBase):
    metadata = database_metadata("core")


class Role(Base):
    __tablename__ = "core_roles"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    allowed_tabs: Mapped[list[str]] = mapped_column(JSON, default=list)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=func.now())


class User(Base):
    __tablename__ = "core_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Random and never reused: access tokens name it, so a deleted user's token can never
    #: belong to a later user who happens to get the same ``id`` (SQLite reuses ids).
    uid: Mapped[str] = mapped_column(String(32), index=True, unique=True, default=lambda: secrets.token_hex(16))
    #: Stored in lower case: usernames are case-insensitive.
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(
        String(64), ForeignKey("core_roles.name", onupdate="CASCADE", ondelete="RESTRICT")
    )
    allowed_tabs: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.now(), onupdate=utcnow
    )
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RefreshToken(Base):
    """A refresh token (stored as its SHA-256). Rotation links tokens of one login in a family."""

    __tablename__ = "core_refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), index=True)
    family: Mapped[str] = mapped_column(String(32), index=True)
    token_version: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=func.now())


class RevokedAccessToken(Base):
    """Access tokens revoked before they expire (logout); pruned once expired."""

    __tablename__ = "core_revoked_access_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """Login attempts not yet followed by a success, per key: ``u:<digest of name and address>``
    (an account from one address) or ``a:<address>``. See ``_core/throttle.py``."""

    __tablename__ = "core_login_failures"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    #: No attempt for this key is checked before this time (the growing delay).
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Device(Base):
    """A paired bridge: the PC that has card readers or fingerprint sensors attached."""

    __tablename__ = "core_devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(150), unique=True)
    site: Mapped[str] = mapped_column(String(150), default="")
    drivers: Mapped[list[str]] = mapped_column(JSON, default=list)
    token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    paired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Set when an admin revoked the device: its token is refused from then on.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Server clock minus the bridge's clock, measured when it last connected (milliseconds).
    clock_offset_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: When the bridge last delivered an event.
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def connected(self) -> bool:
        """Online and heard from lately: bridges say so at least every 30 s, and a worker
        that died could not mark its bridges offline."""
        return bool(self.online) and self.last_seen is not None and utcnow() - self.last_seen < ONLINE_WINDOW


class DevicePairingCode(Base):
    """A one-time code an admin created to pair a bridge (stored as its SHA-256)."""

    __tablename__ = "core_device_pairing_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(150))
    site: Mapped[str] = mapped_column(String(150), default="")
    created_by: Mapped[str] = mapped_column(String(150), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DeviceEventRecord(Base):
    """One event a bridge reported, applied once: the (device, event id) pair is unique.

    ``state``: ``pending`` while its handlers run (a crash leaves it so, and the bridge's
    retry runs them again), ``accepted``, or ``rejected`` (dead-lettered with ``error``).
    """

    __tablename__ = "core_device_events"
    __table_args__ = (
        UniqueConstraint("device_id", "event_id", name="uq_core_device_events_device_id"),
        Index("ix_core_device_events_device_id_state", "device_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("core_devices.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    clock_offset_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class JobRunRecord(Base):
    """One run of a background job: state and progress that every web and job worker sees.

    ``period`` is set on runs of periodic jobs: the unique (name, period) pair lets exactly
    one process start each period's run. ``attempt`` guards every write of the process
    running it, so a run taken over after a lost heartbeat is never overwritten by the old one.
    """

    __tablename__ = "core_job_runs"
    __table_args__ = (
        UniqueConstraint("name", "period", name="uq_core_job_runs_name_period"),
        Index("ix_core_job_runs_state_heartbeat_at", "state", "heartbeat_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tab: Mapped[str] = mapped_column(String(150))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    period: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
