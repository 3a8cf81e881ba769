"""users: identifiers that are never reused

Access tokens name a user by a random ``uid`` (SQLite reuses the integer ids of deleted
rows); usernames become case-insensitive (stored in lower case); login throttling gets
its growing delay (``blocked_until``).

Revision ID: 0002_core_users
Revises: 0001_core
Create Date: 2026-12-02 21:20:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_core_users"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_users = sa.table(
    "core_users",
    sa.column("id", sa.Integer),
    sa.column("username", sa.String),
    sa.column("uid", sa.String),
)


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"

    rows = bind.execute(sa.select(_users.c.id, _users.c.username)).all()
    seen: dict[str, str] = {}
    for _id, name in rows:
        if name.lower() in seen and seen[name.lower()] != name:
            raise RuntimeError(
                f"usernames {seen[name.lower()]!r} and {name!r} differ only in case: rename one, then upgrade"
            )
        seen[name.lower()] = name
    op.execute(_users.update().values(username=sa.func.lower(_users.c.username)))

    # SQLite adds a NOT NULL column only with a default; every row gets its own value below
    # and the model always supplies one, so the empty default is never used.
    op.add_column(
        "core_users",
        sa.Column("uid", sa.String(length=32), nullable=not sqlite, server_default="" if sqlite else None),
    )
    for (user_id,) in bind.execute(sa.select(_users.c.id)).all():
        bind.execute(_users.update().where(_users.c.id == user_id).values(uid=secrets.token_hex(16)))
    if not sqlite:
        op.alter_column("core_users", "uid", existing_type=sa.String(length=32), nullable=False)
    op.create_index(op.f("ix_core_users_uid"), "core_users", ["uid"], unique=True)

    op.add_column("core_login_failures", sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True))
    # Old keys (by name or by address alone) mean nothing to the new throttle.
    op.execute(sa.text("DELETE FROM core_login_failures"))


def downgrade() -> None:
    op.drop_index(op.f("ix_core_users_uid"), table_name="core_users")
    with op.batch_alter_table("core_users", schema=None) as batch_op:
        batch_op.drop_column("uid")
    with op.batch_alter_table("core_login_failures", schema=None) as batch_op:
        batch_op.drop_column("blocked_until")
