"""The driver interface and its plugin hooks.

A driver package declares an entry point in the group ``rm365.bridge.drivers`` naming a
module that implements the hook ``bridge_driver`` and returns a :class:`Driver` subclass::

    # pyproject.toml
    [project.entry-points."rm365.bridge.drivers"]
    my-reader = "my_package.reader"

    # my_package/reader.py
    from rm365_bridge import Driver, DriverError, hookimpl

    class MyReader(Driver):
        name = "my-reader"
        commands = frozenset({"card.read_next"})
        def open(self): ...                        # start reading (own thread); raise DriverError
        def close(self): ...
        def health(self): return {"ok": True, "detail": "reader on COM3"}
        def command(self, name, payload, timeout): return {"uid": "04A1B2C3"}

    @hookimpl
    def bridge_driver():
        return MyReader

The bridge gives a driver its ``[drivers.<name>]`` settings and ``emit(type, data)``; every
emitted event is written to the local queue before anything else happens. ``probe`` says
what the driver finds on this PC without opening it (``rm365-bridge drivers``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, ClassVar, Protocol

import pluggy

PROJECT = "rm365.bridge"
GROUP = "rm365.bridge.drivers"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

log = logging.getLogger("rm365.bridge")


class EmitEvent(Protocol):
    def __call__(self, type: str, data: dict[str, Any], *, cursor: tuple[str, str] | None = None) -> None: ...


class DriverError(Exception):
    """A driver refuses or fails: no device, bad setting, sensor error. The message is shown
    to people as it is (the server answers it as a 422 to a command)."""


class Driver:
    """Base class of drivers. ``settings`` is the driver's table from ``bridge.toml``."""

    #: The name used in ``bridge.toml`` (``[drivers.<name>]``) and on the command line.
    name: ClassVar[str] = ""
    #: Commands from the server this driver runs (``card.read_next``, ``fingerprint.enroll``...).
    commands: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, settings: dict[str, Any], emit: EmitEvent, state: StateStore | None = None) -> None:
        self.settings = settings
        self.emit = emit
        self.state = state

    @classmethod
    def probe(cls, settings: dict[str, Any]) -> str:
        """What this driver finds on this PC, in words (never raises)."""
        return "available"

    def open(self) -> None:
        """Connect to the device and start reading (in a thread of the driver's own)."""

    def close(self) -> None:
        """Stop reading and release the device."""

    def health(self) -> dict[str, Any]:
        return {"ok": True, "detail": ""}

    def command(self, name: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        raise DriverError(f"driver {self.name!r} cannot run {name!r}")


class StateStore(Protocol):
    """Small values a driver keeps across restarts (the simulated driver's file position)."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...


@hookspec
def bridge_driver() -> type[Driver]:  # type: ignore[empty-body]
    """Return the driver class this module provides."""


def load_drivers(extra: dict[str, Any] | None = None) -> dict[str, type[Driver]]:
    """Every installed driver by name: the entry points of ``rm365.bridge.drivers`` plus
    ``extra`` modules. A module that fails to import is logged and left out."""
    import sys

    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(sys.modules[__name__])
    for ep in entry_points(group=GROUP):
        try:
            manager.register(ep.load(), name=ep.name)
        except Exception as exc:  # noqa: BLE001 - one broken driver must not stop the others
            log.error("driver %s could not be loaded: %s", ep.name, exc)
    for name, module in (extra or {}).items():
        manager.register(module, name=name)
    manager.check_pending()
    drivers: dict[str, type[Driver]] = {}
    for cls in manager.hook.bridge_driver():
        if isinstance(cls, type) and issubclass(cls, Driver) and cls.name:
            drivers[cls.name] = cls
    return dict(sorted(drivers.items()))


Emit = Callable[..., None]
