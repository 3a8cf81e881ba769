"""Enrollment: people, code counter, fingerprints (encrypted), purge log.

Revision ID: 0001_enrollment
Revises:
Create Date: 2026-12-03 02:49:55.977062
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_enrollment"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "enrollment_code_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment_code_counter")),
    )
    op.create_table(
        "enrollment_employees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_number", sa.Integer(), nullable=False),
        sa.Column("employee_code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("location", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("card_uid", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment_employees")),
        sa.UniqueConstraint("card_uid", name=op.f("uq_enrollment_employees_card_uid")),
        sa.UniqueConstraint("code_number", name=op.f("uq_enrollment_employees_code_number")),
        sa.UniqueConstraint("employee_code", name=op.f("uq_enrollment_employees_employee_code")),
    )
    with op.batch_alter_table("enrollment_employees", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enrollment_employees_location"), ["location"], unique=False)
        batch_op.create_index(batch_op.f("ix_enrollment_employees_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_enrollment_employees_status"), ["status"], unique=False)

    op.create_table(
        "enrollment_purges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_code", sa.String(length=16), nullable=False),
        sa.Column("by", sa.String(length=120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment_purges")),
    )
    with op.batch_alter_table("enrollment_purges", schema=None) as batch_op:
        batch_op.create_index("ix_enrollment_purges_at", ["at"], unique=False)

    op.create_table(
        "enrollment_fingerprints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("finger", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=True),
        sa.Column("template_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["enrollment_employees.id"],
            name=op.f("fk_enrollment_fingerprints_employee_id_enrollment_employees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment_fingerprints")),
        sa.UniqueConstraint("employee_id", "finger", name="uq_enrollment_fingerprints_employee_finger"),
    )


def downgrade() -> None:

    op.drop_table("enrollment_fingerprints")
    with op.batch_alter_table("enrollment_purges", schema=None) as batch_op:
        batch_op.drop_index("ix_enrollment_purges_at")

    op.drop_table("enrollment_purges")
    with op.batch_alter_table("enrollment_employees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrollment_employees_status"))
        batch_op.drop_index(batch_op.f("ix_enrollment_employees_name"))
        batch_op.drop_index(batch_op.f("ix_enrollment_employees_location"))

    op.drop_table("enrollment_employees")
    op.drop_table("enrollment_code_counter")
