"""Sales data: order lines, the daily summary, imports and their errors, filters, rates.

Revision ID: 0001_salesdata
Revises:
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_salesdata"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(length: int) -> sa.types.TypeEngine[str]:
    """Byte-order text on PostgreSQL (``COLLATE "C"``), as the models declare."""
    return sa.String(length=length).with_variant(sa.String(length=length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "salesdata_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_salesdata_aliases")),
        sa.UniqueConstraint("alias", name=op.f("uq_salesdata_aliases_alias")),
    )
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
    op.create_table(
        "salesdata_exclusions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_salesdata_exclusions")),
        sa.UniqueConstraint("region", "kind", "value", name="uq_salesdata_exclusions_key"),
    )
    op.create_table(
        "salesdata_filter_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_salesdata_filter_log")),
    )
    op.create_index(op.f("ix_salesdata_filter_log_at"), "salesdata_filter_log", ["at"], unique=False)
    op.create_table(
        "salesdata_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("job_id", sa.String(length=64), nullable=True),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_imported", sa.Integer(), nullable=False),
        sa.Column("rows_duplicate", sa.Integer(), nullable=False),
        sa.Column("rows_failed", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_salesdata_imports")),
    )
    op.create_index(op.f("ix_salesdata_imports_region"), "salesdata_imports", ["region"], unique=False)
    op.create_index(op.f("ix_salesdata_imports_started_at"), "salesdata_imports", ["started_at"], unique=False)
    op.create_table(
        "salesdata_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("region", _key(16), nullable=False),
        sa.Column("order_number", _key(64), nullable=False),
        sa.Column("sku", _key(64), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("status", _key(40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("grand_total_minor", sa.BigInteger(), nullable=False),
        sa.Column("customer_email", _key(255), nullable=False),
        sa.Column("customer_name", sa.String(length=255), nullable=False),
        sa.Column("customer_group", _key(64), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_salesdata_lines")),
        sa.UniqueConstraint("region", "order_number", "sku", "line_no", name="uq_salesdata_lines_key"),
    )
    op.create_index("ix_salesdata_lines_region_day", "salesdata_lines", ["region", "day"], unique=False)
    op.create_index("ix_salesdata_lines_region_email", "salesdata_lines", ["region", "customer_email"], unique=False)
    op.create_index("ix_salesdata_lines_region_group", "salesdata_lines", ["region", "customer_group"], unique=False)
    op.create_index("ix_salesdata_lines_region_qty", "salesdata_lines", ["region", "qty"], unique=False)
    op.create_index("ix_salesdata_lines_region_total", "salesdata_lines", ["region", "grand_total_minor"], unique=False)
    op.create_table(
        "salesdata_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("updated_by", sa.String(length=150), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_salesdata_rates")),
        sa.UniqueConstraint("base", "quote", "as_of", name="uq_salesdata_rates_key"),
    )
    op.create_table(
        "salesdata_skus",
        sa.Column("region", _key(16), nullable=False),
        sa.Column("sku", _key(64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("last_sold_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=True),
        sa.Column("price_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("region", "sku", name=op.f("pk_salesdata_skus")),
    )
    op.create_table(
        "salesdata_thresholds",
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("max_line_qty", sa.Integer(), nullable=True),
        sa.Column("max_order_total_minor", sa.BigInteger(), nullable=True),
        sa.Column("updated_by", sa.String(length=150), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("region", name=op.f("pk_salesdata_thresholds")),
    )
    op.create_table(
        "salesdata_import_errors",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["salesdata_imports.id"],
            name=op.f("fk_salesdata_import_errors_import_id_salesdata_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_salesdata_import_errors")),
    )
    op.create_index(
        op.f("ix_salesdata_import_errors_import_id"), "salesdata_import_errors", ["import_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("salesdata_import_errors")
    op.drop_table("salesdata_thresholds")
    op.drop_table("salesdata_skus")
    op.drop_table("salesdata_rates")
    op.drop_table("salesdata_lines")
    op.drop_table("salesdata_imports")
    op.drop_table("salesdata_filter_log")
    op.drop_table("salesdata_exclusions")
    op.drop_table("salesdata_daily")
    op.drop_table("salesdata_aliases")
