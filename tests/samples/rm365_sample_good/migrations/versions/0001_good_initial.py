"""good_notes

Revision ID: 0001_good
Revises:
Create Date: 2026-11-27 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_good"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "good_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_good_notes")),
    )
    op.create_index(op.f("ix_good_notes_text"), "good_notes", ["text"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_good_notes_text"), table_name="good_notes")
    op.drop_table("good_notes")
