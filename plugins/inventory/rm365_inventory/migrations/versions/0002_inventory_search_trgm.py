"""Trigram index for the item search on PostgreSQL (SQLite has no equivalent).

Revision ID: 0002_inventory
Revises: 0001_inventory
Create Date: 2026-11-27 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_inventory"
down_revision: str | Sequence[str] | None = "0001_inventory"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # pg_trgm is a trusted extension: the database owner may create it. It goes to the
    # public schema (not whatever schema is first on the search path), and the index names
    # the operator class with the schema it really lives in.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    schema = bind.execute(
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'"
        )
    ).scalar_one()
    op.execute(
        sa.text(
            f'CREATE INDEX ix_inventory_items_search_trgm ON inventory_items '
            f'USING gin (search_key "{schema}".gin_trgm_ops)'
        )
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_inventory_items_search_trgm", table_name="inventory_items")
