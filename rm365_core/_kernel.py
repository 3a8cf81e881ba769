"""The kernel object: settings, databases, plugins and everything they registered."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import APIRouter
from pydantic import ValidationError
from pydantic_settings import BaseSettings
from sqlalchemy import MetaData
from sqlalchemy.orm import Session

from ._db import Databases, emit_on_commit
from ._devices import Devices
from ._jobs import Job, JobRunner
from ._plugins import ENABLED, Plugin, PluginManager, discover, plugin_from_module
from ._realtime_access import ACCESS_KEY, RealtimeSettings
from ._realtime_rooms import Intent, RoomPolicy
from ._route_guards import unguarded
from ._settings import PluginSettings, Settings, SettingsError
from ._tabs import Tab, mark_explicit
from .hookspecs import DeviceHandler

if TYPE_CHECKING:
    from ._auth import Authenticator, TokenService
    from ._realtime import Hub

log = logging.getLogger("rm365")

SettingsT = TypeVar("SettingsT", bound=BaseSettings)


@dataclass
class Tables:
    """A plugin's tables: the logical database, the metadata and its Alembic folder."""

    database: str
    metadata: MetaData
    migrations: Path | None = None


class ServiceRegistry:
    """Services that plugins offer each other by name (``inventory.stock``)."""

    def __init__(self) -> None:
        self._services: dict[str, Any] = {}
        self._owners: dict[str, str] = {}

    def add(self, name: str, service: Any, owner: str) -> None:
        if name in self._services:
            raise ValueError(f"service {name!r} is already registered by {self._owners[name]}")
        self._services[name] = service
        self._owners[name] = owner

    def get(self, name: str) -> Any | None:
        """The service, or None when the plugin that offers it is absent or disabled."""
        return self._services.get(name)

    def require(self, name: str) -> Any:
        service = self._services.get(name)
        if service is None:
            raise LookupError(f"service {name!r} is not available (is its plugin enabled?)")
        return service

    def names(self) -> list[str]:
        return sorted(self._services)

    def withdraw(self, owner: str) -> None:
        """Remove every service that ``owner`` registered."""
        for name in [name for name, by in self._owners.items() if by == owner]:
            del self._services[name], self._owners[name]


