"""jobs: run state and progress shared by every worker

Revision ID: 0003_core_jobs
Revises: 0002_core_users
Create Date: 2026-12-02 21:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_core_jobs"
down_revision: str | Sequence[str] | None = "0002_core_users"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "core_job_runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tab", sa.String(length=150), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("period", sa.BigInteger(), nullable=True),
        sa.Column("kwargs", sa.JSON(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("result", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_job_runs")),
        sa.UniqueConstraint("name", "period", name="uq_core_job_runs_name_period"),
    )
    op.create_index("ix_core_job_runs_state_heartbeat_at", "core_job_runs", ["state", "heartbeat_at"])


def downgrade() -> None:
    op.drop_index("ix_core_job_runs_state_heartbeat_at", table_name="core_job_runs")
    op.drop_table("core_job_runs")
