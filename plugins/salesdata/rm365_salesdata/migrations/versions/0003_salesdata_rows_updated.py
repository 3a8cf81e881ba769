"""Sales data: an import counts the lines whose status it changed (an order cancelled or
refunded since the export that brought it).

Revision ID: 0003_salesdata
Revises: 0002_salesdata
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_salesdata"
down_revision: str | Sequence[str] | None = "0002_salesdata"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("salesdata_imports") as batch:
        batch.add_column(sa.Column("rows_updated", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("salesdata_imports") as batch:
        batch.drop_column("rows_updated")
