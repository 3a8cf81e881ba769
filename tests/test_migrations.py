"""Each plugin's Alembic migrations build exactly its models, in its own version table."""

from __future__ import annotations

import sys
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect, text

from rm365_core import _migrations

SAMPLES = Path(__file__).parent / "samples"
if str(SAMPLES) not in sys.path:
    sys.path.insert(0, str(SAMPLES))

from sample_catalog import pick  # noqa: E402


@pytest.fixture
def site(rm365_site: Any) -> Any:
    """Every installed plugin plus the good sample (a plugin with a table of its own)."""
    return rm365_site(plugins=None, extra=pick("good"), discover=True)


def plugins_with_tables(site: Any) -> list[str]:
    names = [p.name for p in site.kernel.plugins.enabled() if p.name in site.kernel.tables]
    assert {"core", "good"} <= set(names)
    return names


def test_every_plugin_with_tables_has_migrations(site):
    for name in plugins_with_tables(site):
        folder = site.kernel.tables[name].migrations
        assert folder is not None and (folder / "env.py").is_file(), name
        assert ScriptDirectory(str(folder)).get_heads(), f"{name} has no revision"


def test_migrations_produce_exactly_the_models(site):
    for name in plugins_with_tables(site):
        assert _migrations.drift(site.kernel, name) == [], f"{name}: models and migrations differ"


def test_databases_hold_only_the_tables_of_their_plugins(site):
    """No stray table (one a migration creates but no model declares) and none missing."""
    kernel = site.kernel
    expected: dict[str, set[str]] = defaultdict(set)
    engines: dict[str, Any] = {}
    for name in plugins_with_tables(site):
        tables = kernel.tables[name]
        url = kernel.databases.url(tables.database)
        engines[url] = kernel.databases.engine(tables.database)
        expected[url] |= set(tables.metadata.tables) | {_migrations.version_table(name)}
    for url, engine in engines.items():
        assert set(inspect(engine).get_table_names()) == expected[url], url


def test_each_plugin_has_its_own_version_table_at_its_head(site):
    kernel = site.kernel
    for name in plugins_with_tables(site):
        tables = kernel.tables[name]
        heads = set(ScriptDirectory(str(tables.migrations)).get_heads())
        engine = kernel.databases.engine(tables.database)
        assert "alembic_version" not in inspect(engine).get_table_names()
        with engine.connect() as connection:
            versions = connection.execute(text(f"SELECT version_num FROM {_migrations.version_table(name)}")).scalars()
            assert set(versions) == heads, name


def test_nothing_is_pending_after_upgrade(site):
    assert _migrations.pending(site.kernel) == {}


def test_upgrading_twice_changes_nothing(site):
    kernel = site.kernel
    statements: list[str] = []
    me = threading.get_ident()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # Only the upgrade's own statements: the site's job threads (periodic jobs, heartbeats)
        # write to the same engines meanwhile.
        if threading.get_ident() == me:
            statements.append(statement)

    engines = {kernel.databases.engine(t.database) for t in kernel.tables.values()}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        ran = _migrations.upgrade(kernel)
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)

    assert set(ran) == set(plugins_with_tables(site))
    writes = ("CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE")
    assert [s for s in statements if s.lstrip().upper().startswith(writes)] == []
    assert _migrations.pending(kernel) == {}


def test_pending_reports_a_database_that_was_never_upgraded(rm365_site):
    site = rm365_site(plugins=[], extra=pick("good"), discover=False)
    kernel = site.kernel
    with kernel.databases.engine("samples").begin() as connection:
        connection.execute(text(f"DROP TABLE {_migrations.version_table('good')}"))

    problems = _migrations.pending(kernel)

    assert set(problems) == {"good"}
    assert "rm365 db upgrade" in problems["good"]


def test_drift_sees_a_column_the_migration_forgot(rm365_site):
    site = rm365_site(plugins=[], extra=pick("drift"), discover=False)

    differences = _migrations.drift(site.kernel, "drift")

    assert differences, "drift() missed the colour column"
    assert "colour" in repr(differences)
