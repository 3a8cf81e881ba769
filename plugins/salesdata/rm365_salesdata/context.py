"""What the salesdata modules share: the kernel's settings for the plugin, sessions on the
``products`` database, region lookup, the user's name, and events after the commit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from rm365_core import DomainError, emit_on_commit

from .settings import Region, SalesdataSettings

DB = "products"
ROOM = "salesdata"


class Context:
    """The plugin's view of the site; every service function takes one."""

    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @property
    def settings(self) -> SalesdataSettings:
        settings = self.kernel.settings_for("salesdata")
        return settings if settings is not None else SalesdataSettings()

    def region(self, region_id: str) -> Region:
        """The configured region, or a 404 naming the ones there are."""
        region = self.settings.region(region_id)
        if region is None:
            known = ", ".join(sorted(self.settings.regions))
            raise DomainError(404, f"no region {region_id!r}; the regions are {known}", field="region")
        return region

    @contextmanager
    def session(self, readonly: bool = False) -> Iterator[Session]:
        with self.kernel.databases.session(DB, readonly=readonly) as session:
            yield session

    @property
    def is_sqlite(self) -> bool:
        return bool(self.kernel.databases.is_sqlite(DB))


def announce(session: Session, event: str, data: Any, rooms: list[str] | None = None) -> None:
    """Tell the salesdata pages about a change once ``session`` commits (rooms are tab ids,
    so each page listens in the room of its own tab)."""
    emit_on_commit(session, event, data, room=rooms or [ROOM])


def username_of(user: Any) -> str:
    name = getattr(user, "username", user)
    return str(name or "unknown")[:150]
