"""Alembic migrations per plugin: each plugin has its own folder and version table."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

TEMPLATE_DIR = Path(__file__).parent / "_migration_template"


def version_table(plugin: str) -> str:
    return f"alembic_version_{plugin}"


def _include_name(metadata: Any) -> Any:
    def include_name(name: str | None, type_: str, _parent: Any) -> bool:
        # Databases may be shared: look only at this plugin's own tables.
        if type_ == "table":
            return name in metadata.tables
        return True

    return include_name


def _include_object(dialect: str) -> Any:
    def include_object(obj: Any, _name: str | None, _type: str, reflected: bool, _compare_to: Any) -> bool:
        # A model object limited to one dialect (``Index(...).ddl_if(dialect="postgresql")``)
        # is not expected on the others.
        ddl_if = getattr(obj, "_ddl_if", None)
        other_dialect = ddl_if is not None and ddl_if.dialect and ddl_if.dialect != dialect
        return reflected or not other_dialect

    return include_object


def run_migrations() -> None:
    """The body of every plugin's ``migrations/env.py``: run with the kernel's connection."""
    from alembic import context

    attributes = context.config.attributes
    connection = attributes["connection"]
    metadata = attributes["metadata"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=attributes["version_table"],
        render_as_batch=connection.dialect.name == "sqlite",
        include_name=_include_name(metadata),
        include_object=_include_object(connection.dialect.name),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _config(kernel: Any, plugin: str, connection: Any = None) -> Config:
    tables = kernel.tables[plugin]
    if tables.migrations is None:
        raise LookupError(f"plugin {plugin!r} has tables but no migrations/ folder")
    config = Config()
    config.set_main_option("script_location", str(tables.migrations))
    config.attributes.update(
        connection=connection,
        metadata=tables.metadata,
        version_table=version_table(plugin),
    )
    return config


def upgrade(kernel: Any, plugins: list[str] | None = None) -> list[str]:
    """Apply every enabled plugin's migrations (dependency order); return what ran."""
    ran = []
    for plugin in kernel.plugins.enabled():
        if plugin.name not in kernel.tables or (plugins and plugin.name not in plugins):
            continue
        tables = kernel.tables[plugin.name]
        if tables.migrations is None:
            continue  # reported by pending() and `rm365 doctor`
        engine = kernel.databases.engine(tables.database)
        with engine.begin() as connection:
            config = _config(kernel, plugin.name, connection)
            command.upgrade(config, "heads")
        ran.append(plugin.name)
    return ran


def pending(kernel: Any) -> dict[str, str]:
    """``{plugin: problem}`` for every plugin whose database is not at its latest revision."""
    problems: dict[str, str] = {}
    for plugin in kernel.plugins.enabled():
        tables = kernel.tables.get(plugin.name)
        if tables is None:
            continue
        if tables.migrations is None:
            problems[plugin.name] = "has tables but no migrations/ folder"
            continue
        try:
            script = ScriptDirectory(str(tables.migrations))
            heads = set(script.get_heads())
            engine = kernel.databases.engine(tables.database)
            with engine.connect() as connection:
                ctx = MigrationContext.configure(connection, opts={"version_table": version_table(plugin.name)})
                current = set(ctx.get_current_heads())
        except Exception as exc:  # noqa: BLE001 - reported as a problem
            problems[plugin.name] = f"cannot read migration state: {exc}"
            continue
        if current != heads:
            problems[plugin.name] = (
                f"database {tables.database!r} is at {sorted(current) or 'nothing'}, "
                f"latest is {sorted(heads)}: run `rm365 db upgrade`"
            )
    return problems


def drift(kernel: Any, plugin: str) -> list[Any]:
    """Differences between a plugin's models and its migrated database (empty: no drift)."""
    tables = kernel.tables[plugin]
    engine = kernel.databases.engine(tables.database)
    with engine.connect() as connection:
        ctx = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": _include_name(tables.metadata),
                "include_object": _include_object(connection.dialect.name),
                "version_table": version_table(plugin),
            },
        )
        return list(compare_metadata(ctx, tables.metadata))


def revision(kernel: Any, plugin: str, message: str, autogenerate: bool = True) -> None:
    """Write a new migration for ``plugin`` from the difference between models and database."""
    tables = kernel.tables[plugin]
    assert tables.migrations is not None
    for name in ("env.py", "script.py.mako"):
        if not (tables.migrations / name).exists():
            shutil.copy(TEMPLATE_DIR / name, tables.migrations / name)
    (tables.migrations / "versions").mkdir(exist_ok=True)
    engine = kernel.databases.engine(tables.database)
    with engine.begin() as connection:
        config = _config(kernel, plugin, connection)
        command.revision(config, message=message, autogenerate=autogenerate)
