"""The kernel's users, roles, system and auth features, registered through the plugin hooks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .._jobs import Job
from .._tabs import Tab
from ..hookspecs import hookimpl
from . import api
from .models import Base


@hookimpl
def register_tables() -> Any:
    return Base


@hookimpl
def register_tabs() -> list[Tab]:
    return [
        Tab(
            id="usermanagement", title="Users & roles", icon="users", order=900, module="/static/tabs/usermanagement.js"
        ),
        Tab(id="system", title="System", icon="settings", order=910, module="/static/tabs/system.js"),
    ]


@hookimpl
def register_routes() -> list[Any]:
    from . import devices_api

    return [
        api.auth_router,
        api.users_router,
        api.system_router,
        api.tabs_router,
        devices_api.devices_router,
        devices_api.pair_router,
    ]


@hookimpl
def register_jobs() -> list[Job]:
    return [Job(name="prune-device-events", func=prune_device_events, every=timedelta(days=1), tab="system")]


def prune_device_events(kernel: Any, progress: Any) -> dict[str, int]:
    """Daily: forget device events older than RM365_DEVICE_EVENTS_KEEP_DAYS."""
    return {"deleted": kernel.devices.prune_events()}


@hookimpl
def startup(kernel: Any) -> None:
    from .service import UserService

    with kernel.databases.session("core") as session:
        UserService(kernel).seed_roles(session)
