"""Sales data: what excluded customers and thresholds remove from demand is kept in
``salesdata_removed`` (filled here from the lines and the filters already set), and the lines
lose the three indexes the filters read them through.

Revision ID: 0004_salesdata
Revises: 0003_salesdata
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_salesdata"
down_revision: str | Sequence[str] | None = "0003_salesdata"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = {
    "ix_salesdata_lines_region_email": ["region", "customer_email"],
    "ix_salesdata_lines_region_qty": ["region", "qty"],
    "ix_salesdata_lines_region_total": ["region", "grand_total_minor"],
}


def _key(length: int) -> sa.types.TypeEngine[str]:
    """Byte-order text on PostgreSQL (``COLLATE "C"``), as the models declare."""
    return sa.String(length=length).with_variant(sa.String(length=length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "salesdata_removed",
        sa.Column("region", _key(16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sku", _key(64), nullable=False),
        sa.Column("status", _key(40), nullable=False),
        sa.Column("customer_group", _key(64), nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("region", "day", "sku", "status", "customer_group", name=op.f("pk_salesdata_removed")),
    )
    op.execute(
        "INSERT INTO salesdata_removed (region, day, sku, status, customer_group, qty, lines) "
        "SELECT l.region, l.day, l.sku, l.status, l.customer_group, sum(l.qty), count(*) FROM salesdata_lines l "
        "WHERE l.customer_email IN (SELECT e.value FROM salesdata_exclusions e WHERE e.region = l.region "
        "AND e.kind = 'email') "
        "OR l.qty > (SELECT t.max_line_qty FROM salesdata_thresholds t WHERE t.region = l.region) "
        "OR l.grand_total_minor > (SELECT t.max_order_total_minor FROM salesdata_thresholds t "
        "WHERE t.region = l.region) "
        "GROUP BY l.region, l.day, l.sku, l.status, l.customer_group"
    )
    for name in _INDEXES:
        op.drop_index(name, table_name="salesdata_lines")


def downgrade() -> None:
    for name, columns in _INDEXES.items():
        op.create_index(name, "salesdata_lines", columns)
    op.drop_table("salesdata_removed")
