"""The realtime hub: Socket.IO at ``/ws/socket.io``, rooms per tab or resource, presence.

How it works
------------
* A client connects with ``auth={"token": <access token>}``; the hub calls the kernel's
  ``authenticate(token)`` and refuses the connection when it returns ``None``. The
  :class:`~rm365_core._principal.Principal` is kept in the Socket.IO session.
* ``join`` ``{room}`` / ``leave`` ``{room}``. A room is ``<tab>`` or ``<tab>:<resource...>``
  (``inventory``, ``inventory:item:SKU1``): the client must hold the tab (the part before
  the first ``:``) and pass every room policy registered for a matching prefix.
* Presence per room: ``presence`` ``{room, users: [{username, color, state, sid}], count}``
  is sent to the room after a join, leave, disconnect, ``presence:update`` ``{room, state}``
  or when entries expire. Entries expire ``presence_ttl`` seconds after the last
  ``presence:update`` / ``presence:ping`` (``{room}`` or ``{}`` for every joined room), so a
  client sends ``presence:ping`` every ``presence_ttl / 3`` seconds or so.
* Clients never broadcast. The only client events that do anything are ``join``, ``leave``,
  ``presence:update``, ``presence:ping`` and the intents plugins register with :meth:`Hub.on`;
  anything else is answered ``{ok: false, error: "unknown event"}`` and dropped. Data-change
  events are emitted by the server (``hub.emit`` after a commit).
* Transport: **WebSocket only** (no long-polling). That is what lets several worker
  processes run behind a load balancer without sticky sessions; browser clients must
  connect with ``transports: ["websocket"]``.
* With a Redis URL, rooms and broadcasts are shared by every worker through
  python-socketio's Redis manager, presence is kept in Redis (one hash per room, entries
  carry their expiry and are pruned on read) and :meth:`Hub.disconnect_user` reaches the
  user's connections on every worker through a control channel.
"""

from __future__ import annotations

import asyncio
import colorsys
import concurrent.futures
import contextlib
import hashlib
import inspect
import json
import logging
import math
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import socketio
from socketio.exceptions import ConnectionRefusedError as SioConnectionRefusedError

from ._principal import Principal

__all__ = ["Hub", "RealtimeError", "SOCKETIO_PATH", "presence_color"]

log = logging.getLogger("rm365.realtime")

SOCKETIO_PATH = "/ws/socket.io"
NAMESPACE = "/"

#: Events the hub itself handles; plugins cannot register these with :meth:`Hub.on`.
RESERVED_EVENTS = frozenset(
    {
        "connect",
        "disconnect",
        "join",
        "leave",
        "presence",
        "presence:update",
        "presence:ping",
        "*",
        "message",
        "connect_error",
    }
)

_ROOM_RE = re.compile(r"^(?P<tab>[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*)(?::[^\x00-\x20\x7f]+)?$")
# Socket.IO session ids are 20 characters of URL-safe base64, and every sid is also a room.
# Refusing room names of that shape means no client can ever join another client's sid room.
_SID_SHAPED_RE = re.compile(r"^[A-Za-z0-9_-]{20}$")
_EVENT_NAME_RE = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")


class RealtimeError(Exception):
    """Raised by a plugin's event handler: the message goes back to the client in the ack."""


def presence_color(username: str) -> str:
    """A stable, readable colour (``#rrggbb``) for a username."""
    digest = hashlib.sha256(username.encode("utf-8")).digest()
    hue = int.from_bytes(digest[:2], "big") / 65536.0
    lightness = 0.40 + (digest[2] / 255.0) * 0.10
    r, g, b = colorsys.hls_to_rgb(hue, lightness, 0.65)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _ok(**extra: Any) -> dict[str, Any]:
    return {"ok": True, **extra}


