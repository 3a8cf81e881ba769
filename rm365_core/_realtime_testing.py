"""Test helpers for the realtime hub: a Socket.IO test client and a live uvicorn server.

``live_server(app)`` runs ``app`` (the ASGI app from ``hub.wrap(...)``) with uvicorn in a
background thread on a free 127.0.0.1 port and yields its base URL::

    with live_server(app) as url, RealtimeTestClient() as client:
        client.connect(url, token)
        assert client.join("inventory") == {"ok": True}
        data = client.wait_for("presence", lambda d: d["room"] == "inventory")
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import socketio
import socketio.exceptions

from ._realtime import SOCKETIO_PATH

__all__ = ["RealtimeConnectionRefused", "RealtimeTestClient", "live_server"]


class RealtimeConnectionRefused(socketio.exceptions.ConnectionError):
    """The server refused the connection; ``reason`` is its message."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"connection refused: {reason}")
        self.reason = reason


class RealtimeTestClient:
    """A blocking Socket.IO client (WebSocket transport) that records every event it gets.

    ``wait_for`` hands out each received event once, oldest first, so an event that
    arrived before the call is not missed and is not returned twice.
    """

    def __init__(self, *, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self.history: list[tuple[str, Any]] = []
        self._pending: list[tuple[str, Any]] = []
        self._cond = threading.Condition()
        self._refusal: str | None = None
        self._sio = socketio.Client(reconnection=False)
        self._sio.on("*", self._record)
        self._sio.on("connect_error", self._on_connect_error)
        self._sio.on("disconnect", self._on_disconnect)

    # ------------------------------------------------------------------ recording

    def _push(self, event: str, data: Any) -> None:
        with self._cond:
            self.history.append((event, data))
            self._pending.append((event, data))
            self._cond.notify_all()

    def _record(self, event: str, *args: Any) -> None:
        data = args[0] if len(args) == 1 else (list(args) if args else None)
        self._push(event, data)

    def _on_connect_error(self, data: Any = None) -> None:
        if isinstance(data, dict):
            self._refusal = str(data.get("message", data))
        else:
            self._refusal = str(data)

    def _on_disconnect(self, reason: Any = None) -> None:
        self._push("disconnect", None if reason is None else str(reason))

    # ------------------------------------------------------------------ API

    @property
    def sid(self) -> str | None:
        return self._sio.get_sid()

    @property
    def connected(self) -> bool:
        return bool(self._sio.connected)

    def connect(self, url: str, token: str | None, *, timeout: float | None = None) -> None:
        """Connect to ``url`` (the server's base URL) with ``auth={"token": token}``.

        Raises :class:`RealtimeConnectionRefused` when the server refuses the token.
        """
        self._refusal = None
        auth = {"token": token} if token is not None else None
        try:
            self._sio.connect(
                url,
                auth=auth,
                transports=["websocket"],
                socketio_path=SOCKETIO_PATH,
                wait_timeout=timeout or self.timeout,
            )
        except socketio.exceptions.ConnectionError as exc:
            if self._refusal is not None:
                raise RealtimeConnectionRefused(self._refusal) from exc
            raise

    def emit(self, event: str, data: Any = None, *, timeout: float | None = None) -> Any:
        """Send ``event`` and wait for the server's acknowledgement, which is returned."""
        return self._sio.call(event, data, timeout=timeout or self.timeout)

    def send(self, event: str, data: Any = None) -> None:
        """Send ``event`` without waiting for an acknowledgement."""
        self._sio.emit(event, data)

    def join(self, room: str) -> dict[str, Any]:
        return self.emit("join", {"room": room})

    def leave(self, room: str) -> dict[str, Any]:
        return self.emit("leave", {"room": room})

    def update_presence(self, room: str, state: dict[str, Any]) -> dict[str, Any]:
        return self.emit("presence:update", {"room": room, "state": state})

    def ping_presence(self, room: str | None = None) -> dict[str, Any]:
        return self.emit("presence:ping", {"room": room} if room else {})

    def wait_for(
        self,
        event: str,
        predicate: Callable[[Any], bool] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """The data of the oldest not yet returned ``event`` matching ``predicate``.

        Waits up to ``timeout`` seconds; raises ``TimeoutError`` with what did arrive.
        """
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        with self._cond:
            while True:
                for index, (name, data) in enumerate(self._pending):
                    if name == event and (predicate is None or predicate(data)):
                        del self._pending[index]
                        return data
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [name for name, _ in self.history[-20:]]
                    raise TimeoutError(
                        f"no {event!r} event matching the predicate within the timeout; last events received: {seen}"
                    )
                self._cond.wait(remaining)

    def received(self, event: str) -> list[Any]:
        """Every ``event`` received so far (returned by ``wait_for`` or not)."""
        with self._cond:
            return [data for name, data in self.history if name == event]

    def assert_no_event(self, event: str, within: float = 0.5, predicate: Callable[[Any], bool] | None = None) -> None:
        """Fail when a (matching) ``event`` arrives in the next ``within`` seconds."""
        try:
            data = self.wait_for(event, predicate, timeout=within)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected {event!r} event: {data!r}")

    def clear(self) -> None:
        """Forget events not yet returned by ``wait_for``."""
        with self._cond:
            self._pending.clear()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self._sio.connected:
                self._sio.disconnect()
        with contextlib.suppress(Exception):
            self._sio.shutdown()

    def __enter__(self) -> RealtimeTestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def live_server(app: Any, *, startup_timeout: float = 20.0, **uvicorn_options: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free 127.0.0.1 port in a thread; yield its base URL.

    The lifespan runs (so the hub's startup/shutdown are called); leaving the block stops
    the server and waits for the thread. ``uvicorn_options`` go to ``uvicorn.Config``.
    """
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    options: dict[str, Any] = {
        "lifespan": "on",
        "log_level": "warning",
        "timeout_graceful_shutdown": 5,
    }
    options.update(uvicorn_options)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, **options)
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # noqa: BLE001 - reported to the caller below
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"live-server-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(5)
            sock.close()
            cause = failure[0] if failure else None
            raise RuntimeError(f"the live server did not start (port {port})") from cause
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)
        sock.close()
        if thread.is_alive():  # pragma: no cover
            raise RuntimeError(f"the live server on port {port} did not stop")
