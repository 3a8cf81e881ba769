"""Realtime presence: who is in each room and what they are doing, in memory or in Redis.

An entry per connection and room (``{username, color, state, sid, exp}``) expires
``ttl`` seconds after its last refresh (a join, ``presence:update`` or ``presence:ping``).
Changes in a room are broadcast as one ``presence {room, users, count}`` per short window.
With Redis every worker reads and writes the same hash per room.
"""

from __future__ import annotations

import asyncio
import colorsys
import contextlib
import hashlib
import json
import logging
import math
import time
from typing import TYPE_CHECKING, Any

from ._principal import Principal
from ._realtime_intents import ack_error, ack_ok

if TYPE_CHECKING:
    from ._realtime_access import Connection

log = logging.getLogger("rm365.realtime")


def presence_color(username: str) -> str:
    """A stable, readable colour (``#rrggbb``) for a username."""
    digest = hashlib.sha256(username.encode("utf-8")).digest()
    hue = int.from_bytes(digest[:2], "big") / 65536.0
    lightness = 0.40 + (digest[2] / 255.0) * 0.10
    r, g, b = colorsys.hls_to_rgb(hue, lightness, 0.65)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


class MemoryPresence:
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


class RedisPresence:
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


class Presence:
    """The presence of one hub: entries per (connection, room), debounced broadcasts."""

    #: Presence state: JSON size, number of keys, key length, string length, list length.
    MAX_STATE_BYTES = 2048
    MAX_STATE_KEYS = 16
    MAX_STATE_KEY_LENGTH = 64
    MAX_STATE_STRING = 256
    MAX_STATE_LIST = 32
    #: Users listed in one ``presence`` broadcast (``count`` always has the total).
    MAX_USERS = 50
    #: Presence changes in a room within this window are sent as one broadcast (seconds).
    DEBOUNCE = 0.05

    def __init__(self, sio: Any, ttl: float) -> None:
        if ttl <= 0:
            raise ValueError("presence_ttl must be positive")
        self.sio = sio
        self.ttl = float(ttl)
        self.store: MemoryPresence | RedisPresence = MemoryPresence()
        self._states: dict[tuple[str, str], dict[str, Any]] = {}
        self._pending: dict[str, asyncio.Task[Any]] = {}

    def use_redis(self, redis: Any, prefix: str) -> None:
        self.store = RedisPresence(redis, prefix, self.ttl)

    def _entry(self, principal: Principal, sid: str, state: dict[str, Any]) -> dict[str, Any]:
        return {
            "username": principal.username,
            "color": presence_color(principal.username),
            "state": state,
            "sid": sid,
            "exp": time.time() + self.ttl,
        }

    # -- changes (the caller holds the connection's lock) -------------------------------
    async def enter(self, sid: str, room: str, principal: Principal) -> None:
        state = self._states.setdefault((sid, room), {})
        await self.store.set(room, sid, self._entry(principal, sid, state))

    async def leave(self, sid: str, room: str) -> None:
        self._states.pop((sid, room), None)
        try:
            await self.store.remove(room, sid)
        except Exception:
            log.exception("could not remove presence of %s in %r", sid, room)

    async def update(self, sid: str, room: str, principal: Principal, state: dict[str, Any]) -> None:
        self._states[(sid, room)] = dict(state)
        await self.store.set(room, sid, self._entry(principal, sid, dict(state)))

    async def refresh(self, sid: str, rooms: list[str], principal: Principal) -> None:
        """Extend the entries of ``sid`` in ``rooms``; a room it had expired from hears of it."""
        for room in rooms:
            entry = self._entry(principal, sid, self._states.get((sid, room), {}))
            if await self.store.set(room, sid, entry):
                self.schedule(room)

    # -- client events ------------------------------------------------------------------
    async def on_update(self, connection: Connection, room: str, state: Any) -> dict[str, Any]:
        """``presence:update {room, state}``: what this connection is doing in ``room``."""
        problem = self.validate_state(state)
        if problem or not isinstance(state, dict):
            return ack_error(problem or "state must be an object")
        async with connection.lock:
            if connection.closed or room not in connection.joined:
                return ack_error("not in room")
            try:
                await self.update(connection.sid, room, connection.principal, state)
            except Exception:
                log.exception("presence update failed for %r", room)
                return ack_error("internal error")
        self.schedule(room)
        return ack_ok()

    async def on_ping(self, connection: Connection, room: str | None) -> dict[str, Any]:
        """``presence:ping {room}`` (or ``{}`` for every joined room): still here."""
        async with connection.lock:
            if room is not None and room not in connection.joined:
                return ack_error("not in room")
            rooms = [room] if room is not None else list(connection.joined)
            try:
                await self.refresh(connection.sid, rooms, connection.principal)
            except Exception:
                log.exception("presence refresh failed for %r", rooms)
                return ack_error("internal error")
        return ack_ok()

    def validate_state(self, state: Any) -> str | None:
        """The reason ``state`` is refused, or None."""
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

    # -- reading and broadcasting -------------------------------------------------------
    async def users(self, room: str) -> list[dict[str, Any]]:
        """Who is in ``room`` on every worker: ``[{username, color, state, sid}]``."""
        users, pruned = await self.store.read(room)
        if pruned:
            self.schedule(room)
        return self._public(users)

    @staticmethod
    def _public(users: list[dict[str, Any]]) -> list[dict[str, Any]]:
        public = [
            {"username": u.get("username"), "color": u.get("color"), "state": u.get("state") or {}, "sid": u.get("sid")}
            for u in users
        ]
        public.sort(key=lambda u: (str(u["username"]), str(u["sid"])))
        return public

    def schedule(self, room: str) -> None:
        """Broadcast the room's presence soon, coalescing changes within DEBOUNCE."""
        if room in self._pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover
            return
        self._pending[room] = loop.create_task(self._flush(room))

    async def _flush(self, room: str) -> None:
        try:
            await asyncio.sleep(self.DEBOUNCE)
        finally:
            self._pending.pop(room, None)
        try:
            await self.broadcast(room)
        except Exception:
            log.exception("presence broadcast for room %r failed", room)

    async def broadcast(self, room: str) -> None:
        users, _ = await self.store.read(room)
        public = self._public(users)
        data = {"room": room, "users": public[: self.MAX_USERS], "count": len(public)}
        await self.sio.emit("presence", data, room=room)

    async def sweep(self, rooms: set[str]) -> None:
        """Prune expired entries of ``rooms`` and tell each room that lost someone."""
        for room in rooms:
            try:
                _, pruned = await self.store.read(room)
            except Exception:
                log.exception("presence sweep of room %r failed", room)
                continue
            if pruned:
                self.schedule(room)

    async def close(self) -> None:
        tasks = list(self._pending.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        self._pending.clear()
        await self.store.close()
