"""users: identifiers that are never reused

Revision ID: 0002_core_users
Revises: 0001_core
Create Date: 2026-12-02 21:20:00
"""

from collections.abc import Sequence

revision: str = "0002_core_users"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