def _error(message: str, **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error": message, **extra}


# --------------------------------------------------------------------------------------
# Redis


#: Most Redis connections one worker opens for publishing / presence; more concurrent
#: commands wait for a free connection instead of failing ("Too many connections").
REDIS_MAX_CONNECTIONS = 32
REDIS_POOL_TIMEOUT = 10.0


def _redis_client(module: Any, url: str, **options: Any) -> Any:
    pool = module.BlockingConnectionPool.from_url(
        url, max_connections=REDIS_MAX_CONNECTIONS, timeout=REDIS_POOL_TIMEOUT, **options
    )
    return module.Redis(connection_pool=pool)


class _RedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """python-socketio's Redis manager with a bounded, blocking connection pool.

    The stock manager uses an unbounded-by-default pool that raises once 100 publishes are
    in flight (a burst of ``hub.emit`` from async code), and then drops the events.
    """

    def _redis_connect(self) -> None:
        parsed = urlsplit(self.redis_url)
        if "sentinel" in parsed.scheme:  # pragma: no cover - sentinel keeps upstream behaviour
            super()._redis_connect()
            return
        module = self._get_redis_module()
        self.redis = _redis_client(module, self.redis_url, **self.redis_options)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.connected = True


# --------------------------------------------------------------------------------------
# presence stores


class _MemoryPresence:
    """Presence of one process: ``room -> sid -> entry`` (entries carry ``exp``)."""

    def __init__(self) -> None:
        self._rooms: dict[str, dict[str, dict[str, Any]]] = {}

    async def set(self, room: str, sid: str, entry: dict[str, Any]) -> bool:
        members = self._rooms.setdefault(room, {})
        new = sid not in members or members[sid]["exp"] <= time.time()
        members[sid] = entry
        return new

    async def remove(self, room: str, sid: str) -> bool:
        members = self._rooms.get(room)
        if not members or sid not in members:
            return False
        del members[sid]
        if not members:
            del self._rooms[room]
        return True

    async def read(self, room: str) -> tuple[list[dict[str, Any]], int]:
        members = self._rooms.get(room)
        if not members:
            return [], 0
        now = time.time()
        stale = [sid for sid, entry in members.items() if entry["exp"] <= now]
        for sid in stale:
            del members[sid]
        if not members:
            del self._rooms[room]
            return [], len(stale)
        return list(members.values()), len(stale)

    async def close(self) -> None:
        self._rooms.clear()


class _RedisPresence:
    """Presence shared by every worker: a hash per room, ``sid -> json entry`` with ``exp``."""

    def __init__(self, redis: Any, prefix: str, ttl: float) -> None:
        self._redis = redis
        self._prefix = prefix
        # The whole hash goes away when nobody refreshes it for a while (all workers gone).
        self._key_ttl_ms = max(int(ttl * 3 * 1000), 10_000)

    def _key(self, room: str) -> str:
        return f"{self._prefix}:presence:{room}"

    async def set(self, room: str, sid: str, entry: dict[str, Any]) -> bool:
        key = self._key(room)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hget(key, sid)
            pipe.hset(key, sid, json.dumps(entry, separators=(",", ":")))
            pipe.pexpire(key, self._key_ttl_ms)
            previous, _, _ = await pipe.execute()
        if previous is None:
            return True
        try:
            return float(json.loads(previous)["exp"]) <= time.time()
        except (ValueError, KeyError, TypeError):
            return True

    async def remove(self, room: str, sid: str) -> bool:
        return bool(await self._redis.hdel(self._key(room), sid))

    async def read(self, room: str) -> tuple[list[dict[str, Any]], int]:
        key = self._key(room)
        raw = await self._redis.hgetall(key)
        now = time.time()
        users: list[dict[str, Any]] = []
        stale: list[str] = []
        for sid, value in raw.items():
            try:
                entry = json.loads(value)
                if float(entry["exp"]) > now:
                    users.append(entry)
                    continue
            except (ValueError, KeyError, TypeError):
                pass
            stale.append(sid)
        pruned = 0
        if stale:
            # Only the worker whose HDEL removed an entry counts it, so one broadcast follows.
            pruned = int(await self._redis.hdel(key, *stale))
        return users, pruned

    async def close(self) -> None:
        pass


# --------------------------------------------------------------------------------------
# the hub


class Hub:
    """The Socket.IO server of the kernel, its rooms and presence. See the module doc."""

    #: Largest Engine.IO message accepted from a client (bytes); larger ones close the socket.
    MAX_PAYLOAD_BYTES = 64 * 1024
    #: Longest room name.
    MAX_ROOM_LENGTH = 200
    #: Rooms one connection may be in at once.
    MAX_ROOMS_PER_CONNECTION = 64
    #: Presence state: JSON size, number of keys, key length, string length, list length.
    MAX_STATE_BYTES = 2048
    MAX_STATE_KEYS = 16
    MAX_STATE_KEY_LENGTH = 64
    MAX_STATE_STRING = 256
    MAX_STATE_LIST = 32
    #: Users listed in one ``presence`` broadcast (``count`` always has the total).
    MAX_PRESENCE_USERS = 50
    #: Presence changes in a room within this window are sent as one broadcast (seconds).
    PRESENCE_DEBOUNCE = 0.05
    #: Longest wait of a sync ``emit`` from a worker thread (seconds).
    SYNC_EMIT_TIMEOUT = 10.0
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
    ) -> None:
        if presence_ttl <= 0:
            raise ValueError("presence_ttl must be positive")
        self._authenticate = authenticate
        self.redis_url = redis_url
        self.redis_prefix = redis_prefix
        self.presence_ttl = float(presence_ttl)
        self._cors_origins = list(cors_origins or [])

        manager = None
        if redis_url:
            manager = _RedisManager(redis_url, channel=f"{redis_prefix}:socketio")
        self.sio: socketio.AsyncServer = socketio.AsyncServer(
            async_mode="asgi",
            client_manager=manager,
            cors_allowed_origins=self._origin_allowed,
            transports=list(self.TRANSPORTS),
            max_http_buffer_size=self.MAX_PAYLOAD_BYTES,
            logger=False,
            engineio_logger=False,
        )

        self._policies: list[tuple[str, Callable[[Principal, str], Any]]] = []
        self._handlers: dict[str, Callable[..., Any]] = {}

        # Local bookkeeping (this process only).
        self._principals: dict[str, Principal] = {}
        self._user_sids: dict[str, set[str]] = {}
        self._joined: dict[str, set[str]] = {}
        self._states: dict[tuple[str, str], dict[str, Any]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

        self._store: _MemoryPresence | _RedisPresence = _MemoryPresence()
        self._redis: Any = None
        self._control_pubsub: Any = None
        self._control_channel = f"{redis_prefix}:control"
        self._host_id = uuid.uuid4().hex
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._pending_flush: dict[str, asyncio.Task[Any]] = {}
        self._sweeper: asyncio.Task[Any] | None = None
        self._control_task: asyncio.Task[Any] | None = None
        self._started = False

        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("join", self._on_join)
        self.sio.on("leave", self._on_leave)
        self.sio.on("presence:update", self._on_presence_update)
        self.sio.on("presence:ping", self._on_presence_ping)
        self.sio.on("*", self._on_unknown)

    # ---------------------------------------------------------------- wiring

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop captured by :meth:`startup` (None before it)."""
        return self._loop

    def disconnect_user_threadsafe(self, username: str) -> None:
        """:meth:`disconnect_user` from any thread or sync code; returns without waiting."""
        loop = self._loop
        if loop is None or loop.is_closed() or not loop.is_running():
            return
        future = asyncio.run_coroutine_threadsafe(self.disconnect_user(username), loop)
        future.add_done_callback(self._future_done)

    def wrap(self, app: Any) -> socketio.ASGIApp:
        """The ASGI app serving Socket.IO at ``/ws/socket.io`` and ``app`` for the rest."""
        return socketio.ASGIApp(self.sio, other_asgi_app=app, socketio_path=SOCKETIO_PATH)

    def add_room_policy(self, prefix: str, check: Callable[[Principal, str], Any]) -> None:
        """Add a check for rooms ``prefix`` and ``prefix:...``; every matching one must pass.

        ``check(principal, room)`` returns a bool (or an awaitable of one); it runs on the
        event loop, so keep it fast or make it async. An exception counts as a refusal.
        """
        if not prefix or not isinstance(prefix, str):
            raise ValueError("a room policy needs a non-empty prefix")
        self._policies.append((prefix, check))

    def on(self, event: str, handler: Callable[..., Any]) -> None:
        """Register a client intent: ``handler(principal, data, sid)`` returns the ack.

        Sync handlers run in a worker thread (they may use the database and ``hub.emit``);
        async ones on the loop. ``None`` is acknowledged as ``{ok: true}``; raising
        :class:`RealtimeError` (or ``ValueError``) answers ``{ok: false, error: message}``,
        ``PermissionError`` answers ``{ok: false, error: "forbidden"}``.
        """
        if event in RESERVED_EVENTS or not _EVENT_NAME_RE.match(event or ""):
            raise ValueError(f"cannot register realtime event {event!r}: reserved or invalid name")
        if event in self._handlers:
            raise ValueError(f"realtime event {event!r} already has a handler")
        self._handlers[event] = handler

        async def dispatch(sid: str, data: Any = None, *extra: Any) -> Any:
            return await self._dispatch(event, handler, sid, data)

        self.sio.on(event, dispatch)

    def snapshot(self) -> tuple[int, frozenset[str]]:
        """What is registered now, for :meth:`restore` (a plugin failing half-way)."""
        return len(self._policies), frozenset(self._handlers)

    def restore(self, snapshot: tuple[int, frozenset[str]]) -> None:
        """Take back the policies and handlers registered since ``snapshot``."""
        policies, events = snapshot
        del self._policies[policies:]
        for event in set(self._handlers) - events:
            del self._handlers[event]
            self.sio.handlers.get(NAMESPACE, {}).pop(event, None)

    # ---------------------------------------------------------------- lifecycle

    async def startup(self) -> None:
        """Capture the running loop, connect Redis, start the presence sweeper."""
        self._loop = asyncio.get_running_loop()
        if self._started:
            return
        self._started = True
        if self.redis_url:
            import redis.asyncio as aioredis

            try:
                self._redis = _redis_client(aioredis, self.redis_url, decode_responses=True)
                await self._redis.ping()
            except Exception as exc:
                self._started = False
                raise RuntimeError(
                    f"RM365_REDIS_URL: cannot reach Redis at {_redact_url(self.redis_url)}: {exc}"
                ) from exc
            self._store = _RedisPresence(self._redis, self.redis_prefix, self.presence_ttl)
            self._control_pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            await self._control_pubsub.subscribe(self._control_channel)
            self._control_task = asyncio.create_task(self._control_loop())
            # Start python-socketio's Redis listener now rather than at the first connection,
            # so broadcasts from other workers are received from the start.
            if not self.sio.manager_initialized:
                self.sio.manager_initialized = True
                self.sio.manager.initialize()
            await self._wait_manager_subscribed()
        self._sweeper = asyncio.create_task(self._sweep_loop())

    async def shutdown(self) -> None:
        """Drop this worker's presence, stop background tasks, close Redis."""
        for sid in list(self._joined):
            for room in list(self._joined.get(sid, ())):
                with contextlib.suppress(Exception):
                    await self._store.remove(room, sid)
        if self.redis_url and self._redis is not None:
            # Let users on other workers see this worker's users go.
            for room in {r for rooms in self._joined.values() for r in rooms}:
                with contextlib.suppress(Exception):
                    await self._broadcast_presence(room)
        tasks = [t for t in (self._sweeper, self._control_task) if t is not None]
        tasks += list(self._pending_flush.values()) + list(self._tasks)
        manager_task = getattr(self.sio.manager, "thread", None)
        if isinstance(manager_task, asyncio.Task):
            tasks.append(manager_task)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        self._sweeper = self._control_task = None
        self._pending_flush.clear()
        with contextlib.suppress(Exception):
            await self.sio.shutdown()
        if self._control_pubsub is not None:
            with contextlib.suppress(Exception):
                await self._control_pubsub.aclose()
            self._control_pubsub = None
        manager_redis = getattr(self.sio.manager, "redis", None)
        if manager_redis is not None:
            with contextlib.suppress(Exception):
                await manager_redis.aclose()
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()
            self._redis = None
        await self._store.close()
        self._started = False

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
        from fastapi.encoders import jsonable_encoder

        await self.sio.emit(event, jsonable_encoder(data), room=room, skip_sid=skip_sid)

    def emit(self, event: str, data: Any, room: str | list[str] | None = None) -> None:
        """Emit from anywhere: from async code it is scheduled as a task; from a worker
        thread (threadpool route, job) it blocks until the event has been handed to the
        clients and Redis (at most SYNC_EMIT_TIMEOUT seconds)."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None and (self._loop is None or running is self._loop):
            task = running.create_task(self.emit_async(event, data, room))
            self._tasks.add(task)
            task.add_done_callback(self._task_done)
            return
        loop = self._loop
        if loop is None or loop.is_closed() or not loop.is_running():
            log.warning("realtime hub is not running: dropped event %r for room %r", event, room)
            return
        try:
            future = asyncio.run_coroutine_threadsafe(self.emit_async(event, data, room), loop)
        except RuntimeError:
            log.warning("realtime hub loop is closing: dropped event %r for room %r", event, room)
            return
        if running is not None:
            # Another thread's event loop: never block it; report failures in the background.
            future.add_done_callback(self._future_done)
            return
        try:
            future.result(timeout=self.SYNC_EMIT_TIMEOUT)
        except concurrent.futures.TimeoutError:
            log.warning("realtime emit of %r took longer than %ss", event, self.SYNC_EMIT_TIMEOUT)
        except Exception:
            log.exception("realtime emit of %r failed", event)

    @staticmethod
    def _future_done(future: concurrent.futures.Future[Any]) -> None:
        if not future.cancelled() and future.exception() is not None:
            log.error("realtime emit failed", exc_info=future.exception())

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("realtime task failed", exc_info=task.exception())

    # ---------------------------------------------------------------- presence / users

    async def presence(self, room: str) -> list[dict[str, Any]]:
        """Who is in ``room`` on every worker: ``[{username, color, state, sid}]``."""
        users, pruned = await self._store.read(room)
        if pruned:
            self._schedule_presence(room)
        return self._public_users(users)

    async def disconnect_user(self, username: str) -> None:
        """Close every connection of ``username`` on every worker (tokens were revoked)."""
        await self._disconnect_local_user(username)
        if self._redis is not None:
            message = json.dumps({"op": "disconnect_user", "username": username, "host": self._host_id})
            await self._redis.publish(self._control_channel, message)

    async def _disconnect_local_user(self, username: str) -> None:
        for sid in list(self._user_sids.get(username, ())):
            with contextlib.suppress(Exception):
                await self.sio.disconnect(sid, ignore_queue=True)

    @staticmethod
    def _public_users(users: list[dict[str, Any]]) -> list[dict[str, Any]]:
        public = [
            {"username": u.get("username"), "color": u.get("color"), "state": u.get("state") or {}, "sid": u.get("sid")}
            for u in users
        ]
        public.sort(key=lambda u: (str(u["username"]), str(u["sid"])))
        return public

    def _entry(self, principal: Principal, sid: str, state: dict[str, Any]) -> dict[str, Any]:
        return {
            "username": principal.username,
            "color": presence_color(principal.username),
            "state": state,
            "sid": sid,
            "exp": time.time() + self.presence_ttl,
        }

    def _schedule_presence(self, room: str) -> None:
        """Broadcast the room's presence soon, coalescing changes within PRESENCE_DEBOUNCE."""
        if room in self._pending_flush:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover
            return
        self._pending_flush[room] = loop.create_task(self._flush_presence(room))

    async def _flush_presence(self, room: str) -> None:
        try:
            await asyncio.sleep(self.PRESENCE_DEBOUNCE)
        finally:
            self._pending_flush.pop(room, None)
        try:
            await self._broadcast_presence(room)
        except Exception:
            log.exception("presence broadcast for room %r failed", room)

    async def _broadcast_presence(self, room: str) -> None:
        users, _ = await self._store.read(room)
        public = self._public_users(users)
        await self.sio.emit(
            "presence",
            {"room": room, "users": public[: self.MAX_PRESENCE_USERS], "count": len(public)},
            room=room,
        )

    async def _sweep_loop(self) -> None:
        interval = min(max(self.presence_ttl / 4, 0.25), 10.0)
        while True:
            await asyncio.sleep(interval)
            rooms = {room for rooms in self._joined.values() for room in rooms}
            for room in rooms:
                try:
                    _, pruned = await self._store.read(room)
                except Exception:
                    log.exception("presence sweep of room %r failed", room)
                    continue
                if pruned:
                    self._schedule_presence(room)

    async def _control_loop(self) -> None:
        assert self._control_pubsub is not None
        while True:
            try:
                async for message in self._control_pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        data = json.loads(message["data"])
                    except (ValueError, TypeError):
                        continue
                    if data.get("op") == "disconnect_user" and data.get("host") != self._host_id:
                        await self._disconnect_local_user(str(data.get("username")))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("realtime control channel failed; resubscribing in 1s")
                await asyncio.sleep(1)
                with contextlib.suppress(Exception):
                    await self._control_pubsub.subscribe(self._control_channel)

    async def _wait_manager_subscribed(self, timeout: float = 3.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pubsub = getattr(self.sio.manager, "pubsub", None)
            if pubsub is not None and getattr(pubsub, "subscribed", False):
                return
            await asyncio.sleep(0.01)
        log.warning("Socket.IO Redis manager did not subscribe within %ss", timeout)

    # ---------------------------------------------------------------- access rules

    def _origin_allowed(self, origin: str | None, environ: dict[str, Any] | None = None) -> bool:
        """Same origin (also behind a proxy setting X-Forwarded-*) or a configured origin."""
        if not origin:
            return True
        if origin in self._cors_origins:
            return True
        if not environ:
            return False
        host = environ.get("HTTP_HOST")
        if not host:
            return False
        # A WebSocket request's scheme is ws/wss; the page's Origin is http/https.
        web = {"ws": "http", "wss": "https"}
        scheme = str(environ.get("wsgi.url_scheme", "http")).lower()
        scheme = web.get(scheme, scheme)
        allowed = {f"{scheme}://{host}"}
        forwarded_proto = environ.get("HTTP_X_FORWARDED_PROTO")
        forwarded_host = environ.get("HTTP_X_FORWARDED_HOST")
        if forwarded_proto or forwarded_host:
            fscheme = (forwarded_proto or scheme).split(",")[0].strip().lower()
            fhost = (forwarded_host or host).split(",")[0].strip()
            allowed.add(f"{web.get(fscheme, fscheme)}://{fhost}")
        return origin.lower() in {a.lower() for a in allowed}

    def room_tab(self, room: str) -> str | None:
        """The tab a room needs, or None when the name is not a valid room.

        A room is ``<tab>`` or ``<tab>:<anything without spaces>``, at most MAX_ROOM_LENGTH
        characters; a name shaped like a Socket.IO sid (20 URL-safe base64 characters) is
        never valid, so nobody can join another connection's private sid room.
        """
        if not isinstance(room, str) or not room or len(room) > self.MAX_ROOM_LENGTH:
            return None
        if _SID_SHAPED_RE.match(room):
            return None
        match = _ROOM_RE.match(room)
        return match.group("tab") if match else None

    async def can_join(self, principal: Principal, room: str) -> str | None:
        """None when ``principal`` may join ``room``, else the reason."""
        tab = self.room_tab(room)
        if tab is None:
            return "invalid room"
        if not principal.has_tab(tab):
            return "forbidden"
        for prefix, check in self._policies:
            boundary = prefix if prefix.endswith(":") else prefix + ":"
            if room != prefix and not room.startswith(boundary):
                continue
            try:
                result = check(principal, room)
                if inspect.isawaitable(result):
                    result = await result
            except Exception:
                log.exception("room policy %r raised for room %r", prefix, room)
                return "forbidden"
            if not result:
                return "forbidden"
        return None

    # ---------------------------------------------------------------- Socket.IO handlers

    def _lock(self, sid: str) -> asyncio.Lock:
        lock = self._locks.get(sid)
        if lock is None:
            lock = self._locks[sid] = asyncio.Lock()
        return lock

    async def _on_connect(self, sid: str, environ: Any, auth: Any = None) -> Any:
        if self.sio.manager.is_connected(sid, NAMESPACE) or not isinstance(environ, dict):
            return None  # a client sending an event called "connect": ignore it
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token or len(token) > 8192:
            raise SioConnectionRefusedError("authentication required")
        try:
            principal = await self._authenticate(token)
        except Exception:
            log.exception("realtime authentication failed with an error")
            principal = None
        if principal is None:
            raise SioConnectionRefusedError("invalid or expired token")
        await self.sio.save_session(sid, {"principal": principal})
        self._principals[sid] = principal
        self._user_sids.setdefault(principal.username, set()).add(sid)
        return True

    async def _on_disconnect(self, sid: str, reason: Any = None) -> None:
        if self.sio.manager.is_connected(sid, NAMESPACE):
            return  # a client sending an event called "disconnect": ignore it
        async with self._lock(sid):
            principal = self._principals.pop(sid, None)
            if principal is not None:
                sids = self._user_sids.get(principal.username)
                if sids is not None:
                    sids.discard(sid)
                    if not sids:
                        del self._user_sids[principal.username]
            rooms = self._joined.pop(sid, set())
            for room in rooms:
                self._states.pop((sid, room), None)
                try:
                    await self._store.remove(room, sid)
                except Exception:
                    log.exception("could not remove presence of %s in %r", sid, room)
        self._locks.pop(sid, None)
        for room in rooms:
            self._schedule_presence(room)

    async def _principal_of(self, sid: str) -> Principal | None:
        # Set with the session at connect, dropped at disconnect: a connection's principal.
        return self._principals.get(sid)

    @staticmethod
    def _room_arg(data: Any) -> str | None:
        if isinstance(data, dict):
            room = data.get("room")
            return room if isinstance(room, str) else None
        return None

    async def _on_join(self, sid: str, data: Any = None, *extra: Any) -> dict[str, Any]:
        room = self._room_arg(data)
        if room is None:
            return _error("a room is required")
        principal = await self._principal_of(sid)
        if principal is None:
            return _error("unauthorized")
        reason = await self.can_join(principal, room)
        if reason is not None:
            return _error(reason)
        async with self._lock(sid):
            if sid not in self._principals:
                return _error("not connected")
            joined = self._joined.setdefault(sid, set())
            if room not in joined and len(joined) >= self.MAX_ROOMS_PER_CONNECTION:
                return _error("too many rooms")
            try:
                await self.sio.enter_room(sid, room)
            except ValueError:
                return _error("invalid room")
            joined.add(room)
            state = self._states.setdefault((sid, room), {})
            try:
                await self._store.set(room, sid, self._entry(principal, sid, state))
            except Exception:
                log.exception("presence update failed for %r", room)
                return _error("internal error")
        self._schedule_presence(room)
        return _ok()

    async def _on_leave(self, sid: str, data: Any = None, *extra: Any) -> dict[str, Any]:
        room = self._room_arg(data)
        if room is None:
            return _error("a room is required")
        async with self._lock(sid):
            joined = self._joined.get(sid, set())
            if room not in joined:
                return _ok()
            joined.discard(room)
            self._states.pop((sid, room), None)
            await self.sio.leave_room(sid, room)
            try:
                await self._store.remove(room, sid)
            except Exception:
                log.exception("presence removal failed for %r", room)
        self._schedule_presence(room)
        return _ok()

    def _validate_state(self, state: Any) -> str | None:
        if not isinstance(state, dict):
            return "state must be an object"
        if len(state) > self.MAX_STATE_KEYS:
            return "state has too many keys"

        def scalar_ok(value: Any) -> bool:
            if value is None or isinstance(value, bool | int):
                return True
            if isinstance(value, float):
                return math.isfinite(value)
            return isinstance(value, str) and len(value) <= self.MAX_STATE_STRING

        for key, value in state.items():
            if not isinstance(key, str) or not key or len(key) > self.MAX_STATE_KEY_LENGTH:
                return "invalid state key"
            if isinstance(value, list):
                if len(value) > self.MAX_STATE_LIST or not all(scalar_ok(v) for v in value):
                    return f"invalid state value for {key!r}"
            elif not scalar_ok(value):
                return f"invalid state value for {key!r}"
        if len(json.dumps(state, separators=(",", ":"))) > self.MAX_STATE_BYTES:
            return "state is too large"
        return None

    async def _on_presence_update(self, sid: str, data: Any = None, *extra: Any) -> dict[str, Any]:
        room = self._room_arg(data)
        if room is None:
            return _error("a room is required")
        state = data.get("state", {}) if isinstance(data, dict) else None
        problem = self._validate_state(state)
        if problem or not isinstance(state, dict):
            return _error(problem or "state must be an object")
        principal = await self._principal_of(sid)
        if principal is None:
            return _error("unauthorized")
        async with self._lock(sid):
            if sid not in self._principals or room not in self._joined.get(sid, ()):
                return _error("not in room")
            self._states[(sid, room)] = dict(state)
            try:
                await self._store.set(room, sid, self._entry(principal, sid, dict(state)))
            except Exception:
                log.exception("presence update failed for %r", room)
                return _error("internal error")
        self._schedule_presence(room)
        return _ok()

    async def _on_presence_ping(self, sid: str, data: Any = None, *extra: Any) -> dict[str, Any]:
        principal = await self._principal_of(sid)
        if principal is None:
            return _error("unauthorized")
        room = self._room_arg(data)
        async with self._lock(sid):
            joined = self._joined.get(sid, set()) if sid in self._principals else set()
            if room is not None and room not in joined:
                return _error("not in room")
            rooms = [room] if room is not None else list(joined)
            for r in rooms:
                entry = self._entry(principal, sid, self._states.get((sid, r), {}))
                try:
                    came_back = await self._store.set(r, sid, entry)
                except Exception:
                    log.exception("presence refresh failed for %r", r)
                    return _error("internal error")
                if came_back:
                    self._schedule_presence(r)
        return _ok()

    async def _on_unknown(self, *args: Any) -> dict[str, Any]:
        # Client events without a handler: never relayed, never acted on.
        return _error("unknown event")

    async def _dispatch(self, event: str, handler: Callable[..., Any], sid: str, data: Any) -> Any:
        principal = await self._principal_of(sid)
        if principal is None:
            return _error("unauthorized")
        try:
            if inspect.iscoroutinefunction(handler):
                result = await handler(principal, data, sid)
            else:
                result = await asyncio.to_thread(handler, principal, data, sid)
                if inspect.isawaitable(result):
                    result = await result
        except RealtimeError as exc:
            return _error(str(exc) or "refused")
        except PermissionError:
            return _error("forbidden")
        except ValueError as exc:
            errors = getattr(exc, "errors", None)
            if callable(errors):  # pydantic ValidationError
                try:
                    details = errors(include_url=False, include_input=False)
                except TypeError:
                    details = errors()
                from fastapi.encoders import jsonable_encoder

                return _error("invalid data", details=jsonable_encoder(details))
            return _error(str(exc) or "invalid data")
        except Exception:
            log.exception("realtime handler for %r failed", event)
            return _error("internal error")
        if result is None:
            return _ok()
        from fastapi.encoders import jsonable_encoder

        return jsonable_encoder(result)
