"""Test helpers for devices: a fake bridge that connects to a live site's ``/device``
namespace, reports events and answers commands with scripted replies::

    device_id, token = site.pair_device("Front desk")
    with FakeBridge(commands={"card.read_next": lambda payload: {"uid": "04A1B2C3"}}) as bridge:
        bridge.connect(site.url, token)
        assert bridge.send([bridge.event("card.read", {"uid": "04A1B2C3"})])[0]["status"] == "accepted"
        site.kernel.devices.command(device_id, "card.read_next")   # -> {"uid": "04A1B2C3"}
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import socketio
import socketio.exceptions

from ._devices_hub import NAMESPACE
from ._realtime import SOCKETIO_PATH
from ._types import utcnow

__all__ = ["FakeBridge"]

CommandHandler = Callable[[dict[str, Any]], dict[str, Any]]


class FakeBridge:
    """A bridge stand-in. A command handler returns the reply data, or raises ``ValueError``
    (answered ``{ok: false, error}``, like a driver error); a command without a handler is
    never answered (so the server's timeout can be tested)."""

    def __init__(self, *, commands: dict[str, CommandHandler] | None = None, timeout: float = 10.0) -> None:
        self.commands = dict(commands or {})
        self.timeout = timeout
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.refusal: str | None = None
        self.disconnected = threading.Event()
        self._stop = threading.Event()
        self._sio = socketio.Client(reconnection=False)
        self._sio.on("command", self._on_command, namespace=NAMESPACE)
        self._sio.on("connect_error", self._on_connect_error, namespace=NAMESPACE)
        self._sio.on("disconnect", self._on_disconnect, namespace=NAMESPACE)

    def _on_connect_error(self, data: Any = None) -> None:
        self.refusal = str(data.get("message", data)) if isinstance(data, dict) else str(data)

    def _on_disconnect(self, *args: Any) -> None:
        self.disconnected.set()

    def _on_command(self, data: Any) -> Any:
        command = str(data.get("command")) if isinstance(data, dict) else ""
        payload = data.get("payload") or {} if isinstance(data, dict) else {}
        self.received.append((command, payload))
        handler = self.commands.get(command)
        if handler is None:
            self._stop.wait(60)  # never answer: the server times out
            return None
        try:
            return {"ok": True, "data": handler(payload)}
        except ValueError as exc:
            return {"ok": False, "error": str(exc)}

    @property
    def connected(self) -> bool:
        return bool(self._sio.connected)

    def connect(self, url: str, token: str, *, drivers: list[str] | None = None, clock: datetime | None = None) -> None:
        """Connect with ``token``; raises ``socketio.exceptions.ConnectionError`` when refused
        (``self.refusal`` holds the server's reason)."""
        self.refusal = None
        self.disconnected.clear()
        auth = {"token": token, "drivers": drivers or ["simulated"], "clock": (clock or utcnow()).isoformat()}
        self._sio.connect(
            url,
            auth=auth,
            namespaces=[NAMESPACE],
            transports=["websocket"],
            socketio_path=SOCKETIO_PATH,
            wait_timeout=self.timeout,
        )

    @staticmethod
    def event(
        type: str, data: dict[str, Any] | None = None, *, id: str | None = None, occurred_at: datetime | None = None
    ) -> dict[str, Any]:
        """An event as a bridge sends it."""
        return {
            "id": id or uuid.uuid4().hex,
            "type": type,
            "occurred_at": (occurred_at or utcnow()).isoformat(),
            "data": data or {},
        }

    def send(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send a batch and return the server's per-event results (raises on ``ok: false``)."""
        reply = self.call("events", {"events": events})
        if not isinstance(reply, dict) or not reply.get("ok"):
            raise RuntimeError(f"the server refused the batch: {reply!r}")
        return list(reply["results"])

    def call(self, event: str, data: Any) -> Any:
        return self._sio.call(event, data, namespace=NAMESPACE, timeout=self.timeout)

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(Exception):
            if self._sio.connected:
                self._sio.disconnect()
        with contextlib.suppress(Exception):
            self._sio.shutdown()

    def __enter__(self) -> FakeBridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
