"""The running bridge: drivers feed the queue, one thread delivers it to the server.

The bridge connects out (it listens on nothing) to the server's ``/device`` namespace with
its device token and its clock, then sends the queue in batches, oldest first, and waits
for new events. While the server is unreachable the drivers keep reading and queuing; the
bridge reconnects with a growing delay (1 s doubling to 30 s, with jitter). Commands from
the server go to the first open driver that runs them.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from datetime import UTC, datetime
from typing import Any

import socketio
import socketio.exceptions

from .config import BridgeConfig, ConfigError, Credentials
from .driver import Driver, DriverError, load_drivers
from .outbox import Outbox

log = logging.getLogger("rm365.bridge")

NAMESPACE = "/device"
SOCKETIO_PATH = "/ws/socket.io"


class Refused(Exception):
    """The server refuses this bridge's token (revoked, deleted, or another server)."""


class Bridge:
    #: Events per batch (the server takes up to 500; the hub caps a message at 64 KiB).
    BATCH = 100
    MAX_BACKOFF = 30.0
    #: Seconds of silence after which an idle bridge says it is still there.
    HEARTBEAT = 30.0

    def __init__(
        self,
        config: BridgeConfig,
        *,
        drivers: dict[str, type[Driver]] | None = None,
        credentials: Credentials | None = None,
        min_backoff: float = 1.0,
    ) -> None:
        self.config = config
        self.credentials = credentials or config.credentials()
        if self.credentials is None:
            raise ConfigError(f"this bridge is not paired (no {config.credentials_path}): run `rm365-bridge pair`")
        self.available = drivers if drivers is not None else load_drivers()
        self.outbox = Outbox(config.queue_path)
        self.drivers: dict[str, Driver] = {}
        self.min_backoff = min_backoff
        self.batch_size = int(config.settings().get("bridge", {}).get("batch", self.BATCH))
        self.stopping = threading.Event()
        self.connected = threading.Event()
        self._lost = threading.Event()
        self.refused: str | None = None
        self._sio: socketio.Client | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self.open_drivers()
        self._thread = threading.Thread(target=self._connection_loop, name="bridge-sender", daemon=True)
        self._thread.start()

    def open_drivers(self) -> None:
        for name, settings in self.config.drivers().items():
            cls = self.available.get(name)
            if cls is None:
                log.error(
                    "driver %r in %s is not installed (installed: %s)",
                    name,
                    self.config.settings_path,
                    ", ".join(self.available) or "none",
                )
                continue
            driver = cls(settings, self._emitter(name), state=self.outbox)
            try:
                driver.open()
            except DriverError as exc:
                log.error("driver %s could not start: %s", name, exc)
                continue
            self.drivers[name] = driver
            log.info("driver %s started", name)
        if not self.drivers:
            log.warning("no driver is running: add one to %s", self.config.settings_path)

    def stop(self) -> None:
        self.stopping.set()
        with self.outbox.added:
            self.outbox.added.notify_all()
        for name, driver in self.drivers.items():
            try:
                driver.close()
            except Exception:  # noqa: BLE001 - closing the others matters more
                log.exception("driver %s did not close cleanly", name)
        if self._sio is not None:
            try:
                self._sio.disconnect()
            except Exception:  # noqa: BLE001
                log.debug("disconnect failed", exc_info=True)
        if self._thread is not None:
            self._thread.join(10)
        self.outbox.close()

    def wait(self) -> None:
        """Block until ``stop`` (or a refusal by the server)."""
        while not self.stopping.wait(0.5):
            pass

    # ------------------------------------------------------------------ events
    def _emitter(self, driver: str) -> Any:
        def emit(type: str, data: dict[str, Any], *, cursor: tuple[str, str] | None = None) -> None:
            event_id = self.outbox.put(type, data, cursor=cursor)
            log.info(
                "%s: %s %s queued as %s (%d waiting)", driver, type, _describe(data), event_id[:8], len(self.outbox)
            )

        return emit

    # ------------------------------------------------------------------ connection
    def _connection_loop(self) -> None:
        backoff = self.min_backoff
        assert self.credentials is not None
        server = self.credentials.server
        while not self.stopping.is_set():
            try:
                self._connect()
            except Refused as exc:
                self.refused = str(exc)
                log.error("the server %s refuses this bridge (%s): pair it again with a new code", server, exc)
                self.stopping.set()
                return
            except (socketio.exceptions.ConnectionError, OSError) as exc:
                delay = backoff * random.uniform(0.8, 1.2)
                log.warning(
                    "server %s unreachable (%s); %d events waiting; retrying in %.0f s",
                    server,
                    exc,
                    len(self.outbox),
                    delay,
                )
                self.stopping.wait(delay)
                backoff = min(backoff * 2, self.MAX_BACKOFF)
                continue
            backoff = self.min_backoff
            log.info("connected to %s as %r; %d events waiting", server, self.credentials.name, len(self.outbox))
            try:
                self._deliver()
            except Exception as exc:  # noqa: BLE001 - reconnect and try again
                log.warning("connection to %s lost (%s)", server, exc)
            finally:
                self.connected.clear()
                sio, self._sio = self._sio, None
                if sio is not None:
                    try:
                        sio.disconnect()
                    except Exception:  # noqa: BLE001
                        log.debug("disconnect failed", exc_info=True)
            if not self.stopping.is_set():
                self.stopping.wait(self.min_backoff * random.uniform(0.5, 1.0))

    def _connect(self) -> None:
        assert self.credentials is not None
        refusal: list[str] = []
        sio = socketio.Client(reconnection=False)

        def connect_error(data: Any = None) -> None:
            refusal.append(str(data.get("message", data)) if isinstance(data, dict) else str(data))

        sio.on("connect_error", connect_error, namespace=NAMESPACE)
        sio.on("command", self._on_command, namespace=NAMESPACE)
        sio.on("disconnect", lambda *args: self._lost.set(), namespace=NAMESPACE)
        self._lost.clear()
        auth = {
            "token": self.credentials.token,
            "drivers": sorted(self.drivers),
            "clock": datetime.now(UTC).isoformat(),
        }
        try:
            sio.connect(
                self.credentials.server,
                auth=auth,
                namespaces=[NAMESPACE],
                transports=["websocket"],
                socketio_path=SOCKETIO_PATH,
                wait_timeout=10,
            )
        except socketio.exceptions.ConnectionError:
            sio.disconnect()
            if refusal and "token" in refusal[0]:
                raise Refused(refusal[0]) from None
            raise
        self._sio = sio
        self.connected.set()

    def _deliver(self) -> None:
        sio = self._sio
        last_heard = time.monotonic()
        while not self.stopping.is_set():
            if sio is None or self._lost.is_set() or not sio.connected or NAMESPACE not in sio.namespaces:
                raise ConnectionError("disconnected")
            batch = self.outbox.batch(self.batch_size)
            if not batch:
                if time.monotonic() - last_heard > self.HEARTBEAT:
                    self._call(sio, "heartbeat", {}, timeout=15)  # keeps "last seen" and the route current
                    last_heard = time.monotonic()
                self.outbox.wait_for_events(1.0)
                continue
            last_heard = time.monotonic()
            reply = self._call(sio, "events", {"events": batch}, timeout=60)
            if not isinstance(reply, dict) or not reply.get("ok"):
                error = reply.get("error") if isinstance(reply, dict) else reply
                raise ConnectionError(f"the server did not take the batch: {error}")
            counts = self.outbox.settle(reply.get("results") or [])
            for result in reply.get("results") or []:
                if result.get("status") == "rejected":
                    log.warning(
                        "event %s was rejected by the server: %s", str(result.get("id"))[:8], result.get("error")
                    )
            log.info(
                "delivered %d events, %d rejected; %d waiting",
                counts["delivered"],
                counts["rejected"],
                len(self.outbox),
            )
            if counts["kept"]:
                log.warning("the server asked to retry %d events later", counts["kept"])
                self.stopping.wait(5.0)

    def _call(self, sio: socketio.Client, event: str, data: Any, *, timeout: float) -> Any:
        """Send and wait for the answer, giving up as soon as the connection drops (a
        plain ``call`` would wait out its whole timeout on a dead server)."""
        answered = threading.Event()
        box: list[Any] = []

        def callback(*args: Any) -> None:
            box.append(args[0] if args else None)
            answered.set()

        sio.emit(event, data, namespace=NAMESPACE, callback=callback)
        deadline = time.monotonic() + timeout
        while not answered.wait(0.2):
            if self._lost.is_set() or not sio.connected:
                raise ConnectionError("the connection dropped while waiting for the server")
            if time.monotonic() > deadline or self.stopping.is_set():
                raise ConnectionError(f"the server did not answer within {timeout:g} s")
        return box[0]

    # ------------------------------------------------------------------ commands
    def _on_command(self, data: Any = None) -> dict[str, Any]:
        if not isinstance(data, dict):
            return {"ok": False, "error": "a command must be an object"}
        name = str(data.get("command"))
        raw_payload = data.get("payload")
        payload: dict[str, Any] = raw_payload if isinstance(raw_payload, dict) else {}
        timeout = float(data.get("timeout") or 30.0)
        log.info("command %s from the server", name)
        for driver_name, driver in self.drivers.items():
            if name in driver.commands:
                try:
                    return {"ok": True, "data": driver.command(name, payload, timeout)}
                except DriverError as exc:
                    log.warning("command %s failed in %s: %s", name, driver_name, exc)
                    return {"ok": False, "error": str(exc)}
                except Exception as exc:  # noqa: BLE001 - answered, not crashed on
                    log.exception("command %s failed in %s", name, driver_name)
                    return {"ok": False, "error": f"{driver_name} failed: {exc}"}
        return {
            "ok": False,
            "error": f"no driver on this bridge runs {name!r} (running: {', '.join(self.drivers) or 'none'})",
        }


def _describe(data: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in data.items() if k != "template")
