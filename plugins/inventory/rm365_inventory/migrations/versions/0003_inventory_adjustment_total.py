"""Keep each adjustment's resulting total, so a retried client_id gets the same answer.

Revision ID: 0003_inventory
Revises: 0002_inventory
Create Date: 2026-11-27 03:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_inventory"
down_revision: str | Sequence[str] | None = "0002_inventory"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inventory_adjustments") as batch:
        batch.add_column(sa.Column("total_after", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inventory_adjustments") as batch:
        batch.drop_column("total_after")
