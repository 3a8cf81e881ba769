"""Sales data: summaries per customer group too, a monthly summary next to the daily one; the
lines lose their group index (group exclusions read the summaries). Both summaries are
rebuilt from the lines.

Revision ID: 0002_salesdata
Revises: 0001_salesdata
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_salesdata"
down_revision: str | Sequence[str] | None = "0001_salesdata"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(length: int) -> sa.types.TypeEngine[str]:
    """Byte-order text on PostgreSQL (``COLLATE "C"``), as the models declare."""
    return sa.String(length=length).with_variant(sa.String(length=length, collation="C"), "postgresql")


def _summary(name: str, period: str) -> None:
    op.create_table(
        name,
        sa.Column("region", _key(16), nullable=False),
        sa.Column(period, sa.Date(), nullable=False),
        sa.Column("sku", _key(64), nullable=False),
        sa.Column("status", _key(40), nullable=False),
        sa.Column("customer_group", _key(64), nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("revenue_minor", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("region", period, "sku", "status", "customer_group", name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    op.drop_index("ix_salesdata_lines_region_group", table_name="salesdata_lines")
    op.drop_table("salesdata_daily")
    _summary("salesdata_daily", "day")
    _summary("salesdata_monthly", "month")
    month = (
        "date(day, 'start of month')" if op.get_bind().dialect.name == "sqlite" else "date_trunc('month', day)::date"
    )
    op.execute(
        "INSERT INTO salesdata_daily (region, day, sku, status, customer_group, qty, revenue_minor, lines) "
        "SELECT region, day, sku, status, customer_group, sum(qty), sum(qty * price_minor), count(*) "
        "FROM salesdata_lines GROUP BY region, day, sku, status, customer_group"
    )
    monthly = (
        "INSERT INTO salesdata_monthly (region, month, sku, status, customer_group, qty, revenue_minor, lines) "
        "SELECT region, MONTH, sku, status, customer_group, sum(qty), sum(qty * price_minor), count(*) "
        "FROM salesdata_lines GROUP BY region, MONTH, sku, status, customer_group"
    ).replace("MONTH", month)
    op.execute(monthly)


def downgrade() -> None:
    op.drop_table("salesdata_monthly")
    op.drop_table("salesdata_daily")
    op.create_table(
        "salesdata_daily",
        sa.Column("region", _key(16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sku", _key(64), nullable=False),
        sa.Column("status", _key(40), nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("revenue_minor", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("region", "day", "sku", "status", name=op.f("pk_salesdata_daily")),
    )
    op.execute(
        "INSERT INTO salesdata_daily (region, day, sku, status, qty, revenue_minor, lines) "
        "SELECT region, day, sku, status, sum(qty), sum(qty * price_minor), count(*) "
        "FROM salesdata_lines GROUP BY region, day, sku, status"
    )
    op.create_index("ix_salesdata_lines_region_group", "salesdata_lines", ["region", "customer_group"], unique=False)
