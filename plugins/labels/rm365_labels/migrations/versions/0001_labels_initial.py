"""Labels: print jobs, their label rows (the snapshot) and rendered PDFs.

Revision ID: 0001_labels
Revises:
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_labels"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "labels_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("template_spec", sa.JSON(), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("line_date", sa.Date(), nullable=True),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("label_count", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("priced", sa.Boolean(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labels_jobs")),
    )
    op.create_index(op.f("ix_labels_jobs_created_at"), "labels_jobs", ["created_at"])
    op.create_index(op.f("ix_labels_jobs_created_by"), "labels_jobs", ["created_by"])
    op.create_table(
        "labels_job_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("barcode", sa.String(length=64), nullable=False),
        sa.Column("price", sa.String(length=20), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("price_converted", sa.Boolean(), nullable=False),
        sa.Column("price_text", sa.String(length=32), nullable=False),
        sa.Column("uk_6m", sa.Integer(), nullable=True),
        sa.Column("fr_6m", sa.Integer(), nullable=True),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["labels_jobs.id"], name=op.f("fk_labels_job_rows_job_id_labels_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labels_job_rows")),
    )
    op.create_index("ix_labels_job_rows_job_position", "labels_job_rows", ["job_id", "position"], unique=True)
    op.create_table(
        "labels_job_pdfs",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["labels_jobs.id"], name=op.f("fk_labels_job_pdfs_job_id_labels_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_labels_job_pdfs")),
    )


def downgrade() -> None:
    op.drop_table("labels_job_pdfs")
    op.drop_index("ix_labels_job_rows_job_position", table_name="labels_job_rows")
    op.drop_table("labels_job_rows")
    op.drop_index(op.f("ix_labels_jobs_created_by"), table_name="labels_jobs")
    op.drop_index(op.f("ix_labels_jobs_created_at"), table_name="labels_jobs")
    op.drop_table("labels_jobs")
