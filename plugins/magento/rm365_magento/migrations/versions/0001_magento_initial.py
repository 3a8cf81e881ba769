"""Magento: pick & pack sessions, their lines, scans, audit log and takeover requests.

Revision ID: 0001_magento
Revises:
Create Date: 2026-12-03 02:54:24.071807
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_magento"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "magento_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("invoice_number", sa.String(length=64), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("guard", sa.String(length=80), nullable=True),
        sa.Column("owner", sa.String(length=150), nullable=True),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("invoice", sa.Text(), nullable=False),
        sa.Column("allow_overscan", sa.Boolean(), nullable=False),
        sa.Column("shipment_id", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'active', 'completed', 'cancelled')", name=op.f("ck_magento_sessions_status")
        ),
        sa.CheckConstraint("type IN ('pick', 'return')", name=op.f("ck_magento_sessions_type")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_magento_sessions")),
        sa.UniqueConstraint("guard", name=op.f("uq_magento_sessions_guard")),
    )
    with op.batch_alter_table("magento_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_magento_sessions_order_number"), ["order_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_magento_sessions_owner"), ["owner"], unique=False)
        batch_op.create_index("ix_magento_sessions_status_created", ["status", "created_at"], unique=False)

    op.create_table(
        "magento_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["magento_sessions.id"],
            name=op.f("fk_magento_audit_session_id_magento_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_magento_audit")),
    )
    with op.batch_alter_table("magento_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_magento_audit_session_id"), ["session_id"], unique=False)

    op.create_table(
        "magento_session_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("order_item_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("qty_expected", sa.Integer(), nullable=False),
        sa.Column("qty_scanned", sa.Integer(), nullable=False),
        sa.Column("qty_restored", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "qty_restored >= 0 AND qty_restored <= qty_scanned", name=op.f("ck_magento_session_lines_restored_range")
        ),
        sa.CheckConstraint("qty_scanned >= 0", name=op.f("ck_magento_session_lines_scanned_not_negative")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["magento_sessions.id"],
            name=op.f("fk_magento_session_lines_session_id_magento_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_magento_session_lines")),
    )
    with op.batch_alter_table("magento_session_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_magento_session_lines_session_id"), ["session_id"], unique=False)

    op.create_table(
        "magento_takeover_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("requester", sa.String(length=150), nullable=False),
        sa.Column("owner", sa.String(length=150), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'withdrawn')",
            name=op.f("ck_magento_takeover_requests_status"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["magento_sessions.id"],
            name=op.f("fk_magento_takeover_requests_session_id_magento_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_magento_takeover_requests")),
    )
    with op.batch_alter_table("magento_takeover_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_magento_takeover_requests_session_id"), ["session_id"], unique=False)

    op.create_table(
        "magento_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("adjustment_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["magento_session_lines.id"],
            name=op.f("fk_magento_scans_line_id_magento_session_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["magento_sessions.id"],
            name=op.f("fk_magento_scans_session_id_magento_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_magento_scans")),
        sa.UniqueConstraint("session_id", "client_id", name="uq_magento_scans_session_client"),
    )


def downgrade() -> None:
    op.drop_table("magento_scans")
    with op.batch_alter_table("magento_takeover_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_magento_takeover_requests_session_id"))

    op.drop_table("magento_takeover_requests")
    with op.batch_alter_table("magento_session_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_magento_session_lines_session_id"))

    op.drop_table("magento_session_lines")
    with op.batch_alter_table("magento_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_magento_audit_session_id"))

    op.drop_table("magento_audit")
    with op.batch_alter_table("magento_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_magento_sessions_status_created")
        batch_op.drop_index(batch_op.f("ix_magento_sessions_owner"))
        batch_op.drop_index(batch_op.f("ix_magento_sessions_order_number"))

    op.drop_table("magento_sessions")
