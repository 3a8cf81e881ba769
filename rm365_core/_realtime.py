"""The realtime hub: Socket.IO at ``/ws/socket.io``, rooms per tab or resource, presence.

How it works
------------
* A client connects with ``auth={"token": <access token>}``; the hub calls the kernel's
  ``authenticate(token)`` and refuses the connection when it returns ``None`` (or when the
  user already holds ``RM365_REALTIME_MAX_CONNECTIONS_PER_USER`` connections here).
* ``join`` ``{room}`` / ``leave`` ``{room}``; room names and policies are in
  :mod:`._realtime_rooms`: the client must hold the room's tab and pass every policy.
* Presence per room (:mod:`._realtime_presence`): ``presence {room, users, count}`` after
  a join, leave, disconnect, ``presence:update {room, state}`` or an expiry; clients send
  ``presence:ping`` (``{room}`` or ``{}``) about every ``presence_ttl / 3`` seconds.
* Clients never broadcast. The only client events that do anything are ``join``, ``leave``,
  ``presence:update``, ``presence:ping`` and the intents plugins register (each with the
  tab a caller needs); anything else is answered ``{ok: false, error: "unknown event"}``.
  Data-change events are emitted by the server (``emit_on_commit``, ``hub.emit``).
* Access is not decided once (:mod:`._realtime_access`): a connection is closed when its
  token expires or is revoked, and leaves (``room:left {room, reason}``) the rooms its user
  lost, as soon as a user, role or logout change commits, and at least every
  ``RM365_REALTIME_RECHECK_SECONDS``. Each user's events are rate limited.
* Transport: **WebSocket only**, so several workers need no sticky sessions. With a Redis
  URL, rooms, broadcasts and presence are shared by every worker, and closing a user's
  connections or re-checking access reaches every worker (:mod:`._realtime_redis`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from ._principal import Principal
from ._realtime_access import AccessGuard, Connection, Connections, RealtimeSettings, origin_allowed
from ._realtime_emit import Emitter
from ._realtime_intents import RealtimeError, ack_error, ack_ok, run_intent
from ._realtime_presence import Presence, presence_color
from ._realtime_redis import ConnectionCounts, ControlChannel, RedisManager, connect_redis, wait_subscribed
from ._realtime_rooms import MAX_ROOM_LENGTH, Intent, RoomPolicy, RoomRules, room_tab

__all__ = ["Hub", "Intent", "RealtimeError", "RoomPolicy", "SOCKETIO_PATH", "presence_color"]

log = logging.getLogger("rm365.realtime")

SOCKETIO_PATH = "/ws/socket.io"
NAMESPACE = "/"


class Hub:
    """The Socket.IO server of the kernel, its rooms and presence. See the module doc."""

    #: Largest Engine.IO message accepted from a client (bytes); larger ones close the socket.
    MAX_PAYLOAD_BYTES = 64 * 1024
    MAX_ROOM_LENGTH = MAX_ROOM_LENGTH
    #: Rooms one connection may be in at once.
    MAX_ROOMS_PER_CONNECTION = 64
    #: Engine.IO transports; WebSocket only, so several workers need no sticky sessions.
    TRANSPORTS = ("websocket",)

    def __init__(
        self,
        *,
        authenticate: Callable[[str], Awaitable[Principal | None]],
        redis_url: str | None = None,
        cors_origins: list[str] | None = None,
        presence_ttl: float = 60.0,
        redis_prefix: str = "rm365",
        limits: RealtimeSettings | None = None,
        forget_user: Callable[[int | None], None] | None = None,
    ) -> None:
        """``forget_user(user_id)`` drops what the authenticator cached of a user (all users
        when None) before the hub re-checks their connections."""
        self.authenticate = authenticate
        self.forget_user = forget_user
        self.redis_url = redis_url
        self.redis_prefix = redis_prefix
        self._cors_origins = list(cors_origins or [])
        self.limits = limits or RealtimeSettings()

        manager = RedisManager(redis_url, channel=f"{redis_prefix}:socketio") if redis_url else None
        self.sio: socketio.AsyncServer = socketio.AsyncServer(
            async_mode="asgi",
            client_manager=manager,
            cors_allowed_origins=self._origin_allowed,
            transports=list(self.TRANSPORTS),
            max_http_buffer_size=self.MAX_PAYLOAD_BYTES,
            logger=False,
            engineio_logger=False,
        )
        self.presence_state = Presence(self.sio, presence_ttl)
        self.rooms = RoomRules()
        self.intents: dict[str, Intent] = {}
        self.connections = Connections(self.limits)

        self._redis: Any = None
        self._control: ControlChannel | None = None
        self.emitter = Emitter(self.sio)
        self.guard = AccessGuard(self)
        self._background: list[asyncio.Task[Any]] = []
        self._started = False

        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        for event, handler in (
            ("join", self._on_join),
            ("leave", self._on_leave),
            ("presence:update", self._on_presence_update),
            ("presence:ping", self._on_presence_ping),
        ):
            self.sio.on(event, self._limited(handler))
        self.sio.on("*", self._on_unknown)

    # ---------------------------------------------------------------- wiring

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop captured by :meth:`startup` (None before it)."""
        return self.emitter.loop

    @property
    def presence_ttl(self) -> float:
        return self.presence_state.ttl

    @property
    def _principals(self) -> dict[str, Connection]:
        # This worker's connections by sid (benchmarks count them).
        return self.connections.by_sid

    def wrap(self, app: Any) -> socketio.ASGIApp:
        """The ASGI app serving Socket.IO at ``/ws/socket.io`` and ``app`` for the rest."""
        return socketio.ASGIApp(self.sio, other_asgi_app=app, socketio_path=SOCKETIO_PATH)

    def add_room_policy(self, prefix: str, check: Callable[[Principal, str], Any]) -> None:
        """Add a check for rooms ``prefix`` and ``prefix:...``; every matching one must pass
        (see :class:`RoomPolicy`)."""
        self.rooms.add(RoomPolicy(prefix, check))

    def on(self, event: str, handler: Callable[..., Any], *, tab: str) -> None:
        """Register a client intent: callers holding ``tab`` get ``handler(principal, data,
        sid)``'s return value as the ack; others ``{ok: false, error: "forbidden"}``.

        Sync handlers run in a worker thread (they may use the database and ``hub.emit``);
        async ones on the loop. ``None`` is acknowledged as ``{ok: true}``; ``DomainError``
        answers ``{ok: false, error: message, **fields}``, :class:`RealtimeError` (or
        ``ValueError``) ``{ok: false, error: message}``, ``PermissionError`` ``forbidden``.
        """
        self.add_intent(Intent(event, tab, handler))

    def add_intent(self, intent: Intent, available: Callable[[], bool] | None = None) -> None:
        """Register ``intent``; while ``available()`` is false (its plugin failed after
        start-up) callers are answered ``{ok: false, error: "unavailable"}``."""
        if intent.event in self.intents:
            raise ValueError(f"realtime event {intent.event!r} already has a handler")
        self.intents[intent.event] = intent

        async def dispatch(sid: str, data: Any = None, *extra: Any) -> Any:
            connection = self.connections.by_sid.get(sid)
            if connection is None:
                return ack_error("unauthorized")
            if available is not None and not available():
                return ack_error("unavailable")
            return await run_intent(intent, connection.principal, data, sid)

        self.sio.on(intent.event, self._limited(dispatch))

    def _limited(self, handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def limited(sid: str, *args: Any) -> Any:
            if not self.connections.allow_event(sid):
                return ack_error("too many events")
            return await handler(sid, *args)

        return limited

    def _origin_allowed(self, origin: str | None, environ: dict[str, Any] | None = None) -> bool:
        return origin_allowed(origin, environ, self._cors_origins)

    def room_tab(self, room: str) -> str | None:
        """The tab a room needs, or None when the name is not a valid room."""
        return room_tab(room)

    async def can_join(self, principal: Principal, room: str) -> str | None:
        """None when ``principal`` may join ``room``, else the reason."""
        return await self.rooms.refusal(principal, room)

    # ---------------------------------------------------------------- lifecycle

    async def startup(self) -> None:
        """Capture the running loop, connect Redis, start the sweeper and the re-checks."""
        self.emitter.loop = asyncio.get_running_loop()
        if self._started:
            return
        self._started = True
        if self.redis_url:
            try:
                self._redis = await connect_redis(self.redis_url)
            except RuntimeError:
                self._started = False
                raise
            self.presence_state.use_redis(self._redis, self.redis_prefix)
            self.connections.shared = ConnectionCounts(self._redis, self.redis_prefix, ttl=60.0)
            self._control = ControlChannel(self._redis, f"{self.redis_prefix}:control", self._on_control)
            await self._control.start()
            # Start python-socketio's Redis listener now rather than at the first connection,
            # so broadcasts from other workers are received from the start.
            if not self.sio.manager_initialized:
                self.sio.manager_initialized = True
                self.sio.manager.initialize()
            await wait_subscribed(self.sio.manager)
        self._background = [
            asyncio.create_task(self._every(min(max(self.presence_ttl / 4, 0.25), 10.0), self._sweep)),
            asyncio.create_task(self._every(self.limits.recheck_seconds, self._recheck_everyone)),
        ]

    async def shutdown(self) -> None:
        """Drop this worker's presence, stop background tasks, close Redis."""
        rooms = self.connections.rooms()
        for connection in list(self.connections.by_sid.values()):
            for room in list(connection.joined):
                with contextlib.suppress(Exception):
                    await self.presence_state.store.remove(room, connection.sid)
        if self._redis is not None:
            # Let users on other workers see this worker's users go.
            for room in rooms:
                with contextlib.suppress(Exception):
                    await self.presence_state.broadcast(room)
        tasks = [*self._background, *self.emitter.tasks]
        manager_task = getattr(self.sio.manager, "thread", None)
        if isinstance(manager_task, asyncio.Task):
            tasks.append(manager_task)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        self._background = []
        if self._control is not None:
            await self._control.close()
            self._control = None
        with contextlib.suppress(Exception):
            await self.sio.shutdown()
        manager_redis = getattr(self.sio.manager, "redis", None)
        if manager_redis is not None:
            with contextlib.suppress(Exception):
                await manager_redis.aclose()
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()
            self._redis = None
        await self.presence_state.close()
        self._started = False

    async def _every(self, seconds: float, work: Callable[[], Awaitable[None]]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await work()
            except Exception:
                log.exception("realtime background work failed")

    async def _sweep(self) -> None:
        await self.presence_state.sweep(self.connections.rooms())
        await self.connections.refresh_shared()

    # ---------------------------------------------------------------- emitting

    async def emit_async(
        self,
        event: str,
        data: Any,
        room: str | list[str] | None = None,
        skip_sid: str | None = None,
    ) -> None:
        """Send ``event`` to ``room`` (every worker's members), or to every client when None.

        ``room`` may be a list: each member of any of the rooms gets the event once.
        ``room=None`` reaches every connected user whatever their tabs: use a room for data.
        ``data`` goes through FastAPI's ``jsonable_encoder`` (models, datetimes, decimals).
        """
        await self.emitter.emit_async(event, data, room, skip_sid)

    def emit(self, event: str, data: Any, room: str | list[str] | None = None) -> None:
        """Emit from anywhere: from async code it is scheduled as a task; from a worker
        thread (threadpool route, job) it blocks until the event has been handed to the
        clients and Redis (at most ``Emitter.SYNC_EMIT_TIMEOUT`` seconds)."""
        self.emitter.emit(event, data, room)

    # ---------------------------------------------------------------- users and access

    async def presence(self, room: str) -> list[dict[str, Any]]:
        """Who is in ``room`` on every worker: ``[{username, color, state, sid}]``."""
        return await self.presence_state.users(room)

    async def disconnect_user(self, username: str) -> None:
        """Close every connection of ``username`` on every worker (tokens were revoked)."""
        await self._disconnect_local_user(username)
        if self._control is not None:
            await self._control.publish("disconnect_user", username=username)

    def disconnect_user_threadsafe(self, username: str) -> None:
        """:meth:`disconnect_user` from any thread or sync code; returns without waiting."""
        self.emitter.submit(self.disconnect_user(username))

    async def recheck_access(self, user_ids: set[int] | None = None) -> None:
        """Check again, on every worker, the tokens and rooms of these users' connections
        (everyone's when None): close those whose token is no longer valid, take the others
        out of the rooms they may no longer be in."""
        await self.guard.recheck(user_ids)
        if self._control is not None:
            await self._control.publish("recheck", users=None if user_ids is None else sorted(user_ids))

    def recheck_access_threadsafe(self, user_ids: set[int] | None = None) -> None:
        """:meth:`recheck_access` from any thread or sync code; returns without waiting."""
        self.emitter.submit(self.recheck_access(user_ids))

    async def _on_control(self, op: str, data: dict[str, Any]) -> None:
        if op == "disconnect_user":
            await self._disconnect_local_user(str(data.get("username")))
        elif op == "recheck":
            users = data.get("users")
            await self.guard.recheck(None if users is None else {int(u) for u in users})

    async def _disconnect_local_user(self, username: str) -> None:
        for connection in self.connections.of_user(username):
            with contextlib.suppress(Exception):
                await self.sio.disconnect(connection.sid, ignore_queue=True)

    async def _recheck_everyone(self) -> None:
        await self.guard.recheck(None, forget=False)

    # ---------------------------------------------------------------- Socket.IO handlers

    async def _on_connect(self, sid: str, environ: Any, auth: Any = None) -> Any:
        if self.sio.manager.is_connected(sid, NAMESPACE) or not isinstance(environ, dict):
            return None  # a client sending an event called "connect": ignore it
        # Refused (the reason goes to the client) without a valid token or over the limit.
        self.guard.track(await self.guard.admit(sid, auth))
        return True

    async def _on_disconnect(self, sid: str, reason: Any = None) -> None:
        if self.sio.manager.is_connected(sid, NAMESPACE):
            return  # a client sending an event called "disconnect": ignore it
        connection = await self.connections.release(sid)
        if connection is None:
            return
        async with connection.lock:
            rooms = set(connection.joined)
            connection.joined.clear()
            for room in rooms:
                await self.presence_state.leave(sid, room)
        for room in rooms:
            self.presence_state.schedule(room)

    @staticmethod
    def _room_arg(data: Any) -> str | None:
        if isinstance(data, dict):
            room = data.get("room")
            return room if isinstance(room, str) else None
        return None

    async def _on_join(self, sid: str, data: Any = None, *extra: Any) -> dict[str, Any]:
        room = self._room_arg(data)
        if room is None:
            return ack_error("a room is required")
        connection = self.connections.by_sid.get(sid)
        if connection is None:
            return ack_error("unauthorized")
        reason = await self.rooms.refusal(connection.principal, room)
        if reason is not None:
            return ack_error(reason)
        async with connection.lock:
            if connection.closed:
                return ack_error("not connected")
            if room not in connection.joined and len(connection.joined) >= self.MAX_ROOMS_PER_CONNECTION:
                return ack_error("too many rooms")
            try:
                await self.sio.enter_room(sid, room)
            except ValueError:
                return ack_error("invalid room")
            connection.joined.add(room)
            try:
                await self.presence_state.enter(sid, room, connection.principal)
            except Exception:
                log.exception("presence update failed for %r", room)
                return ack_error("internal error")
        self.presence_state.schedule(room)
        return ack_ok()

    async def _on_leave(self, sid: str, data: Any = None, *extra: Any) -> dict[str, Any]:
        room = self._room_arg(data)
        if room is None:
            return ack_error("a room is required")
        connection = self.connections.by_sid.get(sid)
        if connection is None:
            return ack_ok()
        async with connection.lock:
            if room not in connection.joined:
                return ack_ok()
            connection.joined.discard(room)
            await self.sio.leave_room(sid, room)
            await self.presence_state.leave(sid, room)
        self.presence_state.schedule(room)
        return ack_ok()

    async def _on_presence_update(self, sid: str, data: Any = None, *extra: Any) -> dict[str, Any]:
        room = self._room_arg(data)
        if room is None:
            return ack_error("a room is required")
        state = data.get("state", {}) if isinstance(data, dict) else None
        connection = self.connections.by_sid.get(sid)
        if connection is None:
            return ack_error("unauthorized")
        return await self.presence_state.on_update(connection, room, state)

    async def _on_presence_ping(self, sid: str, data: Any = None, *extra: Any) -> dict[str, Any]:
        connection = self.connections.by_sid.get(sid)
        if connection is None:
            return ack_error("unauthorized")
        return await self.presence_state.on_ping(connection, self._room_arg(data))

    async def _on_unknown(self, event: str, sid: str, *args: Any) -> dict[str, Any]:
        # Client events without a handler: never relayed, never acted on.
        if not self.connections.allow_event(sid):
            return ack_error("too many events")
        return ack_error("unknown event")
