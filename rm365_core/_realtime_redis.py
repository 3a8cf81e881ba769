"""Redis for the realtime hub: Socket.IO's shared rooms and a control channel between workers.

Rooms and broadcasts go through python-socketio's Redis manager (with a bounded pool);
the control channel carries the hub's own messages (close a user's connections, re-check
who may stay in which room) to every worker of the site; ``ConnectionCounts`` keeps each
user's open connections on every worker, for the per-user limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import socketio

log = logging.getLogger("rm365.realtime")

#: Most Redis connections one worker opens for publishing / presence; more concurrent
#: commands wait for a free connection instead of failing ("Too many connections").
REDIS_MAX_CONNECTIONS = 32
REDIS_POOL_TIMEOUT = 10.0


def redact_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def redis_client(module: Any, url: str, **options: Any) -> Any:
    pool = module.BlockingConnectionPool.from_url(
        url, max_connections=REDIS_MAX_CONNECTIONS, timeout=REDIS_POOL_TIMEOUT, **options
    )
    return module.Redis(connection_pool=pool)


async def connect_redis(url: str) -> Any:
    """An asyncio Redis client for ``url`` that answered a PING; else an error naming the
    setting (with the password hidden)."""
    import redis.asyncio as aioredis

    client = redis_client(aioredis, url, decode_responses=True)
    try:
        await client.ping()
    except Exception as exc:
        with contextlib.suppress(Exception):
            await client.aclose()
        raise RuntimeError(f"RM365_REDIS_URL: cannot reach Redis at {redact_url(url)}: {exc}") from exc
    return client


class RedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
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
        self.redis = redis_client(module, self.redis_url, **self.redis_options)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.connected = True


async def wait_subscribed(manager: Any, timeout: float = 3.0) -> None:
    """Wait until python-socketio's Redis manager listens, so no early broadcast is lost."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pubsub = getattr(manager, "pubsub", None)
        if pubsub is not None and getattr(pubsub, "subscribed", False):
            return
        await asyncio.sleep(0.01)
    log.warning("Socket.IO Redis manager did not subscribe within %ss", timeout)


class ControlChannel:
    """The hub's messages to the other workers: ``publish(op, **data)`` reaches ``handle(op,
    data)`` on every other worker (never on the one that published)."""

    def __init__(self, redis: Any, channel: str, handle: Callable[[str, dict[str, Any]], Awaitable[None]]) -> None:
        self._redis = redis
        self._channel = channel
        self._handle = handle
        self._host = uuid.uuid4().hex
        self._pubsub: Any = None
        self._task: asyncio.Task[Any] | None = None

    async def start(self) -> None:
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.subscribe(self._channel)
        self._task = asyncio.create_task(self._listen())

    async def publish(self, op: str, **data: Any) -> None:
        await self._redis.publish(self._channel, json.dumps({**data, "op": op, "host": self._host}))

    async def _listen(self) -> None:
        while True:
            try:
                async for message in self._pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        data = json.loads(message["data"])
                    except (ValueError, TypeError):
                        continue
                    if not isinstance(data, dict) or data.get("host") == self._host:
                        continue
                    try:
                        await self._handle(str(data.get("op")), data)
                    except Exception:
                        log.exception("realtime control message %r failed", data.get("op"))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("realtime control channel failed; resubscribing in 1s")
                await asyncio.sleep(1)
                with contextlib.suppress(Exception):
                    await self._pubsub.subscribe(self._channel)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
            self._task = None
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            self._pubsub = None


class ConnectionCounts:
    """Each user's open connections on every worker: a sorted set per user of ``host:sid``,
    scored by when the entry lapses, so a vanished worker's connections stop counting."""

    def __init__(self, redis: Any, prefix: str, ttl: float) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl
        self._host = uuid.uuid4().hex

    def _key(self, username: str) -> str:
        return f"{self._prefix}:realtime:connections:{username}"

    async def claim(self, username: str, sid: str, limit: int) -> bool:
        """Count one more connection of ``username``; False (and not counted) past ``limit``."""
        key, member, now = self._key(username), f"{self._host}:{sid}", time.time()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", now)
            pipe.zadd(key, {member: now + self._ttl})
            pipe.zcard(key)
            pipe.pexpire(key, int(self._ttl * 1000))
            _, _, count, _ = await pipe.execute()
        if int(count) > limit:
            await self._redis.zrem(key, member)
            return False
        return True

    async def release(self, username: str, sid: str) -> None:
        await self._redis.zrem(self._key(username), f"{self._host}:{sid}")

    async def refresh(self, connections: list[tuple[str, str]]) -> None:
        """Keep counting this worker's ``(username, sid)`` connections."""
        if not connections:
            return
        expires = time.time() + self._ttl
        async with self._redis.pipeline(transaction=False) as pipe:
            for username, sid in connections:
                pipe.zadd(self._key(username), {f"{self._host}:{sid}": expires})
                pipe.pexpire(self._key(username), int(self._ttl * 1000))
            await pipe.execute()
