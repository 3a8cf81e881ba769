"""Every extension point of the kernel, one hook each, with an example.

A plugin implements any of these as module-level functions decorated with
``@rm365_core.hookimpl``. Arguments are optional: pluggy passes only those an
implementation names. ``tests/test_hookspecs.py`` fails when a hook has no docstring
with an example.
"""

from __future__ import annotations

from typing import Any

import pluggy

PROJECT = "rm365"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_routes(kernel: Any) -> Any:
    """Return an ``APIRouter`` (or a list of them), mounted at ``/api/v1/<plugin>``.

    Every route must declare its tab with ``Depends(require_tab(...))`` (or be marked
    ``public``/``login_required``); an undeclared route fails the kernel's route test.

    Example::

        router = APIRouter(dependencies=[Depends(require_tab("hello"))])

        @hookimpl
        def register_routes():
            return router
    """


@hookspec
def register_tabs(kernel: Any) -> Any:
    """Return the plugin's permission tabs (``list[Tab]``); dotted ids form a tree.

    Example::

        @hookimpl
        def register_tabs():
            return [Tab(id="inventory", title="Inventory", module="/plugins/inventory/index.js"),
                    Tab(id="inventory.adjustments", title="Adjustments")]
    """


@hookspec
def register_tables(kernel: Any) -> Any:
    """Return the plugin's declarative base (or its ``MetaData``, or ``Tables``).

    The logical database comes from ``make_base("inventory")``; migrations live in the
    plugin package's ``migrations/`` folder, with version table ``alembic_version_<plugin>``.

    Example::

        Base = make_base("inventory")

        @hookimpl
        def register_tables():
            return Base
    """


@hookspec
def register_services(kernel: Any) -> Any:
    """Return ``{service name: object}`` for other plugins to use through ``kernel.services``.

    Example::

        @hookimpl
        def register_services(kernel):
            return {"inventory.stock": StockService(kernel)}

    A consumer asks ``kernel.services.get("salesdata.demand")`` and copes with ``None``.
    """


@hookspec
def register_realtime(kernel: Any, hub: Any) -> None:
    """Add realtime event handlers and room policies to the hub.

    Example::

        @hookimpl
        def register_realtime(hub):
            hub.add_room_policy("inventory", lambda user, room: user.has_tab("inventory"))
            hub.on("inventory.lock", handle_lock_intent)   # handler(principal, data, sid)
    """


@hookspec
def register_device_handlers(kernel: Any) -> Any:
    """Return ``{event type: handler}`` for events that paired bridges report.

    Example::

        @hookimpl
        def register_device_handlers():
            return {"card.read": on_card_read}   # handler(kernel, device, event) -> None
    """


@hookspec
def register_jobs(kernel: Any) -> Any:
    """Return the plugin's jobs (``list[Job]``); a job with ``every`` runs periodically.

    Example::

        @hookimpl
        def register_jobs():
            return [Job(name="close-forgotten", func=close_forgotten, every=timedelta(hours=1))]
    """


@hookspec
def register_cli(kernel: Any, app: Any) -> None:
    """Add commands to the ``rm365`` CLI; ``app`` is a ``typer.Typer`` for this plugin.

    Example::

        @hookimpl
        def register_cli(app):
            @app.command("import")
            def import_file(path: Path) -> None: ...
        # runs as: rm365 salesdata import FILE
    """


@hookspec
def register_settings(kernel: Any) -> Any:
    """Return the plugin's settings class (a ``PluginSettings`` subclass); the kernel reads
    it at start-up (bad values stop start-up naming the variable) and keeps the instance in
    ``kernel.plugin_settings[<plugin>]``.

    Example::

        class InventorySettings(PluginSettings):
            model_config = plugin_settings_config("inventory")
            locations: list[str] = ["shelf_lt1", "shelf_gt1", "top_floor"]

        @hookimpl
        def register_settings():
            return InventorySettings
    """


@hookspec
def demo_data(kernel: Any) -> None:
    """Seed demonstration data; called by ``rm365 serve --demo`` after migrations, in
    dependency order. Must be idempotent (skip when the data is there).

    Example::

        @hookimpl
        def demo_data(kernel):
            with kernel.databases.session("inventory") as session:
                if not session.scalar(select(func.count()).select_from(Item)):
                    session.add_all(make_items())
    """


@hookspec
def startup(kernel: Any) -> None:
    """Called once when the application starts, after migrations, in dependency order.

    Example::

        @hookimpl
        def startup(kernel):
            kernel.services.get("inventory.stock").warm_cache()
    """


@hookspec
def shutdown(kernel: Any) -> None:
    """Called once when the application stops, in reverse dependency order.

    Example::

        @hookimpl
        def shutdown(kernel):
            my_client.close()
    """


#: The hooks that contribute to the site; a plugin that raises in one is quarantined.
REGISTRATION_HOOKS = (
    "register_settings",
    "register_tables",
    "register_tabs",
    "register_routes",
    "register_services",
    "register_device_handlers",
    "register_jobs",
)
