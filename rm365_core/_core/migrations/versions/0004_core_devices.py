"""devices: pairing codes, revocation, clock offset, events applied once

Revision ID: 0004_core_devices
Revises: 0003_core_jobs
Create Date: 2026-12-03 02:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_core_devices"
down_revision: str | Sequence[str] | None = "0003_core_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("core_devices") as batch:
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("clock_offset_ms", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "core_device_pairing_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("site", sa.String(length=150), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_core_device_pairing_codes")),
    )
    op.create_table(
        "core_device_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("clock_offset_ms", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["core_devices.id"],
            name=op.f("fk_core_device_events_device_id_core_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_device_events")),
        sa.UniqueConstraint("device_id", "event_id", name="uq_core_device_events_device_id"),
    )
    op.create_index("ix_core_device_events_device_id_state", "core_device_events", ["device_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_core_device_events_device_id_state", table_name="core_device_events")
    op.drop_table("core_device_events")
    op.drop_table("core_device_pairing_codes")
    with op.batch_alter_table("core_devices") as batch:
        batch.drop_column("last_event_at")
        batch.drop_column("clock_offset_ms")
        batch.drop_column("revoked_at")
