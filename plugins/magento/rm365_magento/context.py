"""What the pick & pack rules share: the kernel, settings, the Magento client (one per
process, rebuilt when the settings change), the inventory stock service and sessions on the
``inventory`` database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from .client import MagentoClient
from .errors import Conflict
from .settings import MagentoSettings

DB = "inventory"
#: Every session change is sent to the dashboard and the pick & pack pages.
ROOMS = ["magento.dashboard", "magento.pickpack"]
SUPERVISOR_TAB = "magento.dashboard.admin"


def user_room(username: str) -> str:
    """The room where one user's notifications (takeover requests, answers) arrive."""
    return f"magento.pickpack:user:{username}"


class Context:
    """The plugin's view of the site."""

    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel
        self._client: MagentoClient | None = None
        self._client_key: tuple[Any, ...] | None = None
        self._lock = threading.Lock()

    @property
    def settings(self) -> MagentoSettings:
        settings = self.kernel.settings_for("magento")
        return settings if settings is not None else MagentoSettings()

    @property
    def client(self) -> MagentoClient:
        """The shared client; 409 "not configured" without a base URL (no request made)."""
        s = self.settings
        key = (s.base_url, s.token, s.store_code, s.timeout, s.retries, s.backoff, s.page_size)
        with self._lock:
            if self._client is None or self._client_key != key:
                if self._client is not None:
                    self._client.close()
                self._client = MagentoClient(s)
                self._client_key = key
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
            self._client = None

    @property
    def stock(self) -> Any:
        stock = self.kernel.services.get("inventory.stock")
        if stock is None:
            raise Conflict("the inventory plugin's stock service is not available on this site")
        return stock

    @contextmanager
    def session(self, readonly: bool = False) -> Iterator[Session]:
        with self.kernel.databases.session(DB, readonly=readonly) as session:
            yield session
