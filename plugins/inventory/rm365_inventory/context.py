"""What every part of the inventory service shares: the kernel, the settings, sessions on the
``inventory`` database, the variant rule, demand, and queuing events for after the commit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from rm365_core import emit_on_commit

from .codes import variant_pattern
from .demand import demand_service, fetch_demand
from .errors import Invalid
from .settings import InventorySettings

DB = "inventory"
#: Every inventory screen listens in one of these; a connection in several gets an event once.
ROOMS = ["inventory", "inventory.management", "inventory.adjustments"]
SOURCES = ("ui", "scanner", "pick", "returns", "api", "import", "demo")


class Context:
    """The plugin's view of the site. Every service function takes one."""

    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @property
    def settings(self) -> InventorySettings:
        settings = self.kernel.settings_for("inventory")
        return settings if settings is not None else InventorySettings()

    @property
    def variants(self) -> re.Pattern[str] | None:
        return variant_pattern(self.settings.variant_suffixes)

    @contextmanager
    def session(self, readonly: bool = False) -> Iterator[Session]:
        """A session that commits when the block ends cleanly (and then sends its events)."""
        with self.kernel.databases.session(DB, readonly=readonly) as session:
            yield session

    def demand(self, skus: list[str]) -> dict[str, dict[str, int]] | None:
        """Demand of ``skus`` by region; None when there is no demand service (no column)."""
        service = demand_service(self.kernel)
        if service is None:
            return None
        return fetch_demand(service, skus) if skus else {}


def announce(session: Session, event: str, data: Any) -> None:
    """Tell every inventory screen about a change, once ``session`` commits (never on rollback)."""
    emit_on_commit(session, event, data, room=ROOMS)


def username_of(user: Any) -> str:
    name = getattr(user, "username", user)
    if not isinstance(name, str) or not name:
        raise Invalid("an adjustment needs the name of who made it", field="user")
    return name[:150]
