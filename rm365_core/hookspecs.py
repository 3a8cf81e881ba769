"""Every extension point of the kernel, one hook each, with when it runs and an example.

A plugin implements any of these as module-level functions decorated with
``@rm365_core.hookimpl``. Arguments are optional: pluggy passes only those an
implementation names. ``tests/test_hookspecs.py`` fails when a hook's docstring does not
say when it runs, what a failure does, and show an example.

The registration hooks (``REGISTRATION_HOOKS``) run once per process when the kernel loads
plugins, in dependency order; a plugin raising in one (or returning something invalid) is
quarantined: state ``failed`` with the error, nothing it registered kept, the plugins that
require it ``missing-dependency``. ``RM365_STRICT_PLUGINS=1`` makes that stop start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter
    from sqlalchemy import MetaData
    from sqlalchemy.orm import DeclarativeBase

    from ._jobs import Job
    from ._kernel import Kernel, Tables
    from ._realtime_rooms import Intent, RoomPolicy
    from ._settings import PluginSettings
    from ._tabs import Tab

PROJECT = "rm365"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

#: ``handler(kernel, device, event)``: what a device handler is called with.
DeviceHandler = Callable[..., None]


@hookspec
def register_settings(kernel: Kernel) -> type[PluginSettings] | None:
    """Return the plugin's settings class (a ``PluginSettings`` subclass); the kernel reads
    it and keeps the instance in ``kernel.plugin_settings[<plugin>]``.

    Runs first of the registration hooks, when the kernel loads plugins.
    If it raises, the plugin is quarantined; a value that fails validation stops start-up
    (in every mode) with a message naming the ``RM365_<PLUGIN>_<FIELD>`` variable.

    Example::

        class InventorySettings(PluginSettings):
            model_config = plugin_settings_config("inventory")
            locations: list[str] = ["shelf_lt1", "shelf_gt1", "top_floor"]

        @hookimpl
        def register_settings():
            return InventorySettings
    """


@hookspec
def register_tables(kernel: Kernel) -> type[DeclarativeBase] | MetaData | Tables | None:
    """Return the plugin's declarative base (or its ``MetaData``, or ``Tables``).

    The logical database comes from ``make_base("inventory")``; migrations live in the
    plugin package's ``migrations/`` folder, with version table ``alembic_version_<plugin>``.

    Runs when the kernel loads plugins, before any migration.
    If it raises or returns something else, the plugin is quarantined and its tables are
    neither migrated nor used.

    Example::

        Base = make_base("inventory")

        @hookimpl
        def register_tables():
            return Base
    """


@hookspec
def register_tabs(kernel: Kernel) -> list[Tab] | None:
    """Return the plugin's permission tabs (``list[Tab]``); dotted ids form a tree.

    Runs when the kernel loads plugins.
    If it raises, returns something that is not a ``Tab`` or a tab id another plugin
    already registered, the plugin is quarantined.

    Example::

        @hookimpl
        def register_tabs():
            return [Tab(id="inventory", title="Inventory", module="/plugins/inventory/index.js"),
                    Tab(id="inventory.adjustments", title="Adjustments")]
    """


@hookspec
def register_routes(kernel: Kernel) -> APIRouter | list[APIRouter] | None:
    """Return an ``APIRouter`` (or a list of them), mounted at ``/api/v1/<plugin>``.

    Every route must declare who may call it: ``Depends(require_tab(...))``, or
    ``login_required`` / ``public`` for the few exceptions.

    Runs when the kernel loads plugins.
    If it raises, returns something else, or a route declares no tab (or is a plain
    Starlette route, which skips the check), the plugin is quarantined with a message
    naming the route; none of its routes is mounted.

    Example::

        router = APIRouter(dependencies=[Depends(require_tab("hello"))])

        @hookimpl
        def register_routes():
            return router
    """


@hookspec
def register_services(kernel: Kernel) -> dict[str, Any] | None:
    """Return ``{service name: object}`` for other plugins to use through ``kernel.services``.

    Runs when the kernel loads plugins, after the plugins this one requires.
    If it raises, returns something else or a name already taken, the plugin is
    quarantined and offers no service.

    Example::

        @hookimpl
        def register_services(kernel):
            return {"inventory.stock": StockService(kernel)}

    A consumer asks ``kernel.services.get("salesdata.demand")`` and copes with ``None``.
    """


@hookspec
def register_realtime(kernel: Kernel) -> list[RoomPolicy | Intent] | None:
    """Return the plugin's realtime rooms and intents: ``RoomPolicy(prefix, check)`` narrows
    who may join rooms ``prefix`` / ``prefix:...`` (on top of the room's tab);
    ``Intent(event, tab, handler)`` is a client event only holders of ``tab`` may send;
    ``handler(principal, data, sid)`` returns the ack (raise ``DomainError`` to refuse).

    Runs when the kernel loads plugins; the hub takes them in when the app is built.
    If it raises, returns something else, or an intent without a tab, with a reserved name
    or one another plugin handles, the plugin is quarantined and nothing of it is on the hub.

    Example::

        @hookimpl
        def register_realtime():
            return [RoomPolicy("inventory", lambda user, room: ":" not in room),
                    Intent("inventory.lock", tab="inventory.management", handler=lock_item)]
    """


@hookspec
def register_device_handlers(kernel: Kernel) -> dict[str, DeviceHandler] | None:
    """Return ``{event type: handler}`` for events that paired bridges report.

    Runs when the kernel loads plugins.
    If it raises or returns something else, the plugin is quarantined and none of its
    handlers is called.

    The kernel calls ``handler(kernel, device, event)`` in a worker thread (handlers are
    synchronous and open their own sessions) with a ``DeviceInfo`` and a ``DeviceEvent``
    (``event.id`` unique per device, ``event.occurred_at`` when it happened at the station).
    Each (device.id, event.id) is applied once: the kernel records it and acknowledges the
    bridge after the handler returned; keep the pair unique in your own rows too, so a retry
    after a crash between the two commits changes nothing. Raising ``DomainError`` refuses
    the event (dead-lettered with the message, not retried); any other exception means
    "retry later". Event types: ``card.read`` ``{uid}``, ``fingerprint.matched``
    ``{employee_code, finger, score}``, and ``device.online`` ``{}`` (a bridge connected).
    Commands go the other way: ``kernel.devices.command(device_id, "card.read_next")``.

    Example::

        def on_card_read(kernel, device: DeviceInfo, event: DeviceEvent) -> None:
            clock_in(card=event.data["uid"], at=event.occurred_at, source=(device.id, event.id))

        @hookimpl
        def register_device_handlers():
            return {"card.read": on_card_read}
    """


@hookspec
def register_jobs(kernel: Kernel) -> list[Job] | None:
    """Return the plugin's jobs (``list[Job]``); a job with ``every`` runs periodically.
    Start one with ``kernel.jobs.start("<plugin>.<job>", **kwargs)`` (see ``docs/jobs.md``).

    Runs when the kernel loads plugins.
    If it raises or returns something that is not a ``Job``, the plugin is quarantined and
    none of its jobs is scheduled.

    Example::

        @hookimpl
        def register_jobs():
            return [Job(name="close-forgotten", func=close_forgotten, every=timedelta(hours=1))]
    """


@hookspec
def register_cli(kernel: Kernel, app: typer.Typer) -> None:
    """Add commands to the ``rm365`` CLI; ``app`` is a ``typer.Typer`` for this plugin.

    Runs each time the ``rm365`` command starts, for every enabled plugin.
    If it raises, the CLI prints a warning and runs without that plugin's commands.

    Example::

        @hookimpl
        def register_cli(app):
            @app.command("import")
            def import_file(path: Path) -> None: ...
        # runs as: rm365 salesdata import FILE
    """


@hookspec
def demo_data(kernel: Kernel) -> None:
    """Seed demonstration data. Must be idempotent (skip when the data is there).

    Runs on ``rm365 serve --demo`` after migrations, in dependency order.
    If it raises, ``serve --demo`` stops with the error (a demo site never starts half
    seeded); a site without ``--demo`` never calls it.

    Example::

        @hookimpl
        def demo_data(kernel):
            with kernel.databases.session("inventory") as session:
                if not session.scalar(select(func.count()).select_from(Item)):
                    session.add_all(make_items())
    """


@hookspec
def startup(kernel: Kernel) -> None:
    """Prepare what the plugin needs at run time (caches, clients).

    Runs once per web worker when the application starts, after migrations and before
    the realtime hub, in dependency order, in a worker thread.
    If it raises, the plugin is marked failed (its routes answer 503) and the site starts;
    strict mode stops start-up.

    Example::

        @hookimpl
        def startup(kernel):
            kernel.services.get("inventory.stock").warm_cache()
    """


@hookspec
def shutdown(kernel: Kernel) -> None:
    """Release what ``startup`` took (clients, files).

    Runs once per web worker when the application stops, in reverse dependency order.
    If it raises, the error is logged, the plugin is marked failed and the others still
    shut down.

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
    "register_realtime",
    "register_device_handlers",
    "register_jobs",
)
