"""Attendance: clock events, idempotency keys, corrections, day results.

Revision ID: 0001_attendance
Revises:
Create Date: 2026-12-03 02:50:12.646956
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_attendance"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "attendance_clock_keys",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_attendance_clock_keys")),
    )
    with op.batch_alter_table("attendance_clock_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_clock_keys_employee_id"), ["employee_id"], unique=False)

    op.create_table(
        "attendance_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_ref", sa.Integer(), nullable=True),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by", sa.String(length=120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_corrections")),
    )
    with op.batch_alter_table("attendance_corrections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_corrections_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_corrections_employee_id"), ["employee_id"], unique=False)

    op.create_table(
        "attendance_days",
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("first_in", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_out", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worked_seconds", sa.Integer(), nullable=False),
        sa.Column("break_seconds", sa.Integer(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("employee_id", "day", name=op.f("pk_attendance_days")),
    )
    with op.batch_alter_table("attendance_days", schema=None) as batch_op:
        batch_op.create_index("ix_attendance_days_day", ["day"], unique=False)

    op.create_table(
        "attendance_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("device_name", sa.String(length=120), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("corrected", sa.Boolean(), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_events")),
    )
    with op.batch_alter_table("attendance_events", schema=None) as batch_op:
        batch_op.create_index("ix_attendance_events_at", ["at"], unique=False)
        batch_op.create_index("ix_attendance_events_employee_at", ["employee_id", "at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("attendance_events", schema=None) as batch_op:
        batch_op.drop_index("ix_attendance_events_employee_at")
        batch_op.drop_index("ix_attendance_events_at")

    op.drop_table("attendance_events")
    with op.batch_alter_table("attendance_days", schema=None) as batch_op:
        batch_op.drop_index("ix_attendance_days_day")

    op.drop_table("attendance_days")
    with op.batch_alter_table("attendance_corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_corrections_employee_id"))
        batch_op.drop_index(batch_op.f("ix_attendance_corrections_at"))

    op.drop_table("attendance_corrections")
    with op.batch_alter_table("attendance_clock_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_clock_keys_employee_id"))

    op.drop_table("attendance_clock_keys")