class Kernel:
    """Everything a running site holds; plugins receive it as the ``kernel`` hook argument."""

    def __init__(
        self,
        settings: Settings,
        *,
        extra_plugins: Iterable[Plugin] = (),
        discover_installed: bool = True,
    ) -> None:
        self.settings = settings
        self.databases = Databases(settings)
        self.databases.emit = self.emit
        self.databases.session_info[ACCESS_KEY] = self._access_changed
        self.services = ServiceRegistry()
        self.tabs: list[Tab] = []
        self.tables: dict[str, Tables] = {}
        #: (owner plugin, URL prefix, router) for every router to mount.
        self.routers: list[tuple[str, str, APIRouter]] = []
        self.device_handlers: dict[str, list[tuple[str, DeviceHandler]]] = {}
        #: (owner plugin, policy) and {event: (owner plugin, intent)} for the realtime hub.
        self.room_policies: list[tuple[str, RoomPolicy]] = []
        self.intents: dict[str, tuple[str, Intent]] = {}
        self.plugin_settings: dict[str, PluginSettings] = {}
        self.jobs = JobRunner(self)
        #: Paired bridges: pairing, events, ``command`` and ``list_devices`` (see ``_devices.py``).
        self.devices = Devices(self)
        #: Set by ``create_hub`` when the app serves realtime (None in the CLI).
        self.hub: Hub | None = None
        #: Set by ``build_kernel`` once the signing secret is known.
        self.token_service: TokenService | None = None
        self.authenticator: Authenticator | None = None
        core = plugin_from_module("core", "rm365_core._core.plugin")
        core.manifest.title = "Kernel"
        from ._version import CORE_API_VERSION

        core.manifest.version = CORE_API_VERSION
        core.manifest.databases = ["core"]
        core.mount = "/api/v1"
        candidates = [core, *extra_plugins]
        for entry in settings.plugin_paths:
            plugin_name, module_path = (part.strip() for part in entry.split("=", 1))
            candidates.append(plugin_from_module(plugin_name, module_path))
        if discover_installed:
            extra_names = {p.name for p in candidates}
            candidates += [p for p in discover() if p.name not in extra_names]
        self.plugins = PluginManager(candidates, settings.plugins)

    # -- loading ----------------------------------------------------------------------
    def load_plugins(self) -> None:
        self.plugins.load(self)

    def _accept(self, plugin: Plugin) -> None:
        """Validate and take in what a plugin registered; raising quarantines the plugin."""
        c = plugin.contributions
        name = plugin.name
        settings_cls = c.get("register_settings")
        plugin_settings = None
        if settings_cls is not None:
            if not (isinstance(settings_cls, type) and issubclass(settings_cls, PluginSettings)):
                raise TypeError("register_settings must return a PluginSettings subclass")
            plugin_settings = load_section(settings_cls, settings_cls.model_config.get("env_prefix", ""))
        tables = self._as_tables(plugin, c.get("register_tables"))
        tabs = self._as_list(c.get("register_tabs"))
        for tab in tabs:
            if not isinstance(tab, Tab):
                raise TypeError(f"register_tabs returned {type(tab).__name__}, not Tab")
            if any(t.id == tab.id for t in self.tabs):
                raise ValueError(f"tab {tab.id!r} is already registered")
        routers = self._as_list(c.get("register_routes"))
        prefix = plugin.mount if plugin.mount is not None else f"/api/v1/{name}"
        for router in routers:
            if not isinstance(router, APIRouter):
                raise TypeError("register_routes must return APIRouter objects")
            # Checked here, not only by this repository's tests: a plugin written elsewhere
            # cannot ship a route that skips the tab check.
            problems = unguarded(router.routes, prefix)
            if problems:
                raise PermissionError("; ".join(problems))
        policies, intents = self._as_realtime(c.get("register_realtime"))
        services = c.get("register_services") or {}
        if not isinstance(services, dict):
            raise TypeError("register_services must return a {name: service} dict")
        handlers = c.get("register_device_handlers") or {}
        if not isinstance(handlers, dict):
            raise TypeError("register_device_handlers must return a {event: handler} dict")
        jobs = self._as_list(c.get("register_jobs"))
        for job in jobs:
            if not isinstance(job, Job):
                raise TypeError("register_jobs must return Job objects")
        for service_name in services:
            if self.services.get(service_name) is not None:
                raise ValueError(f"service {service_name!r} is already registered")
        # Everything validated: now take it all in, so a failure above leaves no trace.
        if plugin_settings is not None:
            self.plugin_settings[name] = plugin_settings
        for service_name, service in services.items():
            self.services.add(service_name, service, name)
        if tables is not None:
            self.tables[name] = tables
            self.databases.declare(tables.database)
        for db in plugin.manifest.databases:
            self.databases.declare(db)
        for tab in tabs:
            self.tabs.append(
                Tab(**{**tab.__dict__, "plugin": name})  # remember the owner
            )
            if tab.explicit:
                mark_explicit(tab.id)
        self.room_policies += [(name, policy) for policy in policies]
        self.intents.update({intent.event: (name, intent) for intent in intents})
        for router in routers:
            self.routers.append((name, prefix, router))
        for event, handler in handlers.items():
            self.device_handlers.setdefault(event, []).append((name, handler))
        for job in jobs:
            self.jobs.add(job, owner=name)

    @staticmethod
    def _as_list(value: Any) -> list[Any]:
        if value is None:
            return []
        if isinstance(value, list | tuple):
            return list(value)
        return [value]

    def _as_realtime(self, value: Any) -> tuple[list[RoomPolicy], list[Intent]]:
        policies: list[RoomPolicy] = []
        intents: list[Intent] = []
        for item in self._as_list(value):
            if isinstance(item, RoomPolicy):
                policies.append(item)
            elif isinstance(item, Intent):
                if item.event in self.intents or any(other.event == item.event for other in intents):
                    owner = self.intents[item.event][0] if item.event in self.intents else "this plugin"
                    raise ValueError(f"realtime event {item.event!r} is already handled by {owner}")
                intents.append(item)
            else:
                raise TypeError(f"register_realtime returned {type(item).__name__}, not RoomPolicy or Intent")
        return policies, intents

    @staticmethod
    def _as_tables(plugin: Plugin, value: Any) -> Tables | None:
        if value is None:
            return None
        if isinstance(value, Tables):
            tables = value
        else:
            metadata = value if isinstance(value, MetaData) else getattr(value, "metadata", None)
            if not isinstance(metadata, MetaData):
                raise TypeError("register_tables must return a declarative base, MetaData or Tables")
            database = metadata.info.get("database") or plugin.name
            tables = Tables(database=database, metadata=metadata)
        if tables.migrations is None:
            tables.migrations = plugin.migrations_dir
        return tables

    # -- helpers for plugins --------------------------------------------------------
    def settings_for(self, plugin: str) -> Any:  # the plugin's own PluginSettings subclass
        """A plugin's settings instance (from its ``register_settings``)."""
        return self.plugin_settings.get(plugin)

    def emit_on_commit(self, session: Session, event: str, data: Any, room: str | list[str] | None = None) -> None:
        """Send ``event`` once ``session`` commits, never if it rolls back (see ``emit_on_commit``)."""
        emit_on_commit(session, event, data, room=room)

    def emit(self, event: str, data: Any, room: str | list[str] | None = None) -> None:
        """Broadcast a server event to a realtime room, or to several (each connection gets
        it once). Works from async code and from sync routes and jobs; a no-op without a hub."""
        if self.hub is not None:
            self.hub.emit(event, data, room=room)

    # -- realtime -------------------------------------------------------------------
    def create_hub(self) -> Hub:
        """The realtime hub of this site with every enabled plugin's rooms and intents."""
        from ._realtime import Hub

        if self.authenticator is None:
            raise RuntimeError("the kernel has no authenticator yet (use build_kernel)")
        limits = load_section(RealtimeSettings, "RM365_REALTIME_")
        hub = Hub(
            authenticate=self.authenticator.authenticate,
            redis_url=self.settings.redis_url,
            cors_origins=self.settings.cors_origins,
            redis_prefix=self.settings.redis_prefix,
            limits=limits,
            forget_user=self.authenticator.invalidate,
        )
        for _owner, policy in self.room_policies:
            hub.rooms.add(policy)
        for owner, intent in self.intents.values():
            hub.add_intent(intent, available=self._running(owner))
        from ._devices_hub import DeviceChannel

        self.devices.channel = DeviceChannel(self.devices, hub)
        self.hub = hub
        return hub

    def _running(self, plugin: str) -> Callable[[], bool]:
        """Whether ``plugin`` still runs (one failing in ``startup`` is marked failed)."""
        return lambda: self.plugins.plugins[plugin].state == ENABLED

    def _access_changed(self, user_ids: set[int] | None) -> None:
        # After a commit that changed users, roles or revoked tokens: open connections are
        # checked again on every worker (rooms left, revoked or expired ones closed).
        if self.hub is not None:
            self.hub.recheck_access_threadsafe(user_ids)


def load_section(cls: type[SettingsT], prefix: str) -> SettingsT:
    """Read a settings section; bad values raise ``SettingsError`` naming the variable."""
    try:
        return cls()
    except ValidationError as exc:
        problems = "; ".join(f"{prefix}{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors())
        raise SettingsError(problems) from None
