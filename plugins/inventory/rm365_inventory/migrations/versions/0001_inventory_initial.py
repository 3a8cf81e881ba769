"""Inventory: items, stock per location, adjustments and their movements.

Revision ID: 0001_inventory
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_inventory"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inventory_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "search_key",
            sa.Text(),
            sa.Computed("lower(sku || ' ' || name || ' ' || item_id)", persisted=True),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_items")),
        sa.UniqueConstraint("item_id", name=op.f("uq_inventory_items_item_id")),
        sa.UniqueConstraint("sku", name=op.f("uq_inventory_items_sku")),
    )
    op.create_index(op.f("ix_inventory_items_name"), "inventory_items", ["name"], unique=False)
    op.create_index(op.f("ix_inventory_items_status"), "inventory_items", ["status"], unique=False)
    op.create_index(op.f("ix_inventory_items_updated_at"), "inventory_items", ["updated_at"], unique=False)

    op.create_table(
        "inventory_stock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_pk", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_inventory_stock_quantity_not_negative")),
        sa.ForeignKeyConstraint(
            ["item_pk"],
            ["inventory_items.id"],
            name=op.f("fk_inventory_stock_item_pk_inventory_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_stock")),
        sa.UniqueConstraint("item_pk", "location", name="uq_inventory_stock_item_location"),
    )

    op.create_table(
        "inventory_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=True),
        sa.Column("item_pk", sa.Integer(), nullable=True),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("location", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_pk"],
            ["inventory_items.id"],
            name=op.f("fk_inventory_adjustments_item_pk_inventory_items"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_adjustments")),
        sa.UniqueConstraint("client_id", name=op.f("uq_inventory_adjustments_client_id")),
    )
    op.create_index(op.f("ix_inventory_adjustments_item_pk"), "inventory_adjustments", ["item_pk"], unique=False)

    op.create_table(
        "inventory_movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("adjustment_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("location", sa.String(length=32), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("quantity_after", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity_after >= 0", name=op.f("ck_inventory_movements_quantity_after_not_negative")),
        sa.ForeignKeyConstraint(
            ["adjustment_id"],
            ["inventory_adjustments.id"],
            name=op.f("fk_inventory_movements_adjustment_id_inventory_adjustments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_movements")),
    )
    op.create_index(
        op.f("ix_inventory_movements_adjustment_id"), "inventory_movements", ["adjustment_id"], unique=False
    )
    op.create_index(op.f("ix_inventory_movements_created_at"), "inventory_movements", ["created_at"], unique=False)
    op.create_index("ix_inventory_movements_sku_created_at", "inventory_movements", ["sku", "created_at"], unique=False)
    op.create_index(op.f("ix_inventory_movements_username"), "inventory_movements", ["username"], unique=False)


def downgrade() -> None:
    op.drop_table("inventory_movements")
    op.drop_table("inventory_adjustments")
    op.drop_table("inventory_stock")
    op.drop_table("inventory_items")
