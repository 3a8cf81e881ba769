"""Alembic environment: the kernel runs this plugin's migrations on its own connection."""

from rm365_core import run_migrations

run_migrations()
