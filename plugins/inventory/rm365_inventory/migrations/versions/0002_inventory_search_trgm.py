"""Trigram index for the item search on PostgreSQL (SQLite has no equivalent).

Revision ID: 0002_inventory
Revises: 0001_inventory
Create Date: 2026-11-27 03:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_inventory"
down_revision: str | Sequence[str] | None = "0001_inventory"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_trgm is a trusted extension: the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "ix_inventory_items_search_trgm",
        "inventory_items",
        ["search_key"],
        postgresql_using="gin",
        postgresql_ops={"search_key": "gin_trgm_ops"},
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_inventory_items_search_trgm", table_name="inventory_items")
