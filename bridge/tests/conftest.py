"""Bridge tests: a live RM365 site (the kernel and a small punch-recording plugin) and a
bridge paired with it through the real pairing endpoint."""

from __future__ import annotations

import threading
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rm365_bridge.config import BridgeConfig, Credentials

from rm365_core import DeviceEvent, DeviceInfo, DomainError, hookimpl


class Punches:
    """What the server's device handlers received, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[DeviceInfo, DeviceEvent]] = []
        self.lock = threading.Lock()

    def on_event(self, kernel: Any, device: DeviceInfo, event: DeviceEvent) -> None:
        if event.data.get("uid") == "REFUSED":
            raise DomainError(422, "card REFUSED is not registered")
        with self.lock:
            self.events.append((device, event))

    def uids(self) -> list[str]:
        with self.lock:
            return [e.data.get("uid") or e.data.get("employee_code") for _d, e in self.events]


def punch_plugin(punches: Punches) -> types.ModuleType:
    module = types.ModuleType("punch_recorder")

    @hookimpl
    def register_device_handlers() -> dict[str, Any]:
        return {"card.read": punches.on_event, "fingerprint.matched": punches.on_event}

    module.register_device_handlers = register_device_handlers  # type: ignore[attr-defined]
    return module


@pytest.fixture
def punches() -> Punches:
    return Punches()


@pytest.fixture
def site(rm365_site, punches):
    return rm365_site(plugins=[], extra={"punch": punch_plugin(punches)}, discover=False, live=True)


@pytest.fixture
def paired(site, tmp_path: Path) -> BridgeConfig:
    """A config folder holding a real device token for ``site``."""
    config = BridgeConfig(tmp_path / "bridge")
    device_id, token = site.pair_device("Station 1", site="Leeds")
    config.save_credentials(Credentials(server=site.url, token=token, device_id=device_id, name="Station 1"))
    return config


def _wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        time.sleep(0.05)


@pytest.fixture
def wait_until() -> Callable[..., None]:
    """``wait_until(predicate, timeout=10, what="...")``: poll until true or fail."""
    return _wait_until
